"""Pages: numbered copies, containers, holdings and copy history, cover sheets and labels, and
the clerk's dashboard. Thin: parse the request, call one service or reading, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registrum.custody import copies as service
from registrum.custody import dashboard as board
from registrum.custody.common import handling_of
from registrum.custody.models import CombinationChange, Container, ContainerKind, CopyStatus
from registrum.org.models import Registry
from registrum.org.requests import PersonRequest
from registrum.policy import Level, active_policy
from registrum.policy.custody import (
    COMBINATION_CHANGE_MONTHS,
    CopyNumbering,
    combination_change_due,
    control_officer_of,
    custody_staff,
)
from registrum.records.forms import level_choices
from registrum.records.services import get_document_for


def _registry(code: str) -> Registry:
    registry = Registry.objects.filter(code=code).first()
    if registry is None:
        raise Http404("no such registry")
    return registry


def _errors(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


# Dashboard -----------------------------------------------------------------------------------


@require_GET
def dashboard(request: PersonRequest) -> HttpResponse:
    person = request.user
    sections = board.dashboard(person)
    levels = [line.charge_out.copy.level for line in sections["charge_outs"].lines]
    levels += [line.document.level for line in sections["regrades"].lines]
    levels += [line.registration.level for line in sections["uncopied"].lines]
    return render(
        request,
        "custody/dashboard.html",
        {
            "sections": sections,
            "registries": board.staffed_registries(person),
            "today": timezone.localdate(),
            "page_level": max(levels, default=0),
        },
    )


# Copy history ----------------------------------------------------------------------------------


@require_GET
def document_copies(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    document, histories = service.copies_of(person, public_id)
    return render(request, "custody/copies_document.html", _document_context(person, document, histories))


def _document_context(person: Any, document: Any, histories: list[Any], **extra: Any) -> dict[str, Any]:
    subject = person.subject()
    holding = service.holding_registry_ids(document)
    numbering = handling_of(document).copies is not CopyNumbering.NONE
    registries = [
        r
        for r in Registry.objects.filter(pk__in=holding).order_by("code")
        if numbering and custody_staff(subject, r.pk)
    ]
    containers = list(Container.objects.filter(registry__in=registries, active=True).select_related("registry"))
    # Staff of a copy's registry may move it between that registry's containers.
    custodians = {h.copy.registry_id for h in histories if h.copy.registry_id}
    staff_ids = {pk for pk in custodians if custody_staff(subject, pk)}
    return {
        "staff_registry_ids": staff_ids,
        # Links to dispatching and proposing destruction, per registry holding copies the person staffs.
        "custodian_registries": list(Registry.objects.filter(pk__in=staff_ids).order_by("code")),
        "staff_of_holding": any(custody_staff(subject, pk) for pk in holding),
        "store_containers": Container.objects.filter(registry_id__in=staff_ids, active=True).order_by("code"),
        "document": document,
        "histories": histories,
        "number_registries": registries,
        "number_containers": containers,
        "page_level": document.level,
        "on_hand": sum(1 for h in histories if h.copy.status in (CopyStatus.HELD, CopyStatus.CHARGED_OUT)),
        **extra,
    }


@require_POST
def number_copies(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    get_document_for(person, public_id)  # a document the person may not see stays a 404
    registry = Registry.objects.filter(code=request.POST.get("registry", "")).first()
    container_code = request.POST.get("container", "")
    container = Container.objects.filter(code=container_code).first() if container_code else None
    errors: dict[str, list[str]] = {}
    try:
        count = int(request.POST.get("count", ""))
    except ValueError:
        count = 0
    if registry is None:
        errors = {"registry": [_("choose a registry that holds the document")]}
    elif container_code and container is None:
        errors = {"container": [_("unknown container %(code)s") % {"code": container_code}]}
    else:
        try:
            copies = service.number_copies(person, public_id, registry=registry, count=count, container=container)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(
                request,
                _("Copies No. %(first)s to %(last)s numbered.")
                % {"first": copies[0].number, "last": copies[-1].number},
            )
            return redirect("custody:document_copies", public_id=public_id)
    document, histories = service.copies_of(person, public_id)
    context = _document_context(person, document, histories, errors=errors, values=request.POST)
    return render(request, "custody/copies_document.html", context, status=400)


@require_GET
def cover_sheet(request: PersonRequest, public_id: str) -> HttpResponse:
    copy, pdf = service.cover_sheet_pdf(request.user, public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cover-{copy.code}.pdf"'
    return response


@require_GET
def labels(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        document, pdf = service.labels_pdf(request.user, public_id)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("custody:document_copies", public_id=public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="labels-{document.public_id}.pdf"'
    return response


@require_POST
def store(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    copy = service.copy_for(person, public_id)
    code = request.POST.get("container", "")
    container = Container.objects.filter(code=code).first() if code else None
    if code and container is None:
        messages.error(request, _("unknown container %(code)s") % {"code": code})
    else:
        try:
            service.store_copy(person, public_id, container)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request,
                _("Copy No. %(number)s moved to %(place)s.")
                % {"number": copy.number, "place": container.code if container else _("no container")},
            )
    if request.POST.get("next") == "container" and copy.container is not None:
        return redirect("custody:container", public_id=copy.container.public_id)
    return redirect("custody:document_copies", public_id=copy.document.public_id)


# Holdings ------------------------------------------------------------------------------------


HOLDINGS_PAGE = 100


@require_GET
def holdings(request: PersonRequest, code: str) -> HttpResponse:
    """A registry's holdings (or one container's), counted by level and status, listed by page,
    filtered by level: all through the access filter, so the counts are the viewer's."""
    person = request.user
    registry = _registry(code)
    level: Level | None = None
    text = request.GET.get("level", "")
    if text:
        try:
            level = active_policy().level_from_text(text)
        except ValueError:
            level = None
    container_code = request.GET.get("container", "")
    container = Container.objects.filter(registry=registry, code=container_code).first() if container_code else None
    copies = service.registry_holdings(person, registry, container=container, level=level)
    whole = service.registry_holdings(person, registry, container=container)
    counts = [
        {"level": row["level"], "status": CopyStatus(row["status"]).label, "n": row["n"]}
        for row in whole.order_by().values("level", "status").annotate(n=Count("id")).order_by("-level", "status")
    ]
    page = Paginator(copies, HOLDINGS_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "custody/copies_holdings.html",
        {
            "registry": registry,
            "copies": list(page.object_list),
            "page": page,
            "query": query.urlencode(),
            "total": page.paginator.count,
            "counts": counts,
            "levels": level_choices(blank=True),
            "level": level.name if level is not None else "",
            "containers": Container.objects.filter(registry=registry).order_by("code"),
            "container": container,
            "page_level": max((c["level"] for c in counts), default=0),
        },
    )


