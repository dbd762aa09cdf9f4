"""`resolver check`: validate contracts and rules, and sample each source, without a run.

Every rules file is read and checked (contracts against their files' headers, linkage
overrides, survivorship, orphans, health thresholds), then a sample of each source's
rows goes through its contract as ingest would map it: the share that would be
rejected, and why, is graded against the error-handling thresholds of health.yaml.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from resolver.ingest.load import map_to_canonical
from resolver.ingest.source_files import read_source
from resolver.pipeline import validate
from resolver.report.verdicts import grade

SAMPLE_ROWS = 2000


@dataclass
class SourceSample:
    system: str
    object: str
    file: str
    rows: int
    sampled: int
    rejected: int
    reasons: Counter = field(default_factory=Counter)
    verdict: str = "pass"

    def format(self) -> str:
        share = self.rejected / self.sampled if self.sampled else 0.0
        line = (
            f"{self.verdict:<4}  {self.system + '/' + self.object:<18} {self.rows:>9,} rows; of "
            f"{self.sampled:,} sampled {self.rejected:,} would be rejected ({share:.1%})"
        )
        if self.reasons:
            line += " — " + ", ".join(f"{k} {v}" for k, v in self.reasons.most_common(3))
        return line


def check_sources(
    rules_dir: Path | str, *, data_dir: Path | str | None = None, sample: int = SAMPLE_ROWS
) -> list[SourceSample]:
    """Validate every rules file (raising one error listing every problem), then map an
    evenly spaced sample of each source through its contract."""

    setup = validate(rules_dir, data_dir=data_dir)
    limits = setup.health.threshold("error_handling")
    out = []
    for contract in setup.contracts:
        raw, bad_rows = read_source(contract)
        rows = len(raw) + len(bad_rows)
        step = max(1, len(raw) // sample) if sample else 1
        part = raw.iloc[::step].head(sample) if sample else raw
        _, problems = map_to_canonical(contract, part)
        bad = problems.dropna()
        reasons: Counter = Counter()
        for text in bad:
            kinds = re.findall(r"\[(\w+)\]", str(text))
            reasons[kinds[0] if kinds else "other"] += 1
        if len(bad_rows):
            reasons["unreadable"] += len(bad_rows)
        sampled = len(part) + len(bad_rows)
        rejected = len(bad) + len(bad_rows)
        s = SourceSample(
            system=contract.system,
            object=contract.object,
            file=str(contract.file),
            rows=rows,
            sampled=sampled,
            rejected=rejected,
            reasons=reasons,
        )
        s.verdict = grade(rejected / sampled if sampled else 0.0, limits)
        out.append(s)
    return out
