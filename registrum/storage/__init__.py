"""Content storage: blobs addressed by their SHA-256, behind one interface.

Callers never touch files. `put` streams in (bounded memory), fingerprints and stores; `open`
streams out. Encryption at rest (the security issue) wraps a store without changing callers.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = [
    "BlobNotFound",
    "ContentStore",
    "ContentTooLarge",
    "LocalContentStore",
    "MemoryContentStore",
    "ReadableStream",
    "StoredBlob",
    "get_store",
    "set_store",
    "staged",
]

CHUNK = 1024 * 1024


class ContentTooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"content exceeds the upload limit of {format_bytes(limit)}")


class BlobNotFound(LookupError):
    pass


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    created: bool  # False when identical content was already stored (deduplicated)


class ReadableStream(Protocol):
    """What content arrives as: an open file, an upload, a BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


class ContentStore(Protocol):
    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def exists(self, sha256: str) -> bool: ...
    def delete(self, sha256: str) -> None: ...


def _check_digest(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise BlobNotFound(sha256)
    return sha256


class LocalContentStore:
    """Blobs in a folder, fanned out as ab/cd/abcd... so no directory grows huge."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        digest = _check_digest(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob:
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise ContentTooLarge(max_bytes)
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = hasher.hexdigest()
            final = self._path(digest)
            if final.exists():
                return StoredBlob(digest, size, created=False)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            return StoredBlob(digest, size, created=True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        try:
            return self._path(sha256).exists()
        except BlobNotFound:
            return False

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(sha256).unlink()


class MemoryContentStore:
    """For tests that want no files; same contract as the local store."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob:
        data = bytearray()
        while chunk := stream.read(CHUNK):
            data += chunk
            if max_bytes is not None and len(data) > max_bytes:
                raise ContentTooLarge(max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        created = digest not in self.blobs
        self.blobs.setdefault(digest, bytes(data))
        return StoredBlob(digest, len(data), created)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return io.BytesIO(self.blobs[sha256])
        except KeyError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return sha256 in self.blobs

    def delete(self, sha256: str) -> None:
        self.blobs.pop(sha256, None)


_store: ContentStore | None = None


def get_store() -> ContentStore:
    global _store
    if _store is None:
        from django.conf import settings

        _store = LocalContentStore(settings.REGISTRUM_CONTENT_DIR)
    return _store


def set_store(store: ContentStore | None) -> None:
    """Swap the store (tests); None returns to the configured one."""
    global _store
    _store = store


@contextlib.contextmanager
def staged(stream: ReadableStream, *, max_bytes: int | None = None) -> Iterator[StoredBlob]:
    """Store content for a change that may still fail: if the block raises, a blob this call
    created is removed again, so a failed registration leaves nothing stored."""
    store = get_store()
    blob = store.put(stream, max_bytes=max_bytes)
    try:
        yield blob
    except BaseException:
        if blob.created:
            store.delete(blob.sha256)
        raise
