"""Uploads too large to keep in memory are received into a temporary file sealed under a key that
exists only in this process's memory, never into a plain temporary file: a classified upload does
not leave its plaintext in a temporary folder's free blocks. The service reads it back as a plain
stream (decrypted chunk by chunk) to inspect it and store it under its own data key.

Installed in settings.FILE_UPLOAD_HANDLERS after Django's memory handler (which keeps small uploads
in memory, as before).
"""

from __future__ import annotations

import secrets
import tempfile
from typing import Any, BinaryIO, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from registrum.storage.sealing import SealedReader, SealingWriter


class SealedUploadedFile(UploadedFile):
    def __init__(
        self,
        name: str,
        content_type: str | None,
        size: int,
        charset: str | None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        # Unnamed (unlinked at once): nothing is left behind if the process is killed.
        self._raw = cast(BinaryIO, tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR))  # noqa: SIM115 (closed by close())
        self._key = AESGCM.generate_key(bit_length=256)
        self._id = secrets.token_hex(16)
        self._writer: SealingWriter | None = SealingWriter(self._raw, self._key, self._id)
        super().__init__(self._raw, name, content_type, size, charset, content_type_extra)

    def receive(self, data: bytes) -> None:
        if not (self._writer is not None):
            raise RuntimeError("the upload is complete")
        self._writer.write(data)

    def complete(self, size: int) -> None:
        if not (self._writer is not None):
            raise RuntimeError("the upload is complete")
        self._writer.finish()
        self._writer = None
        self._raw.flush()
        self._raw.seek(0)
        self.file = cast(BinaryIO, SealedReader(self._raw, self._key, self._id))
        self.size = size

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self._raw.close()


class SealedTemporaryUploadHandler(FileUploadHandler):
    """Django's TemporaryFileUploadHandler, with the temporary file sealed."""

    file: SealedUploadedFile

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = SealedUploadedFile(
            self.file_name or "", self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.file.receive(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        self.file.complete(file_size)
        return self.file

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
