"""HTTP helpers shared by the faces (pages and API); no domain knowledge."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from registrum.storage import format_bytes

__all__ = ["too_large_response"]


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    """413 that names the limit, in JSON for the API and plain text for pages."""
    message = _("The upload exceeds the limit of %(limit)s.") % {"limit": format_bytes(limit)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "limit_bytes": limit}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
