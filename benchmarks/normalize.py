"""Benchmark: normalize the demo world's customer rows through ``normalize_customer_frame``.

    python benchmarks/normalize.py [--rows 1000000] [--sample 50000] [--workers N] [--synthetic]

Rows come from ``resolver.demo.generate_demo_world(customers=400_000, seed=7)``
(~1M customer rows across crm, dispatch, billing and ledger), generated once into
``benchmarks/out/world-400k/`` and reused. Each source is read through its contract
(``resolver.ingest.load.read_source``, columns renamed by the contract's ``fields``) and
normalized with its own ``phone_region``/``country``, as the ingest stage does;
only the normalization is timed. ``--rows`` keeps the same share of each source.
``--synthetic`` uses a numpy generator with realistic cardinality instead.

Prints rows per second, distinct values per field, wall time and peak RSS, beside
the naive per-row path (phonenumbers.parse + usaddress.tag on every row) timed on
a sample, with the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from resolver.normalize import CUSTOMER_INPUT_COLUMNS, normalize_customer_frame
from resolver.normalize._distinct import resolve_workers

FIRST = [
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "bob",
    "liz",
    "bill",
    "peggy",
    "mike",
    "jim",
    "kate",
    "tom",
    "jose",
    "maria",
]
LAST = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "o'brien",
    "mcdonald",
    "smith-jones",
    "nguyen",
]
STREETS = [
    "main",
    "oak",
    "pine",
    "maple",
    "cedar",
    "elm",
    "washington",
    "lake",
    "hill",
    "park",
    "view",
    "sunset",
    "river",
    "church",
    "high",
]
SUFFIX = [
    "St",
    "Street",
    "Ave",
    "Avenue",
    "Blvd",
    "Rd",
    "Road",
    "Dr",
    "Drive",
    "Ln",
    "Ct",
    "Way",
    "Pl",
]
CITIES = [
    ("Springfield", "IL", "627"),
    ("Chicago", "IL", "606"),
    ("Boston", "MA", "021"),
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Seattle", "WA", "981"),
    ("Portland", "OR", "972"),
    ("St. Louis", "MO", "631"),
    ("Miami", "FL", "331"),
]
DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "gmial.com",
    "aol.com",
    "example.com",
    "acme.com",
]
TRADES = ["Plumbing", "Heating", "Roofing", "Electric", "Landscaping", "Cleaning", "HVAC"]


def synthetic(rows: int, seed: int = 7) -> pd.DataFrame:
    """Customer rows with demo-world-like cardinality, built with numpy."""
    rng = np.random.default_rng(seed)
    people = max(rows * 6 // 10, 1)  # ~60% distinct people: the rest are duplicates across systems
    pid = rng.integers(0, people, rows)
    first = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), people)][pid]
    last = np.array(LAST, dtype=object)[rng.integers(0, len(LAST), people)][pid]
    style = rng.integers(0, 4, rows)
    name = np.where(style == 0, last + ", " + first, np.where(style == 1, first + " " + last, None))
    upper = rng.random(rows) < 0.2
    first_f = np.where(
        style >= 2, np.where(upper, np.char.upper(first.astype(str)).astype(object), first), None
    )
    last_f = np.where(style >= 2, last, None)
    company = np.where(
        rng.random(rows) < 0.15,
        np.array(
            [
                f"{n.title()} {t} LLC"
                for n, t in zip(
                    np.array(LAST, dtype=object)[rng.integers(0, len(LAST), rows)],
                    np.array(TRADES, dtype=object)[rng.integers(0, len(TRADES), rows)],
                    strict=True,
                )
            ],
            dtype=object,
        ),
        None,
    )
    num = rng.integers(1, 9999, people)[pid].astype(str).astype(object)
    email = (
        first
        + "."
        + last.astype(str)
        + num.astype(str)
        + "@"
        + np.array(DOMAINS, dtype=object)[rng.integers(0, len(DOMAINS), people)][pid]
    )
    email = np.where(rng.random(rows) < 0.05, "n/a", email)
    area = rng.integers(201, 990, people)[pid]
    line = rng.integers(1000, 9999, people)[pid]
    exch = rng.integers(200, 999, people)[pid]
    phone = np.array(
        [
            f"({a}) {e}-{li}" if s % 2 else f"{a}.{e}.{li}"
            for a, e, li, s in zip(area, exch, line, style, strict=True)
        ],
        dtype=object,
    )
    house = rng.integers(1, 20000, people)[pid]
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), people)][pid]
    suffix = np.array(SUFFIX, dtype=object)[rng.integers(0, len(SUFFIX), rows)]
    city_i = rng.integers(0, len(CITIES), people)[pid]
    unit = np.where(
        rng.random(rows) < 0.2, "Apt " + rng.integers(1, 40, rows).astype(str).astype(object), None
    )
    street_line = np.array(
        [
            f"{h} {'N ' if h % 3 == 0 else ''}{s.title()} {x}"
            for h, s, x in zip(house, street, suffix, strict=True)
        ],
        dtype=object,
    )
    city = np.array([CITIES[i][0] for i in city_i], dtype=object)
    state = np.array([CITIES[i][1] for i in city_i], dtype=object)
    zips = np.array(
        [CITIES[i][2] + f"{h % 100:02d}" for i, h in zip(city_i, house, strict=True)], dtype=object
    )
    single = rng.random(rows) < 0.3
    address = np.where(single, street_line + ", " + city + ", " + state + " " + zips, None)
    return pd.DataFrame(
        {
            "name": name,
            "first_name": first_f,
            "last_name": last_f,
            "company": company,
            "email": email,
            "phone": phone,
            "address": address,
            "street": np.where(single, None, street_line),
            "unit": unit,
            "city": np.where(single, None, city),
            "state": np.where(single, None, state),
            "postal_code": np.where(single, None, zips),
            "country": None,
        }
    )


WORLD_DIR = Path(__file__).resolve().parent / "out" / "world-400k"
RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


@dataclass
class Source:
    """One customer source as the ingest stage hands it to the normalizer."""

    name: str
    frame: pd.DataFrame  # canonical column names
    phone_region: str
    country: str


def demo_sources(world: Path, *, customers: int, seed: int) -> list[Source] | None:
    """The demo world's customer sources, read through their contracts.

    Generates the world into ``world`` once (~20 s) and reuses it after. Each
    source is read with ``resolver.ingest.load.read_source`` and its columns renamed
    by the contract's ``fields`` mapping; ``country`` is filled with the
    contract's country, as the ingest stage does before normalizing.
    """
    try:
        from resolver.demo import generate_demo_world
        from resolver.ingest.contracts import load_contracts
        from resolver.ingest.load import read_source
    except ImportError as exc:
        print(f"demo world unavailable ({exc!r}); using --synthetic", file=sys.stderr)
        return None
    if not (world / "crm" / "contacts.csv").exists():
        print(f"generating the demo world into {world} (customers={customers:,}, seed={seed})")
        start = time.perf_counter()
        generate_demo_world(world, customers=customers, seed=seed)
        print(f"  generated in {time.perf_counter() - start:.1f} s")
    sources = []
    for contract in load_contracts(RULES_DIR, data_dir=world):
        if contract.object != "customer":
            continue
        raw, _bad = read_source(contract)
        frame = pd.DataFrame(
            {canon: _mapped(raw, contract.fields.get(canon)) for canon in CUSTOMER_INPUT_COLUMNS},
            index=raw.index,
        )
        frame["country"] = frame["country"].fillna(contract.country)
        sources.append(Source(contract.name, frame, contract.phone_region, contract.country))
    return sources


def _mapped(raw: pd.DataFrame, mapped: str | tuple[str, ...] | None) -> pd.Series:
    """One canonical field as the ingest stage maps it (several columns joined by a space)."""
    try:
        from resolver.ingest.load import _mapped_values
    except ImportError:  # an ingest without multi-column fields
        _mapped_values = None
    if _mapped_values is not None:
        return _mapped_values(raw, mapped)
    if mapped is None:
        return pd.Series(None, index=raw.index, dtype=object)
    return raw[mapped]


def trim(sources: list[Source], rows: int) -> list[Source]:
    """Keep ``rows`` rows in all, the same share of each source (all rows if fewer)."""
    total = sum(len(s.frame) for s in sources)
    if rows >= total:
        return sources
    keep = [len(s.frame) * rows // total for s in sources]
    keep[0] += rows - sum(keep)
    return [
        Source(s.name, s.frame.iloc[:k], s.phone_region, s.country)
        for s, k in zip(sources, keep, strict=True)
    ]


def naive(df: pd.DataFrame) -> float:
    """The per-row path: phonenumbers.parse and usaddress.tag on every row."""
    import phonenumbers
    import usaddress

    start = time.perf_counter()
    for phone, address, street, city, state, postal in zip(
        df["phone"],
        df["address"],
        df["street"],
        df["city"],
        df["state"],
        df["postal_code"],
        strict=True,
    ):
        if isinstance(phone, str):
            with contextlib.suppress(phonenumbers.NumberParseException):
                phonenumbers.is_valid_number(phonenumbers.parse(phone, "US"))
        text = (
            address
            if isinstance(address, str)
            else ", ".join(str(v) for v in (street, city, state, postal) if isinstance(v, str))
        )
        if text:
            with contextlib.suppress(usaddress.RepeatedLabelError):
                usaddress.tag(text)
    return time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> tuple[float, float]:
    """(this process, the largest waited-for child) peak RSS in MB (Linux: ru_maxrss in KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--world", type=Path, default=WORLD_DIR)
    parser.add_argument("--customers", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes for the costly kinds (default: RESOLVER_WORKERS or the CPU count)",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    sources = None
    if not args.synthetic:
        sources = demo_sources(args.world, customers=args.customers, seed=args.seed)
    if sources is None:
        source = "synthetic"
        sources = [Source("synthetic", synthetic(args.rows), "US", "US")]
    else:
        source = f"demo world {args.world}"
        sources = trim(sources, args.rows)
    read_s = time.perf_counter() - start
    df = pd.concat([s.frame for s in sources], ignore_index=True)
    for col in CUSTOMER_INPUT_COLUMNS:
        if col not in df.columns:
            df[col] = None
    print(f"rows: {len(df):,} ({source}), read in {read_s:.1f} s (not timed below)")
    for s in sources:
        print(f"  {s.name:<18} {len(s.frame):>10,} rows")
    print("distinct values per field:")
    for col in CUSTOMER_INPUT_COLUMNS:
        print(f"  {col:<12} {df[col].nunique(dropna=True):>10,}")

    load_before = os.getloadavg()
    wall = cpu = 0.0
    kids_before = _children_cpu()
    for s in sources:
        start, start_cpu = time.perf_counter(), time.process_time()
        out = normalize_customer_frame(
            s.frame,
            phone_region=s.phone_region,
            default_country=s.country,
            workers=args.workers,
        )
        took = time.perf_counter() - start
        wall += took
        cpu += time.process_time() - start_cpu
        assert len(out) == len(s.frame)
        print(f"  {s.name:<18} {took:6.2f} s")
        del out
    kids = _children_cpu() - kids_before
    rate = len(df) / wall
    print(
        f"normalize_customer_frame: {wall:.2f} s wall, {rate:,.0f} rows/s "
        f"(workers={resolve_workers(args.workers)}; CPU {cpu:.1f} s here + {kids:.1f} s in workers)"
    )
    load_after = os.getloadavg()
    print(
        f"load average (1 min) before/after: {load_before[0]:.2f}/{load_after[0]:.2f} "
        f"on {os.cpu_count()} CPUs (other work on the machine slows the wall time)"
    )

    sample = df.sample(n=min(args.sample, len(df)), random_state=0)
    naive_s = naive(sample)
    naive_rate = len(sample) / naive_s
    print(
        f"naive per-row (phonenumbers.parse + usaddress.tag) on {len(sample):,} rows: "
        f"{naive_s:.2f} s, {naive_rate:,.0f} rows/s (extrapolated {len(df) / naive_rate:.0f} s "
        f"for {len(df):,} rows)"
    )
    print(
        f"ratio: {rate / naive_rate:.1f}x faster than the naive path "
        "(which does less: no email, name, company, or standardization)"
    )
    own, kids = peak_rss_mb()
    print(
        f"peak RSS: {own:,.0f} MB (largest worker process: {kids:,.0f} MB, most of it pages "
        "shared copy-on-write with this process)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
