"""The sealed blob format: content encrypted with AES-256-GCM in chunks, streamed both ways.

    header   8 bytes  b"RGSEAL" + format (1) + chunk size as log2 (20 = 1 MiB)
    chunks   each AES-GCM(plaintext chunk) + 16-byte tag; every chunk is full but the last

Every blob has its own random data key, used for that blob only, so the nonce can be the chunk's
index. Each chunk's AAD binds the header, the blob's id, the chunk's index and whether it is the
final one: altering, reordering, truncating (at a chunk boundary too) or swapping in another
blob's chunks fails authentication, and the reader raises `ContentCorrupt` instead of handing out
anything unauthenticated.
"""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registrum.storage.errors import ContentCorrupt, ContentTooLarge, ReadableStream

MAGIC = b"RGSEAL"
FORMAT = 1
CHUNK_LOG2 = 20
CHUNK = 1 << CHUNK_LOG2
HEADER_SIZE = len(MAGIC) + 2
TAG = 16


def header(chunk_log2: int = CHUNK_LOG2) -> bytes:
    return MAGIC + bytes([FORMAT, chunk_log2])


def _nonce(index: int) -> bytes:
    return b"\x00\x00\x00\x00" + index.to_bytes(8, "big")


def _aad(head: bytes, blob_id: str, index: int, final: bool) -> bytes:
    return head + blob_id.encode() + b"\x00" + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def _read_full(stream: ReadableStream, size: int) -> bytes:
    """Exactly `size` bytes unless the stream ends first (uploads may return short reads)."""
    first = stream.read(size)
    if len(first) == size or not first:
        return bytes(first)
    parts = [first]
    got = len(first)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def seal(
    stream: ReadableStream,
    out: BinaryIO,
    key: bytes,
    blob_id: str,
    *,
    max_bytes: int | None = None,
    chunk_log2: int = CHUNK_LOG2,
) -> tuple[str, int]:
    """Encrypt `stream` into `out` chunk by chunk; return the plaintext's SHA-256 and size.
    At most two plaintext chunks are in memory (one read ahead, to know which is the last)."""
    aead = AESGCM(key)
    head = header(chunk_log2)
    chunk_size = 1 << chunk_log2
    out.write(head)
    hasher = hashlib.sha256()
    size = 0
    index = 0
    current = _read_full(stream, chunk_size)
    while True:
        size += len(current)
        if max_bytes is not None and size > max_bytes:
            raise ContentTooLarge(max_bytes)
        following = _read_full(stream, chunk_size) if len(current) == chunk_size else b""
        final = not following
        hasher.update(current)
        out.write(aead.encrypt(_nonce(index), current, _aad(head, blob_id, index, final)))
        if final:
            return hasher.hexdigest(), size
        current = following
        index += 1


class SealingWriter:
    """Seals content that arrives in pieces of any size (an upload, chunk by chunk from the
    network) into `out`; `finish()` seals the last chunk. At most one chunk is held in memory."""

    def __init__(self, out: BinaryIO, key: bytes, blob_id: str, *, chunk_log2: int = CHUNK_LOG2) -> None:
        self._out = out
        self._aead = AESGCM(key)
        self._head = header(chunk_log2)
        self._chunk = 1 << chunk_log2
        self._blob_id = blob_id
        self._index = 0
        self._pending = bytearray()
        out.write(self._head)

    def _seal(self, piece: bytes, final: bool) -> None:
        self._out.write(
            self._aead.encrypt(_nonce(self._index), piece, _aad(self._head, self._blob_id, self._index, final))
        )
        self._index += 1

    def write(self, data: bytes) -> None:
        self._pending += data
        # A full chunk is sealed only once more follows: the last one carries the final flag.
        while len(self._pending) > self._chunk:
            self._seal(bytes(self._pending[: self._chunk]), final=False)
            del self._pending[: self._chunk]

    def finish(self) -> None:
        self._seal(bytes(self._pending), final=True)
        self._pending = bytearray()


def seal_bytes(data: bytes, key: bytes, blob_id: str) -> bytes:
    out = io.BytesIO()
    seal(io.BytesIO(data), out, key, blob_id)
    return out.getvalue()


class SealedReader(io.RawIOBase):
    """A read-only, seekable file over a sealed blob that decrypts one chunk at a time.

    The first chunk is authenticated on opening, so a damaged or swapped blob is refused before a
    download starts; a later chunk that fails raises `ContentCorrupt` where it is read.
    """

    def __init__(self, raw: BinaryIO, key: bytes, blob_id: str) -> None:
        super().__init__()
        self._raw = raw
        self._blob_id = blob_id
        try:
            head = raw.read(HEADER_SIZE)
            if len(head) != HEADER_SIZE or not head.startswith(MAGIC) or head[len(MAGIC)] != FORMAT:
                raise ContentCorrupt(blob_id, "not a sealed Registrum blob (bad header)")
            chunk_log2 = head[len(MAGIC) + 1]
            if not 12 <= chunk_log2 <= 26:
                raise ContentCorrupt(blob_id, "not a sealed Registrum blob (bad chunk size)")
            self._head = head
            self._chunk = 1 << chunk_log2
            sealed = self._raw_size() - HEADER_SIZE
            self._chunks = max(1, -(-sealed // (self._chunk + TAG)))
            self._size = sealed - self._chunks * TAG
            last = sealed - (self._chunks - 1) * (self._chunk + TAG)
            if sealed < TAG or last < TAG:
                raise ContentCorrupt(blob_id, "truncated")
            self._aead = AESGCM(key)
            self._pos = 0
            self._loaded = -1
            self._plain = b""
            self._load(0)
        except BaseException:
            raw.close()
            raise

    def _raw_size(self) -> int:
        try:
            return os.fstat(self._raw.fileno()).st_size
        except (AttributeError, OSError, io.UnsupportedOperation):
            here = self._raw.tell()
            end = self._raw.seek(0, io.SEEK_END)
            self._raw.seek(here)
            return end

    @property
    def size(self) -> int:
        """The plaintext's size."""
        return self._size

    def _load(self, index: int) -> None:
        if index == self._loaded:
            return
        self._raw.seek(HEADER_SIZE + index * (self._chunk + TAG))
        sealed = self._raw.read(self._chunk + TAG)
        final = index == self._chunks - 1
        try:
            self._plain = self._aead.decrypt(_nonce(index), sealed, _aad(self._head, self._blob_id, index, final))
        except InvalidTag:
            self._loaded, self._plain = -1, b""
            raise ContentCorrupt(
                self._blob_id, f"chunk {index} fails authentication (altered, truncated, reordered or another blob's)"
            ) from None
        self._loaded = index

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        index, offset = divmod(self._pos, self._chunk)
        self._load(index)
        piece = self._plain[offset : offset + len(buffer)]
        n = len(piece)
        memoryview(buffer).cast("B")[:n] = piece
        self._pos += n
        return n

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            return self.readall()
        parts = []
        while size > 0 and self._pos < self._size:
            index, offset = divmod(self._pos, self._chunk)
            self._load(index)
            piece = self._plain[offset : offset + size]
            parts.append(piece)
            self._pos += len(piece)
            size -= len(piece)
        return b"".join(parts)

    def readall(self) -> bytes:
        return self.read(max(0, self._size - self._pos))

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
            self._plain = b""
        super().close()
