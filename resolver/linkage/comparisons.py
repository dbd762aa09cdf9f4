"""Comparison kinds an analyst names in rules/*.yaml, turned into Splink comparison levels.

Each kind is a function of its YAML options that returns Splink's comparison dict:
an ordered list of levels, the first whose SQL holds wins. Options are checked by
:func:`check_comparison`, which returns problems instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from resolver.rulefiles import sql_problem

Level = dict[str, Any]
Options = Mapping[str, Any]


def _null(*cols: str) -> Level:
    cond = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)
    return {"sql_condition": cond, "label_for_charts": "missing", "is_null_level": True}


def _level(sql: str, label: str, tf_column: str | None = None) -> Level:
    level: Level = {"sql_condition": sql, "label_for_charts": label}
    if tf_column:
        level["tf_adjustment_column"] = tf_column
        level["tf_adjustment_weight"] = 1.0
    return level


_ELSE: Level = {"sql_condition": "ELSE", "label_for_charts": "different"}


def level_gammas(levels: list[Level]) -> list[int]:
    """Splink's comparison vector value (``gamma_<comparison>``) of each level, in order:
    the null level -1, the others counted down from the first (n-1, ..., 0)."""
    gamma = sum(not lv.get("is_null_level") for lv in levels)
    out = []
    for lv in levels:
        if lv.get("is_null_level"):
            out.append(-1)
        else:
            gamma -= 1
            out.append(gamma)
    return out


def level_labels(splink: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """Comparison name -> {gamma: level label} of a model's Splink settings, as Splink
    numbers the levels (:func:`level_gammas`); a level without a label is named by its SQL."""
    out = {}
    for comp in splink["comparisons"]:
        levels = comp["comparison_levels"]
        out[comp["output_column_name"]] = {
            g: lv.get("label_for_charts") or lv["sql_condition"]
            for lv, g in zip(levels, level_gammas(levels), strict=True)
        }
    return out


def _jw(col: str, t: float) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r) >= {float(t)}"


def _exact(o: Options) -> list[Level]:
    c = o["column"]
    return [_null(c), _level(f"{c}_l = {c}_r", "exact", c if o.get("tf") else None), _ELSE]


# Labels of the levels a name comparison with ``home_columns`` puts first: the name
# compared where the two records share a home (the same phone or address line). They
# are not trained with the model's other levels: model.condition_on_shared_home adds
# them after training and estimates them on the pairs that share a home alone. People
# who share a home mostly share a surname and seldom a first name, so there a surname
# says little and a first name much.
SAME_AT_HOME = "same, sharing a home"
SIMILAR_AT_HOME = "similar, sharing a home"
OTHER_AT_HOME = "different, sharing a home"
AT_HOME = (SAME_AT_HOME, SIMILAR_AT_HOME, OTHER_AT_HOME)


def _at_home(o: Options, levels: list[Level]) -> list[Level]:
    """``levels`` (null, exact, partial levels..., else) with the home levels after the
    null level: exact, any partial level, anything else, each where a home is shared."""
    if not o.get("home_columns"):
        return levels
    home = " OR ".join(f"{h}_l = {h}_r" for h in o["home_columns"])
    exact, partial = levels[1], levels[2:-1]
    similar = " OR ".join(f"({lv['sql_condition']})" for lv in partial) or "FALSE"
    return [
        levels[0],
        _level(f"({home}) AND ({exact['sql_condition']})", SAME_AT_HOME),
        _level(f"({home}) AND ({similar})", SIMILAR_AT_HOME),
        _level(f"({home})", OTHER_AT_HOME),
        *levels[1:],
    ]


def _string(o: Options) -> list[Level]:
    c = o["column"]
    levels = [_null(c), _level(f"{c}_l = {c}_r", "exact", c if o.get("tf") else None)]
    levels += [_level(_jw(c, t), f"jaro-winkler >= {t}") for t in o.get("thresholds", [])]
    if o.get("phonetic_column"):
        p = o["phonetic_column"]
        levels.append(_level(f"{p}_l = {p}_r", "sounds alike"))
    return _at_home(o, [*levels, _ELSE])


def _first_name(o: Options) -> list[Level]:
    c, k = o["column"], o["key_column"]
    levels = [
        _null(c),
        _level(f"{c}_l = {c}_r", "exact", c if o.get("tf") else None),
        _level(f"{k}_l = {k}_r", "same nickname key"),
    ]
    if o.get("variants_column"):  # 'hetty' may stand for 'heather'
        v = o["variants_column"]
        levels.append(_level(f"list_has_any({v}_l, {v}_r)", "nickname of each other"))
    levels += [_level(_jw(c, t), f"jaro-winkler >= {t}") for t in o.get("thresholds", [])]
    # "j" vs "john": an initial that agrees
    levels.append(
        _level(
            f"(length({c}_l) = 1 OR length({c}_r) = 1) AND left({c}_l, 1) = left({c}_r, 1)",
            "initial agrees",
        )
    )
    return _at_home(o, [*levels, _ELSE])


def _email(o: Options) -> list[Level]:
    c, k = o["column"], o["key_column"]
    levels = [
        _null(c),
        _level(f"{c}_l = {c}_r", "exact", c if o.get("tf") else None),
        _level(f"{k}_l = {k}_r", "same canonical address"),
    ]
    if o.get("user_level", True):
        # user names are often made of the person's name, so this level repeats the
        # names' evidence for namesakes: derived models leave it out
        user = "split_part({c}_{s}, '@', 1)"
        levels.append(
            _level(
                f"jaro_winkler_similarity({user.format(c=c, s='l')}, {user.format(c=c, s='r')})"
                f" >= {float(o.get('user_threshold', 0.9))}",
                "similar user name",
            )
        )
    return [*levels, _ELSE]


def _address(o: Options) -> list[Level]:
    line, num, street = o["line_column"], o["house_number_column"], o["street_column"]
    post, core = o.get("postal_column"), o.get("street_core_column")
    levels = [
        _null(line),
        _level(f"{line}_l = {line}_r", "same address", line if o.get("tf") else None),
    ]
    if core:  # "435 la cienega blvd" and "435 s la cienega blv"
        levels.append(
            _level(f"{num}_l = {num}_r AND {core}_l = {core}_r", "same number and street name")
        )
    levels.append(
        _level(
            f"{num}_l = {num}_r AND jaro_winkler_similarity({street}_l, {street}_r) >= 0.9",
            "same number and street",
        )
    )
    if post:
        levels.append(_level(f"{num}_l = {num}_r AND {post}_l = {post}_r", "same number and zip"))
    if core:
        levels.append(_level(f"{core}_l = {core}_r", "same street"))
    if post:
        levels.append(_level(f"{post}_l = {post}_r", "same zip"))
    return [*levels, _ELSE]


def _phone(o: Options) -> list[Level]:
    c, local = o["column"], o.get("local_column")
    levels = [_null(c), _level(f"{c}_l = {c}_r", "exact", c if o.get("tf") else None)]
    if local:  # "246-1501" and "310-246-1501": a local number without its area code
        levels.append(_level(f"{local}_l = {local}_r", "same local number"))
    levels.append(
        _level(
            f"length({c}_l) = length({c}_r) AND levenshtein({c}_l, {c}_r) <= 1", "one digit apart"
        )
    )
    return [*levels, _ELSE]


def _contact(o: Options) -> list[Level]:
    """Phone and address as one piece of evidence. People who share a home share both,
    so two comparisons would count a household's one fact twice and outweigh their
    different first names; one comparison counts it once, with its own m and u."""
    phone, line = o["phone_column"], o["line_column"]
    num, core = o["house_number_column"], o.get("street_core_column")
    null = {
        "sql_condition": f"({phone}_l IS NULL OR {phone}_r IS NULL) "
        f"AND ({line}_l IS NULL OR {line}_r IS NULL)",
        "label_for_charts": "missing",
        "is_null_level": True,
    }
    same_place = f"{line}_l = {line}_r"
    if core:
        same_place = f"({same_place} OR ({num}_l = {num}_r AND {core}_l = {core}_r))"
    both = _level(
        f"{phone}_l = {phone}_r AND {same_place}",
        "same phone and address",
        phone if o.get("tf") else None,
    )
    phone_levels = _phone(
        {"column": phone, "local_column": o.get("local_column"), "tf": o.get("tf")}
    )
    address_levels = _address({**o, "tf": o.get("tf")})
    return [null, both, *phone_levels[1:-1], *address_levels[1:-1], _ELSE]


def _tokens(col: str, side: str) -> str:
    return f"string_split({col}_{side}, ' ')"


def _company(o: Options) -> list[Level]:
    c, srt = o["column"], o.get("sorted_column")
    levels = [_null(c), _level(f"{c}_l = {c}_r", "exact", c if o.get("tf") else None)]
    if srt:  # "hotel bel air" and "bel air hotel"
        levels.append(_level(f"{srt}_l = {srt}_r", "same words"))
    levels.append(_level(_jw(c, 0.92), "jaro-winkler >= 0.92"))
    # every word of the shorter name in the longer: "arts deli" / "arts delicatessen" no,
    # "morton's" / "arnie morton's of chicago" yes
    tl, tr = _tokens(c, "l"), _tokens(c, "r")
    levels.append(
        _level(f"list_has_all({tl}, {tr}) OR list_has_all({tr}, {tl})", "one name within the other")
    )
    overlap = (
        f"len(list_intersect(list_distinct({tl}), list_distinct({tr})))::DOUBLE"
        f" / least(len(list_distinct({tl})), len(list_distinct({tr})))"
    )
    levels.append(_level(f"{overlap} >= 0.5", "half the words shared"))
    levels.append(_level(_jw(c, 0.8), "jaro-winkler >= 0.8"))
    return [*levels, _ELSE]


def _names_swapped(o: Options) -> list[Level]:
    f, last = o["first_column"], o["last_column"]
    null = {
        "sql_condition": f"{f}_l IS NULL OR {last}_l IS NULL OR {f}_r IS NULL OR {last}_r IS NULL",
        "label_for_charts": "missing",
        "is_null_level": True,
    }
    swapped = (
        f"jaro_winkler_similarity({f}_l, {last}_r) >= 0.9 "
        f"AND jaro_winkler_similarity({last}_l, {f}_r) >= 0.9 "
        f"AND jaro_winkler_similarity({f}_l, {f}_r) < 0.9"
    )
    return [null, _level(swapped, "first and last name swapped"), _ELSE]


def _birth(o: Options) -> list[Level]:
    d, y = o["date_column"], o.get("year_column")
    levels = [_null(y or d), _level(f"{d}_l = {d}_r", "same day")]
    text = "strftime({c}_{s}, '%Y%m%d')"
    levels.append(
        _level(
            f"levenshtein({text.format(c=d, s='l')}, {text.format(c=d, s='r')}) <= 1",
            "one digit apart",
        )
    )
    levels.append(_level(f"abs(date_diff('day', {d}_l, {d}_r)) <= 31", "within a month"))
    if y:  # partial dates: only the year is known on one side
        levels.append(
            _level(f"({d}_l IS NULL OR {d}_r IS NULL) AND {y}_l = {y}_r", "same year, day unknown")
        )
    return [*levels, _ELSE]


def _amount(o: Options) -> list[Level]:
    c = o["column"]
    tol = int(o.get("tolerance_cents", 100))
    lo, hi = (float(x) for x in o.get("ratio_range", [1.0, 1.15]))
    big = f"greatest({c}_l, {c}_r)"
    small = f"least({c}_l, {c}_r)"
    return [
        _null(c),
        _level(f"{c}_l = {c}_r", "exact"),
        _level(f"abs({c}_l - {c}_r) <= {tol}", f"within {tol} cents"),
        _level(
            f"{small} > 0 AND {big}::DOUBLE / {small} BETWEEN {lo} AND {hi}",
            f"ratio {lo}-{hi} (tax or rounding)",
        ),
        _ELSE,
    ]


def _date(o: Options) -> list[Level]:
    c = o["column"]
    levels = [_null(c), _level(f"{c}_l = {c}_r", "same day")]
    for days in o.get("thresholds_days", [3, 30]):
        levels.append(
            _level(f"abs(date_diff('day', {c}_l, {c}_r)) <= {int(days)}", f"within {days} days")
        )
    return [*levels, _ELSE]


def _code(o: Options) -> list[Level]:
    c = o["column"]
    return [
        _null(c),
        _level(f"{c}_l = {c}_r", "exact", c if o.get("tf") else None),
        _level(f"levenshtein({c}_l, {c}_r) <= 1", "one edit apart"),
        _level(
            f"length({c}_l) >= 3 AND length({c}_r) >= 3 AND "
            f"(ends_with({c}_l, {c}_r) OR ends_with({c}_r, {c}_l))",
            "one ends with the other",
        ),
        _ELSE,
    ]


def _custom(o: Options) -> list[Level]:
    levels = [_level(lv["sql"], lv.get("label", lv["sql"][:40])) for lv in o["levels"]]
    if o.get("null_sql"):
        levels.insert(0, {**_level(o["null_sql"], "missing"), "is_null_level": True})
    return [*levels, _ELSE]


KINDS: dict[str, tuple[Callable[[Options], list[Level]], tuple[str, ...]]] = {
    "exact": (_exact, ("column",)),
    "string": (_string, ("column",)),
    "first_name": (_first_name, ("column", "key_column")),
    "email": (_email, ("column", "key_column")),
    "address": (_address, ("line_column", "house_number_column", "street_column")),
    "phone": (_phone, ("column",)),
    "contact": (_contact, ("phone_column", "line_column", "house_number_column", "street_column")),
    "company": (_company, ("column",)),
    "names_swapped": (_names_swapped, ("first_column", "last_column")),
    "birth": (_birth, ("date_column",)),
    "amount": (_amount, ("column",)),
    "date": (_date, ("column",)),
    "code": (_code, ("column",)),
    "custom": (_custom, ("levels",)),
}

_OPTIONAL = {
    "kind",
    "tf",
    "thresholds",
    "phonetic_column",
    "user_threshold",
    "tolerance_cents",
    "ratio_range",
    "thresholds_days",
    "variants_column",
    "null_sql",
    "m_probabilities",
    "postal_column",
    "street_core_column",
    "local_column",
    "sorted_column",
    "year_column",
    "user_level",
    "home_columns",
}


def check_comparison(name: str, o: Any, columns: set[str]) -> list[tuple[str, str]]:
    """Problems with one comparison's options: (key, message) pairs."""
    if not isinstance(o, Mapping):
        return [(name, "must be a mapping with kind and columns")]
    kind = o.get("kind")
    if kind not in KINDS:
        return [(f"{name}.kind", f"{kind!r} is not one of {', '.join(KINDS)}")]
    out = []
    _, required = KINDS[kind]
    for key in required:
        if key not in o:
            out.append((f"{name}.{key}", f"required for kind {kind}"))
    for key in sorted(set(o) - set(required) - _OPTIONAL):
        out.append((f"{name}.{key}", "unknown option"))
    for key, value in o.items():
        if key.endswith("column") and value not in columns:
            out.append((f"{name}.{key}", f"{value!r} is not a normalized column"))
    home = o.get("home_columns", [])
    if not isinstance(home, list) or any(h not in columns for h in home):
        out.append((f"{name}.home_columns", f"{home!r} must list normalized columns"))
    for t in o.get("thresholds", []):
        if not isinstance(t, int | float) or not 0 < t < 1:
            out.append((f"{name}.thresholds", f"{t!r} must be a number between 0 and 1"))
    if kind == "custom":
        out += _custom_sql_problems(name, o)
    return out


