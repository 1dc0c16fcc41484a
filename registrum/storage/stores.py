"""Content stores: every blob sealed under its own data key, named by an opaque random id.

`put` streams content in (bounded memory), fingerprints it (SHA-256 of the plaintext) and seals it
to a temporary file that is synced and renamed into place; the data key comes back wrapped by the
key-encryption key, for the caller to keep with its version. `open` streams plaintext out,
decrypting one chunk at a time. Identical content stored twice is two blobs with two keys: one
can be destroyed (its key first) without touching the other.

Content is stored before the change that refers to it commits, and stays when that change fails;
whoever knows the references lists unreferenced blobs with `iter_blobs` and removes them, after a
grace period, with `discard` (and leftover temporary files with `sweep_tmp`).
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registrum.storage.errors import BlobNotFound, ReadableStream
from registrum.storage.keyring import KeyEncryptionKeyring, configured_keyring
from registrum.storage.sealing import SealedReader, seal

BLOB_ID_LENGTH = 32  # 128 random bits, in hex


@dataclass(frozen=True)
class StoredBlob:
    blob_id: str
    sha256: str  # of the plaintext: the version's fingerprint
    size: int  # of the plaintext
    kek_id: str
    wrapped_key: bytes


class BlobInfo(NamedTuple):
    blob_id: str
    mtime: float  # when it was stored
    size: int  # as stored (sealed)


class ContentStore(Protocol):
    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob: ...
    def open(self, blob_id: str, kek_id: str, wrapped_key: bytes) -> BinaryIO: ...
    def exists(self, blob_id: str) -> bool: ...
    def delete(self, blob_id: str) -> None: ...
    def iter_blobs(self) -> Iterator[BlobInfo]: ...
    def discard(self, blob_id: str, *, stored_before: float, keep: Callable[[str], bool]) -> bool: ...
    def sweep_tmp(self, *, older_than: float) -> list[str]: ...


def new_blob_id() -> str:
    return secrets.token_hex(BLOB_ID_LENGTH // 2)


def _is_hex(name: str, length: int) -> bool:
    return len(name) == length and all(c in "0123456789abcdef" for c in name)


def _check_id(blob_id: str) -> str:
    if not _is_hex(blob_id, BLOB_ID_LENGTH):
        raise BlobNotFound(blob_id)
    return blob_id


def _context(blob_id: str) -> bytes:
    """What a data key's wrapping is bound to: the one blob (and so the one version) it opens."""
    return b"blob:" + blob_id.encode()


class _Keyed:
    def __init__(self, keyring: KeyEncryptionKeyring | None) -> None:
        self._keyring = keyring

    @property
    def keyring(self) -> KeyEncryptionKeyring:
        return self._keyring if self._keyring is not None else configured_keyring()

    def _wrap(self, data_key: bytes, blob_id: str) -> tuple[str, bytes]:
        return self.keyring.wrap(data_key, _context(blob_id))

    def _unwrap(self, blob_id: str, kek_id: str, wrapped_key: bytes) -> bytes:
        return self.keyring.unwrap(kek_id, bytes(wrapped_key), _context(blob_id))

    @staticmethod
    def check_key(keyring: KeyEncryptionKeyring, blob_id: str, kek_id: str, wrapped_key: bytes) -> None:
        """Raise KeyringError unless `keyring` opens this blob's data key (the start-up check)."""
        keyring.unwrap(kek_id, bytes(wrapped_key), _context(blob_id))

    def rewrap(self, blob_id: str, kek_id: str, wrapped_key: bytes) -> tuple[str, bytes]:
        """The same data key wrapped under the active key-encryption key (a rotation)."""
        return self._wrap(self._unwrap(blob_id, kek_id, wrapped_key), blob_id)


