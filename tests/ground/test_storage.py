"""The content store: fingerprinted, deduplicated, bounded, and clean after a failure."""

from __future__ import annotations

import hashlib
import io
import os
import time

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


def test_a_failed_change_never_removes_content_a_concurrent_change_committed(store):
    """The race: this change stores new bytes (created), a concurrent change stores the same
    bytes (deduplicated) and commits a reference to them, then this change fails. Removing
    "the content this call created" would remove what the committed change refers to."""
    storage.set_store(store)
    try:
        seen = []

        def failing_change():
            with storage.staged(io.BytesIO(b"shared content")) as blob:
                seen.append(blob)
                seen.append(store.put(io.BytesIO(b"shared content")))  # ... and its row commits
                raise RuntimeError("this registration failed")

        with pytest.raises(RuntimeError):
            failing_change()
        mine, concurrent = seen
        assert (mine.created, concurrent.created) == (True, False)
        assert store.open(mine.sha256).read() == b"shared content"
    finally:
        storage.set_store(None)


def age(store, sha256, seconds):
    """Make a blob look stored `seconds` ago."""
    then = time.time() - seconds
    if isinstance(store, storage.LocalContentStore):
        os.utime(store._path(sha256), (then, then))
    else:
        store.stored_at[sha256] = then


def test_iter_blobs_lists_digests_with_time_and_size_and_nothing_else(store, tmp_path):
    before = time.time() - 1
    a = store.put(io.BytesIO(b"first"))
    b = store.put(io.BytesIO(b"second, longer"))
    if isinstance(store, storage.LocalContentStore):
        (tmp_path / "tmp" / "tmp-leftover").write_bytes(b"half")
        (tmp_path / "README").write_text("not content")
        (tmp_path / "ab" / "cd").mkdir(parents=True)
        (tmp_path / "ab" / "cd" / ("ab" + "0" * 62)).write_bytes(b"misplaced")  # fan-out mismatch
    listed = list(store.iter_blobs())
    assert [(x.sha256, x.size) for x in listed] == sorted([(a.sha256, 5), (b.sha256, 14)])
    assert all(before < x.mtime <= time.time() for x in listed)


def test_storing_identical_content_again_restarts_its_age(store):
    blob = store.put(io.BytesIO(b"again"))
    age(store, blob.sha256, 3600)
    assert store.put(io.BytesIO(b"again")).created is False
    (listed,) = store.iter_blobs()
    assert listed.mtime > time.time() - 60


def test_discard_removes_only_old_content_nobody_keeps(store):
    old = store.put(io.BytesIO(b"old and unreferenced"))
    kept = store.put(io.BytesIO(b"old but referenced"))
    fresh = store.put(io.BytesIO(b"just stored"))
    age(store, old.sha256, 7200)
    age(store, kept.sha256, 7200)
    cutoff = time.time() - 3600
    asked = []

    def keep(sha256):
        asked.append(sha256)
        return sha256 == kept.sha256

    assert store.discard(old.sha256, stored_before=cutoff, keep=keep) is True
    assert store.discard(kept.sha256, stored_before=cutoff, keep=keep) is False
    assert store.discard(fresh.sha256, stored_before=cutoff, keep=keep) is False
    assert store.discard("f" * 64, stored_before=cutoff, keep=keep) is False
    assert not store.exists(old.sha256)
    assert store.open(kept.sha256).read() == b"old but referenced"
    assert store.open(fresh.sha256).read() == b"just stored"
    assert kept.sha256 in asked


def test_discard_puts_content_back_when_the_reference_check_fails(tmp_path):
    store = storage.LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"precious"))

    def keep(sha256):
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        store.discard(blob.sha256, stored_before=time.time() + 1, keep=keep)
    assert store.open(blob.sha256).read() == b"precious"


def test_content_stored_while_a_discard_judges_it_survives(tmp_path):
    store = storage.LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"uploaded again right now"))

    def keep(sha256):
        # a registration stores the same bytes while the blob is set aside ...
        assert store.put(io.BytesIO(b"uploaded again right now")).created is True
        return False  # ... and has not committed yet

    assert store.discard(blob.sha256, stored_before=time.time() + 1, keep=keep) is True
    assert store.open(blob.sha256).read() == b"uploaded again right now"


def test_sweep_tmp_removes_old_leftovers_and_restores_set_aside_content(tmp_path):
    store = storage.LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"set aside by a killed sweep"))
    (tmp_path / "held").mkdir()
    os.rename(store._path(blob.sha256), tmp_path / "held" / blob.sha256)
    (tmp_path / "tmp" / "tmpold").write_bytes(b"half an upload")
    os.utime(tmp_path / "tmp" / "tmpold", (time.time() - 7200, time.time() - 7200))
    (tmp_path / "tmp" / "tmpnew").write_bytes(b"an upload in flight")
    assert store.sweep_tmp(older_than=time.time() - 3600) == ["tmpold"]
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == ["tmpnew"]
    assert store.open(blob.sha256).read() == b"set aside by a killed sweep"
    assert storage.MemoryContentStore().sweep_tmp(older_than=time.time()) == []


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 bytes"), (1024, "1 KiB"), (50 * 1024 * 1024, "50 MiB"), (1536, "1.5 KiB")]
)
def test_limits_are_written_for_people(size, text):
    assert storage.format_bytes(size) == text
