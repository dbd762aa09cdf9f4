"""The review page is accessible and fits a laptop, checked in headless Chromium:
every control has a name, keyboard focus follows the document and is always
visible, every text meets the WCAG contrast ratio on the colour behind it, and at
1280 px wide no page scrolls sideways."""

from __future__ import annotations

import pytest
from api_helpers import KEYS, LiveServer
from conftest import sign_in

pytestmark = pytest.mark.slow

# the accessible name of a control (the parts of the accname rules a form uses)
NAMES_JS = """() => {
  const text = (el) => (el.innerText || el.textContent || "").trim();
  const name = (el) => {
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label").trim();
    const by = el.getAttribute("aria-labelledby");
    if (by) return by.split(/\\s+/).map((id) => text(document.getElementById(id) || {})).join(" ").trim();
    if (el.labels && el.labels.length) return Array.from(el.labels).map(text).join(" ").trim();
    if (["BUTTON", "A", "SUMMARY"].includes(el.tagName)) return text(el);
    return (el.getAttribute("title") || "").trim();
  };
  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button, a[href], summary, [tabindex]:not([tabindex='-1']), svg[role=img], table, dialog");
  return Array.from(controls)
    .filter((el) => !name(el) && !(el.tagName === "TABLE" && el.querySelector("caption")))
    .map((el) => el.outerHTML.slice(0, 120));
}"""

# WCAG 2.x contrast of every text against the colour it is drawn on
CONTRAST_JS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || !el.checkVisibility()) continue;
    if (el.closest(".sr-only") || el.closest("dialog:not([open])")) continue;
    const s = getComputedStyle(el);
    const fg = s.fill && el instanceof SVGElement ? rgb(s.fill) : rgb(s.color);
    const [a, b] = [lum(fg) + 0.05, lum(behind(el)) + 0.05];
    const ratio = Math.max(a, b) / Math.min(a, b);
    const size = parseFloat(s.fontSize), bold = +s.fontWeight >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push(`${ratio.toFixed(2)} < ${need}: "${n.textContent.trim().slice(0, 30)}" in <${el.tagName.toLowerCase()} class="${el.className.baseVal ?? el.className}">`);
  }
  return out;
}"""

# where focus is, whether it shows, and whether it came after the one before
FOCUS_JS = """(prev) => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  const shadow = s.boxShadow && s.boxShadow !== "none";
  let after = true;
  if (prev !== null) {
    const p = document.querySelectorAll("*")[prev];
    after = !!(p.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  }
  return { at: Array.from(document.querySelectorAll("*")).indexOf(el), tag: el.outerHTML.slice(0, 80),
           visible: outline || shadow, after };
}"""

WIDE_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# the outermost elements reaching past the window's right edge (for the message)
PAST_EDGE_JS = """() => {
  const w = document.documentElement.clientWidth;
  const past = Array.from(document.querySelectorAll("body *"))
    .filter((e) => e.getBoundingClientRect().right > w + 1)
    .filter((e) => { // what scrolls inside its own box is fine (unless it escapes it)
      if (getComputedStyle(e).position === "absolute") return true;
      for (let a = e.parentElement; a; a = a.parentElement)
        if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return false;
      return true;
    });
  return past.filter((e) => !past.includes(e.parentElement))
    .map((e) => e.outerHTML.slice(0, 100));
}"""


def _tab_through(page, presses: int) -> list[dict]:
    """Tab from the top; each stop: where focus is, whether it shows, whether it
    followed the previous stop in the document."""
    page.evaluate(  # the keyboard's starting point: the top of the page
        "() => { const t = document.createElement('span'); t.id = 'top-mark'; t.tabIndex = -1;"
        " document.body.prepend(t); t.focus(); window.scrollTo(0, 0); }"
    )
    stops, prev = [], None
    for _ in range(presses):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_JS, prev)
        if stop["at"] < 0 or (stops and stop["at"] <= stops[0]["at"]):
            break  # left the page, or wrapped to the top
        stops.append(stop)
        prev = stop["at"]
    page.evaluate("() => document.getElementById('top-mark').remove()")
    return stops


def _check(page, where: str) -> None:
    assert page.evaluate(NAMES_JS) == [], f"{where}: controls without a name"
    assert page.evaluate(CONTRAST_JS) == [], f"{where}: text under the WCAG contrast ratio"
    assert (
        page.eval_on_selector_all("[tabindex]", "es => es.filter(e => e.tabIndex > 0).length") == 0
    )
    stops = _tab_through(page, 40)
    assert stops, where
    assert [s["tag"] for s in stops if not s["visible"]] == [], f"{where}: focus not visible"
    assert [s["tag"] for s in stops if not s["after"]] == [], f"{where}: focus out of order"
    assert page.evaluate(WIDE_JS) <= 0, (where, page.evaluate(PAST_EDGE_JS))


def test_the_pages_are_accessible_and_fit_a_laptop(browser, site: LiveServer) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(f"{site.url}/review")
    _check(page, "sign-in")
    assert page.evaluate("() => document.activeElement.id") in ("key", "")
    page.fill("#key", KEYS["reviewer"])
    page.press("#key", "Enter")
    page.wait_for_selector("#proposal article")
    # the widest proposal (most records), its disagreements, the golden record, and a
    # decision's notice
    page.select_option("select[name=sort]", "records")
    page.wait_for_function("() => document.querySelectorAll('#proposal th.member').length >= 4")
    assert page.evaluate(WIDE_JS) <= 0, page.evaluate(PAST_EDGE_JS)
    page.keyboard.press("a")
    page.wait_for_selector("#notice.ok:not([hidden])")
    page.wait_for_selector("#proposal table.gold")
    _check(page, "queue and proposal")
    first = _tab_through(page, 3)
    assert "skip" in first[0]["tag"]  # the skip link comes first
    # from the reason, the decision buttons follow in order
    page.focus("#reason")
    names = []
    for _ in range(4):
        page.keyboard.press("Tab")
        names.append(page.evaluate("() => document.activeElement.dataset.action"))
    assert names == ["accept", "reject", "split", "undo"]
    page.keyboard.press("Escape")
    page.keyboard.press("?")  # the keys dialog takes focus and is labelled
    page.wait_for_selector("#help[open]")
    assert page.evaluate("() => document.activeElement.closest('dialog')?.id") == "help"
    page.keyboard.press("Escape")
    for path in ("orphans", "history"):
        page.goto(f"{site.url}/review/{path}")
        _check(page, path)
    ctx.close()


def test_a_narrow_window_stacks_the_panes(browser, site: LiveServer) -> None:
    ctx, page = sign_in(browser, site)
    page.set_viewport_size({"width": 1024, "height": 768})
    assert page.evaluate(WIDE_JS) <= 0
    q, p = (page.locator(s).bounding_box() for s in (".queue-pane", ".proposal-pane"))
    assert p["y"] >= q["y"] + q["height"] - 1  # one above the other, not squeezed
    ctx.close()
