"""Keys against the register: rotation while content stays readable, sealing what an earlier
release stored in plain files, and a site that refuses to start with a missing or wrong key."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import transaction

from bench.server import free_port
from registrum import storage
from registrum.accounts.services import issue_token
from registrum.audit.models import AuditEvent
from registrum.policy import Level
from registrum.records import encryption, integrity, services
from registrum.records.models import Version
from registrum.storage.keyring import FileKeyring
from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def keyring_file(tmp_path):
    """A site keyed by a keyring file, as `registrum init` makes it."""
    keyring = FileKeyring.create(tmp_path / "keys" / "kek.json")
    storage.set_keyring(keyring)
    yield keyring
    storage.set_keyring(None)


def register_with_content(world, count: int) -> dict[str, bytes]:
    contents = {}
    for i in range(count):
        content = f"NATO SECRET content of document {i}\n".encode() * (i + 1)
        upload = services.Upload(f"doc{i}.txt", io.BytesIO(content))
        contents[world.register(level=Level.NS, upload=upload).document.public_id] = content
    return contents


def downloads(world, contents) -> dict[str, bytes]:
    return {public_id: services.open_version(world.reader, public_id, 1)[1].read() for public_id in contents}


def test_rotation_rewraps_every_key_in_batches_while_a_running_server_keeps_reading(world, keyring_file, tmp_path):
    contents = register_with_content(world, 5)
    old_id = keyring_file.active_id
    # The server read the keyring before the rotation and is never restarted.
    server_store = storage.LocalContentStore(storage.get_store().root, keyring=FileKeyring(keyring_file.path))
    operator_store = storage.LocalContentStore(storage.get_store().root, keyring=keyring_file)
    storage.set_store(server_store)
    seen_during = []

    def between_batches(done: int) -> None:
        kek_ids = set(Version.objects.values_list("kek_id", flat=True))
        seen_during.append((done, len(kek_ids)))
        assert downloads(world, contents) == contents  # old and new keys open data keys alike
        upload = services.Upload("during.txt", io.BytesIO(b"uploaded during the rotation"))
        services.add_version(world.clerk, next(iter(contents)), upload)

    result = encryption.rotate_keys(
        operator_store, keyring_file, batch=2, settle_seconds=0, between_batches=between_batches
    )

    assert seen_during[0] == (2, 2)  # a batch done, both keys in use
    assert result.retired == [old_id] and result.still_referenced == []
    assert set(Version.objects.values_list("kek_id", flat=True)) == {result.new_kek_id}
    assert old_id not in keyring_file.path.read_text()
    assert json.loads(keyring_file.path.read_text())["active"] == result.new_kek_id
    assert downloads(world, contents) == contents
    event = AuditEvent.objects.get(event="storage.keys_rotated")
    assert event.data["retired"] == [old_id] and event.data["rewrapped"] == result.rewrapped >= 5


def test_rotate_from_the_command_line_and_refused_for_an_environment_key(world, keyring_file):
    contents = register_with_content(world, 2)
    out = io.StringIO()
    call_command("keys", "rotate", "--settle-seconds", "0", stdout=out)
    assert "2 data key(s) re-wrapped" in out.getvalue()
    assert downloads(world, contents) == contents
    storage.set_keyring(None)  # back to the session's REGISTRUM_KEK
    with pytest.raises(CommandError, match="comes from REGISTRUM_KEK"):
        call_command("keys", "rotate", stdout=io.StringIO())


def test_plain_content_of_an_earlier_release_is_sealed_and_its_plain_files_removed(world, sample_pdf):
    store = storage.get_store()
    assert isinstance(store, storage.LocalContentStore)
    registration_a = world.register(level=Level.NS)
    registration_b = world.register(level=Level.NS)
    digest = hashlib.sha256(sample_pdf).hexdigest()
    # What the earlier release left: one content-addressed plain file shared by two versions,
    # and a plain file no version refers to.
    plain = store.root / digest[:2] / digest[2:4] / digest
    plain.parent.mkdir(parents=True)
    plain.write_bytes(sample_pdf)
    stray = hashlib.sha256(b"stray").hexdigest()
    (store.root / stray[:2] / stray[2:4]).mkdir(parents=True)
    (store.root / stray[:2] / stray[2:4] / stray).write_bytes(b"stray")
    for registration in (registration_a, registration_b):
        Version.objects.create(
            document=registration.document,
            number=1,
            filename="old.pdf",
            media_type="application/pdf",
            size=len(sample_pdf),
            sha256=digest,
            uploaded_at=registration.registered_at,
            uploaded_by=world.clerk,
        )
    assert [e.id for e in encryption.key_encryption_key_opens_stored_keys()] == ["records.E103"]

    out = io.StringIO()
    call_command("keys", "migrate", stdout=out)
    assert "sealed 2 version(s); removed 2 plain file(s); missing 0" in out.getvalue()

    a, b = (Version.objects.get(document=r.document) for r in (registration_a, registration_b))
    assert a.blob_id and b.blob_id and a.blob_id != b.blob_id
    assert not plain.exists() and not list(store.plain_blobs())
    for registration in (registration_a, registration_b):
        assert services.open_version(world.reader, registration.document.public_id, 1)[1].read() == sample_pdf
    assert encryption.key_encryption_key_opens_stored_keys() == []
    assert AuditEvent.objects.get(event="storage.content_sealed").data["sealed"] == 2
    call_command("keys", "migrate", stdout=io.StringIO())  # again: nothing to do, nothing broken
    assert Version.objects.filter(blob_id=None).count() == 0


def test_destroying_a_version_key_makes_its_content_unreadable(world, sample_pdf, django_capture_on_commit_callbacks):
    registration = world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf)))
    version = registration.document.versions.get()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        encryption.destroy_version_key(storage.get_store(), version)
    version.refresh_from_db()
    assert version.wrapped_key is None and not storage.get_store().exists(version.blob_id)
    with pytest.raises(storage.BlobNotFound):
        services.open_version(world.reader, registration.document.public_id, 1)
    found = integrity.check(storage.get_store())  # destroyed is not "missing"
    assert found.sound and found.referenced == 0


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registrum.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def site_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRUM_")}
    return {**env, "REGISTRUM_HOME": str(home), "REGISTRUM_DEBUG": "1", **extra}


@pytest.mark.django_db(transaction=True)
def test_a_missing_or_wrong_key_stops_the_site_at_start_with_a_clear_error(world, sample_pdf, tmp_path):
    world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf)))
    database = {"REGISTRUM_DATABASE_URL": database_url(), "REGISTRUM_CONTENT_DIR": str(storage.get_store().root)}

    missing = cli("serve", "--port", "1", env=site_env(tmp_path / "home", **database))
    assert missing.returncode != 0
    assert "the key-encryption key is missing" in missing.stderr and "registrum init" in missing.stderr

    wrong_key = base64.b64encode(os.urandom(32)).decode()
    wrong = cli("storage", "check", env=site_env(tmp_path / "home", REGISTRUM_KEK=wrong_key, **database))
    assert wrong.returncode != 0
    assert "does not open the stored data keys" in wrong.stderr

    right = cli(
        "storage", "check", env=site_env(tmp_path / "home", REGISTRUM_KEK=os.environ["REGISTRUM_KEK"], **database)
    )
    assert right.returncode == 0, right.stderr


def test_init_creates_a_private_keyring_once(tmp_path):
    home = tmp_path / "home"
    first = cli("init", env=site_env(home))
    assert first.returncode == 0, first.stderr
    keyring = home / "keys" / "kek.json"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    assert stat.S_IMODE(keyring.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "content").stat().st_mode) == 0o700
    before = keyring.read_bytes()
    again = cli("init", env=site_env(home))
    assert again.returncode == 0, again.stderr
    assert keyring.read_bytes() == before  # never overwritten
    status = cli("keys", "status", env=site_env(home))
    assert "key-encryption key: " in status.stdout and json.loads(before)["active"] in status.stdout
    assert base64.b64decode(next(iter(json.loads(before)["keys"].values()))["key"]).hex() not in status.stdout


@pytest.mark.django_db(transaction=True)
def test_a_real_server_keeps_serving_downloads_through_a_rotation_without_restart(world, tmp_path):
    keyring = FileKeyring.create(tmp_path / "keys" / "kek.json")
    storage.set_keyring(keyring)
    try:
        contents = register_with_content(world, 3)
        old_id = keyring.active_id
        port = free_port()
        env = site_env(
            tmp_path / "home",
            REGISTRUM_DATABASE_URL=database_url(),
            REGISTRUM_CONTENT_DIR=str(storage.get_store().root),
            REGISTRUM_KEYRING_FILE=str(keyring.path),
        )
        command = [sys.executable, "-m", "registrum.cli", "serve", "--port", str(port), "--workers", "1"]
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                try:
                    requests.get(f"{base}/accounts/login/", timeout=5)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {issue_token(world.reader, world.reader, name='test')}"

            def served() -> dict[str, bytes]:
                replies = {
                    p: session.get(f"{base}/api/v1/documents/{p}/versions/1/content", timeout=30) for p in contents
                }
                assert all(r.status_code == 200 for r in replies.values()), {
                    p: r.status_code for p, r in replies.items()
                }
                return {p: r.content for p, r in replies.items()}

            assert served() == contents  # the server has read the keyring: only the old key
            during = []
            result = encryption.rotate_keys(
                storage.get_store(),
                keyring,
                batch=1,
                settle_seconds=0,
                between_batches=lambda n: during.append(served()),
            )
            assert during and all(seen == contents for seen in during)
            assert result.retired == [old_id] and old_id not in keyring.path.read_text()
            assert served() == contents  # after the old key is gone from the keyring
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    finally:
        storage.set_keyring(None)
