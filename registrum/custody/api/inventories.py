"""Endpoints: inventories (start, scan codes, progress, close, the report PDF), and when the
next one is due."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from registrum.custody import inventories
from registrum.custody.api._common import ErrorOut, staffed
from registrum.custody.models import Container, Inventory
from registrum.custody.models.inventories import InventoryState
from registrum.org.requests import PersonRequest
from registrum.policy import Level, active_policy

router = Router(tags=["custody"])


class InventoryIn(Schema):
    registry: str
    container: str = ""
    level: str = ""


class ScansIn(Schema):
    codes: list[str] = Field(min_length=1, max_length=inventories.MAX_CODES_AT_ONCE)


class ScanOut(Schema):
    code: str
    outcome: str
    message: str


class InventoryOut(Schema):
    id: str
    registry: str
    container: str
    level: str
    state: str
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str
    expected: int
    found: int
    missing: int
    unexpected: int
    report_sha256: str
    report_signature: str


class InventoryDueOut(Schema):
    registry: str
    due: date | None
    overdue: bool
    last_closed: datetime | None
    on_handover: bool
    reason: str


class RegistryQuery(Schema):
    registry: str


def inventory_out(inventory: Inventory) -> dict[str, object]:
    counts = inventories.progress(inventory) if inventory.state == InventoryState.OPEN else None
    return {
        "id": inventory.public_id,
        "registry": inventory.registry.code,
        "container": inventory.container.code if inventory.container else "",
        "level": Level(inventory.level).name if inventory.level is not None else "",
        "state": inventory.state,
        "started_at": inventory.started_at,
        "started_by": inventory.started_by.username,
        "closed_at": inventory.closed_at,
        "closed_by": inventory.closed_by.username if inventory.closed_by else "",
        "expected": counts.expected if counts else inventory.expected,
        "found": counts.found if counts else inventory.found,
        "missing": counts.missing if counts else inventory.missing,
        "unexpected": counts.unexpected if counts else inventory.unexpected,
        "report_sha256": inventory.report_sha256,
        "report_signature": inventory.report_signature,
    }


@router.post(
    "/inventories",
    response={201: InventoryOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Start an inventory of a registry, a container or a level",
)
def start(request: PersonRequest, payload: InventoryIn) -> Status[dict[str, object]]:
    registry = staffed(request.user, payload.registry, "start_inventory")
    container = None
    if payload.container.strip():
        container = Container.objects.filter(code=payload.container.strip().upper(), registry=registry).first()
        if container is None:
            raise ValidationError({"container": f"no container {payload.container.strip()[:40]} in {registry.code}"})
    level = None
    if payload.level.strip():
        try:
            level = active_policy().level_from_text(payload.level)
        except ValueError as exc:
            raise ValidationError({"level": str(exc)}) from None
    inventory = inventories.start_inventory(request.user, registry, container=container, level=level)
    return Status(201, inventory_out(inventory))


@router.get(
    "/inventories",
    response={200: list[InventoryOut], 403: ErrorOut, 404: ErrorOut},
    summary="A registry's inventories, newest first",
)
def list_inventories(request: PersonRequest, query: Query[RegistryQuery]) -> list[dict[str, object]]:
    registry = staffed(request.user, query.registry, "list_inventories")
    return [inventory_out(i) for i in inventories.inventories_of(request.user, registry)[:100]]


@router.get(
    "/inventories/due",
    response={200: InventoryDueOut, 403: ErrorOut, 404: ErrorOut},
    summary="When a registry's next inventory is due",
)
def due(request: PersonRequest, query: Query[RegistryQuery]) -> dict[str, object]:
    registry = staffed(request.user, query.registry, "inventory_due")
    row = inventories.inventory_due(registry)
    return {
        "registry": registry.code,
        "due": row.due,
        "overdue": row.overdue,
        "last_closed": row.last_closed,
        "on_handover": row.handover,
        "reason": row.reason,
    }


@router.get(
    "/inventories/{public_id}",
    response={200: InventoryOut, 403: ErrorOut, 404: ErrorOut},
    summary="One inventory with its counts so far",
)
def get_inventory(request: PersonRequest, public_id: str) -> dict[str, object]:
    return inventory_out(inventories.get_inventory(request.user, public_id))


@router.post(
    "/inventories/{public_id}/scans",
    response={200: list[ScanOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Check scanned or typed codes",
)
def scan(request: PersonRequest, public_id: str, payload: ScansIn) -> list[dict[str, object]]:
    results = inventories.check_list(request.user, public_id, payload.codes)
    return [{"code": r.code, "outcome": r.outcome, "message": r.message} for r in results]


@router.post(
    "/inventories/{public_id}/close",
    response={200: InventoryOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Close: missing copies marked lost, one loss report, the report signed",
)
def close(request: PersonRequest, public_id: str) -> dict[str, object]:
    return inventory_out(inventories.close_inventory(request.user, public_id))


@router.get(
    "/inventories/{public_id}/report",
    response={200: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="The inventory report (PDF) of a closed inventory",
)
def report(request: PersonRequest, public_id: str) -> HttpResponse:
    pdf = inventories.report_pdf(request.user, public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="inventory-{public_id}.pdf"'
    return response
