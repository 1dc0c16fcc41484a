"""The pages' answers to refusals: each is written to the audit trail (the refused transaction
has rolled back by now), then answered as Django answers it. The API's exception handlers do the
same for its operations."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults

from registrum.audit.refusals import Unseen, record_refusal


def _where(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return str(match.view_name) if match is not None else request.path[:200]


def refused(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Every 403 of the pages, recorded with the policy's reason when the policy gave one."""
    if isinstance(exception, PermissionDenied) and getattr(request.user, "is_authenticated", False):
        record_refusal(request.user, exception, where=_where(request))
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Every 404 of the pages; one for a document that exists but may not be read is recorded
    with the policy's reason, the answer staying the same 404."""
    if isinstance(exception, Unseen):
        record_refusal(request.user, exception, where=_where(request))
    return defaults.page_not_found(request, exception if isinstance(exception, Http404) else Http404())
