"""What the content store raises, and what it reads from."""

from __future__ import annotations

from typing import Protocol


class ContentTooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"content exceeds the upload limit of {format_bytes(limit)}")


class BlobNotFound(LookupError):
    pass


class ContentCorrupt(RuntimeError):
    """A stored blob fails authentication: it was altered, truncated or swapped. Nothing of it
    that was not authenticated is ever handed out."""

    def __init__(self, blob_id: str, problem: str) -> None:
        self.blob_id = blob_id
        super().__init__(f"content blob {blob_id}: {problem}")


class ReadableStream(Protocol):
    """What content arrives as: an open file, an upload, a BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
