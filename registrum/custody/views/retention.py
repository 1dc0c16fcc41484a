"""Pages: the disposition queue and its decisions, holds, and the 30-year disclosure review."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.custody import retention
from registrum.custody.views.regrading import parse_date
from registrum.org.requests import PersonRequest


def _destruction_url() -> str:
    """The destruction proposals page, when the destruction part is installed."""
    try:
        return reverse("custody:destruction_new")
    except NoReverseMatch:
        return ""


def disposition(request: PersonRequest) -> HttpResponse:
    items = retention.disposition_queue(request.user)
    return render(
        request,
        "custody/retention_queue.html",
        {
            "items": items,
            "destruction_url": _destruction_url(),
            "today": timezone.localdate(),
            "page_level": max((i.document.level for i in items), default=0),
        },
    )


@require_POST
def decide(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        decision = retention.decide_disposition(
            request.user,
            public_id,
            action=request.POST.get("action", ""),
            review_on=parse_date(request.POST.get("review_on", ""), "review_on"),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(
            request, _("Decided for %(id)s: %(action)s.") % {"id": public_id, "action": decision.get_action_display()}
        )
    return redirect("custody:disposition")


@require_http_methods(["GET", "POST"])
def holds(request: PersonRequest) -> HttpResponse:
    person = request.user
    errors: dict[str, list[str]] = {}
    values = {"document": "", "file": "", "reason": ""}
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in values}
        try:
            retention.place_hold(
                person,
                reason=values["reason"],
                document_public_id=values["document"] or None,
                file_code=values["file"] or None,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": list(exc.messages)}
        else:
            messages.success(request, _("Hold placed."))
            return redirect("custody:holds")
    shown = retention.holds_for(person, include_lifted=True)
    return render(
        request,
        "custody/retention_holds.html",
        {
            "holds": shown,
            "errors": errors,
            "values": values,
            "page_level": max((h.document.level for h in shown if h.document is not None), default=0),
        },
        status=400 if errors else 200,
    )


@require_POST
def lift(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        retention.lift_hold(request.user, public_id, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Hold lifted."))
    return redirect("custody:holds")


def disclosure(request: PersonRequest) -> HttpResponse:
    documents = retention.disclosure_queue(request.user)
    return render(
        request,
        "custody/retention_disclosure.html",
        {
            "documents": documents,
            "years": retention.DISCLOSURE_REVIEW_YEARS,
            "page_level": max((d.level for d in documents), default=0),
        },
    )


@require_POST
def disclosure_decide(request: PersonRequest, public_id: str) -> HttpResponse:
    raw_years = request.POST.get("review_in_years", "").strip()
    try:
        retention.decide_disclosure(
            request.user,
            public_id,
            disclose=request.POST.get("decision") == "disclose",
            authority=request.POST.get("authority", ""),
            review_in_years=int(raw_years) if raw_years.isdigit() else None,
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Decided for %(id)s.") % {"id": public_id})
    return redirect("custody:disclosure")


urlpatterns: list[URLPattern] = [
    path("disposition/", disposition, name="disposition"),
    path("disposition/<str:public_id>/decide/", decide, name="disposition_decide"),
    path("holds/", holds, name="holds"),
    path("holds/<str:public_id>/lift/", lift, name="hold_lift"),
    path("disclosure/", disclosure, name="disclosure"),
    path("disclosure/<str:public_id>/decide/", disclosure_decide, name="disclosure_decide"),
]
