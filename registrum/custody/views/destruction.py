"""Pages: destructions of a registry, proposing one from the holdings, a destruction with its
approval and signatures (each signer in their own session), and its certificate."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.custody import destruction as service
from registrum.custody.common import require_staff
from registrum.custody.copies import holdings
from registrum.custody.models import CopyStatus
from registrum.custody.models.destruction import DestructionState
from registrum.org.models import Registry
from registrum.org.requests import PersonRequest
from registrum.policy.custody import control_officer_of, custody_staff


def _registry(code: str) -> Registry:
    return get_object_or_404(Registry, code=code.upper())


def destruction_list(request: PersonRequest, code: str) -> HttpResponse:
    registry = _registry(code)
    destructions = list(service.destructions_of(request.user, registry)[:200])
    return render(
        request,
        "custody/destruction_list.html",
        {"registry": registry, "destructions": destructions, "page_level": 0},
    )


@require_http_methods(["GET", "POST"])
def destruction_new(request: PersonRequest, code: str) -> HttpResponse:
    person = request.user
    registry = _registry(code)
    require_staff(person, registry, "propose_destruction")
    candidates = list(holdings(person, registry).filter(status=CopyStatus.HELD)[:1000])
    errors: dict[str, list[str]] = {}
    chosen = set(request.POST.getlist("copies"))
    if request.method == "POST":
        try:
            destruction = service.propose_destruction(
                person,
                registry,
                request.POST.getlist("copies"),
                request.POST.get("reason", ""),
                method=request.POST.get("method", ""),
                destroy_electronic=request.POST.get("destroy_electronic") == "on",
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Destruction %(number)s proposed.") % {"number": destruction.number})
            return redirect("custody:destruction_detail", public_id=destruction.public_id)
    return render(
        request,
        "custody/destruction_new.html",
        {
            "registry": registry,
            "candidates": candidates,
            "chosen": chosen,
            "values": request.POST,
            "errors": errors,
            "page_level": max((c.level for c in candidates), default=0),
        },
        status=400 if errors else 200,
    )


def destruction_detail(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    destruction = service.get_destruction(person, public_id)
    lines = service.certificate_lines(person, destruction)
    signatures = list(destruction.signatures.select_related("person"))
    subject = person.subject()
    open_for_signing = destruction.state in (DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES)
    signed = any(s.person_id == person.pk for s in signatures)
    return render(
        request,
        "custody/destruction_detail.html",
        {
            "destruction": destruction,
            "lines": lines,
            "hidden": destruction.items.count() - len(lines),
            "signatures": signatures,
            "may_decide": destruction.state == DestructionState.PROPOSED
            and bool(control_officer_of(subject, destruction.registry_id)),
            "may_sign": open_for_signing and not signed,
            "signing_as": _("destroyer") if not signatures else _("witness"),
            "may_dispose": destruction.state == DestructionState.COMPLETED
            and bool(control_officer_of(subject, destruction.registry_id)),
            "is_staff": bool(custody_staff(subject, destruction.registry_id)),
            "page_level": max((line.copy.level for line in lines), default=0),
        },
    )


def _act(request: PersonRequest, public_id: str, done: str, action: str) -> HttpResponse:
    person = request.user
    try:
        if action == "approve":
            destruction = service.approve_destruction(person, public_id)
        elif action == "reject":
            destruction = service.reject_destruction(person, public_id, request.POST.get("note", ""))
        elif action == "sign":
            destruction = service.sign_destruction(person, public_id)
        else:
            destruction = service.dispose_certificate(person, public_id)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, done % {"number": destruction.number, "state": destruction.get_state_display()})
    return redirect("custody:destruction_detail", public_id=public_id)


@require_POST
def destruction_approve(request: PersonRequest, public_id: str) -> HttpResponse:
    return _act(request, public_id, _("Destruction %(number)s approved."), "approve")


@require_POST
def destruction_reject(request: PersonRequest, public_id: str) -> HttpResponse:
    return _act(request, public_id, _("Destruction %(number)s rejected."), "reject")


@require_POST
def destruction_sign(request: PersonRequest, public_id: str) -> HttpResponse:
    return _act(request, public_id, _("Signed. Destruction %(number)s is %(state)s."), "sign")


@require_POST
def destruction_dispose(request: PersonRequest, public_id: str) -> HttpResponse:
    return _act(request, public_id, _("Certificate %(number)s disposed of."), "dispose")


def destruction_certificate(request: PersonRequest, public_id: str) -> HttpResponse:
    destruction, pdf = service.certificate_pdf(request.user, public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = destruction.number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


urlpatterns: list[URLPattern] = [
    path("registries/<str:code>/destructions/", destruction_list, name="destruction_list"),
    path("registries/<str:code>/destructions/new/", destruction_new, name="destruction_new"),
    path("destructions/<slug:public_id>/", destruction_detail, name="destruction_detail"),
    path("destructions/<slug:public_id>/approve/", destruction_approve, name="destruction_approve"),
    path("destructions/<slug:public_id>/reject/", destruction_reject, name="destruction_reject"),
    path("destructions/<slug:public_id>/sign/", destruction_sign, name="destruction_sign"),
    path("destructions/<slug:public_id>/dispose/", destruction_dispose, name="destruction_dispose"),
    path("destructions/<slug:public_id>/certificate.pdf", destruction_certificate, name="destruction_certificate"),
]
