"""The review page's golden-record picks and splits into groups, end to end in
headless Chromium: made in the page, seen through the API and the history page,
and holding in the next run."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import LiveServer
from conftest import sign_in

from resolver.demo.fixtures import DemoStore

pytestmark = pytest.mark.slow
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _show(page, pid: str) -> None:
    page.click(f"#queue tr[data-id='{pid}'] a")
    page.wait_for_function(
        "id => document.querySelector('#proposal article')?.dataset.id === id", arg=pid
    )


def _decided(page, pid: str) -> None:
    page.wait_for_function(
        "id => document.querySelector('#notice').textContent.startsWith(id)", arg=pid
    )


def _entity(api, key: str) -> str:
    """The entity of a record, through the API (which reopens the store a run replaced;
    a connection of this process would see the file the server still holds)."""
    system, source_id = key.split(":", 1)
    rows = api.get(
        "/crosswalk", params={"system": system, "source_id": source_id, "object": "customer"}
    ).json()
    return rows[0]["entity_id"]


def test_golden_picks_and_a_split_into_groups_hold_in_the_next_run(
    browser, site: LiveServer, demo_store: DemoStore
) -> None:
    api = site.client("admin")
    items = api.get(  # what the page's queue lists first
        "/proposals", params={"object": "customer", "kind": "link", "limit": 100, "sort": "stake"}
    ).json()["items"]
    big = max(
        (p for p in items if 3 <= len(p["record_keys"]) <= 9), key=lambda p: len(p["record_keys"])
    )
    pair = next(
        p
        for p in items
        if len(p["record_keys"]) == 2
        and all(
            m.get("email_norm") for m in api.get(f"/proposals/{p['proposal_id']}").json()["members"]
        )
    )
    ctx, page = sign_in(browser, site)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site.url) else outside.append(r.url))
    page.select_option("select[name=object]", "customer")
    page.select_option("select[name=kind]", "link")
    page.wait_for_function(  # the queue of the filter chosen
        "() => { const k = Array.from(document.querySelectorAll('#queue tr[data-id]'),"
        " r => r.children[2].textContent); return k.length && k.every(t => t === 'link'); }"
    )
    page.wait_for_selector(f"#queue tr[data-id='{big['proposal_id']}']")

    progress = page.text_content("#progress")
    assert progress.startswith("0 of ") and "decided today" in progress
    total = progress.split(" of ")[1].split()[0]

    # split a cluster of 3+ into two groups, chosen per member: the first two stay,
    # the rest go together; the last one joins them by drag and drop
    _show(page, big["proposal_id"])
    keys = page.eval_on_selector_all("#proposal th.member", "hs => hs.map(h => h.dataset.key)")
    assert len(keys) >= 3
    selects = page.locator("#proposal select.group")
    for i in range(2, len(keys) - 1):
        selects.nth(i).select_option("2")
    page.keyboard.press(str(min(len(keys), 9)))  # focus the last member
    page.keyboard.press("x")  # take it out: a group of its own
    assert selects.nth(len(keys) - 1).input_value() not in ("1", "")
    if len(keys) > 3:  # then drag it onto the second group (with 3, it is that group)
        page.drag_and_drop(
            f"#proposal th.member[data-member='{len(keys) - 1}']",
            "#proposal th.member[data-member='2']",
        )
    groups = [sorted(keys[:2]), sorted(keys[2:])]
    page.keyboard.press("s")
    _decided(page, big["proposal_id"])
    page.wait_for_function(  # the progress figure counts it, out of the same total
        "t => document.querySelector('#progress').textContent.startsWith('1 of ' + t + ' ')",
        arg=total,
    )
    split = api.get(f"/proposals/{big['proposal_id']}").json()
    assert split["status"] == "split"
    assert sorted(sorted(g) for g in split["history"][-1]["groups"]) == sorted(groups)

    # golden picks: the email from each member in turn would do; pick the second
    _show(page, pair["proposal_id"])
    a, b = pair["record_keys"]
    picked = page.eval_on_selector(
        "#proposal table.gold tr[data-field=email]",
        "tr => Array.from(tr.querySelectorAll('input[type=radio]')).map(r => r.value)",
    )
    assert set(picked) == {"", a, b}
    now = page.get_attribute("#proposal table.gold tr[data-field=email]", "data-source")
    if now == b:  # pick the one the rules do not choose
        a, b = b, a
    page.check(f"#proposal table.gold tr[data-field=email] input[value='{b}']")
    page.locator("#proposal fieldset.golden-picks").screenshot(path=str(DOCS / "review-golden.png"))
    page.keyboard.press("a")
    _decided(page, pair["proposal_id"])
    accepted = api.get(f"/proposals/{pair['proposal_id']}").json()
    assert accepted["status"] == "accepted"
    assert accepted["history"][-1]["golden"] == {"email": b}

    # history shows the pick and the groups
    page.goto(f"{site.url}/review/history")
    picks = page.text_content("table.history")
    assert "golden picks" in picks and b in picks and "groups" in picks
    assert outside == []  # nothing left the page's origin
    ctx.close()

    before = _entity(api, groups[0][0])
    assert all(_entity(api, k) == before for g in groups for k in g)  # one entity before
    demo_store.run(site.db)
    api.get("/health")
    ent = {k: _entity(api, k) for k in [*keys, a, b]}
    for g in groups:
        assert len({ent[k] for k in g}) == 1, g
    assert {ent[k] for k in groups[0]}.isdisjoint({ent[k] for k in groups[1]})
    assert ent[a] == ent[b]
    golden = api.get(f"/entities/{ent[a]}").json()["golden"]
    assert golden["email"]["source"] == b
    again = api.get(f"/proposals/{pair['proposal_id']}").json()
    assert again["history"][-1]["golden"] == {"email": b}

    # the page shows the pick in force on the accepted proposal
    ctx, page = sign_in(browser, site)
    page.select_option("select[name=status]", "any")
    page.select_option("select[name=object]", "customer")
    page.wait_for_selector(f"#queue tr[data-id='{pair['proposal_id']}']")
    _show(page, pair["proposal_id"])
    row = page.text_content("#proposal table.gold tr[data-field=email]")
    assert "picked by a reviewer" in row
    assert page.is_checked(f"#proposal table.gold tr[data-field=email] input[value='{b}']")
    ctx.close()
