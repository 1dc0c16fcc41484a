"""Endpoints: numbered copies, containers, holdings and copy history, cover sheets.

Copies, documents and containers are addressed by their opaque public ids (`id`); registries and
containers are also named by their codes, which are not secret."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from registrum.custody import copies as service
from registrum.custody.api._common import clean_text
from registrum.custody.models import Container, ContainerKind, Copy, CopyEvent
from registrum.org.models import Registry
from registrum.org.requests import PersonRequest
from registrum.policy import Level, active_policy
from registrum.records.api import ErrorOut
from registrum.records.registration import InvalidRegistration

router = Router(tags=["custody"])
MAX_PAGE_SIZE = 200


class CopyEventOut(Schema):
    kind: str
    at: datetime
    by: str
    custodian: str
    container: str
    reference: str
    note: str


class CopyOut(Schema):
    id: str
    code: str
    document: str
    number: int
    of_total: int
    kind: str
    status: str
    since: datetime
    level: str
    marking: str
    custodian: str
    registry: str | None
    container: str | None
    made_from: str | None


class CopyHistoryOut(CopyOut):
    events: list[CopyEventOut]


class NumberIn(Schema):
    registry: str
    count: int
    container: str = ""

    _text = field_validator("registry", "container")(clean_text)


class StoreIn(Schema):
    # A container code of the copy's registry, or "" for none.
    container: str = ""

    _text = field_validator("container")(clean_text)


class ContainerOut(Schema):
    id: str
    code: str
    name: str
    registry: str
    kind: str
    room: str
    accreditation: str
    categories: list[str]
    combination_changed_on: date | None
    combination_change_due: bool
    active: bool


class ContainerIn(Schema):
    code: str
    name: str
    accreditation: str
    categories: list[str] = []
    kind: str = ContainerKind.SAFE
    room: str = ""

    _text = field_validator("code", "name", "accreditation", "kind", "room")(clean_text)


class CombinationIn(Schema):
    changed_on: date
    reason: str
    note: str = ""

    _text = field_validator("reason", "note")(clean_text)


class CombinationOut(Schema):
    container: str
    changed_on: date
    reason: str
    note: str
    recorded_at: datetime
    recorded_by: str


class HoldingsIn(Schema):
    level: str = ""
    container: str = ""
    page: int = 1
    page_size: int = 50

    _text = field_validator("level", "container")(clean_text)


class HoldingsPage(Schema):
    count: int
    next: bool
    page: int
    pages: int
    items: list[CopyOut]


def copy_out(copy: Copy) -> dict[str, object]:
    return {
        "id": copy.public_id,
        "code": copy.code,
        "document": copy.document.public_id,
        "number": copy.number,
        "of_total": copy.of_total,
        "kind": copy.kind,
        "status": copy.status,
        "since": copy.since,
        "level": Level(copy.level).name,
        "marking": copy.marking,
        "custodian": copy.custodian_label,
        "registry": copy.registry.code if copy.registry_id and copy.registry else None,
        "container": copy.container.code if copy.container_id and copy.container else None,
        "made_from": copy.made_from.public_id if copy.made_from_id and copy.made_from else None,
    }


def event_out(event: CopyEvent) -> dict[str, object]:
    return {
        "kind": event.kind,
        "at": event.at,
        "by": event.by.username,
        "custodian": event.custodian,
        "container": event.container,
        "reference": event.reference,
        "note": event.note,
    }


def container_out(container: Container) -> dict[str, object]:
    from django.utils import timezone

    from registrum.policy.custody import combination_change_due

    return {
        "id": container.public_id,
        "code": container.code,
        "name": container.name,
        "registry": container.registry.code,
        "kind": container.kind,
        "room": container.room,
        "accreditation": Level(container.accreditation).name,
        "categories": active_policy().category_codes(container.category_mask),
        "combination_changed_on": container.combination_changed_on,
        "combination_change_due": combination_change_due(container.combination_changed_on, timezone.localdate()),
        "active": container.active,
    }


def _registry(code: str) -> Registry:
    registry = Registry.objects.filter(code__iexact=code).first()
    if registry is None:
        raise Http404("no such registry")
    return registry


def _container_by_code(code: str, field: str = "container") -> Container | None:
    if not code:
        return None
    container = Container.objects.select_related("registry").filter(code__iexact=code).first()
    if container is None:
        raise InvalidRegistration([(field, _("unknown container %(code)s") % {"code": repr(code)})])
    return container


def _level(text: str, field: str) -> Level:
    try:
        return active_policy().level_from_text(text)
    except ValueError as exc:
        raise InvalidRegistration([(field, str(exc))]) from exc


@router.get(
    "/documents/{public_id}/copies",
    response=list[CopyHistoryOut],
    summary="Every copy of a document I may see, with its movements",
)
def list_copies(request: PersonRequest, public_id: str) -> list[dict[str, object]]:
    _document, histories = service.copies_of(request.user, public_id)
    return [{**copy_out(h.copy), "events": [event_out(e) for e in h.events]} for h in histories]


@router.post(
    "/documents/{public_id}/copies",
    response={201: list[CopyOut], 400: ErrorOut, 403: ErrorOut},
    summary="Number copies of a document held by my registry",
)
def number(request: PersonRequest, public_id: str, payload: NumberIn) -> Status[list[dict[str, object]]]:
    from registrum.records.services import get_document_for

    get_document_for(request.user, public_id)  # a document I may not see is a 404 before anything else
    registry = Registry.objects.filter(code__iexact=payload.registry).first()
    if registry is None:
        raise InvalidRegistration([("registry", _("unknown registry %(code)s") % {"code": repr(payload.registry)})])
    container = _container_by_code(payload.container)
    copies = service.number_copies(request.user, public_id, registry=registry, count=payload.count, container=container)
    return Status(201, [copy_out(c) for c in copies])


@router.post(
    "/copies/{public_id}/store",
    response={200: CopyOut, 400: ErrorOut, 403: ErrorOut},
    summary="Move a held copy into one of its registry's containers (or out of any)",
)
def store(request: PersonRequest, public_id: str, payload: StoreIn) -> Status[dict[str, object]]:
    service.copy_for(request.user, public_id)  # 404 for a copy I may not see, whatever the body
    container = _container_by_code(payload.container)
    return Status(200, copy_out(service.store_copy(request.user, public_id, container)))


@router.get(
    "/copies/{public_id}/cover.pdf",
    summary="The cover sheet of a copy (PDF, marked on every page)",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def cover_sheet(request: PersonRequest, public_id: str) -> HttpResponse:
    copy, pdf = service.cover_sheet_pdf(request.user, public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cover-{copy.code}.pdf"'
    return response


@router.get(
    "/registries/{code}/containers",
    response={200: list[ContainerOut], 403: ErrorOut},
    summary="A registry's security containers (its staff)",
)
def list_containers(request: PersonRequest, code: str) -> Status[list[dict[str, object]]]:
    registry = _registry(code)
    return Status(200, [container_out(c) for c in service.containers_of(request.user, registry)])


@router.post(
    "/registries/{code}/containers",
    response={201: ContainerOut, 400: ErrorOut, 403: ErrorOut},
    summary="Take a security container into service (a control officer of the registry)",
)
def create_container(request: PersonRequest, code: str, payload: ContainerIn) -> Status[dict[str, object]]:
    registry = _registry(code)
    container = service.create_container(
        request.user,
        registry=registry,
        code=payload.code,
        name=payload.name,
        accreditation=_level(payload.accreditation, "accreditation"),
        categories=payload.categories,
        kind=payload.kind,
        room=payload.room,
    )
    return Status(201, container_out(container))


@router.post(
    "/containers/{public_id}/combination-changes",
    response={201: CombinationOut, 400: ErrorOut, 403: ErrorOut},
    summary="Record a change of a container's combination (staff of its registry)",
)
def combination_change(request: PersonRequest, public_id: str, payload: CombinationIn) -> Status[dict[str, object]]:
    container = service.container_for(request.user, public_id)
    change = service.record_combination_change(
        request.user, container, changed_on=payload.changed_on, reason=payload.reason, note=payload.note
    )
    return Status(
        201,
        {
            "container": container.public_id,
            "changed_on": change.changed_on,
            "reason": change.reason,
            "note": change.note,
            "recorded_at": change.recorded_at,
            "recorded_by": change.recorded_by.username,
        },
    )


@router.get(
    "/registries/{code}/holdings",
    response={200: HoldingsPage, 400: ErrorOut, 403: ErrorOut},
    summary="The copies a registry holds, as I may see them (its staff), by level or container",
)
def holdings(request: PersonRequest, code: str, query: Query[HoldingsIn]) -> Status[dict[str, object]]:
    from django.core.paginator import Paginator

    registry = _registry(code)
    level = _level(query.level, "level") if query.level else None
    container = _container_by_code(query.container)
    copies = service.registry_holdings(request.user, registry, container=container, level=level).select_related(
        "registry", "made_from"
    )
    paginator = Paginator(copies, max(1, min(query.page_size, MAX_PAGE_SIZE)))
    page = paginator.get_page(query.page)
    return Status(
        200,
        {
            "count": paginator.count,
            "next": page.has_next(),
            "page": page.number,
            "pages": paginator.num_pages,
            "items": [copy_out(c) for c in page.object_list],
        },
    )
