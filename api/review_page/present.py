"""What the templates show, computed from the library's answers (no HTTP here)."""

from __future__ import annotations

from typing import Any

from resolver.review.decisions import in_force
from resolver.review.side_by_side import confidence_words, field_rows, golden_rows, waterfall

MAX_WATERFALLS = 8  # pairs drawn per proposal; the rest are counted


def money(cents: Any) -> str:
    """148331 -> "$1,483.31"; None -> "—"."""
    if cents is None:
        return "—"
    return f"${int(cents) / 100:,.2f}"


def label(view: Any, item: dict[str, Any]) -> str:
    """Who or what a proposal is about: a customer's name / company, an invoice's
    number and amount."""
    obj = item["object"]
    golden = view.golden_record(obj, item["entity_ids"][0]) if item.get("entity_ids") else {}
    value = {k: (v or {}).get("value") for k, v in golden.items()}
    if not any(value.values()):
        members = view.members(obj, item["record_keys"][:1])
        value = members[0] if members else {}
    if obj == "invoice":
        number = value.get("invoice_number") or "?"
        return f"invoice {number} · {money(value.get('amount_cents'))}"
    name = value.get("name") or " ".join(
        str(x) for x in (value.get("first_name"), value.get("last_name")) if x
    )
    company = value.get("company")
    return " · ".join(str(x) for x in (name, company) if x) or item["record_keys"][0]


def waterfall_svg(pair: dict[str, Any], width: int = 360, row: int = 16) -> dict[str, Any]:
    """Geometry of one pair's evidence waterfall (bars in an inline SVG)."""
    w = waterfall(pair)
    points = [0.0, w["total"]] + [s["start"] for s in w["steps"]] + [s["end"] for s in w["steps"]]
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0
    label_w = 150
    plot = width - label_w - 50

    def x(v: float) -> float:
        return round(label_w + (v - lo) / span * plot, 1)

    bars = []
    for n, s in enumerate(w["steps"]):
        a, b = sorted((x(s["start"]), x(s["end"])))
        bars.append(
            {
                "y": n * row,
                "x": a,
                "w": max(b - a, 1.0),
                "label": s["label"],
                "level": s["level"],
                "weight": s["weight"],
                "up": s["weight"] >= 0,
            }
        )
    n = len(bars)
    return {
        "bars": bars,
        "zero": x(0.0),
        "total_y": n * row,
        "total_x": min(x(0.0), x(w["total"])),
        "total_w": max(abs(x(w["total"]) - x(0.0)), 1.0),
        "total": w["total"],
        "probability": w["probability"],
        "height": (n + 1) * row + 4,
        "width": width,
        "row": row,
    }


def picks_in_force(history: list[dict[str, Any]]) -> dict[str, str]:
    """The golden picks of the newest accept in force (the one rule: ``in_force``)."""
    live = in_force(
        [h["decision_id"] for h in history],
        [h["action"] for h in history],
        [h.get("undoes") for h in history],
    )
    for h, ok in zip(reversed(history), reversed(live), strict=True):
        if ok and h["action"] == "accept":
            return h.get("golden") or {}
    return {}


def proposal_view(detail: dict[str, Any]) -> dict[str, Any]:
    """The side-by-side of one proposal."""
    members = detail.get("members") or []
    changes = detail.get("changes_since_decision") or {}
    rows = field_rows(detail["object"], members) if members else []
    golden = detail.get("golden") or {}
    for r in rows:
        g = golden.get(r["field"]) or {}
        r["golden"] = g.get("value")
        r["golden_source"] = g.get("source")
        r["changed"] = [(changes.get(m["record_key"]) or {}).get(r["field"]) for m in members]
    evidence = detail.get("evidence") or []
    pairs = [
        {
            "left": e.get("record_key_l"),
            "right": e.get("record_key_r"),
            "veto": e.get("veto"),
            "svg": waterfall_svg(e),
        }
        for e in evidence[:MAX_WATERFALLS]
    ]
    history = detail.get("history") or []
    picks = picks_in_force(history) if detail.get("status") == "accepted" else {}
    return {
        "golden_rows": golden_rows(detail["object"], members, golden, picks) if members else [],
        "p": detail,
        "members": members,
        "rows": rows,
        "pairs": pairs,
        "more_pairs": max(len(evidence) - MAX_WATERFALLS, 0),
        "words": confidence_words(detail.get("confidence")),
        "changes": changes,
        "last": history[-1] if history else None,
    }
