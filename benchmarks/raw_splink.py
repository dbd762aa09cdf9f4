"""Raw Splink on each accuracy case: the simple settings Splink's own docs show for such data.

The baseline ``accuracy.py`` puts beside resolver. For every case: a Splink 5 model of a
few ``splink.comparison_library`` comparisons on the file's own columns (trimmed and
lower-cased, empty values as nulls: the cleaning Splink's examples do), blocking rules
like the docs' examples for that kind of data, then the docs' training recipe:

1. ``estimate_probability_two_random_records_match`` from a deterministic rule,
2. ``estimate_u_using_random_sampling`` (seeded),
3. expectation maximisation on one or two blocking rules,
4. ``predict()`` and ``cluster_pairwise_predictions_at_threshold(..., 0.95)``.

Sources of the settings (nothing here was tuned against the truth):

- FEBRL1/2/3 (dedupe): Splink's ``febrl3`` example (docs/demos/examples/duckdb).
- FEBRL4 (link A to B): the "detailed" model of Splink's ``febrl4`` example.
- fake_1000: Splink's README quick start (it is the quick start's data set).
- restaurants: no Splink example exists; the same recipe with the docs' stock
  comparisons for names (Jaro-Winkler), free-text addresses and phones (Levenshtein)
  and a term-frequency exact match on city.
- demo world: the stored normalized customer columns of resolver's run (raw Splink on
  the same rows): names, company, email, phone, one-line address, ZIP.

``run_case(case)`` returns the record key -> cluster id labelling; records Splink never
saw (none, here) would count as singletons in the score.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

THRESHOLD = 0.95  # cluster_pairwise_predictions_at_threshold, as the docs' examples
PREDICT_THRESHOLD = 0.2  # predict() keeps pairs above this (the FEBRL examples' value)
U_MAX_PAIRS = 1e7
U_SEED = 1


@dataclass
class RawCase:
    """One raw Splink job: input tables (system -> frame with a ``unique_id`` column
    holding the record key ``system:source_id``), settings and training recipe."""

    name: str
    tables: dict[str, pd.DataFrame]
    settings: Any  # splink.SettingsCreator
    prior_rules: list[Any]
    prior_recall: float
    em_rules: list[Any]
    em_kwargs: dict[str, Any] = field(default_factory=dict)
    notes: str = ""


@dataclass
class RawResult:
    clusters: pd.Series  # record key -> cluster id
    seconds: float
    pairs_predicted: int
    prior: float
    notes: str


def clean(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Trimmed, lower-cased text; empty values as nulls (what Splink's examples do)."""
    out = pd.DataFrame(index=df.index)
    for col in columns:
        s = df[col].astype("string").str.strip().str.lower()
        out[col] = s.mask(s == "")
    return out


def _keyed(df: pd.DataFrame, system: str | None, id_col: str, columns: list[str]) -> pd.DataFrame:
    out = clean(df, columns)
    prefix = f"{system}:" if system is not None else ""
    out.insert(0, "unique_id", prefix + df[id_col].astype(str).str.strip())
    return out.reset_index(drop=True)


# --- settings, one function per kind of data ------------------------------------------

FEBRL_COLUMNS = ["given_name", "surname", "street_number", "postcode", "date_of_birth"]
FEBRL_COLUMNS += ["soc_sec_id", "address_1", "state"]


def febrl_dedupe(case: str, df: pd.DataFrame, system: str) -> RawCase:
    """FEBRL1/2/3: Splink's febrl3 example (dedupe_only)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    blocking = [
        block_on("soc_sec_id"),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
    )
    prior = [
        block_on("soc_sec_id"),
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name "
        "and l.date_of_birth = r.date_of_birth",
    ]
    return RawCase(
        case,
        {system: _keyed(df, system, "rec_id", FEBRL_COLUMNS)},
        settings,
        prior,
        0.9,
        [block_on("date_of_birth"), block_on("postcode")],
        notes="Splink docs febrl3 example",
    )


def febrl_link(case: str, dfs: dict[str, pd.DataFrame]) -> RawCase:
    """FEBRL4: the detailed model of Splink's febrl4 example (link_only)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
    )
    prior = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    return RawCase(
        case,
        {s: _keyed(df, s, "rec_id", FEBRL_COLUMNS) for s, df in dfs.items()},
        settings,
        prior,
        0.8,
        [block_on("date_of_birth"), block_on("postcode")],
        em_kwargs={"estimate_without_term_frequencies": True},
        notes="Splink docs febrl4 example, detailed model",
    )