# Containers ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def containers(request: PersonRequest, code: str) -> HttpResponse:
    person = request.user
    registry = _registry(code)
    found = service.containers_of(person, registry)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = request.POST
        level_text = request.POST.get("accreditation", "")
        try:
            accreditation = active_policy().level_from_text(level_text)
        except ValueError:
            errors = {"accreditation": [_("unknown level %(level)s") % {"level": repr(level_text)}]}
        else:
            try:
                container = service.create_container(
                    person,
                    registry=registry,
                    code=request.POST.get("code", ""),
                    name=request.POST.get("name", ""),
                    accreditation=accreditation,
                    categories=request.POST.getlist("categories"),
                    kind=request.POST.get("kind", ContainerKind.SAFE),
                    room=request.POST.get("room", ""),
                )
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                messages.success(request, _("%(code)s taken into service.") % {"code": container.code})
                return redirect("custody:container", public_id=container.public_id)
    today = timezone.localdate()
    rows = list(found.annotate(held=Count("copies")))
    for container in rows:
        container.combination_due = combination_change_due(container.combination_changed_on, today)  # type: ignore[attr-defined]
    return render(
        request,
        "custody/containers_list.html",
        {
            "registry": registry,
            "containers": rows,
            "may_create": bool(control_officer_of(person.subject(), registry.pk)),
            "errors": errors,
            "values": values,
            "kinds": ContainerKind.choices,
            "levels": level_choices(blank=False),
            "categories": [c.code for c in active_policy().categories],
            "page_level": 0,
        },
        status=400 if errors else 200,
    )


@require_GET
def container(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    found = service.container_for(person, public_id)
    return render(request, "custody/containers_detail.html", _container_context(person, found))


def _container_context(person: Any, container: Container, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    copies = list(service.registry_holdings(person, container.registry, container=container)[:500])
    others = Container.objects.filter(registry=container.registry, active=True).exclude(pk=container.pk)
    return {
        "container": container,
        "categories": active_policy().category_codes(container.category_mask),
        "changes": container.combination_changes.select_related("recorded_by").order_by("-changed_on", "-id"),
        "combination_due": combination_change_due(container.combination_changed_on, today),
        "combination_months": COMBINATION_CHANGE_MONTHS,
        "reasons": [(v, n) for v, n in CombinationChange.Reason.choices if v != CombinationChange.Reason.NEW],
        "copies": copies,
        "others": others,
        "today": today,
        "page_level": max((c.level for c in copies), default=0),
        **extra,
    }


@require_POST
def combination(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    found = service.container_for(person, public_id)
    errors: dict[str, list[str]] = {}
    try:
        changed_on = date.fromisoformat(request.POST.get("changed_on", ""))
    except ValueError:
        errors = {"changed_on": [_("a date as YYYY-MM-DD")]}
    else:
        try:
            service.record_combination_change(
                person,
                found,
                changed_on=changed_on,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Combination change recorded."))
            return redirect("custody:container", public_id=found.public_id)
    context = _container_context(person, found, errors=errors, values=request.POST)
    return render(request, "custody/containers_detail.html", context, status=400)


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("documents/<slug:public_id>/", document_copies, name="document_copies"),
    path("documents/<slug:public_id>/number/", number_copies, name="number_copies"),
    path("documents/<slug:public_id>/labels.pdf", labels, name="labels"),
    path("copies/<slug:public_id>/cover.pdf", cover_sheet, name="cover"),
    path("copies/<slug:public_id>/store/", store, name="store"),
    path("registries/<str:code>/holdings/", holdings, name="holdings"),
    path("registries/<str:code>/containers/", containers, name="containers"),
    path("containers/<slug:public_id>/", container, name="container"),
    path("containers/<slug:public_id>/combination/", combination, name="combination"),
]
