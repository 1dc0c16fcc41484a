"""Middleware of the web face: upload limit, and no caching of anything the application answers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from registrum.httpkit import too_large_response

# Room for the form fields and multipart boundaries around the file itself.
FORM_OVERHEAD = 64 * 1024


class UploadLimitMiddleware:
    """Refuse an oversized upload before its body is read, with a 413 that names the limit."""

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


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every page, download and API answer, so that a classified page
    does not stay in a browser's or a proxy's cache after the reader signs out. A view showing
    nothing classified (the level colours) may set a Cache-Control of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response
