"""What durable commits cost on SQLite: `python -m bench.durability [--count 300] [--dir PATH]`.

SQLite in WAL mode with `PRAGMA synchronous=NORMAL` syncs the log only at checkpoints, so the last
acknowledged commits can be lost on a power cut; `synchronous=FULL` syncs it at every commit (the
setting in registrum/settings.py). This times, on one database file on one disk, with NORMAL and
with FULL:

- `register_document`: N registrations through the service, each its own transaction (number,
  addressees, audit event), by a clerk of a minimal organisation;
- `insert`: N single-row INSERTs, each committed, through Django's connection: the bare cost of a
  commit.

Rounds alternate the two settings so drift (page cache, other load) falls on both alike. It prints
commits per second and p50/p95 milliseconds per commit. The database goes in a temporary folder
under --dir (default: REGISTRUM_HOME, else ./var), which should be on the disk a site would use:
a tmpfs makes every sync free and the comparison meaningless.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MODES = ("NORMAL", "FULL")
WORKLOADS = ("register_document", "insert")


@dataclass(frozen=True)
class Timing:
    workload: str
    mode: str
    seconds: list[float]

    @property
    def per_s(self) -> float:
        return len(self.seconds) / sum(self.seconds)

    def quantile_ms(self, q: int) -> float:
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[q - 1] * 1000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.durability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="timed commits per workload and setting (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds the count is split into (default 3)")
    parser.add_argument("--dir", type=Path, help="where the temporary database goes (default REGISTRUM_HOME or ./var)")
    args = parser.parse_args(argv)
    if args.count < 2 or args.rounds < 1 or args.count < args.rounds:
        parser.error("--count must be at least 2 and at least --rounds, --rounds at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = (args.dir or Path(os.environ.get("REGISTRUM_HOME", "var"))).resolve()
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="durability-", dir=base))
    try:
        timings = measure(work, count=args.count, rounds=args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nSQLite WAL commit durability: {args.count} commits per row, database under {base}\n")
    print(table(timings))
    return 0


def measure(work: Path, *, count: int, rounds: int) -> list[Timing]:
    # The real settings, on a database of its own: set before Django reads them.
    os.environ["REGISTRUM_HOME"] = str(work)
    os.environ.pop("REGISTRUM_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if connection.vendor != "sqlite":
        raise SystemExit("bench.durability measures SQLite only")
    workloads = {"register_document": _registrar(), "insert": _inserter()}
    seconds: dict[tuple[str, str], list[float]] = {(w, m): [] for w in WORKLOADS for m in MODES}
    per_round = [count // rounds + (1 if i < count % rounds else 0) for i in range(rounds)]
    for workload in WORKLOADS:
        step = workloads[workload]
        for mode in MODES:  # warm up both, untimed
            _set_synchronous(mode)
            for _ in range(5):
                step()
        for n in per_round:
            for mode in MODES:
                _set_synchronous(mode)
                seconds[(workload, mode)] += [_timed(step) for _ in range(n)]
    return [Timing(w, m, seconds[(w, m)]) for w in WORKLOADS for m in MODES]


def _set_synchronous(mode: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA synchronous={mode}")
        cursor.execute("PRAGMA synchronous")
        value = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    if (value, journal) != ({"NORMAL": 1, "FULL": 2}[mode], "wal"):
        raise RuntimeError(f"could not set synchronous={mode} in WAL mode (got {value}, {journal})")


def _timed(step: Callable[[], None]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _registrar() -> Callable[[], None]:
    """One registration per call, by the clerk of a minimal organisation set up through the services."""
    from datetime import date, timedelta

    from registrum.org import services as org
    from registrum.org.models import RegistryKind, Role, UnitKind
    from registrum.org.services import SYSTEM
    from registrum.policy import Level
    from registrum.records import services as records
    from registrum.records.registration import RegistrationData

    hq = org.create_unit(SYSTEM, code="HQ", name="Headquarters", kind=UnitKind.ORGANISATION)
    office = org.create_unit(SYSTEM, code="OFFICE", name="Action office", parent=hq)
    registry = org.create_registry(
        SYSTEM, code="REG", name="Registry", kind=RegistryKind.CENTRAL, unit=hq, accreditation=Level.CTS
    )
    clerk = org.create_person(
        SYSTEM, username="clerk", first_name="C", last_name="Lerk", nationality="FRA", unit=hq, roles=(Role.CLERK,)
    )
    today = date.today()
    org.set_clearance(SYSTEM, clerk, level=Level.NS, granted=today, expires=today + timedelta(days=365))
    org.add_registry_staff(SYSTEM, registry, clerk)
    clerk.refresh_from_db()

    def step() -> None:
        data = RegistrationData(
            registry=registry,
            direction="IN",
            originator="SHAPE",
            subject="Durability benchmark",
            level=Level.NR,
            subject_level=Level.NU,
            action_units=[office],
        )
        records.register_document(clerk, data)

    return step


def _inserter() -> Callable[[], None]:
    """One committed single-row INSERT per call."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")

    def step() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit (payload) VALUES (%s)", ["x" * 200])

    return step


def table(timings: list[Timing]) -> str:
    rows = [("workload", "synchronous", "commits/s", "p50 ms", "p95 ms")]
    for t in timings:
        rows.append((t.workload, t.mode, f"{t.per_s:,.0f}", f"{t.quantile_ms(50):.2f}", f"{t.quantile_ms(95):.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(cells: tuple[str, ...]) -> str:
        # Names left-aligned, figures right-aligned.
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in pairs)

    return "\n".join([line(rows[0]), "  ".join("-" * w for w in widths), *map(line, rows[1:])])


if __name__ == "__main__":
    sys.exit(main())
