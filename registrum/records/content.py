"""Accepted content types and the check that content looks like what its name says."""

from __future__ import annotations

import zipfile
from pathlib import PurePath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from registrum.storage import ReadableStream

MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".eml": "message/rfc822",
    ".txt": "text/plain",
}


class UnsupportedContent(ValueError):
    pass


def media_type_for(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    try:
        return MEDIA_TYPES[suffix]
    except KeyError:
        accepted = ", ".join(sorted(MEDIA_TYPES))
        raise UnsupportedContent(
            _("%(filename)s: unsupported type %(type)s (accepted: %(accepted)s)")
            % {"filename": repr(filename), "type": suffix or _("(none)"), "accepted": accepted}
        ) from None


def inspect(stream: ReadableStream, media_type: str) -> str:
    """A warning when the content does not look like its type, else ''. Never raises: a broken
    file is kept as received and flagged, not refused. The warning is stored in English (marked
    with gettext_noop) and translated where it is shown."""
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    if media_type == "application/pdf":
        if not head.startswith(b"%PDF-"):
            return gettext_noop("does not start with a PDF header")
        try:
            import pypdfium2

            stream.seek(0)
            # pdfium reads the stream on demand: a 50 MiB PDF is never whole in memory.
            pdf = pypdfium2.PdfDocument(stream, autoclose=False)
            pages = len(pdf)
            pdf.close()
            return "" if pages else gettext_noop("PDF has no pages")
        except Exception:  # pdfium raises its own error types for every kind of damage
            return gettext_noop("PDF is damaged and cannot be opened")
        finally:
            stream.seek(0)
    if media_type.endswith("wordprocessingml.document"):
        try:
            with zipfile.ZipFile(stream) as archive:
                if "word/document.xml" not in archive.namelist():
                    return gettext_noop("not a Word document (no word/document.xml)")
        except zipfile.BadZipFile:
            return gettext_noop("not a Word document (not a ZIP archive)")
        finally:
            stream.seek(0)
        return ""
    if media_type in ("text/plain", "message/rfc822"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a cut multibyte character at the end is fine
                return gettext_noop("text is not UTF-8")
        if media_type == "message/rfc822" and b":" not in head.split(b"\n", 1)[0]:
            return gettext_noop("does not start with a mail header")
    return ""
