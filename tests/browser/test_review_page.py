"""The review page end to end in headless Chromium: sign in, decide by keyboard,
bulk accept and undo, orphans, a 409 from a second browser, a viewer, a cross-site
form post, and no request leaving the page's origin."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from api_helpers import KEYS, LiveServer
from conftest import sign_in

from resolver.demo.fixtures import DemoStore

pytestmark = pytest.mark.slow
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _api(site: LiveServer, role: str = "admin"):
    return site.client(role)


def _current(page) -> str:
    return page.get_attribute("#proposal article", "data-id")


def _after_decision(page, pid: str) -> None:
    page.wait_for_function(
        "id => document.querySelector('#notice').textContent.startsWith(id)", arg=pid
    )


def _entity(site: LiveServer, key: str) -> str:
    """A customer record's entity, through the API: it reopens the store a run
    replaced, where a connection of this process would see the file the server holds."""
    system, source_id = key.split(":", 1)
    rows = _api(site).get(
        "/crosswalk", params={"system": system, "source_id": source_id, "object": "customer"}
    )
    return rows.json()[0]["entity_id"]


def test_keyboard_decisions_hold_through_the_api_and_the_next_run(
    browser, site: LiveServer, demo_store: DemoStore
) -> None:
    ctx, page = sign_in(browser, site)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site.url) else outside.append(r.url))
    assert KEYS["reviewer"] not in page.content() and KEYS["reviewer"] not in page.url
    n = _api(site).get("/bulk-decisions/preview", params={"object": "customer"})  # warm
    assert n.status_code == 200
    page.keyboard.press("/")  # the filters, by keyboard
    page.keyboard.press("ArrowDown")  # object: customer
    page.keyboard.press("Escape")
    for _ in range(100):
        rows = page.eval_on_selector_all("#queue tr[data-id]", "rs => rs.map(r => r.dataset.id)")
        if rows and all(r.startswith("P-CUS") for r in rows) and _current(page) == rows[0]:
            break
        page.wait_for_timeout(100)
    rows = page.eval_on_selector_all("#queue tr[data-id]", "rs => rs.map(r => r.dataset.id)")
    assert _current(page) == rows[0]  # sorted by money at stake, the first one open
    page.screenshot(path=str(DOCS / "review-queue.png"), full_page=False)

    # j / k move through the queue
    page.keyboard.press("j")
    page.wait_for_function(
        "id => document.querySelector('#proposal article')?.dataset.id === id", arg=rows[1]
    )
    page.keyboard.press("k")
    page.wait_for_function(
        "id => document.querySelector('#proposal article')?.dataset.id === id", arg=rows[0]
    )

    accepted = _current(page)
    page.keyboard.press("a")
    _after_decision(page, accepted)
    rejected = _current(page)
    assert rejected != accepted  # moved on to the next open proposal
    page.keyboard.press("e")
    page.keyboard.type("different people")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    _after_decision(page, rejected)
    split = _current(page)
    page.screenshot(path=str(DOCS / "review-proposal.png"), full_page=False)
    page.keyboard.press("1")
    page.keyboard.press("x")
    page.keyboard.press("s")
    _after_decision(page, split)
    undone = _current(page)
    page.keyboard.press("a")
    _after_decision(page, undone)
    page.keyboard.press("k")  # back to it, then undo
    page.wait_for_function(
        "id => document.querySelector('#proposal article')?.dataset.id === id", arg=undone
    )
    page.keyboard.press("u")
    page.wait_for_function("() => document.querySelector('#notice').textContent.includes('undone')")

    api = _api(site)
    got = {pid: api.get(f"/proposals/{pid}").json() for pid in (accepted, rejected, split, undone)}
    assert got[accepted]["status"] == "accepted"
    assert got[accepted]["history"][-1]["reviewer"] == "rex"
    assert got[rejected]["status"] == "rejected"
    assert got[rejected]["history"][-1]["reason"] == "different people"
    assert got[split]["status"] == "split"
    first = got[split]["members"][0]["record_key"]
    assert [first] in got[split]["history"][-1]["groups"]
    assert got[undone]["status"] == "open"
    assert [h["action"] for h in got[undone]["history"]] == ["accept", "undo"]
    assert outside == []
    ctx.close()

    # the next run honours the decisions: the accepted records are one entity, and
    # every decided proposal keeps its decision (or is no longer proposed)
    demo_store.run(site.db)
    assert len({_entity(site, k) for k in got[accepted]["record_keys"]}) == 1
    apart = [_entity(site, k) for k in got[rejected]["record_keys"]]
    assert len(set(apart)) == len(apart)  # no two of the rejected records together
    split_ent = {k: _entity(site, k) for k in got[split]["record_keys"]}
    assert split_ent[first] not in {e for k, e in split_ent.items() if k != first}
    for pid in (accepted, rejected, split):
        after = _api(site).get(f"/proposals/{pid}").json()
        assert after["status"] in (got[pid]["status"], "decided") or set(
            after["record_keys"]
        ) != set(got[pid]["record_keys"]), (pid, after["status"])  # a new proposal now
        assert after["history"][-1]["action"] == got[pid]["history"][-1]["action"]


def test_a_second_browser_deciding_first_shows_the_fresh_state_and_keeps_the_reason(
    browser, site: LiveServer
) -> None:
    ctx_a, a = sign_in(browser, site, "reviewer")
    ctx_b, b = sign_in(browser, site, "admin")
    pid = _current(a)
    assert _current(b) == pid
    b.keyboard.press("a")
    _after_decision(b, pid)
    a.keyboard.press("e")
    a.keyboard.type("typed before the other reviewer")
    a.keyboard.press("Escape")
    a.keyboard.press("r")
    a.wait_for_function(
        "() => document.querySelector('#notice').textContent.includes('changed while you looked')"
    )
    a.wait_for_function(
        "() => document.querySelector('#proposal article').dataset.status === 'accepted'"
    )
    assert a.input_value("#reason") == "typed before the other reviewer"
    assert "accept by ada" in a.text_content("#notice")
    ctx_a.close()
    ctx_b.close()


def test_bulk_accept_with_confirmation_and_undo_as_one_step(browser, site: LiveServer) -> None:
    api = _api(site)
    preview = api.get("/bulk-decisions/preview", params={"object": "customer"}).json()
    assert preview["count"] > 1
    ctx, page = sign_in(browser, site)
    page.select_option("select[name=object]", "customer")
    page.select_option("select[name=action]", "auto_merge")
    page.wait_for_selector("#queue tr[data-id]")
    page.keyboard.press("b")
    page.wait_for_selector("#confirm[open]")
    text = page.text_content("#confirm-text")
    assert f"Accept {preview['count']} proposals" in text
    assert f"${preview['stake_cents'] / 100:,.2f}" in text
    page.click("#confirm-ok")
    page.wait_for_selector("#bulk-undo")
    assert api.get("/bulk-decisions/preview", params={"object": "customer"}).json()["count"] == 0
    accepted = api.get("/proposals", params={"status": "accepted", "limit": 500}).json()["items"]
    assert len(accepted) >= preview["count"]
    page.click("#bulk-undo")
    page.wait_for_function(
        "() => document.querySelector('#notice').textContent.startsWith('Undid')"
    )
    assert api.get("/bulk-decisions/preview", params={"object": "customer"}).json() == preview
    ctx.close()


def test_an_orphan_resolved_and_undone(browser, site: LiveServer) -> None:
    ctx, page = sign_in(browser, site)
    page.goto(f"{site.url}/review/orphans")
    sec = page.locator("section.orphan").first
    oid = sec.get_attribute("data-orphan")
    sec.locator(".o-reason").fill("voided before the sync")
    sec.locator("[data-orphan-action=expected]").click()
    page.wait_for_function(
        "id => document.querySelector(`[data-orphan='${id}'] .resolution`).textContent === 'expected'",
        arg=oid,
    )
    api = _api(site)

    def resolution() -> str:
        items = api.get("/orphans", params={"include_resolved": True, "limit": 500}).json()
        return next(o["resolution"] for o in items["items"] if o["orphan_id"] == oid)

    assert resolution() == "expected"
    sec.locator("[data-orphan-action=undo]").click()
    page.wait_for_function(
        "id => document.querySelector(`[data-orphan='${id}'] .resolution`).textContent === 'open'",
        arg=oid,
    )
    assert resolution() == "open"
    ctx.close()


def test_a_viewer_sees_no_decision_buttons(browser, site: LiveServer) -> None:
    ctx, page = sign_in(browser, site, "viewer")
    assert page.locator("#decide").count() == 0 and page.locator("#bulk").count() == 0
    pid = _current(page)
    before = len(_api(site).get(f"/proposals/{pid}").json()["history"])
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    assert len(_api(site).get(f"/proposals/{pid}").json()["history"]) == before
    page.goto(f"{site.url}/review/orphans")
    assert page.locator("[data-orphan-action]").count() == 0
    ctx.close()


def test_a_cross_site_form_post_is_refused(browser, site: LiveServer, tmp_path: Path) -> None:
    api = _api(site)
    item = api.get("/proposals", params={"limit": 1}).json()["items"][0]
    pid, version = item["proposal_id"], item["version"]
    target = f"{site.url}/proposals/{pid}/decisions"
    body_name = '{"action": "accept", "version": "' + version + '", "reason": "'
    (tmp_path / "evil.html").write_text(
        f"""<!doctype html><form id=f method=post enctype=text/plain action="{target}">
        <input name='{body_name}' value='x"}}'></form>
        <script>document.getElementById('f').submit()</script>""",
        encoding="utf-8",
    )
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(tmp_path), **kw
    )
    evil = http.server.ThreadingHTTPServer(("localhost", 0), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        ctx, page = sign_in(browser, site)
        with page.expect_response(target) as resp:
            page.goto(f"http://localhost:{evil.server_address[1]}/evil.html")
        assert resp.value.status in (401, 403)
        # the CSRF check holds on its own too: the session cookie without the token
        cookie = next(c for c in ctx.cookies() if c["name"] == "resolver_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        forged = site.client(None).post(
            target,
            json={"action": "accept", "version": version},
            cookies={cookie["name"]: cookie["value"]},
            headers={"Origin": f"http://localhost:{evil.server_address[1]}"},
        )
        assert forged.status_code == 403
        assert api.get(f"/proposals/{pid}").json()["history"] == []
        ctx.close()
    finally:
        evil.shutdown()


def test_docs_render_from_local_assets_only(browser, site: LiveServer) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site.url) else outside.append(r.url))
    page.goto(f"{site.url}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    assert outside == []
    ctx.close()
