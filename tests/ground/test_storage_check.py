"""`registrum storage check [--repair]`: content no version refers to is found and swept after a
grace period, missing content is reported, referenced content is never removed. The leftovers
come from real registrations killed with SIGKILL in a child process."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registrum import storage
from registrum.audit.models import AuditEvent
from registrum.policy import Level
from registrum.records import integrity, services
from registrum.records.models import Document, Version
from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]


def storage_check(*args: str) -> str:
    out = io.StringIO()
    call_command("storage", "check", *args, stdout=out)
    return out.getvalue()


def killed_registration(store: storage.LocalContentStore, mode: str) -> str | None:
    """The id of the blob the killed registration stored (None when it died before storing one)."""
    before = {blob.blob_id for blob in store.iter_blobs()}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ground.kill_worker", database_url(), str(store.root), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    stored = {blob.blob_id for blob in store.iter_blobs()} - before
    assert len(stored) <= 1
    return stored.pop() if stored else None


def local_store() -> storage.LocalContentStore:
    store = storage.get_store()
    assert isinstance(store, storage.LocalContentStore)  # tests/conftest.py: real files
    return store


@pytest.mark.django_db(transaction=True)
def test_content_of_a_killed_registration_is_reported_and_swept_and_referenced_content_stays(world, sample_pdf):
    store = local_store()
    kept = world.register(level=Level.NS, upload=services.Upload("kept.pdf", io.BytesIO(sample_pdf)))
    kept_blob = kept.document.versions.get().blob_id

    orphan = killed_registration(store, "after-put")
    assert orphan is not None and store.exists(orphan)
    assert Document.objects.count() == 1  # the killed registration committed nothing

    report = storage_check()
    assert "unreferenced: 1\n" in report and orphan in report
    assert kept_blob not in report.split("unreferenced:")[1]
    assert "missing: 0\n" in report

    # An upload in flight is stored but not yet committed: the default grace period keeps it.
    report = storage_check("--repair")
    assert "removed: 0 unreferenced" in report and "kept: 1 unreferenced blob(s) within" in report
    assert store.exists(orphan)
    assert not AuditEvent.objects.filter(event="storage.repaired").exists()

    report = storage_check("--repair", "--grace-hours", "0")
    assert "removed: 1 unreferenced" in report and orphan in report.split("removed: 1")[1]
    assert not store.exists(orphan)
    _version, stream = services.open_version(world.reader, kept.document.public_id, 1)
    assert stream.read() == sample_pdf
    event = AuditEvent.objects.get(event="storage.repaired")
    assert (event.actor_id, event.data["removed"], event.data["blob_ids"]) == (None, 1, [orphan])

    assert "unreferenced: 0\n" in storage_check()


@pytest.mark.django_db(transaction=True)
def test_upload_killed_half_way_leaves_a_temporary_file_the_repair_sweeps(world):
    store = local_store()
    assert killed_registration(store, "mid-upload") is None
    leftovers = list((store.root / "tmp").iterdir())
    assert len(leftovers) == 1 and not list(store.iter_blobs())

    assert "removed: 0 temporary file(s)" in storage_check("--repair")  # could be an upload in flight
    assert "removed: 1 temporary file(s)" in storage_check("--repair", "--grace-hours", "0")
    assert not list((store.root / "tmp").iterdir())
    assert AuditEvent.objects.get(event="storage.repaired").data["temp_files"] == 1


def test_missing_content_is_reported_with_its_versions_and_fails_the_check(world, sample_pdf):
    store = local_store()
    document = world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf)))
    blob_id = document.document.versions.get().blob_id
    store.delete(blob_id)
    for args in ((), ("--repair", "--grace-hours", "0")):
        out = io.StringIO()
        with pytest.raises(CommandError, match=r"1 version\(s\) refer to missing content"):
            call_command("storage", "check", *args, stdout=out)
        assert f"missing: 1\n  {blob_id}  referenced by document {document.document.public_id} v1" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_command_line_exits_non_zero_only_when_content_is_missing(world, sample_pdf):
    store = local_store()
    document = world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf)))
    env = {**os.environ, "REGISTRUM_DATABASE_URL": database_url(), "REGISTRUM_CONTENT_DIR": str(store.root)}

    def cli() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "registrum.cli", "storage", "check"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert cli().returncode == 0
    store.delete(document.document.versions.get().blob_id)
    failed = cli()
    assert failed.returncode != 0
    assert "refer to missing content" in failed.stderr


def test_repair_asks_again_so_a_reference_committed_since_the_check_keeps_its_content(world, sample_pdf):
    store = local_store()
    blob = store.put(io.BytesIO(sample_pdf))
    found = integrity.check(store)
    assert [b.blob_id for b in found.unreferenced] == [blob.blob_id]
    # A registration referring to this very blob commits after the check (a slow one: the
    # blob looks old); the repair asks again and keeps it.
    registration = world.register(level=Level.NS)
    Version.objects.create(
        document=registration.document,
        number=1,
        filename="late.pdf",
        media_type="application/pdf",
        size=blob.size,
        sha256=blob.sha256,
        blob_id=blob.blob_id,
        kek_id=blob.kek_id,
        wrapped_key=blob.wrapped_key,
        uploaded_at=registration.registered_at,
        uploaded_by=world.clerk,
    )
    old = time.time() - 48 * 3600
    os.utime(store._path(blob.blob_id), (old, old))
    done = integrity.repair(store, found.unreferenced, grace=integrity.DEFAULT_GRACE)
    assert done.removed == [] and store.exists(blob.blob_id)
    _version, stream = services.open_version(world.reader, registration.document.public_id, 1)
    assert stream.read() == sample_pdf


def test_check_and_repair_work_on_the_memory_store_too(world, sample_pdf):
    store = storage.MemoryContentStore()
    storage.set_store(store)
    world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf)))
    orphan = store.put(io.BytesIO(b"left by a failed registration"))
    store.stored_at[orphan.blob_id] -= 25 * 3600
    report = storage_check("--repair")
    assert f"removed: 1 unreferenced blob(s) stored more than 24 h ago\n  {orphan.blob_id}" in report
    assert list(store.blobs) == [Version.objects.get().blob_id]
