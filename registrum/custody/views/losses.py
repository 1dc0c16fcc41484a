"""Pages: loss and compromise reports of a registry (report one), a report's page (the
investigation, its outcome, the people told, a copy found again)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.custody import losses
from registrum.custody.models.losses import LossKind, LossState
from registrum.custody.views._staff import staffed_registries, staffed_registry
from registrum.org.requests import PersonRequest
from registrum.policy.custody import control_officer_of


@require_http_methods(["GET", "POST"])
def loss_list(request: PersonRequest) -> HttpResponse:
    person = request.user
    registry = staffed_registry(person, request.GET.get("registry"), "list_loss_reports")
    values = {k: request.POST.get(k, "") for k in ("copies", "kind", "circumstances")}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            report = losses.report_loss(
                person,
                registry,
                values["copies"].split(),
                kind=values["kind"] or LossKind.LOSS,
                circumstances=values["circumstances"],
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Report %(id)s recorded.") % {"id": report.public_id})
            return redirect("custody:loss", public_id=report.public_id)
    return render(
        request,
        "custody/loss_list.html",
        {
            "registry": registry,
            "registries": staffed_registries(person),
            "reports": list(losses.reports_of(person, registry)[:100]),
            "kinds": LossKind.choices,
            "values": values,
            "errors": errors,
            "page_level": 0,
        },
        status=400 if errors else 200,
    )


def loss_page(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    report = losses.get_report(person, public_id)
    copies = losses.report_copies(person, report)
    return render(
        request,
        "custody/loss_detail.html",
        {
            "report": report,
            "copies": copies,
            "next_states": [(s, LossState(s).label) for s in losses.NEXT_STATES[report.state]],
            "officer": bool(control_officer_of(person.subject(), report.registry_id)),
            "page_level": max((c.level for c in copies), default=0),
        },
    )


@require_POST
def loss_update(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        losses.update_report(
            request.user,
            public_id,
            state=request.POST.get("state", ""),
            outcome=request.POST.get("outcome", ""),
            people_told=request.POST.get("people_told", ""),
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Report updated."))
    return redirect("custody:loss", public_id=public_id)


@require_POST
def loss_found(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        copy = losses.copy_found(request.user, public_id, request.POST.get("copy", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Copy No. %(number)s of %(total)s is held again.") % {"number": copy.number, "total": copy.of_total},
        )
    return redirect("custody:loss", public_id=public_id)


urlpatterns: list[URLPattern] = [
    path("losses/", loss_list, name="losses"),
    path("losses/<str:public_id>/", loss_page, name="loss"),
    path("losses/<str:public_id>/update/", loss_update, name="loss_update"),
    path("losses/<str:public_id>/found/", loss_found, name="loss_found"),
]
