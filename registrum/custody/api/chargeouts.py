"""Endpoints: charge-out and check-in, a registry's copies out on charge, mine."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from registrum.custody import chargeouts
from registrum.custody.api._common import CopyOut, ErrorOut, copy_out, staffed
from registrum.custody.models import ChargeOut
from registrum.org.models import Person
from registrum.org.requests import PersonRequest

router = Router(tags=["custody"])


class ChargeOutIn(Schema):
    copy_code: str
    reader: str
    due: date | None = None
    note: str = ""


class CheckInIn(Schema):
    copy_code: str


class ChargeOutOut(Schema):
    id: str
    lent_copy: CopyOut
    registry: str
    reader: str
    charged_at: datetime
    due: date
    checked_in_at: datetime | None
    overdue: bool


class RegistryQuery(Schema):
    registry: str


def charge_out_out(loan: ChargeOut, overdue: bool = False) -> dict[str, object]:
    return {
        "id": loan.public_id,
        "lent_copy": copy_out(loan.copy),
        "registry": loan.registry.code,
        "reader": loan.reader.username,
        "charged_at": loan.charged_at,
        "due": loan.due,
        "checked_in_at": loan.checked_in_at,
        "overdue": overdue,
    }


@router.post(
    "/chargeouts",
    response={201: ChargeOutOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Charge a held copy out to a reader",
)
def charge_out(request: PersonRequest, payload: ChargeOutIn) -> Status[dict[str, object]]:
    reader = Person.objects.filter(username=payload.reader.strip().lstrip("@"), is_active=True).first()
    if reader is None:
        raise ValidationError({"reader": _("no such reader")})
    loan = chargeouts.charge_out(request.user, payload.copy_code, reader, due=payload.due, note=payload.note)
    return Status(201, charge_out_out(loan))


@router.post(
    "/chargeouts/checkin",
    response={200: ChargeOutOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Check a charged-out copy in",
)
def check_in(request: PersonRequest, payload: CheckInIn) -> dict[str, object]:
    return charge_out_out(chargeouts.check_in(request.user, payload.copy_code))


@router.get(
    "/chargeouts",
    response={200: list[ChargeOutOut], 403: ErrorOut, 404: ErrorOut},
    summary="A registry's copies out on charge, soonest due first",
)
def list_charge_outs(request: PersonRequest, query: Query[RegistryQuery]) -> list[dict[str, object]]:
    registry = staffed(request.user, query.registry, "list_charge_outs")
    return [
        charge_out_out(loan.charge_out, loan.overdue) for loan in chargeouts.open_charge_outs(request.user, registry)
    ]


@router.get("/chargeouts/mine", response=list[ChargeOutOut], summary="Copies charged out to me")
def my_charge_outs(request: PersonRequest) -> list[dict[str, object]]:
    return [
        charge_out_out(loan.charge_out, loan.overdue)
        for loan in chargeouts.readers_charge_outs(request.user, request.user)
    ]
