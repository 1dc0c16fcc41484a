"""Check the content store against the register, and sweep what failed registrations left:

    registrum storage check                             report unreferenced and missing content
    registrum storage check --repair [--grace-hours 24] also remove unreferenced content older
                                                        than the grace period, and stale temp files

Exits non-zero when a version's content is missing (that cannot be repaired, only restored from
a backup). Referenced content is never removed; a removal is recorded in the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registrum import storage
from registrum.records import integrity


def _hours(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError(text)
    return value


def _when(mtime: float) -> str:
    return datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class Command(BaseCommand):
    help = "Check the content store against the register; --repair sweeps unreferenced content."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="report unreferenced and missing content")
        check.add_argument("--repair", action="store_true", help="remove unreferenced content past the grace period")
        check.add_argument(
            "--grace-hours",
            type=_hours,
            default=integrity.DEFAULT_GRACE.total_seconds() / 3600,
            help="keep unreferenced content stored more recently than this (default 24): uploads in flight",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = storage.get_store()
        found = integrity.check(store)
        out = self.stdout.write
        out(
            f"{found.blobs} blob(s), {storage.format_bytes(found.stored_bytes)} stored; "
            f"{found.referenced} blob(s) referenced by versions"
        )
        out(f"unreferenced: {len(found.unreferenced)}")
        for blob in found.unreferenced:
            out(f"  {blob.blob_id}  {storage.format_bytes(blob.size)}, stored {_when(blob.mtime)}")
        out(f"missing: {len(found.missing)}")
        for blob_id, versions in found.missing.items():
            out(f"  {blob_id}  referenced by {', '.join(versions)}")
        if found.unsealed:
            out(f"not sealed yet (stored before encryption at rest): {len(found.unsealed)}")
            for version in found.unsealed:
                out(f"  {version}")
        if options["repair"]:
            grace = timedelta(hours=options["grace_hours"])
            done = integrity.repair(store, found.unreferenced, grace=grace)
            out(f"removed: {len(done.removed)} unreferenced blob(s) stored more than {options['grace_hours']:g} h ago")
            for blob in done.removed:
                out(f"  {blob.blob_id}  {storage.format_bytes(blob.size)}")
            if done.within_grace:
                out(f"kept: {len(done.within_grace)} unreferenced blob(s) within the grace period")
            out(f"removed: {len(done.temp_files)} temporary file(s)")
        if found.unsealed:
            raise CommandError(
                f"{len(found.unsealed)} version(s) are stored in plain files: run `registrum keys migrate`"
            )
        if not found.sound:
            raise CommandError(
                f"{sum(len(v) for v in found.missing.values())} version(s) refer to missing content "
                f"({len(found.missing)} blob(s)); restore it from a backup"
            )
