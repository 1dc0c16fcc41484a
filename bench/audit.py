"""What the audit chain costs: `python -m bench.audit [--events 100000] [--database-url URL] [--json F]`.

On a fresh site (SQLite in a temporary folder, or the PostgreSQL database given):

- `audit_chain_per_s`: N events written in bulk (as an import writes them), then linked by one
  chaining pass, as after the import's commit: events linked per second;
- `audit_verify_per_s`: `registrum audit verify`'s walk over those N links as the command does it
  by default, the positions split between two processes (link i needs only the stored hash i-1,
  so ranges verify independently); `audit_verify_1proc_per_s` in one process;
- `audit_event_writes_per_s`: P processes each committing single-event transactions (a download's
  audit write), every commit followed by its chaining pass; `audit_event_writes_unchained_per_s`:
  the same with chaining replaced by a no-op inside this benchmark only. Their ratio shows whether
  linking serialises writers.

Prints one JSON object of figures; --json also writes it to a file.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = "IMS-REG/2026/{n:06d} downloaded: version 1 of 'Exercise STEADFAST planning conference' (PDF)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events written in bulk and verified")
    parser.add_argument("--database-url", help="a PostgreSQL database to use (default: SQLite in a temp folder)")
    parser.add_argument("--writers", type=int, default=4, help="processes writing single-event transactions")
    parser.add_argument("--writes", type=int, default=200, help="transactions per writing process")
    parser.add_argument("--no-writes", action="store_true", help="measure chaining and verification only")
    parser.add_argument("--dir", type=Path, help="where the temporary SQLite site goes (default: the system's)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


def _setup(home: Path, database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    os.environ["REGISTRUM_HOME"] = str(home)
    os.environ["REGISTRUM_LOG_LEVEL"] = "ERROR"
    if database_url:
        os.environ["REGISTRUM_DATABASE_URL"] = database_url
    else:
        os.environ.pop("REGISTRUM_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _fill(count: int) -> None:
    """Events as an import writes them: one bulk INSERT per 10,000, in committed transactions."""
    from django.db import connection, transaction
    from django.utils import timezone

    from registrum.audit.events import EventType
    from registrum.audit.models import AuditEvent, canonical_json
    from registrum.dbkit import insert_many

    columns = ["at", "actor_id", "origin", "event", "target_type", "target_id", "summary", "data"]
    for start in range(0, count, 10_000):
        at = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = [
            (
                at,
                None,
                "cli registrar@registry-host",
                EventType.VERSION_DOWNLOADED.value,
                "version",
                n,
                SUMMARY.format(n=n),
                canonical_json({"version": n, "bytes": 48213, "sha256": "ab" * 32}),
            )
            for n in range(start, min(count, start + 10_000))
        ]
        with transaction.atomic():
            insert_many(AuditEvent, columns, rows)


def _writer(count: int) -> float:
    from django.db import connections, transaction

    from registrum import audit
    from registrum.audit.events import EventType

    connections.close_all()
    started = time.perf_counter()
    for n in range(count):
        with transaction.atomic():
            audit.record(None, EventType.VERSION_DOWNLOADED, None, summary=SUMMARY.format(n=n), data={"version": n})
    connections.close_all()
    return time.perf_counter() - started


def _writes(processes: int, count: int) -> float:
    """Single-event transactions per second of wall time, over all the writing processes."""
    from django.db import connections

    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_writer, [count] * processes)
    return processes * count / (time.perf_counter() - started)


def measure(args: argparse.Namespace) -> dict[str, float]:
    from registrum.audit import chain

    figures: dict[str, float] = {}
    _fill(args.events)
    started = time.perf_counter()
    linked = chain.chain_pending(checkpoint=False)
    figures["audit_chain_per_s"] = linked / (time.perf_counter() - started)
    assert linked == args.events, (linked, args.events)

    walked = chain.walk()
    assert walked.broken is None, walked.broken
    figures["audit_verify_1proc_per_s"] = walked.per_s
    chain.PARALLEL_FROM = 0  # two processes whatever the scale, to measure them
    parallel = chain.walk_in_parallel(jobs=2)
    assert parallel.broken is None and parallel.checked == walked.checked, parallel
    figures["audit_verify_per_s"] = parallel.per_s
    if args.no_writes:
        return figures

    figures["audit_event_writes_per_s"] = _writes(args.writers, args.writes)
    real = chain.chain_after_commit
    chain.chain_after_commit = lambda since: None  # no-op, in this benchmark only
    try:
        figures["audit_event_writes_unchained_per_s"] = _writes(args.writers, args.writes)
    finally:
        chain.chain_after_commit = real
    chain.chain_pending(checkpoint=False)
    final = chain.walk()
    assert final.broken is None and final.unlinked_above == 0, final
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="registrum-bench-audit-", dir=args.dir) as home:
        _setup(Path(home), args.database_url)
        figures = measure(args)
    text = json.dumps(figures, indent=2, sort_keys=True)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
