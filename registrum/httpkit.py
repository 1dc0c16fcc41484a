"""HTTP helpers shared by the faces (pages and API); no domain knowledge."""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.debug import SafeExceptionReporterFilter

from registrum.storage import format_bytes

__all__ = ["RefusalWithoutTraceback", "SecretsHiddenFilter", "too_large_response"]


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    """413 that names the limit, in JSON for the API and plain text for pages."""
    message = _("The upload exceeds the limit of %(limit)s.") % {"limit": format_bytes(limit)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "limit_bytes": limit}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class RefusalWithoutTraceback(logging.Filter):
    """On the django.request logger: a refused request (4xx: 403 for a refused action, 404 for
    what one may not see) is normal operation, logged in its one line, without the traceback of
    the PermissionDenied or Http404 that made it. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class SecretsHiddenFilter(SafeExceptionReporterFilter):
    """Error reports (a DEBUG page, a mailed traceback) hide Django's usual secrets and also the
    key-encryption key and anything named like one (REGISTRUM_KEK in the environment a
    development server passes on in request.META), and the acting password of `registrum org`."""

    hidden_settings = re.compile("API|AUTH|TOKEN|KEY|KEK|SECRET|PASS|SIGNATURE|HTTP_COOKIE", flags=re.I)
