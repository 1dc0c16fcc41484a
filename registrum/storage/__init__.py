"""Content storage: blobs addressed by their SHA-256, behind one interface.

Callers never touch files. `put` streams in (bounded memory), fingerprints and stores; `open`
streams out. Encryption at rest (the security issue) wraps a store without changing callers.

Content is stored before the change that refers to it commits, and is never removed when that
change fails: identical bytes have one digest, so a concurrent change may already refer to them.
What a failure or a killed process leaves is unreferenced content; whoever knows the references
lists it with `iter_blobs` and removes it, after a grace period, with `discard` (and leftover
temporary files with `sweep_tmp`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

__all__ = [
    "BlobInfo",
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


class BlobInfo(NamedTuple):
    sha256: str
    mtime: float  # when it was last stored: a put of identical content refreshes it
    size: int


class ReadableStream(Protocol):
    """What content arrives as: an open file, an upload, a BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


class ContentStore(Protocol):
    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def exists(self, sha256: str) -> bool: ...
    def delete(self, sha256: str) -> None: ...
    def iter_blobs(self) -> Iterator[BlobInfo]: ...
    def discard(self, sha256: str, *, stored_before: float, keep: Callable[[str], bool]) -> bool: ...
    def sweep_tmp(self, *, older_than: float) -> list[str]: ...


def _is_hex(name: str, length: int = 64) -> bool:
    return len(name) == length and all(c in "0123456789abcdef" for c in name)


def _check_digest(sha256: str) -> str:
    if not _is_hex(sha256):
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
            try:
                os.utime(final)  # stored again now: a sweep's grace period starts over
                return StoredBlob(digest, size, created=False)
            except FileNotFoundError:
                pass  # not stored, or set aside by `discard` this instant: store it afresh
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

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in digest order; anything else in the folder is ignored."""
        for first in _sorted_dirs(self.root):
            for second in _sorted_dirs(first):
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    name = entry.name
                    if _is_hex(name) and name[:2] == first.name and name[2:4] == second.name:
                        with contextlib.suppress(FileNotFoundError):
                            st = entry.stat()
                            yield BlobInfo(name, st.st_mtime, st.st_size)

    def discard(self, sha256: str, *, stored_before: float, keep: Callable[[str], bool]) -> bool:
        """Remove a blob last stored before `stored_before` (a time.time() value) unless
        `keep(sha256)` says otherwise; True if it was removed.

        The blob is first set aside (renamed), then judged: a concurrent `put` of the same bytes
        either came before and refreshed its time (kept), or comes after and stores a fresh copy
        that this never touches. `keep` is asked last, so a reference committed meanwhile counts.
        """
        final = self._path(sha256)
        held = self.root / "held" / sha256
        held.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(final, held)
        except FileNotFoundError:
            return False
        try:
            if held.stat().st_mtime < stored_before and not keep(sha256):
                held.unlink()
                return True
        except FileNotFoundError:
            return False  # another sweep put it back meanwhile
        except BaseException:
            self._put_back(held, final)
            raise
        self._put_back(held, final)
        return False

    @staticmethod
    def _put_back(held: Path, final: Path) -> None:
        try:
            os.link(held, final)  # never over a fresh copy stored meanwhile (same bytes anyway)
        except FileExistsError:
            pass
        except FileNotFoundError:
            return
        with contextlib.suppress(FileNotFoundError):
            held.unlink()

    def sweep_tmp(self, *, older_than: float) -> list[str]:
        """Remove temporary files (uploads a killed process left half-written) last written
        before `older_than`, and put back blobs an interrupted `discard` left set aside.
        Returns the names of the removed files."""
        for held in sorted((self.root / "held").glob("*")):
            if _is_hex(held.name):
                self._put_back(held, self._path(held.name))
        removed: list[str] = []
        tmp_dir = self.root / "tmp"
        for path in sorted(tmp_dir.glob("*")) if tmp_dir.is_dir() else []:
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < older_than:
                    path.unlink()
                    removed.append(path.name)
        return removed


def _sorted_dirs(parent: Path) -> list[Path]:
    try:
        entries = list(os.scandir(parent))
    except FileNotFoundError:
        return []
    return sorted(
        (Path(e.path) for e in entries if e.is_dir() and _is_hex(e.name, 2)),
        key=lambda p: p.name,
    )


class MemoryContentStore:
    """For tests that want no files; same contract as the local store."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.stored_at: dict[str, float] = {}

    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob:
        data = bytearray()
        while chunk := stream.read(CHUNK):
            data += chunk
            if max_bytes is not None and len(data) > max_bytes:
                raise ContentTooLarge(max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        created = digest not in self.blobs
        self.blobs.setdefault(digest, bytes(data))
        self.stored_at[digest] = time.time()
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
        self.stored_at.pop(sha256, None)

    def iter_blobs(self) -> Iterator[BlobInfo]:
        for digest in sorted(self.blobs):
            yield BlobInfo(digest, self.stored_at[digest], len(self.blobs[digest]))

    def discard(self, sha256: str, *, stored_before: float, keep: Callable[[str], bool]) -> bool:
        if sha256 not in self.blobs or self.stored_at[sha256] >= stored_before or keep(sha256):
            return False
        self.delete(sha256)
        return True

    def sweep_tmp(self, *, older_than: float) -> list[str]:
        return []  # nothing is ever half-written in memory


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
    """Store content for a change that may still fail. If the block raises, nothing is removed:
    between `put` and the failure a concurrent change may have stored the same bytes (same
    digest) and committed a reference to them. The content left unreferenced is swept after a
    grace period by `registrum storage check --repair`."""
    yield get_store().put(stream, max_bytes=max_bytes)
