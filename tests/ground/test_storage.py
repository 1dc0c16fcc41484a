"""The content store: fingerprinted, deduplicated, bounded, and clean after a failure."""

from __future__ import annotations

import hashlib
import io

import pytest

from registrum import storage


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path):
    return storage.LocalContentStore(tmp_path) if request.param == "local" else storage.MemoryContentStore()


def test_put_fingerprints_and_open_reads_back(store):
    blob = store.put(io.BytesIO(b"NATO UNCLASSIFIED content"))
    assert blob.sha256 == hashlib.sha256(b"NATO UNCLASSIFIED content").hexdigest()
    assert (blob.size, blob.created) == (25, True)
    assert store.open(blob.sha256).read() == b"NATO UNCLASSIFIED content"
    assert store.put(io.BytesIO(b"NATO UNCLASSIFIED content")).created is False


def test_content_over_the_limit_is_refused_and_not_kept(store, tmp_path):
    with pytest.raises(storage.ContentTooLarge, match="limit of 10 bytes"):
        store.put(io.BytesIO(b"x" * 11), max_bytes=10)
    assert not store.exists(hashlib.sha256(b"x" * 11).hexdigest())
    if isinstance(store, storage.LocalContentStore):
        assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_unknown_or_malformed_digest_is_not_found(store):
    with pytest.raises(storage.BlobNotFound):
        store.open("0" * 64)
    with pytest.raises(storage.BlobNotFound):
        store.open("../../etc/passwd")


def test_staged_content_is_removed_when_the_change_fails(store):
    storage.set_store(store)
    try:
        with pytest.raises(RuntimeError), storage.staged(io.BytesIO(b"half-way")) as blob:
            raise RuntimeError("registration failed")
        assert not store.exists(blob.sha256)
        kept = store.put(io.BytesIO(b"already here"))
        with pytest.raises(RuntimeError), storage.staged(io.BytesIO(b"already here")):
            raise RuntimeError("second registration of the same content failed")
        assert store.exists(kept.sha256)  # content another version uses is never removed
    finally:
        storage.set_store(None)


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 bytes"), (1024, "1 KiB"), (50 * 1024 * 1024, "50 MiB"), (1536, "1.5 KiB")]
)
def test_limits_are_written_for_people(size, text):
    assert storage.format_bytes(size) == text
