"""Figures, their targets and the table: names say what, where (SQLite unless `postgres` is in
the name) and in which unit (_per_s, _mb, _ms, _ratio)."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.latency import SERIES

USERS = [("cts_clerk", "jsmith"), ("nr_reader", "sbrown")]
DATABASES = ["sqlite", "postgres"]


@dataclass(frozen=True)
class Target:
    op: str  # ">=" or "<="
    value: float
    source: str  # who set it: "brief" (the project's targets) or "bench" (this harness's own check)

    def met(self, figure: float) -> bool:
        compare: Callable[[float, float], bool] = operator.ge if self.op == ">=" else operator.le
        return compare(figure, self.value)

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


P95_TARGET_MS = 150.0
# Memory is flat when ten times the rows do not need more than a quarter more memory. Checked on
# PostgreSQL only: on SQLite the connection's page cache (PRAGMA cache_size=-65536 in settings, up
# to 64 MiB) fills as the database grows, so the SQLite ratio is reported without a target.
FLAT_MEMORY_RATIO = 1.25
NOTES = [
    "* the bench's own check (memory flat as the file grows), not one of the project's targets",
    "import_sqlite_rss_growth_ratio has no target: SQLite's page cache (cache_size=-65536, up to 64 MiB)"
    " fills as the database grows; its peak levels off once the database outgrows the cache",
    "rates are rows per second of wall time of the whole `registrum import` process (start-up included);"
    " _excl_startup is the rate the command itself reports",
]


def import_names(db: str) -> list[str]:
    return [
        f"import_{db}_per_s",
        f"import_{db}_per_s_excl_startup",
        f"import_{db}_peak_rss_mb",
        f"import_{db}_tenth_per_s",
        f"import_{db}_tenth_peak_rss_mb",
        f"import_{db}_rss_growth_ratio",
    ]


def list_names(db: str) -> list[str]:
    suffix = "" if db == "sqlite" else f"_{db}"
    names = [
        f"{series.name}_{stat}_ms_{label}{suffix}" for label, _ in USERS for series in SERIES for stat in ("p50", "p95")
    ]
    return [*names, f"server_peak_rss_mb{suffix}"]


def expected_names(*, postgres_lists: bool = True) -> list[str]:
    names = [*import_names("sqlite"), *import_names("postgres"), *list_names("sqlite")]
    if postgres_lists:
        names += list_names("postgres")
    return names


def target_for(name: str) -> Target | None:
    if name == "import_sqlite_per_s":
        return Target(">=", 3000, "brief")
    if name == "import_postgres_per_s":
        return Target(">=", 1500, "brief")
    if "_p95_ms_" in name:
        return Target("<=", P95_TARGET_MS, "brief")
    if name == "import_postgres_rss_growth_ratio":
        return Target("<=", FLAT_MEMORY_RATIO, "bench")
    return None


@dataclass
class Results:
    scale: int
    figures: dict[str, float]
    skipped: dict[str, str]  # figure name -> why
    context: dict[str, object]

    def verdicts(self) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for name, value in self.figures.items():
            target = target_for(name)
            if target is not None:
                out[name] = target.met(value)
        return out

    def failures(self) -> list[str]:
        return [name for name, ok in self.verdicts().items() if not ok]

    def table(self) -> str:
        names = [n for n in expected_names() if n in self.figures or n in self.skipped]
        names += [n for n in self.figures if n not in names]
        width = max(len(n) for n in names) if names else 10
        lines = [f"{'figure':<{width}}  {'value':>10}  {'target':>10}  result", "-" * (width + 34)]
        for name in names:
            target = target_for(name)
            target_text = str(target) + ("*" if target and target.source == "bench" else "") if target else ""
            if name in self.figures:
                value = self.figures[name]
                verdict = ("pass" if target.met(value) else "FAIL") if target else ""
                lines.append(f"{name:<{width}}  {_number(value):>10}  {target_text:>10}  {verdict}")
            else:
                lines.append(f"{name:<{width}}  {'—':>10}  {target_text:>10}  skipped ({self.skipped[name]})")
        lines.append("")
        lines += NOTES
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        targets = {}
        for name in self.figures:
            target = target_for(name)
            if target is not None:
                targets[name] = {"op": target.op, "value": target.value, "source": target.source}
        return {
            "scale": self.scale,
            "figures": self.figures,
            "targets": targets,
            "passed": self.verdicts(),
            "skipped": self.skipped,
            "context": self.context,
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
