"""A large upload is received into a sealed temporary file: its plaintext never reaches the
temporary folder, and the service reads it back as received."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler

from registrum.storage import sealing
from registrum.storage.uploads import SealedTemporaryUploadHandler


def receive(content: bytes, piece: int = 64 * 1024) -> SealedTemporaryUploadHandler:
    handler = SealedTemporaryUploadHandler()
    handler.new_file("content", "annex.txt", "text/plain", len(content))
    for start in range(0, len(content), piece):
        assert handler.receive_data_chunk(content[start : start + piece], start) is None
    handler.file_complete(len(content))
    return handler


def test_a_large_upload_is_sealed_on_disk_and_reads_back_as_received():
    token = b"UPLOADTOKEN-" + secrets.token_hex(8).encode()
    content = token + os.urandom(3 * sealing.CHUNK) + token
    upload = receive(content).file
    raw = upload._raw
    raw.seek(0)
    on_disk = raw.read()
    assert token not in on_disk and len(on_disk) == sealing.HEADER_SIZE + len(content) + 4 * sealing.TAG
    assert (upload.name, upload.size) == ("annex.txt", len(content))
    upload.seek(0)
    assert upload.read() == content
    upload.seek(len(content) - len(token))
    assert upload.read() == token
    upload.close()


def test_pieces_of_any_size_and_exact_chunk_multiples_read_back():
    for content in (b"", b"x", bytes(sealing.CHUNK), os.urandom(2 * sealing.CHUNK)):
        for piece in (1000, sealing.CHUNK, 3 * sealing.CHUNK):
            upload = receive(content, piece).file
            upload.seek(0)
            assert upload.read() == content
            upload.close()


def test_the_site_receives_large_uploads_with_the_sealed_handler_only():
    handlers = list(settings.FILE_UPLOAD_HANDLERS)
    # Small uploads stay in memory (under FILE_UPLOAD_MAX_MEMORY_SIZE); larger ones are sealed.
    assert handlers == [
        f"{MemoryFileUploadHandler.__module__}.MemoryFileUploadHandler",
        f"{SealedTemporaryUploadHandler.__module__}.SealedTemporaryUploadHandler",
    ]