def _custom_sql_problems(name: str, o: Options) -> list[tuple[str, str]]:
    """A custom comparison's SQL runs in the rules-SQL sandbox."""
    levels = o.get("levels")
    if not isinstance(levels, list) or not levels:
        return [(f"{name}.levels", "must be a list of {sql, label} levels")]
    out = []
    for i, level in enumerate(levels):
        sql = level.get("sql") if isinstance(level, Mapping) else None
        if why := sql_problem(sql):
            out.append((f"{name}.levels[{i}].sql", why))
    if "null_sql" in o and (why := sql_problem(o["null_sql"])):
        out.append((f"{name}.null_sql", why))
    return out


def comparison_dict(name: str, o: Options, *, at_home: bool = True) -> dict[str, Any]:
    """Splink's comparison dict for one named comparison; ``at_home=False`` leaves out
    the levels for pairs sharing a home (as trained: see ``AT_HOME``)."""
    build, _ = KINDS[o["kind"]]
    if not at_home:
        o = {k: v for k, v in o.items() if k != "home_columns"}
    levels = [dict(lv) for lv in build(o)]  # fresh dicts: training writes m and u into them
    return {
        "output_column_name": name,
        "comparison_description": f"{o['kind']} comparison",
        "comparison_levels": levels,
    }
