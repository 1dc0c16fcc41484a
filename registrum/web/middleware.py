"""Refuse an oversized upload before its body is read, with a 413 that names the limit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from registrum.httpkit import too_large_response

# Room for the form fields and multipart boundaries around the file itself.
FORM_OVERHEAD = 64 * 1024


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REGISTRUM_MAX_UPLOAD_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + FORM_OVERHEAD:
            return too_large_response(request, limit)
        return self.get_response(request)