def fake_1000(df: pd.DataFrame, system: str = "fake") -> RawCase:
    """Splink's README quick start, on the quick start's own data."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.JaroAtThresholds("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "dob"),
            block_on("surname"),
        ],
    )
    cols = ["first_name", "surname", "dob", "city", "email"]  # never `cluster`
    return RawCase(
        "fake_1000",
        {system: _keyed(df, system, "unique_id", cols)},
        settings,
        [block_on("first_name", "surname")],
        0.7,
        [block_on("first_name", "surname"), block_on("email")],
        notes="Splink README quick start",
    )


def restaurants(df: pd.DataFrame, system: str | None = "rest") -> RawCase:
    """Restaurant listings: name, street address, city, phone (no Splink example).
    ``system`` None: ``df``'s ids are already record keys (system:id)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name"),
            cl.LevenshteinAtThresholds("address", [1, 3]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name"),
            block_on("address"),
            block_on("phone"),
            block_on("city"),
        ],
    )
    return RawCase(
        "restaurants",
        {system or "rest": _keyed(df, system, "id", ["name", "address", "city", "phone"])},
        settings,
        [block_on("name", "city")],
        0.7,
        [block_on("city"), block_on("name")],
        notes="docs' stock comparisons; no Splink example for this data",
    )


DEMO_COLUMNS = [
    "first_name_norm",
    "last_name_norm",
    "company_norm",
    "email_norm",
    "phone_digits",
    "address_line",
    "zip5",
]


def demo(customers: pd.DataFrame, case: str = "demo") -> RawCase:
    """The demo world's customers, as resolver normalized them (``customers`` table:
    ``record_key`` plus the ``*_norm`` columns), deduplicated across all systems."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name_norm"),
            cl.NameComparison("last_name_norm"),
            cl.JaroWinklerAtThresholds("company_norm"),
            cl.EmailComparison("email_norm"),
            cl.LevenshteinAtThresholds("phone_digits", [1, 2]),
            cl.LevenshteinAtThresholds("address_line", [1, 3]),
            cl.ExactMatch("zip5").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email_norm"),
            block_on("phone_digits"),
            block_on("first_name_norm", "last_name_norm"),
            block_on("last_name_norm", "zip5"),
            block_on("company_norm"),
            block_on("address_line"),
        ],
    )
    frame = pd.DataFrame({"unique_id": customers["record_key"].astype(str)})
    for col in DEMO_COLUMNS:
        s = customers[col].astype("string").str.strip()
        frame[col] = s.mask(s == "").to_numpy()
    prior = [block_on("email_norm"), block_on("first_name_norm", "last_name_norm", "zip5")]
    return RawCase(
        case,
        {"customers": frame.reset_index(drop=True)},
        settings,
        prior,
        0.7,
        [block_on("zip5"), block_on("last_name_norm")],
        notes="resolver's normalized customer columns",
    )


# --- running ----------------------------------------------------------------------------


def run_case(
    case: RawCase,
    *,
    threshold: float = THRESHOLD,
    u_max_pairs: float = U_MAX_PAIRS,
    quiet: bool = True,
) -> RawResult:
    """Train (no labels), predict and cluster one case; the record -> cluster labelling."""
    import duckdb
    from splink import DuckDBAPI, Linker

    t0 = time.perf_counter()
    con = duckdb.connect()
    try:
        db_api = DuckDBAPI(connection=con)
        sdfs = [db_api.register(df, table_name=name) for name, df in case.tables.items()]
        level = logging.ERROR if quiet else logging.WARNING
        for name in ("splink", "splink.internals"):
            logging.getLogger(name).setLevel(level)
        linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], case.settings, log_level=level)
        linker.training.estimate_probability_two_random_records_match(
            case.prior_rules, recall=case.prior_recall
        )
        prior = float(linker._settings_obj._probability_two_random_records_match)
        linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=U_SEED)
        for rule in case.em_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, **case.em_kwargs
            )
        pred = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
        n_pairs = con.execute(f"SELECT count(*) FROM {pred.physical_name}").fetchall()[0][0]
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            pred, threshold_match_probability=threshold
        )
        df = con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").df()
    finally:
        con.close()
    labels = df.set_index("unique_id")["cluster_id"].astype(str)
    return RawResult(
        clusters=labels,
        seconds=round(time.perf_counter() - t0, 1),
        pairs_predicted=int(n_pairs),
        prior=prior,
        notes=case.notes,
    )
