"""Content storage: every version sealed (AES-256-GCM) under its own data key, behind one interface.

Callers never touch files: `get_store().put(stream)` streams content in and returns the blob's
opaque id, the plaintext's SHA-256 and size, and its data key wrapped by the key-encryption key
(`keyring`); `open(blob_id, kek_id, wrapped_key)` streams the plaintext back out. The store is the
only place that touches blob files. See `stores` (the stores), `sealing` (the format) and
`keyring` (key-encryption keys).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from registrum.storage.errors import BlobNotFound, ContentCorrupt, ContentTooLarge, ReadableStream, format_bytes
from registrum.storage.keyring import (
    KeyEncryptionKeyring,
    KeyringError,
    KeyringMissing,
    configured_keyring,
    set_keyring,
)
from registrum.storage.stores import BlobInfo, ContentStore, LocalContentStore, MemoryContentStore, StoredBlob

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "ContentCorrupt",
    "ContentStore",
    "ContentTooLarge",
    "KeyEncryptionKeyring",
    "KeyringError",
    "KeyringMissing",
    "LocalContentStore",
    "MemoryContentStore",
    "ReadableStream",
    "StoredBlob",
    "configured_keyring",
    "format_bytes",
    "get_store",
    "set_keyring",
    "set_store",
    "staged",
]

_store: ContentStore | None = None


def get_store() -> ContentStore:
    global _store
    if _store is None:
        from django.conf import settings

        _store = LocalContentStore(settings.REGISTRUM_CONTENT_DIR)
    return _store


def set_store(store: ContentStore | None) -> None:
    """Swap the store (tests, and the benchmark's no-op comparison); None returns to the configured one."""
    global _store
    _store = store


@contextlib.contextmanager
def staged(stream: ReadableStream, *, max_bytes: int | None = None) -> Iterator[StoredBlob]:
    """Store content for a change that may still fail. If the block raises, nothing is removed:
    the content left unreferenced is swept after a grace period by `registrum storage check --repair`."""
    yield get_store().put(stream, max_bytes=max_bytes)
