"""Pages: dispatching copies, a transfer with its receipt (scanned code by code), the
outstanding transfers. Thin: parse the request, call one service, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registrum.custody import transfers
from registrum.custody.models import Container, Copy, TransferState
from registrum.org.models import Registry
from registrum.org.requests import PersonRequest, path_key


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return list(exc.messages)


@require_GET
def transfer_list(request: PersonRequest) -> HttpResponse:
    """Transfers in transit to and from each registry the person staffs, and their own."""
    person = request.user
    sections: list[dict[str, Any]] = []
    for registry in transfers.staff_registries(person):
        inbound = transfers.outstanding(person, registry=registry)
        outbound = transfers.outstanding(person, registry=registry, direction="outbound")
        sections.append({"title": registry.code, "lines": [("inbound", inbound), ("outbound", outbound)]})
    inbound, outbound = transfers.outstanding(person), transfers.outstanding(person, direction="outbound")
    if inbound or outbound:
        sections.append({"title": _("On my hand receipt"), "lines": [("inbound", inbound), ("outbound", outbound)]})
    may_dispatch = bool(transfers.staff_registries(person)) or Copy.objects.filter(person=person).exists()
    return render(
        request,
        "custody/transfer_list.html",
        {"sections": sections, "may_dispatch": may_dispatch, "page_level": 0},
    )


@require_http_methods(["GET", "POST"])
def transfer_new(request: PersonRequest) -> HttpResponse:
    """Choose copies from a registry's holdings (or one's own hand receipt) and a destination."""
    person = request.user
    registries = transfers.staff_registries(person)
    own = Copy.objects.filter(person=person).exists()
    if not registries and not own:
        raise PermissionDenied(_("You are not on the staff of a registry and hold no copies."))
    source_code = (request.POST.get("source") or request.GET.get("source") or "").strip()
    source: Registry | None = next((r for r in registries if r.code == source_code), None)
    if source is None and not (own and source_code == "@me"):
        source = registries[0] if registries else None
    copies = transfers.dispatchable(person, source)
    values = {name: request.POST.get(name, "") for name in ("to_registry", "to_person", "to_external", "container")}
    values.update({"suspense": request.POST.get("suspense", ""), "note": request.POST.get("note", "")})
    chosen = set(request.POST.getlist("copy"))
    errors: list[str] = []
    if request.method == "POST":
        try:
            suspense = date.fromisoformat(values["suspense"]) if values["suspense"] else None
        except ValueError:
            errors.append(_("receipt due by: a date YYYY-MM-DD"))
            suspense = None
        if not errors:
            try:
                where = transfers.find_destination(
                    registry=values["to_registry"],
                    person=values["to_person"],
                    external=values["to_external"],
                    container=values["container"],
                )
                transfer = transfers.dispatch(
                    person,
                    sorted(chosen),
                    to_registry=where.to_registry,
                    to_person=where.to_person,
                    to_external=where.to_external,
                    to_container=where.to_container,
                    suspense=suspense,
                    note=values["note"][:300],
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(
                    request,
                    _("%(number)s dispatched to %(destination)s.")
                    % {"number": transfer.number, "destination": transfer.destination_label},
                )
                return redirect("custody:transfer", public_id=transfer.public_id)
    return render(
        request,
        "custody/transfer_new.html",
        {
            "registries": registries,
            "own": own,
            "source": source,
            "copies": copies,
            "chosen": chosen,
            "values": values,
            "errors": errors,
            "destinations": Registry.objects.order_by("code"),
            "containers": Container.objects.filter(active=True).select_related("registry").order_by("code"),
            "page_level": max((c.level for c in copies), default=0),
        },
        status=400 if errors else 200,
    )


def _detail(request: PersonRequest, public_id: str, *, errors: list[str] | None = None) -> HttpResponse:
    person = request.user
    transfer, items = transfers.get_transfer_for(person, path_key(public_id))
    registries = person.subject().registries
    open_ = transfer.state == TransferState.IN_TRANSIT
    if transfer.to_registry_id:
        receiver = transfer.to_registry_id in registries
    elif transfer.to_person_id:
        receiver = transfer.to_person_id == person.pk
    else:
        receiver = transfer.from_registry_id in registries
    sender = (
        transfer.from_registry_id in registries if transfer.from_registry_id else transfer.from_person_id == person.pk
    )
    received_any = any(i.received_at for i in items)
    return render(
        request,
        "custody/transfer_detail.html",
        {
            "transfer": transfer,
            "items": items,
            "pending": sum(1 for i in items if i.received_at is None),
            "may_receive": open_ and receiver and any(i.received_at is None for i in items),
            "may_cancel": open_ and sender and not received_any,
            "overdue": open_ and transfer.suspense < timezone.localdate(),
            "errors": errors or [],
            "page_level": max(i.copy.level for i in items),
        },
        status=400 if errors else 200,
    )


@require_GET
def transfer_detail(request: PersonRequest, public_id: str) -> HttpResponse:
    return _detail(request, public_id)


@require_POST
def transfer_receive(request: PersonRequest, public_id: str) -> HttpResponse:
    """One scanned code (a keyboard-wedge scanner types it and Enter) or every copy at once."""
    person = request.user
    codes = None if request.POST.get("all") else [request.POST.get("code", "")[:100]]
    try:
        receipt = transfers.acknowledge(person, path_key(public_id), codes)
    except ValidationError as exc:
        return _detail(request, public_id, errors=_errors(exc))
    for copy in receipt.received[:5]:
        messages.success(
            request,
            _("Copy No. %(number)s of %(total)s received.") % {"number": copy.number, "total": copy.of_total},
        )
    if len(receipt.received) > 5:
        messages.success(request, _("%(count)d copies received.") % {"count": len(receipt.received)})
    return redirect("custody:transfer", public_id=public_id)


@require_POST
def transfer_cancel(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        transfer = transfers.cancel(request.user, path_key(public_id))
    except ValidationError as exc:
        return _detail(request, public_id, errors=_errors(exc))
    messages.success(request, _("%(number)s cancelled: the copies are held again.") % {"number": transfer.number})
    return redirect("custody:transfer", public_id=public_id)


@require_GET
def transfer_pdf(request: PersonRequest, public_id: str) -> HttpResponse:
    transfer, pdf = transfers.transmittal_pdf(request.user, path_key(public_id))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="transmittal-{transfer.number.replace("/", "-")}.pdf"'
    return response


urlpatterns: list[URLPattern] = [
    path("transfers/", transfer_list, name="transfers"),
    path("transfers/new/", transfer_new, name="transfer_new"),
    path("transfers/<str:public_id>/", transfer_detail, name="transfer"),
    path("transfers/<str:public_id>/receive/", transfer_receive, name="transfer_receive"),
    path("transfers/<str:public_id>/cancel/", transfer_cancel, name="transfer_cancel"),
    path("transfers/<str:public_id>/transmittal.pdf", transfer_pdf, name="transfer_pdf"),
]
