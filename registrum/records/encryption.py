"""Content keys against the register: the start-up check, sealing plaintext content an earlier
release stored, rotating the key-encryption key, and destroying a version's data key.

Every version's data key is kept in its row wrapped by a key-encryption key (KEK) that lives
outside the database (`registrum.storage.keyring`). These run in short transactions, so a server
keeps serving while they work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError, connection, transaction

from registrum import audit, storage
from registrum.audit.events import EventType
from registrum.org.services import SYSTEM
from registrum.records.models import Version
from registrum.storage.keyring import FileKeyring, KeyringError

BATCH = 500
# How long a rotation waits, after making the new key active, before its last pass and the
# retirement of the old key: an upload that wrapped its data key with the old key just before
# finishes (and commits) well within a request's time limit.
SETTLE_SECONDS = 60.0


# Start-up check ----------------------------------------------------------------------------


def referenced_kek_ids() -> list[str]:
    """The key-encryption keys versions refer to. A skip scan of the kek_id index (one seek per
    distinct key, a handful), so every command's start-up check stays instant at millions of
    versions, where SELECT DISTINCT would read the whole index."""
    table = connection.ops.quote_name(Version._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE k(id) AS ("  # noqa: S608 (the table name is the model's own)
            f" SELECT MIN(kek_id) FROM {table}"
            f" UNION ALL SELECT (SELECT MIN(kek_id) FROM {table} WHERE kek_id > k.id) FROM k WHERE k.id IS NOT NULL"
            ") SELECT id FROM k WHERE id IS NOT NULL"
        )
        return [kek_id for (kek_id,) in cursor.fetchall() if kek_id]


@register()
def key_encryption_key_opens_stored_keys(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Run by every `registrum` command but `init` and `keys` (and so by `serve` before it starts
    its workers): a missing or wrong key-encryption key stops the site at start, never garbage."""
    try:
        keyring = storage.configured_keyring()
    except KeyringError as exc:
        return [Error(str(exc), hint="Run `registrum init`, or set REGISTRUM_KEK.", id="records.E101")]
    try:
        kek_ids = referenced_kek_ids()
        unsealed = Version.objects.filter(blob_id=None).exists()
    except DatabaseError:
        return []  # no schema yet (before `migrate`): nothing is stored to open
    problems: list[CheckMessage] = []
    for kek_id in kek_ids:
        sample = Version.objects.filter(kek_id=kek_id).exclude(blob_id=None).exclude(wrapped_key=None)[:1]
        for version in sample:
            if not (version.blob_id is not None and version.wrapped_key is not None):
                raise RuntimeError(
                    "internal check failed: version.blob_id is not None and version.wrapped_key is not None"
                )
            try:
                storage.LocalContentStore.check_key(keyring, version.blob_id, kek_id, bytes(version.wrapped_key))
            except KeyringError as exc:
                problems.append(
                    Error(
                        f"the key-encryption key {kek_id!r} is missing or does not open the stored data keys: {exc}",
                        hint="Restore the site's keyring (or REGISTRUM_KEK) that the content was sealed with.",
                        id="records.E102",
                    )
                )
    if unsealed:
        problems.append(
            Error(
                "content stored before encryption at rest is still in plain files",
                hint="Run `registrum keys migrate` (or `registrum init`).",
                id="records.E103",
            )
        )
    return problems


# Sealing content stored in plain files ---------------------------------------------------------


@dataclass
class SealReport:
    sealed: int = 0  # versions whose content was sealed
    plain_removed: int = 0  # plaintext files removed
    missing: list[str] = field(default_factory=list)  # versions whose plaintext file is gone


def seal_plain_content(store: storage.LocalContentStore, *, batch: int = BATCH) -> SealReport:
    """Seal every version still stored in a plain file (named by its SHA-256) into a blob of its
    own under a new data key, then remove the plaintext. Safe to run again and to interrupt: a
    version is switched in its own short transaction only if nobody switched it meanwhile, and a
    plaintext file goes only once no version needs it."""
    report = SealReport()
    done_with: set[int] = set()
    while True:
        rows = list(
            Version.objects.filter(blob_id=None)
            .exclude(pk__in=done_with)
            .order_by("pk")
            .values_list("pk", "sha256", "document__public_id", "number")[:batch]
        )
        if not rows:
            break
        for pk, sha256, document_number, number in rows:
            done_with.add(pk)
            try:
                plain = store.open_plain(sha256)
            except storage.BlobNotFound:
                report.missing.append(f"document {document_number} v{number}")
                continue
            with plain:
                blob = store.put(plain)
            if blob.sha256 != sha256:
                store.delete(blob.blob_id)
                report.missing.append(f"document {document_number} v{number} (its plain file does not match)")
                continue
            with transaction.atomic():
                switched = Version.objects.filter(pk=pk, blob_id=None).update(
                    blob_id=blob.blob_id, kek_id=blob.kek_id, wrapped_key=blob.wrapped_key
                )
            if switched:
                report.sealed += 1
            else:
                store.delete(blob.blob_id)  # another run sealed it first
    needed = set(Version.objects.filter(blob_id=None).values_list("sha256", flat=True))
    for sha256 in list(store.plain_blobs()):
        if sha256 not in needed:
            store.remove_plain(sha256)
            report.plain_removed += 1
    if report.sealed or report.plain_removed:
        with transaction.atomic():
            audit.record(
                SYSTEM,
                EventType.CONTENT_SEALED,
                None,
                summary=f"content sealed: {report.sealed} version(s) moved out of plain files",
                data={"sealed": report.sealed, "plain_removed": report.plain_removed, "missing": len(report.missing)},
            )
    return report


