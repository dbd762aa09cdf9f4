"""Altair charts of the tuning tables (Splink draws its own; these draw ours)."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd


def _alt() -> Any:

    return alt


def completeness_heatmap(profile: pd.DataFrame) -> Any:
    """Completeness per system and field, raw beside normalized (from ``profile``)."""
    alt = _alt()
    raw = profile.assign(stage="raw", complete=profile["raw_complete"].astype(float))
    norm = profile[profile["norm_column"].notna()].assign(
        stage="normalized", complete=lambda d: d["norm_complete"].astype(float)
    )
    data = pd.concat([raw, norm], ignore_index=True)[
        ["object", "system", "field", "stage", "complete"]
    ]
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("system:N"),
            y=alt.Y("field:N", sort=None),
            color=alt.Color("complete:Q", scale=alt.Scale(domain=[0, 1], scheme="blues")),
            tooltip=["object", "system", "field", "stage", alt.Tooltip("complete:Q", format=".1%")],
        )
        .properties(width=160, height=alt.Step(14))
        .facet(column=alt.Column("stage:N", sort=["raw", "normalized"]), row="object:N")
        .resolve_scale(y="independent")
    )


def precision_recall_chart(
    curve: pd.DataFrame, *, auto_link: float | None = None, review: float | None = None
) -> Any:
    """Precision and recall against the threshold's match weight, with the chosen
    thresholds as rules."""
    alt = _alt()
    data = curve.melt(
        id_vars=["threshold", "match_weight"],
        value_vars=["precision", "recall"],
        var_name="measure",
        value_name="value",
    )
    data = data[data["match_weight"].abs() < 1e6]
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("match_weight:Q", title="threshold (match weight)"),
            y=alt.Y("value:Q", scale=alt.Scale(zero=False)),
            color="measure:N",
            tooltip=["threshold", "match_weight", "measure", "value"],
        )
    )
    marks = [
        {"label": name, "match_weight": _w(t)}
        for name, t in (("auto_link", auto_link), ("review", review))
        if t is not None
    ]
    if not marks:
        return lines.properties(width=500, height=250)
    rules = (
        alt.Chart(pd.DataFrame(marks))
        .mark_rule(strokeDash=[4, 4])
        .encode(x="match_weight:Q", color=alt.value("gray"), tooltip=["label"])
    )
    return (lines + rules).properties(width=500, height=250)


def _w(p: float) -> float:

    return math.log2(p / (1 - p))


def score_strip(scores: pd.DataFrame, *, group: str, threshold: float | None = None) -> Any:
    """One dot per pair: its match weight, grouped by ``group``."""
    alt = _alt()
    base = (
        alt.Chart(scores)
        .mark_circle(size=40, opacity=0.6)
        .encode(
            x=alt.X("match_weight:Q"),
            y=alt.Y(f"{group}:N"),
            tooltip=["record_key_l", "record_key_r", "match_probability", "match_weight"],
        )
    )
    if threshold is None:
        return base.properties(width=500)
    rule = alt.Chart(pd.DataFrame({"match_weight": [_w(threshold)]})).mark_rule(color="red")
    return (base + rule.encode(x="match_weight:Q")).properties(width=500)


def bar(data: pd.DataFrame, *, x: str, y: str, color: str | None = None, **props: Any) -> Any:
    """A plain bar chart (decisions over time, acceptance by band, the orphan backlog)."""
    alt = _alt()
    enc: dict[str, Any] = {"x": alt.X(x), "y": alt.Y(y), "tooltip": list(data.columns)}
    if color:
        enc["color"] = alt.Color(color)
    return alt.Chart(data).mark_bar().encode(**enc).properties(**({"width": 400} | props))
