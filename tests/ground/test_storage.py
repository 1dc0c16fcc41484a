"""The content store: sealed under a key of its own per blob, named by opaque ids, fingerprinted,
bounded, and clean after a failure."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time

import pytest

from registrum import storage


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path):
    return storage.LocalContentStore(tmp_path) if request.param == "local" else storage.MemoryContentStore()


def read(store, blob):
    with store.open(blob.blob_id, blob.kek_id, blob.wrapped_key) as stream:
        return stream.read()


def test_put_fingerprints_and_open_reads_back(store):
    blob = store.put(io.BytesIO(b"NATO UNCLASSIFIED content"))
    assert blob.sha256 == hashlib.sha256(b"NATO UNCLASSIFIED content").hexdigest()
    assert blob.size == 25
    assert len(blob.blob_id) == 32 and blob.blob_id != blob.sha256[:32]
    assert read(store, blob) == b"NATO UNCLASSIFIED content"


def test_identical_content_is_two_blobs_under_two_keys(store):
    """Each version can be destroyed alone: its own blob, its own data key."""
    a = store.put(io.BytesIO(b"the same bytes"))
    b = store.put(io.BytesIO(b"the same bytes"))
    assert a.sha256 == b.sha256
    assert a.blob_id != b.blob_id and a.wrapped_key != b.wrapped_key
    assert [x.blob_id for x in store.iter_blobs()] == sorted([a.blob_id, b.blob_id])
    assert read(store, a) == read(store, b) == b"the same bytes"


def test_content_over_the_limit_is_refused_and_not_kept(store, tmp_path):
    with pytest.raises(storage.ContentTooLarge, match="limit of 10 bytes"):
        store.put(io.BytesIO(b"x" * 11), max_bytes=10)
    assert list(store.iter_blobs()) == []
    if isinstance(store, storage.LocalContentStore):
        assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_unknown_or_malformed_id_is_not_found(store):
    blob = store.put(io.BytesIO(b"x"))
    with pytest.raises(storage.BlobNotFound):
        store.open("0" * 32, blob.kek_id, blob.wrapped_key)
    with pytest.raises(storage.BlobNotFound):
        store.open("../../etc/passwd", blob.kek_id, blob.wrapped_key)


def test_a_wrapped_key_opens_its_own_blob_only(store):
    a = store.put(io.BytesIO(b"first"))
    b = store.put(io.BytesIO(b"second"))
    with pytest.raises(storage.KeyringError, match="does not open the stored data key"):
        store.open(a.blob_id, b.kek_id, b.wrapped_key)


def test_a_failed_change_leaves_its_content_for_the_sweep(store):
    storage.set_store(store)
    try:
        seen = []

        def failing_change():
            with storage.staged(io.BytesIO(b"content of a failed change")) as blob:
                seen.append(blob)
                raise RuntimeError("this registration failed")

        with pytest.raises(RuntimeError):
            failing_change()
        assert [x.blob_id for x in store.iter_blobs()] == [seen[0].blob_id]
    finally:
        storage.set_store(None)


def age(store, blob_id, seconds):
    """Make a blob look stored `seconds` ago."""
    then = time.time() - seconds
    if isinstance(store, storage.LocalContentStore):
        os.utime(store._path(blob_id), (then, then))
    else:
        store.stored_at[blob_id] = then


def test_iter_blobs_lists_ids_with_time_and_size_and_nothing_else(store, tmp_path):
    before = time.time() - 1
    a = store.put(io.BytesIO(b"first"))
    b = store.put(io.BytesIO(b"second, longer"))
    if isinstance(store, storage.LocalContentStore):
        (tmp_path / "tmp" / "tmp-leftover").write_bytes(b"half")
        (tmp_path / "README").write_text("not content")
        (tmp_path / "ab" / "cd").mkdir(parents=True)
        (tmp_path / "ab" / "cd" / ("ab" + "0" * 30)).write_bytes(b"misplaced")  # fan-out mismatch
    listed = list(store.iter_blobs())
    # sealed: an 8-byte header and a 16-byte tag around each (single) chunk
    assert [(x.blob_id, x.size) for x in listed] == sorted([(a.blob_id, 5 + 24), (b.blob_id, 14 + 24)])
    assert all(before < x.mtime <= time.time() for x in listed)


def test_discard_removes_only_old_content_nobody_keeps(store):
    old = store.put(io.BytesIO(b"old and unreferenced"))
    kept = store.put(io.BytesIO(b"old but referenced"))
    fresh = store.put(io.BytesIO(b"just stored"))
    age(store, old.blob_id, 7200)
    age(store, kept.blob_id, 7200)
    cutoff = time.time() - 3600
    asked = []

    def keep(blob_id):
        asked.append(blob_id)
        return blob_id == kept.blob_id

    assert store.discard(old.blob_id, stored_before=cutoff, keep=keep) is True
    assert store.discard(kept.blob_id, stored_before=cutoff, keep=keep) is False
    assert store.discard(fresh.blob_id, stored_before=cutoff, keep=keep) is False
    assert store.discard("f" * 32, stored_before=cutoff, keep=keep) is False
    assert not store.exists(old.blob_id)
    assert read(store, kept) == b"old but referenced"
    assert read(store, fresh) == b"just stored"
    assert kept.blob_id in asked


def test_discard_puts_content_back_when_the_reference_check_fails(tmp_path):
    store = storage.LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"precious"))

    def keep(blob_id):
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        store.discard(blob.blob_id, stored_before=time.time() + 1, keep=keep)
    assert read(store, blob) == b"precious"


def test_content_referenced_while_a_discard_judges_it_survives(tmp_path):
    store = storage.LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"committed right now"))
    committed = []

    def keep(blob_id):
        committed.append(blob_id)  # the version referring to it commits while it is set aside
        return True

    assert store.discard(blob.blob_id, stored_before=time.time() + 1, keep=keep) is False
    assert committed == [blob.blob_id]
    assert read(store, blob) == b"committed right now"


def test_sweep_tmp_removes_old_leftovers_and_restores_set_aside_content(tmp_path):
    store = storage.LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"set aside by a killed sweep"))
    (tmp_path / "held").mkdir()
    os.rename(store._path(blob.blob_id), tmp_path / "held" / blob.blob_id)
    (tmp_path / "tmp" / "tmpold").write_bytes(b"half an upload")
    os.utime(tmp_path / "tmp" / "tmpold", (time.time() - 7200, time.time() - 7200))
    (tmp_path / "tmp" / "tmpnew").write_bytes(b"an upload in flight")
    assert store.sweep_tmp(older_than=time.time() - 3600) == ["tmpold"]
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == ["tmpnew"]
    assert read(store, blob) == b"set aside by a killed sweep"
    assert storage.MemoryContentStore().sweep_tmp(older_than=time.time()) == []


def test_content_files_and_folders_are_the_service_accounts_only(tmp_path):
    old_umask = os.umask(0o022)  # a usual umask would leave them world-readable
    try:
        store = storage.LocalContentStore(tmp_path / "content")
        blob = store.put(io.BytesIO(b"NATO SECRET"))
    finally:
        os.umask(old_umask)
    path = store._path(blob.blob_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent, tmp_path / "content", tmp_path / "content" / "tmp"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 bytes"), (1024, "1 KiB"), (50 * 1024 * 1024, "50 MiB"), (1536, "1.5 KiB")]
)
def test_limits_are_written_for_people(size, text):
    assert storage.format_bytes(size) == text
