"""Endpoints: the disposition queue and decisions, holds, and the 30-year disclosure review."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Router, Schema, Status

from registrum.custody import retention
from registrum.custody.api._common import ErrorOut
from registrum.custody.models.retention import DispositionDecision, Hold
from registrum.org.requests import PersonRequest
from registrum.records.models import Document

router = Router(tags=["custody"])


class DueOut(Schema):
    document: str
    marking: str
    subject: str
    due_on: date
    disposition: str
    files: list[str]


class DecisionIn(Schema):
    action: Literal["destroy", "archive", "review"]
    review_on: date | None = None
    note: str = ""


class DecisionOut(Schema):
    document: str
    action: str
    review_on: date | None
    note: str
    decided_at: datetime
    decided_by: str


class HoldIn(Schema):
    # Either a document's id or a file's code.
    document: str = ""
    file: str = ""
    reason: str


class HoldOut(Schema):
    id: str
    document: str | None
    file: str | None
    reason: str
    placed_at: datetime
    placed_by: str
    lifted_at: datetime | None


class LiftIn(Schema):
    reason: str


class DisclosureIn(Schema):
    decision: Literal["disclose", "retain"]
    authority: str
    review_in_years: int | None = None


class ReviewOut(Schema):
    document: str
    marking: str
    subject: str
    document_date: date | None


def decision_out(decision: DispositionDecision) -> dict[str, object]:
    return {
        "document": decision.document.public_id,
        "action": str(decision.action),
        "review_on": decision.review_on,
        "note": decision.note,
        "decided_at": decision.decided_at,
        "decided_by": decision.decided_by.username,
    }


def hold_out(hold: Hold) -> dict[str, object]:
    return {
        "id": hold.public_id,
        "document": hold.document.public_id if hold.document else None,
        "file": hold.file.code if hold.file else None,
        "reason": hold.reason,
        "placed_at": hold.placed_at,
        "placed_by": hold.placed_by.username,
        "lifted_at": hold.lifted_at,
    }


def _review_out(document: Document) -> dict[str, object]:
    return {
        "document": document.public_id,
        "marking": document.marking,
        "subject": document.subject,
        "document_date": document.document_date,
    }


@router.get("/disposition", response={200: list[DueOut], 403: ErrorOut}, summary="What is due for disposition")
def queue(request: PersonRequest) -> Status[list[dict[str, object]]]:
    items = retention.disposition_queue(request.user)
    return Status(
        200,
        [
            {
                "document": i.document.public_id,
                "marking": i.document.marking,
                "subject": i.document.subject,
                "due_on": i.due_on,
                "disposition": str(i.disposition),
                "files": i.files,
            }
            for i in items
        ],
    )


@router.post(
    "/documents/{public_id}/disposition",
    response={201: DecisionOut, 400: ErrorOut, 403: ErrorOut},
    summary="Decide a document that is due: destroy, transfer to archives, or review again on a date",
)
def decide(request: PersonRequest, public_id: str, payload: DecisionIn) -> Status[dict[str, object]]:
    decision = retention.decide_disposition(
        request.user, public_id, action=payload.action, review_on=payload.review_on, note=payload.note
    )
    return Status(201, decision_out(decision))


@router.get("/holds", response={200: list[HoldOut], 403: ErrorOut}, summary="Disposition holds in force")
def holds(request: PersonRequest) -> Status[list[dict[str, object]]]:
    return Status(200, [hold_out(h) for h in retention.holds_for(request.user)])


@router.post("/holds", response={201: HoldOut, 400: ErrorOut, 403: ErrorOut}, summary="Place a hold")
def place(request: PersonRequest, payload: HoldIn) -> Status[dict[str, object]]:
    hold = retention.place_hold(
        request.user,
        reason=payload.reason,
        document_public_id=payload.document or None,
        file_code=payload.file or None,
    )
    return Status(201, hold_out(hold))


@router.post("/holds/{public_id}/lift", response={200: HoldOut, 400: ErrorOut, 403: ErrorOut}, summary="Lift a hold")
def lift(request: PersonRequest, public_id: str, payload: LiftIn) -> Status[dict[str, object]]:
    return Status(200, hold_out(retention.lift_hold(request.user, public_id, payload.reason)))


@router.get(
    "/disclosure", response={200: list[ReviewOut], 403: ErrorOut}, summary="The 30-year public-disclosure review"
)
def disclosure(request: PersonRequest) -> Status[list[dict[str, object]]]:
    return Status(200, [_review_out(d) for d in retention.disclosure_queue(request.user)])


@router.post(
    "/documents/{public_id}/disclosure",
    response={201: DecisionOut, 400: ErrorOut, 403: ErrorOut},
    summary="Disclose a record of permanent value, or keep it and review it again in N years",
)
def disclosure_decide(request: PersonRequest, public_id: str, payload: DisclosureIn) -> Status[dict[str, object]]:
    decision = retention.decide_disclosure(
        request.user,
        public_id,
        disclose=payload.decision == "disclose",
        authority=payload.authority,
        review_in_years=payload.review_in_years,
    )
    return Status(201, decision_out(decision))
