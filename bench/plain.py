"""`registrum` with content encryption and the audit chain replaced by no-ops, for the benchmark's
comparison only:

    python -m bench.plain import FILE.csv --as jsmith ...   (the arguments of `registrum`)

The benchmark measures what security costs (`import_sqlite_security_overhead_pct`) by running
the same command with and without it. No setting of the application turns encryption off: the
plain store exists here, in the benchmark, and is installed with `storage.set_store` inside the
benchmark's own process; the chain's linking is replaced the same way (events are still
written, only not linked). `install()` is the hook.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from registrum.storage import BlobInfo, ContentTooLarge, ReadableStream, StoredBlob

PLAIN_KEK = "plain"


class PlainContentStore:
    """The content store's contract without the cipher: plaintext files named by random ids,
    fingerprinted and synced the same way, so the comparison isolates encryption."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / blob_id[2:4] / blob_id

    def put(self, stream: ReadableStream, *, max_bytes: int | None = None) -> StoredBlob:
        blob_id = secrets.token_hex(16)
        path = self._path(blob_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    out.close()
                    path.unlink()
                    raise ContentTooLarge(max_bytes)
                hasher.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        return StoredBlob(blob_id, hasher.hexdigest(), size, PLAIN_KEK, b"")

    def open(self, blob_id: str, kek_id: str, wrapped_key: bytes) -> BinaryIO:
        return self._path(blob_id).open("rb")

    def exists(self, blob_id: str) -> bool:
        return self._path(blob_id).exists()

    def delete(self, blob_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(blob_id).unlink()

    def iter_blobs(self) -> Iterator[BlobInfo]:
        for path in sorted(self.root.glob("*/*/*")):
            st = path.stat()
            yield BlobInfo(path.name, st.st_mtime, st.st_size)

    def discard(self, blob_id: str, *, stored_before: float, keep: Callable[[str], bool]) -> bool:
        path = self._path(blob_id)
        if path.exists() and path.stat().st_mtime < stored_before and not keep(blob_id):
            path.unlink()
            return True
        return False

    def sweep_tmp(self, *, older_than: float) -> list[str]:
        return []


def install() -> None:
    """Replace content encryption with the plain store in this process (Django set up)."""
    from django.conf import settings

    from registrum import storage
    from registrum.audit import chain

    storage.set_store(PlainContentStore(Path(settings.REGISTRUM_CONTENT_DIR) / "plain"))
    chain.chain_after_commit = lambda since: None


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registrum.settings")
    import django

    django.setup()
    install()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["registrum", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
