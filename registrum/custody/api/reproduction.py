"""Endpoints: reproducing a copy (at once, or on a request a control officer approves), and
deciding a request."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import field_validator

from registrum.custody import reproduction as service
from registrum.custody.api._common import ErrorOut, clean_text
from registrum.custody.common import material_of
from registrum.custody.models import Copy, CopyEventKind, CopyKind, ReproductionRequest
from registrum.org.models import Person
from registrum.org.requests import PersonRequest
from registrum.policy import active_policy
from registrum.policy.custody import reproduction_needs_approval

router = Router(tags=["custody"])


class ReproductionIn(Schema):
    kind: str = CopyKind.REPRODUCTION.value
    count: int = 1
    authority: str

    _text = field_validator("kind", "authority")(clean_text)


class NoteIn(Schema):
    note: str = ""

    _text = field_validator("note")(clean_text)


class MadeCopyOut(Schema):
    id: str
    code: str
    number: int
    of: int
    kind: str
    made_from: str
    authority: str


class RequestOut(Schema):
    id: str
    source: str
    kind: str
    count: int
    authority: str
    state: str
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None
    decided_by: str | None
    note: str
    made_numbers: str


class ReproductionOut(Schema):
    request: RequestOut | None
    copies: list[MadeCopyOut]


def _copy_out(copy: Copy, source: Copy) -> dict[str, object]:
    return {
        "id": copy.public_id,
        "code": copy.code,
        "number": copy.number,
        "of": copy.of_total,
        "kind": copy.kind,
        "made_from": source.public_id,
        "authority": copy.authority,
    }


def _request_out(request: ReproductionRequest) -> dict[str, object]:
    decided_by: Person | None = request.decided_by
    return {
        "id": request.public_id,
        "source": request.source.public_id,
        "kind": request.kind,
        "count": request.count,
        "authority": request.authority,
        "state": request.state,
        "requested_at": request.requested_at,
        "requested_by": request.requested_by.username,
        "decided_at": request.decided_at,
        "decided_by": decided_by.username if decided_by else None,
        "note": request.note,
        "made_numbers": request.made_numbers,
    }


def _answer(person: Person, request: ReproductionRequest) -> dict[str, object]:
    request = service.get_request(person, request.public_id)
    made = Copy.objects.visible_to(person).filter(
        made_from=request.source,
        events__kind=CopyEventKind.REPRODUCED,
        events__reference=f"request:{request.public_id}",
    )
    return {"request": _request_out(request), "copies": [_copy_out(c, request.source) for c in made.order_by("number")]}


ANSWERS = {200: ReproductionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.post(
    "/copies/{public_id}/reproductions",
    response={201: ReproductionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Reproduce a copy, or request it where the policy wants a control officer's approval",
)
def reproduce(request: PersonRequest, public_id: str, payload: ReproductionIn) -> Status[dict[str, object]]:
    person = request.user
    source = Copy.objects.visible_to(person).filter(public_id=public_id.lower()).first()
    if source is not None and reproduction_needs_approval(active_policy(), material_of(source)):
        asked = service.request_reproduction(
            person, public_id, kind=payload.kind, count=payload.count, authority=payload.authority
        )
        return Status(201, {"request": _request_out(asked), "copies": []})
    made = service.reproduce(person, public_id, kind=payload.kind, count=payload.count, authority=payload.authority)
    return Status(201, {"request": None, "copies": [_copy_out(c, c.made_from) for c in made if c.made_from]})


@router.get("/reproductions/{public_id}", response={200: ReproductionOut, 404: ErrorOut}, summary="A request")
def get_request(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    return Status(200, _answer(request.user, service.get_request(request.user, public_id)))


@router.post("/reproductions/{public_id}/approve", response=ANSWERS, summary="Approve (a control officer)")
def approve(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    return Status(200, _answer(request.user, service.approve_reproduction(request.user, public_id)))


@router.post("/reproductions/{public_id}/reject", response=ANSWERS, summary="Reject (a control officer)")
def reject(request: PersonRequest, public_id: str, payload: NoteIn) -> Status[dict[str, object]]:
    return Status(200, _answer(request.user, service.reject_reproduction(request.user, public_id, payload.note)))