# Rotation ---------------------------------------------------------------------------------------


@dataclass
class Rotation:
    new_kek_id: str
    rewrapped: int = 0
    retired: list[str] = field(default_factory=list)
    still_referenced: list[str] = field(default_factory=list)


def rewrap_batch(store: storage.ContentStore, old_kek_id: str, *, batch: int = BATCH) -> int:
    """Re-wrap up to `batch` data keys wrapped by `old_kek_id` with the active key, in one short
    transaction; the number re-wrapped (0 when none are left)."""
    rewrap = getattr(store, "rewrap", None)
    if rewrap is None:
        raise KeyringError(f"{type(store).__name__} cannot re-wrap data keys")
    with transaction.atomic():
        rows = list(
            Version.objects.select_for_update()
            .filter(kek_id=old_kek_id)
            .exclude(blob_id=None)
            .order_by("pk")
            .only("pk", "blob_id", "kek_id", "wrapped_key")[:batch]
        )
        for version in rows:
            if not (version.blob_id is not None and version.wrapped_key is not None):
                raise RuntimeError(
                    "internal check failed: version.blob_id is not None and version.wrapped_key is not None"
                )
            version.kek_id, version.wrapped_key = rewrap(version.blob_id, version.kek_id, bytes(version.wrapped_key))
        Version.objects.bulk_update(rows, ["kek_id", "wrapped_key"])
    return len(rows)


def rotate_keys(
    store: storage.ContentStore,
    keyring: FileKeyring,
    *,
    batch: int = BATCH,
    settle_seconds: float = SETTLE_SECONDS,
    between_batches: Callable[[int], None] | None = None,
) -> Rotation:
    """Add a new active KEK, re-wrap every data key with it in batches, and retire each old KEK
    once nothing refers to it. Both keys open data keys throughout, and a running server reads
    the keyring again when it meets the new id, so nothing stops. `between_batches(done)` is
    called after each batch (progress; tests read content there)."""
    old_ids = list(keyring.ids())
    old_ids = sorted(set(old_ids) | set(referenced_kek_ids()))
    activated = time.monotonic()
    result = Rotation(keyring.add_active_key())

    def rewrap_all() -> None:
        for old in old_ids:
            while done := rewrap_batch(store, old, batch=batch):
                result.rewrapped += done
                if between_batches is not None:
                    between_batches(result.rewrapped)

    rewrap_all()
    # Uploads that wrapped with an old key just before the switch commit within a request's time.
    remaining = settle_seconds - (time.monotonic() - activated)
    if remaining > 0:
        time.sleep(remaining)
    rewrap_all()
    for old in old_ids:
        if Version.objects.filter(kek_id=old).exists():
            result.still_referenced.append(old)
        elif old in keyring.ids():
            keyring.retire(old)
            result.retired.append(old)
    with transaction.atomic():
        audit.record(
            SYSTEM,
            EventType.KEYS_ROTATED,
            None,
            summary=(
                f"key-encryption key rotated to {result.new_kek_id}: {result.rewrapped} data key(s) re-wrapped, "
                f"{len(result.retired)} old key(s) retired"
            ),
            data={
                "new_kek_id": result.new_kek_id,
                "rewrapped": result.rewrapped,
                "retired": result.retired,
                "still_referenced": result.still_referenced,
            },
        )
    return result


# Destruction (the primitive; the witnessed destruction workflow is the custody issue's) --------


def destroy_version_key(store: storage.ContentStore, version: Version) -> None:
    """Make a version's content unreadable for good: its wrapped data key is erased from the row,
    then its blob removed. Without the key the blob (and any backup of it) is noise, so erasing
    the key is the destruction; removing the file only frees space. To be called by the
    destruction service inside its transaction, after its policy check and with its audit event."""
    blob_id = version.blob_id
    Version.objects.filter(pk=version.pk).update(wrapped_key=None, kek_id="")
    version.wrapped_key, version.kek_id = None, ""
    if blob_id is not None:
        transaction.on_commit(lambda: store.delete(blob_id))
