from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from registrum.audit.refusals import Unseen, record_refusal
from registrum.org.requests import PersonRequest
from registrum.records import services as records
from registrum.records.models import Registration


def home(request: PersonRequest) -> HttpResponse:
    person = request.user
    recent = list(
        Registration.objects.visible_to(person)
        .select_related("registry", "document")
        .order_by("-registered_at", "-id")[:15]
    )
    return render(
        request,
        "web/home.html",
        {
            "registries": records.registries_for(person),
            "recent": recent,
            "page_level": max((d.level for d in recent), default=0),
        },
    )


def _where(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return str(match.view_name) if match is not None else request.path[:200]


def refused(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Every 403 of the pages: recorded on the audit trail (the refused transaction has rolled
    back by now), then answered as Django does."""
    if isinstance(exception, PermissionDenied) and getattr(request.user, "is_authenticated", False):
        record_refusal(request.user, exception, where=_where(request))
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Every 404 of the pages; one for a document that exists but may not be read is recorded
    with the policy's reason, the answer staying the same 404."""
    if isinstance(exception, Unseen):
        record_refusal(request.user, exception, where=_where(request))
    return defaults.page_not_found(request, exception if isinstance(exception, Http404) else Http404())
