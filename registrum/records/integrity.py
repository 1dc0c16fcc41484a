"""The content store against the register: what no version refers to, and what versions miss.

Content is stored before its version commits and never removed when a change fails (see
`registrum.storage`), so the store may hold unreferenced blobs: failed or killed registrations.
`check` finds them and any version whose content is gone; `repair` removes unreferenced blobs
older than a grace period (an upload in flight is stored but not yet committed) and stale
temporary files. Missing content cannot be repaired, only reported. Blobs are named by opaque
ids (never by their fingerprint), the ids versions keep in `Version.blob_id`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet

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
    referenced: int  # blobs versions refer to
    unreferenced: list[storage.BlobInfo]
    missing: dict[str, list[str]]  # blob id -> the versions that refer to it ("document NUMBER vN")
    unsealed: list[str]  # versions stored before encryption at rest, not migrated yet

    @property
    def sound(self) -> bool:
        return not self.missing and not self.unsealed


@dataclass(frozen=True)
class StoreRepair:
    removed: list[storage.BlobInfo] = field(default_factory=list)
    within_grace: list[storage.BlobInfo] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)


def _readable() -> QuerySet[Version]:
    """Versions whose content can still be opened: a version whose data key was destroyed refers
    to nothing (its blob, if still there, is noise to sweep, and its absence is not "missing")."""
    return Version.objects.exclude(blob_id=None).exclude(wrapped_key=None)


def is_referenced(blob_id: str) -> bool:
    """Asked afresh (autocommit, never a snapshot) so a version committed a moment ago counts."""
    return _readable().filter(blob_id=blob_id).exists()


def check(store: storage.ContentStore) -> StoreCheck:
    # References first, blobs second: content is stored before its version commits, so a
    # version committed between the two reads still finds its blob listed (no false "missing").
    referenced = {blob_id for blob_id in _readable().values_list("blob_id", flat=True) if blob_id is not None}
    unsealed = [
        f"document {number} v{version}"
        for number, version in Version.objects.filter(blob_id=None)
        .order_by("document__public_id", "number")
        .values_list("document__public_id", "number")
    ]
    blobs = list(store.iter_blobs())
    stored = {blob.blob_id for blob in blobs}
    return StoreCheck(
        blobs=len(blobs),
        stored_bytes=sum(blob.size for blob in blobs),
        referenced=len(referenced),
        unreferenced=[blob for blob in blobs if blob.blob_id not in referenced],
        missing=_versions_of(sorted(referenced - stored)),
        unsealed=unsealed,
    )


def _versions_of(blob_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {blob_id: [] for blob_id in blob_ids}
    for start in range(0, len(blob_ids), _CHUNK):
        rows = (
            Version.objects.filter(blob_id__in=blob_ids[start : start + _CHUNK])
            .order_by("document__public_id", "number")
            .values_list("blob_id", "document__public_id", "number")
        )
        for blob_id, document_number, number in rows:
            if not (blob_id is not None):
                raise RuntimeError("internal check failed: blob_id is not None")
            found[blob_id].append(f"document {document_number} v{number}")
    return found


def repair(
    store: storage.ContentStore, unreferenced: Iterable[storage.BlobInfo], *, grace: timedelta = DEFAULT_GRACE
) -> StoreRepair:
    """Remove unreferenced blobs stored before the grace period and stale temporary files.

    Each candidate's references are asked again at the moment of removal (`store.discard`), so
    a registration that committed since `check` keeps its content; one still in flight stored
    its content within the grace period, so it is not a candidate at all.
    """
    cutoff = time.time() - grace.total_seconds()
    result = StoreRepair()
    for blob in unreferenced:
        if blob.mtime >= cutoff:
            result.within_grace.append(blob)
        elif store.discard(blob.blob_id, stored_before=cutoff, keep=is_referenced):
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
                    "blob_ids": [blob.blob_id for blob in result.removed][:1000],
                    "grace_hours": grace.total_seconds() / 3600,
                },
            )
    return result
