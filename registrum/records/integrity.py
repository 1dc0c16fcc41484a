"""The content store against the register: what no version refers to, and what versions miss.

Content is stored before its version commits and never removed when a change fails (see
`registrum.storage`), so the store may hold unreferenced blobs: failed or killed registrations.
`check` finds them and any version whose content is gone; `repair` removes unreferenced blobs
older than a grace period (an upload in flight is stored but not yet committed) and stale
temporary files. Missing content cannot be repaired, only reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction

from registrum import audit, storage
from registrum.audit.events import EventType
from registrum.org.services import SYSTEM
from registrum.records.models import Version

DEFAULT_GRACE = timedelta(hours=24)
_CHUNK = 500


@dataclass(frozen=True)
class StoreCheck:
    blobs: int
    stored_bytes: int
    referenced: int  # distinct digests versions refer to
    unreferenced: list[storage.BlobInfo]
    missing: dict[str, list[str]]  # digest -> the versions that refer to it ("NUMBER vN")

    @property
    def sound(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class StoreRepair:
    removed: list[storage.BlobInfo] = field(default_factory=list)
    within_grace: list[storage.BlobInfo] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)


def is_referenced(sha256: str) -> bool:
    """Asked afresh (autocommit, never a snapshot) so a version committed a moment ago counts."""
    return Version.objects.filter(sha256=sha256).exists()


def check(store: storage.ContentStore) -> StoreCheck:
    # References first, blobs second: content is stored before its version commits, so a
    # version committed between the two reads still finds its blob listed (no false "missing").
    referenced = set(Version.objects.values_list("sha256", flat=True).distinct())
    blobs = list(store.iter_blobs())
    stored = {blob.sha256 for blob in blobs}
    return StoreCheck(
        blobs=len(blobs),
        stored_bytes=sum(blob.size for blob in blobs),
        referenced=len(referenced),
        unreferenced=[blob for blob in blobs if blob.sha256 not in referenced],
        missing=_versions_of(sorted(referenced - stored)),
    )


def _versions_of(digests: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {digest: [] for digest in digests}
    for start in range(0, len(digests), _CHUNK):
        rows = (
            Version.objects.filter(sha256__in=digests[start : start + _CHUNK])
            .order_by("document__public_id", "number")
            .values_list("sha256", "document__public_id", "number")
        )
        for digest, document_number, number in rows:
            found[digest].append(f"document {document_number} v{number}")
    return found


def repair(
    store: storage.ContentStore, unreferenced: Iterable[storage.BlobInfo], *, grace: timedelta = DEFAULT_GRACE
) -> StoreRepair:
    """Remove unreferenced blobs last stored before the grace period and stale temporary files.

    Each candidate's references are asked again at the moment of removal (`store.discard`), so
    a registration that committed since `check` keeps its content; one still in flight stored
    or re-stored its content within the grace period, so it is not a candidate at all.
    """
    cutoff = time.time() - grace.total_seconds()
    result = StoreRepair()
    for blob in unreferenced:
        if blob.mtime >= cutoff:
            result.within_grace.append(blob)
        elif store.discard(blob.sha256, stored_before=cutoff, keep=is_referenced):
            result.removed.append(blob)
    result.temp_files.extend(store.sweep_tmp(older_than=cutoff))
    if result.removed or result.temp_files:
        with transaction.atomic():
            audit.record(
                SYSTEM,
                EventType.STORAGE_REPAIRED,
                None,
                summary=(
                    f"content store repaired: {len(result.removed)} unreferenced blob(s), "
                    f"{len(result.temp_files)} temporary file(s) removed"
                ),
                data={
                    "removed": len(result.removed),
                    "removed_bytes": sum(blob.size for blob in result.removed),
                    "temp_files": len(result.temp_files),
                    "digests": [blob.sha256 for blob in result.removed][:1000],
                    "grace_hours": grace.total_seconds() / 3600,
                },
            )
    return result