class LocalContentStore(_Keyed):
    """Sealed blobs in a folder, fanned out as ab/cd/abcd... so no directory grows huge; folders
    0700 and files 0600, readable by the service account only."""

    def __init__(self, root: Path, keyring: KeyEncryptionKeyring | None = None) -> None:
        super().__init__(keyring)
        self.root = Path(root)

    def _path(self, blob_id: str) -> Path:
        _check_id(blob_id)
        return self.root / blob_id[:2] / blob_id[2:4] / blob_id

    def _private_dirs(self, path: Path) -> None:
        missing = []
        while not path.is_dir():
            missing.append(path)
            if path == self.root or path.parent == path:
                break
            path = path.parent
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=0o700, parents=True)
                os.chmod(folder, 0o700)

    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob:
        keyring = self.keyring  # no key-encryption key: refused before anything is written
        blob_id = new_blob_id()
        data_key = AESGCM.generate_key(bit_length=256)
        tmp_dir = self.root / "tmp"
        self._private_dirs(tmp_dir)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)  # 0600
        try:
            with os.fdopen(fd, "wb") as out:
                sha256, size = seal(stream, out, data_key, blob_id, max_bytes=max_bytes)
                out.flush()
                os.fsync(out.fileno())
            final = self._path(blob_id)
            self._private_dirs(final.parent)
            os.replace(tmp_name, final)
            _fsync_dir(final.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
        # Wrapped last, just before the version commits: a rotation meanwhile has the least time
        # to miss it (see records.encryption.rotate_keys).
        kek_id, wrapped = keyring.wrap(data_key, _context(blob_id))
        return StoredBlob(blob_id, sha256, size, kek_id, wrapped)

    def open(self, blob_id: str, kek_id: str, wrapped_key: bytes) -> BinaryIO:
        try:
            raw = self._path(blob_id).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None
        try:
            data_key = self._unwrap(blob_id, kek_id, wrapped_key)
        except BaseException:
            raw.close()
            raise
        return cast(BinaryIO, SealedReader(cast(BinaryIO, raw), data_key, blob_id))

    def exists(self, blob_id: str) -> bool:
        try:
            return self._path(blob_id).exists()
        except BlobNotFound:
            return False

    def delete(self, blob_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(blob_id).unlink()

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in id order; anything else in the folder is ignored."""
        for first in _sorted_dirs(self.root):
            for second in _sorted_dirs(first):
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    name = entry.name
                    if _is_hex(name, BLOB_ID_LENGTH) and name[:2] == first.name and name[2:4] == second.name:
                        with contextlib.suppress(FileNotFoundError):
                            st = entry.stat()
                            yield BlobInfo(name, st.st_mtime, st.st_size)

    def discard(self, blob_id: str, *, stored_before: float, keep: Callable[[str], bool]) -> bool:
        """Remove a blob stored before `stored_before` (a time.time() value) unless `keep(blob_id)`
        says otherwise; True if it was removed. The blob is set aside (renamed) first and `keep` is
        asked last, so a reference committed meanwhile counts and nothing opens a half-removed blob."""
        final = self._path(blob_id)
        held = self.root / "held" / blob_id
        self._private_dirs(held.parent)
        try:
            os.rename(final, held)
        except FileNotFoundError:
            return False
        try:
            if held.stat().st_mtime < stored_before and not keep(blob_id):
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
        with contextlib.suppress(FileNotFoundError):
            os.rename(held, final)

    def sweep_tmp(self, *, older_than: float) -> list[str]:
        """Remove temporary files (uploads a killed process left half-written) last written before
        `older_than`, and put back blobs an interrupted `discard` left set aside. Returns the
        names of the removed files."""
        for held in sorted((self.root / "held").glob("*")):
            if _is_hex(held.name, BLOB_ID_LENGTH):
                final = self._path(held.name)
                self._private_dirs(final.parent)
                self._put_back(held, final)
        removed: list[str] = []
        tmp_dir = self.root / "tmp"
        for path in sorted(tmp_dir.glob("*")) if tmp_dir.is_dir() else []:
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < older_than:
                    path.unlink()
                    removed.append(path.name)
        return removed

    # Content stored in plain files before encryption at rest (named by SHA-256) ------------

    def plain_blobs(self) -> Iterator[str]:
        """The SHA-256 names of plaintext blobs an earlier release left, for their migration."""
        for first in _sorted_dirs(self.root):
            for second in _sorted_dirs(first):
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    if _is_hex(entry.name, 64) and entry.name[:4] == first.name + second.name:
                        yield entry.name

    def _plain_path(self, sha256: str) -> Path:
        if not _is_hex(sha256, 64):
            raise BlobNotFound(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def open_plain(self, sha256: str) -> BinaryIO:
        try:
            return self._plain_path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def remove_plain(self, sha256: str) -> None:
        path = self._plain_path(sha256)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sorted_dirs(parent: Path) -> list[Path]:
    try:
        entries = list(os.scandir(parent))
    except FileNotFoundError:
        return []
    return sorted(
        (Path(e.path) for e in entries if e.is_dir() and _is_hex(e.name, 2)),
        key=lambda p: p.name,
    )


class MemoryContentStore(_Keyed):
    """For tests that want no files; same contract as the local store, sealed the same way."""

    def __init__(self, keyring: KeyEncryptionKeyring | None = None) -> None:
        super().__init__(keyring)
        self.blobs: dict[str, bytes] = {}
        self.stored_at: dict[str, float] = {}

    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob:
        keyring = self.keyring
        blob_id = new_blob_id()
        data_key = AESGCM.generate_key(bit_length=256)
        out = io.BytesIO()
        sha256, size = seal(stream, out, data_key, blob_id, max_bytes=max_bytes)
        self.blobs[blob_id] = out.getvalue()
        self.stored_at[blob_id] = time.time()
        kek_id, wrapped = keyring.wrap(data_key, _context(blob_id))
        return StoredBlob(blob_id, sha256, size, kek_id, wrapped)

    def open(self, blob_id: str, kek_id: str, wrapped_key: bytes) -> BinaryIO:
        try:
            sealed = self.blobs[blob_id]
        except KeyError:
            raise BlobNotFound(blob_id) from None
        data_key = self._unwrap(blob_id, kek_id, wrapped_key)
        return cast(BinaryIO, SealedReader(io.BytesIO(sealed), data_key, blob_id))

    def exists(self, blob_id: str) -> bool:
        return blob_id in self.blobs

    def delete(self, blob_id: str) -> None:
        self.blobs.pop(blob_id, None)
        self.stored_at.pop(blob_id, None)

    def iter_blobs(self) -> Iterator[BlobInfo]:
        for blob_id in sorted(self.blobs):
            yield BlobInfo(blob_id, self.stored_at[blob_id], len(self.blobs[blob_id]))

    def discard(self, blob_id: str, *, stored_before: float, keep: Callable[[str], bool]) -> bool:
        if blob_id not in self.blobs or self.stored_at[blob_id] >= stored_before or keep(blob_id):
            return False
        self.delete(blob_id)
        return True

    def sweep_tmp(self, *, older_than: float) -> list[str]:
        return []  # nothing is ever half-written in memory
