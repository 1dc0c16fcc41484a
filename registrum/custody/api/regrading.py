"""Endpoints: regrading a document (now or scheduled), the due-regrades queue, and notices."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Router, Schema, Status

from registrum.custody import notices, regrading
from registrum.custody.api._common import ErrorOut
from registrum.custody.models import Notice
from registrum.custody.models.regrading import Regrade, RegradeKind
from registrum.org.requests import PersonRequest

router = Router(tags=["custody"])


class RegradeIn(Schema):
    kind: RegradeKind
    # A level's abbreviation (NS) or marking (NATO SECRET); empty for a declassification.
    to_level: str = ""
    to_categories: list[str] = []
    authority: str
    # Empty or today: applied now; a later date schedules it.
    effective_on: date | None = None


class RegradeOut(Schema):
    id: str
    document: str
    kind: str
    from_marking: str
    to_marking: str
    authority: str
    effective_on: date
    decided_at: datetime
    decided_by: str
    applied_at: datetime | None
    cancelled_at: datetime | None


class CancelIn(Schema):
    reason: str


class AppliedOut(Schema):
    applied: list[RegradeOut]
    refused: list[dict[str, str]]


class NoticeOut(Schema):
    id: int
    document: str | None
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None


class ReadIn(Schema):
    # One notice's id, or none for all of them.
    notice: int | None = None


def regrade_out(regrade: Regrade) -> dict[str, object]:
    return {
        "id": regrade.public_id,
        "document": regrade.document.public_id,
        "kind": str(regrade.kind),
        "from_marking": regrade.from_marking,
        "to_marking": regrade.to_marking,
        "authority": regrade.authority,
        "effective_on": regrade.effective_on,
        "decided_at": regrade.decided_at,
        "decided_by": regrade.decided_by.username,
        "applied_at": regrade.applied_at,
        "cancelled_at": regrade.cancelled_at,
    }


@router.post(
    "/documents/{public_id}/regrades",
    response={201: RegradeOut, 400: ErrorOut, 403: ErrorOut},
    summary="Record a downgrade, declassification or upgrade (now, or scheduled for a date)",
)
def record(request: PersonRequest, public_id: str, payload: RegradeIn) -> Status[dict[str, object]]:
    regrade = regrading.record_regrade(
        request.user,
        public_id,
        kind=payload.kind,
        to_level=payload.to_level or None,
        to_categories=payload.to_categories,
        authority=payload.authority,
        effective_on=payload.effective_on,
    )
    return Status(201, regrade_out(regrade))


@router.get(
    "/documents/{public_id}/regrades",
    response={200: list[RegradeOut], 403: ErrorOut},
    summary="A document's regrades, applied and scheduled",
)
def of_document(request: PersonRequest, public_id: str) -> Status[list[dict[str, object]]]:
    document, regrades = regrading.regrades_of(request.user, public_id)
    regrading.require_regrader(request.user, document, "regrades")
    return Status(200, [regrade_out(r) for r in regrades])


@router.get("/regrades", response={200: list[RegradeOut], 403: ErrorOut}, summary="Scheduled regrades (due first)")
def pending(request: PersonRequest) -> Status[list[dict[str, object]]]:
    regrading.require_custody_staff(request.user, "regrades_due")
    return Status(200, [regrade_out(r) for r in regrading.pending_for(request.user)[:500]])


@router.post("/regrades/apply-due", response={200: AppliedOut, 403: ErrorOut}, summary="Apply the regrades due today")
def apply_due(request: PersonRequest) -> Status[dict[str, object]]:
    regrading.require_custody_staff(request.user, "apply_due_regrades")
    result = regrading.apply_due_regrades(request.user)
    return Status(
        200,
        {
            "applied": [regrade_out(r) for r in result.applied],
            "refused": [{"id": r.public_id, "reason": reason} for r, reason in result.refused],
        },
    )


@router.post(
    "/regrades/{public_id}/cancel",
    response={200: RegradeOut, 400: ErrorOut, 403: ErrorOut},
    summary="Withdraw a scheduled regrade",
)
def cancel(request: PersonRequest, public_id: str, payload: CancelIn) -> Status[dict[str, object]]:
    return Status(200, regrade_out(regrading.cancel_regrade(request.user, public_id, payload.reason)))


def notice_out(notice: Notice) -> dict[str, object]:
    return {
        "id": notice.pk,
        "document": notice.document.public_id if notice.document else None,
        "kind": notice.kind,
        "text": notice.text,
        "created_at": notice.created_at,
        "read_at": notice.read_at,
    }


@router.get("/notices", response=list[NoticeOut], summary="My notices, newest first")
def my_notices(request: PersonRequest) -> list[dict[str, object]]:
    return [notice_out(n) for n in notices.notices_of(request.user)[:200]]


@router.post("/notices/read", response={200: dict[str, int]}, summary="Mark one of my notices, or all, as read")
def read(request: PersonRequest, payload: ReadIn) -> Status[dict[str, int]]:
    return Status(200, {"marked": notices.mark_read(request.user, payload.notice)})
