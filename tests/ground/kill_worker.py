"""A registration killed with SIGKILL while it stores content, before anything commits.

    python -m tests.ground.kill_worker DATABASE_URL CONTENT_ROOT after-put|mid-upload

after-put   the content is fully stored, then the process dies before its transaction
mid-upload  the process dies half-way through receiving the content (a temporary file remains)

Run from the repository root against the test database (see tests/conftest.py `database_url`).
"""

from __future__ import annotations

import io
import os
import signal
import sys
from pathlib import Path
from typing import Any

CONTENT = b"NATO UNCLASSIFIED\nContent of a registration that never committed.\n"


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _DiesAfterFirstChunk:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.reads = 0

    def read(self, size: int = -1, /) -> bytes:
        self.reads += 1
        if self.reads > 1:
            _die()
        return bytes(self.stream.read(size))

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return int(self.stream.seek(offset, whence))


def main(db_url: str, content_root: str, mode: str) -> None:
    os.environ["REGISTRUM_DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    import django

    django.setup()
    from registrum import storage
    from registrum.org.models import Person, Registry
    from registrum.policy import Level
    from registrum.records import services
    from registrum.records.registration import RegistrationData

    class KilledStore(storage.LocalContentStore):
        def put(self, stream: storage.ReadableStream, *, max_bytes: int | None = None) -> storage.StoredBlob:
            if mode == "mid-upload":
                stream = _DiesAfterFirstChunk(stream)
            blob = super().put(stream, max_bytes=max_bytes)
            _die()  # stored, not committed
            return blob

    storage.set_store(KilledStore(Path(content_root)))
    clerk = Person.objects.select_related("clearance", "unit").get(username="clerk")
    data = RegistrationData(
        registry=Registry.objects.get(code="IMS-REG"),
        direction="IN",
        originator="SHAPE",
        subject="registration killed half-way",
        level=Level.NR,
        subject_level=Level.NU,
    )
    services.register_document(clerk, data, upload=services.Upload("killed.txt", io.BytesIO(CONTENT)))
    sys.exit("the registration was not killed")


if __name__ == "__main__":
    main(*sys.argv[1:4])
