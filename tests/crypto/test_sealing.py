"""The sealed format: what was written reads back, in any order of reads, and anything altered,
truncated, reordered or swapped is refused with a clear error, never handed out."""

from __future__ import annotations

import io
import os
import tracemalloc

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from registrum import storage
from registrum.storage import sealing

SMALL = 12  # 4 KiB chunks, so a few KiB cover every boundary case
CHUNK = 1 << SMALL
KEY = AESGCM.generate_key(bit_length=256)
BLOB = "0123456789abcdef0123456789abcdef"


def sealed(data: bytes, blob_id: str = BLOB, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    sealing.seal(io.BytesIO(data), out, key, blob_id, chunk_log2=SMALL)
    return out.getvalue()


def opened(blob: bytes, blob_id: str = BLOB, key: bytes = KEY) -> sealing.SealedReader:
    return sealing.SealedReader(io.BytesIO(blob), key, blob_id)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17])
def test_round_trip_at_every_chunk_boundary(size):
    data = os.urandom(size)
    blob = sealed(data)
    chunks = max(1, -(-size // CHUNK))
    assert len(blob) == sealing.HEADER_SIZE + size + 16 * chunks
    reader = opened(blob)
    assert reader.size == size
    assert reader.read() == data
    assert reader.read() == b""


@given(
    data=st.binary(min_size=0, max_size=3 * CHUNK + 100),
    reads=st.lists(st.tuples(st.integers(0, 4 * CHUNK), st.integers(0, 2 * CHUNK)), max_size=8),
)
def test_random_access_reads_what_was_written(data, reads):
    reader = opened(sealed(data))
    for offset, length in reads:
        assert reader.seek(offset) == offset
        assert reader.read(length) == data[offset : offset + length]
    reader.seek(0, io.SEEK_END)
    assert reader.tell() == len(data)


def test_the_plaintext_appears_nowhere_in_the_blob():
    data = b"NATO SECRET token-7f3a" * 500
    assert b"token-7f3a" not in sealed(data)


def corrupt_then_read(blob: bytes) -> bytes:
    return opened(blob).read()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], id="a flipped bit"),
        pytest.param(lambda b: b[: sealing.HEADER_SIZE + 2 * (CHUNK + 16)], id="cut at a chunk boundary"),
        pytest.param(lambda b: b[:-1], id="last byte cut"),
        pytest.param(lambda b: b[: sealing.HEADER_SIZE], id="header only"),
        pytest.param(
            lambda b: (
                b[: sealing.HEADER_SIZE]
                + b[sealing.HEADER_SIZE + CHUNK + 16 : sealing.HEADER_SIZE + 2 * (CHUNK + 16)]
                + b[sealing.HEADER_SIZE : sealing.HEADER_SIZE + CHUNK + 16]
                + b[sealing.HEADER_SIZE + 2 * (CHUNK + 16) :]
            ),
            id="chunks reordered",
        ),
        pytest.param(lambda b: b"XX" + b[2:], id="bad magic"),
        pytest.param(lambda b: b[:7] + bytes([13]) + b[8:], id="chunk size altered"),
    ],
)
def test_damage_is_refused_by_name(damage):
    blob = sealed(os.urandom(3 * CHUNK + 5))
    with pytest.raises(storage.ContentCorrupt, match=f"content blob {BLOB}"):
        corrupt_then_read(damage(blob))


def test_a_blob_under_another_id_or_key_is_refused():
    blob = sealed(b"first blob")
    with pytest.raises(storage.ContentCorrupt, match="fails authentication"):
        opened(blob, blob_id="f" * 32)
    with pytest.raises(storage.ContentCorrupt):
        opened(blob, key=AESGCM.generate_key(bit_length=256))


def test_a_later_damaged_chunk_fails_where_it_is_read_after_good_chunks():
    data = os.urandom(3 * CHUNK)
    blob = bytearray(sealed(data))
    blob[sealing.HEADER_SIZE + 2 * (CHUNK + 16) + 5] ^= 0xFF  # the third chunk
    reader = opened(bytes(blob))
    assert reader.read(2 * CHUNK) == data[: 2 * CHUNK]  # authenticated chunks only
    with pytest.raises(storage.ContentCorrupt, match="chunk 2"):
        reader.read(1)


def test_a_50_mib_put_and_read_never_hold_the_content_in_memory(tmp_path):
    class Zeros:
        def __init__(self, size: int) -> None:
            self.left = size

        def read(self, size: int = -1, /) -> bytes:
            n = self.left if size < 0 else min(size, self.left)
            self.left -= n
            return bytes(n)

        def seek(self, offset: int, whence: int = 0, /) -> int:
            raise io.UnsupportedOperation

    store = storage.LocalContentStore(tmp_path)
    tracemalloc.start()
    try:
        blob = store.put(Zeros(50 << 20))
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with store.open(blob.blob_id, blob.kek_id, blob.wrapped_key) as stream:
            while stream.read(64 * 1024):
                pass
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob.size == 50 << 20
    assert put_peak < 8 << 20, put_peak  # a few 1 MiB chunks, never the 50 MiB
    assert read_peak < 8 << 20, read_peak
