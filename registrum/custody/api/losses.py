"""Endpoints: loss and compromise reports."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from registrum.custody import losses
from registrum.custody.api._common import CopyOut, ErrorOut, copy_out, staffed
from registrum.custody.models import LossReport
from registrum.custody.models.losses import LossKind
from registrum.org.models import Person
from registrum.org.requests import PersonRequest

router = Router(tags=["custody"])


class LossIn(Schema):
    registry: str
    copies: list[str] = Field(min_length=1, max_length=losses.MAX_COPIES_PER_REPORT)
    kind: str = LossKind.LOSS
    circumstances: str


class LossUpdateIn(Schema):
    state: str
    outcome: str = ""
    people_told: str = ""


class FoundIn(Schema):
    copy_code: str


class LossOut(Schema):
    id: str
    registry: str
    kind: str
    state: str
    circumstances: str
    outcome: str
    people_told: str
    inventory: str
    reported_at: datetime
    reported_by: str
    closed_at: datetime | None
    copies: list[CopyOut]


class RegistryQuery(Schema):
    registry: str


def loss_out(person: Person, report: LossReport) -> dict[str, object]:
    return {
        "id": report.public_id,
        "registry": report.registry.code,
        "kind": report.kind,
        "state": report.state,
        "circumstances": report.circumstances,
        "outcome": report.outcome,
        "people_told": report.people_told,
        "inventory": report.inventory.public_id if report.inventory else "",
        "reported_at": report.reported_at,
        "reported_by": report.reported_by.username,
        "closed_at": report.closed_at,
        "copies": [copy_out(c) for c in losses.report_copies(person, report)],
    }


@router.post(
    "/losses",
    response={201: LossOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Report copies lost or compromised",
)
def report_loss(request: PersonRequest, payload: LossIn) -> Status[dict[str, object]]:
    registry = staffed(request.user, payload.registry, "report_loss")
    report = losses.report_loss(
        request.user, registry, payload.copies, kind=payload.kind, circumstances=payload.circumstances
    )
    return Status(201, loss_out(request.user, losses.get_report(request.user, report.public_id)))


@router.get(
    "/losses",
    response={200: list[LossOut], 403: ErrorOut, 404: ErrorOut},
    summary="A registry's loss and compromise reports",
)
def list_losses(request: PersonRequest, query: Query[RegistryQuery]) -> list[dict[str, object]]:
    registry = staffed(request.user, query.registry, "list_loss_reports")
    return [loss_out(request.user, r) for r in losses.reports_of(request.user, registry)[:100]]


@router.get("/losses/{public_id}", response={200: LossOut, 403: ErrorOut, 404: ErrorOut}, summary="One report")
def get_loss(request: PersonRequest, public_id: str) -> dict[str, object]:
    return loss_out(request.user, losses.get_report(request.user, public_id))


@router.post(
    "/losses/{public_id}/update",
    response={200: LossOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Record the investigation's state, outcome and the people told (control officer)",
)
def update_loss(request: PersonRequest, public_id: str, payload: LossUpdateIn) -> dict[str, object]:
    report = losses.update_report(
        request.user, public_id, state=payload.state, outcome=payload.outcome, people_told=payload.people_told
    )
    return loss_out(request.user, report)


@router.post(
    "/losses/{public_id}/found",
    response={200: CopyOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A lost copy found again",
)
def copy_found(request: PersonRequest, public_id: str, payload: FoundIn) -> dict[str, object]:
    copy = losses.copy_found(request.user, public_id, payload.copy_code)
    return copy_out(copy)
