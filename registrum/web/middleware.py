"""Middleware of the web face: upload limit, NUL characters in queries and forms refused, and
no caching of anything the application answers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

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


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class NulCharacterMiddleware:
    """Refuse, with a 400 naming the field, a NUL character in the query or a form: no text in
    Registrum contains one, and PostgreSQL refuses it in any text column (it would surface as a
    server error wherever a code or a name from the request is looked up). A NUL in the path is
    a name nothing can have: the views answer 404, as for any other unknown name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = self._field_with_nul(request)
        if field is not None:
            message = "contains a NUL character"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": [{"field": field, "message": message}]}, status=400)
            return HttpResponse(f"{field}: {message}", status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _field_with_nul(request: HttpRequest) -> str | None:
        sources = [request.GET]
        # The form fields Django parses anyway (CSRF middleware reads them): files are not text.
        if request.method == "POST" and request.content_type in FORM_TYPES:
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return key.replace("\x00", "")[:100] or "?"
        return None


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
