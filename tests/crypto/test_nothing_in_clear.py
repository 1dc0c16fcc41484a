"""A stolen disk gives nothing away: content uploaded through the real web form and the real API
is found nowhere in clear, not in the data folder (content store, keyring, anything else), not in
the database file, its WAL or shared memory, not in a PostgreSQL dump; and no file is named by its
SHA-256."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from registrum import storage
from registrum.accounts.services import issue_token
from registrum.policy import Level
from registrum.records.models import Version

pytestmark = pytest.mark.django_db(transaction=True)  # committed: in the WAL and the database file


def carrying(token: bytes, size: int) -> bytes:
    """Text with the token at its start, across a chunk boundary and at its end."""
    filler = b"NATO SECRET paragraph of the annex.\n"
    middle = (filler * (size // len(filler) // 2))[: (1 << 20) - 5]
    return token + b"\n" + middle + token + b"\n" + filler * (size // len(filler) // 2) + token


def files_under(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(p for p in root.rglob("*") if p.is_file())
    return found


def holds(path: Path, needle: bytes) -> bool:
    with path.open("rb") as f:
        tail = b""
        while chunk := f.read(1 << 20):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


def database_files() -> list[Path]:
    if connection.vendor != "sqlite":
        return []
    name = Path(connection.settings_dict["NAME"])
    return [p for p in (name, Path(f"{name}-wal"), Path(f"{name}-shm")) if p.exists()]


def postgres_dump() -> bytes:
    from devtools.pgcluster import _bindir

    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db["PASSWORD"] or "")}
    command = [str(_bindir() / "pg_dump"), "-h", str(db["HOST"]), "-p", str(db["PORT"]), "-U", str(db["USER"])]
    return subprocess.run([*command, str(db["NAME"])], env=env, capture_output=True, check=True, timeout=120).stdout


def test_uploaded_content_is_nowhere_in_clear(client, world, tmp_path):
    data_folder = tmp_path / "home"
    store = storage.LocalContentStore(data_folder / "content")
    storage.set_store(store)
    web_token = b"WEBTOKEN-" + secrets.token_hex(16).encode()
    api_token = b"APITOKEN-" + secrets.token_hex(16).encode()
    web_content = carrying(web_token, 3 << 20)  # over FILE_UPLOAD_MAX_MEMORY_SIZE: a temporary file upload
    api_content = carrying(api_token, 64 << 10)

    document = world.register(level=Level.NS).document
    client.force_login(world.clerk)
    page = client.post(
        reverse("records:upload", args=[document.public_id]),
        {"content": SimpleUploadedFile("annex.txt", web_content)},
    )
    assert page.status_code == 302
    bearer = issue_token(world.clerk, world.clerk, name="test")
    reply = client.post(
        f"/api/v1/documents/{document.public_id}/versions",
        {"content": SimpleUploadedFile("annex-2.txt", api_content)},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert reply.status_code == 201, reply.content
    versions = list(Version.objects.filter(document=document).order_by("number"))
    assert [v.sha256 for v in versions] == [hashlib.sha256(c).hexdigest() for c in (web_content, api_content)]

    # Readable through the service, as a reader downloads it ...
    download = client.get(reverse("records:download", args=[document.public_id, 1]))
    assert b"".join(download.streaming_content) == web_content

    # ... and nowhere in clear at rest.
    places = files_under(data_folder, Path(settings.HOME), *database_files())
    assert any(p.parent.parent.parent == store.root for p in places)  # the sealed blobs were searched
    for token in (web_token, api_token):
        assert [p for p in places if holds(p, token)] == []
    digests = {v.sha256 for v in versions}
    assert [p for p in places if any(d in str(p) for d in digests)] == []
    if connection.vendor == "postgresql":
        dump = postgres_dump()
        assert b"Registrum" in dump or b"records_version" in dump
        assert web_token not in dump and api_token not in dump
