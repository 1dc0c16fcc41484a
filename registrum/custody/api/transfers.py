"""Endpoints: transfers of copies and their receipts. Thin: one service call each.

Transfers are addressed by their opaque id; copies by their public id or label code."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from registrum.custody import transfers
from registrum.custody.api._common import ErrorOut
from registrum.custody.models import Transfer, TransferItem
from registrum.org.models import Registry
from registrum.org.requests import PersonRequest

router = Router(tags=["custody"])


class TransferOut(Schema):
    id: str
    number: str
    state: str
    origin: str
    destination: str
    container: str
    dispatched_at: datetime
    suspense: date
    overdue: bool
    received_at: datetime | None
    copies: int
    pending: int


class ItemOut(Schema):
    copy_id: str
    code: str
    document: str
    number: int
    of: int
    marking: str
    received_at: datetime | None
    registration: str


class TransferDetailOut(TransferOut):
    items: list[ItemOut]


class ReceiptOut(Schema):
    transfer: TransferOut
    received: list[str]
    outstanding: int


class DispatchIn(Schema):
    copies: list[str] = Field(min_length=1, max_length=transfers.MAX_TRANSFER_COPIES)
    to_registry: str = Field("", max_length=40, description="a registry code")
    to_person: str = Field("", max_length=150, description="a username, for a hand receipt")
    to_external: str = Field("", max_length=300, description="an addressee outside the organisation")
    to_container: str = Field("", max_length=40, description="a container code of the receiving registry")
    suspense: date | None = Field(None, description="receipt due by (default: the policy's suspense)")
    note: str = Field("", max_length=300)


class ReceiveIn(Schema):
    codes: list[str] | None = Field(
        None, max_length=transfers.MAX_TRANSFER_COPIES, description="scanned copy codes; none: every copy"
    )


class OutstandingQuery(Schema):
    registry: str = Field("", max_length=40, description="a registry code; empty: my own hand-receipt transfers")
    direction: str = Field("inbound", pattern="^(inbound|outbound)$")


def _origin(transfer: Transfer) -> str:
    if transfer.from_registry_id and transfer.from_registry:
        return transfer.from_registry.code
    return f"@{transfer.from_person.username}" if transfer.from_person else ""


def transfer_out(transfer: Transfer, copies: int, pending: int) -> dict[str, object]:
    return {
        "id": transfer.public_id,
        "number": transfer.number,
        "state": str(transfer.state),
        "origin": _origin(transfer),
        "destination": transfer.destination_label,
        "container": transfer.to_container.code if transfer.to_container else "",
        "dispatched_at": transfer.dispatched_at,
        "suspense": transfer.suspense,
        "overdue": transfer.state == "in_transit" and transfer.suspense < timezone.localdate(),
        "received_at": transfer.received_at,
        "copies": copies,
        "pending": pending,
    }


def item_out(item: TransferItem) -> dict[str, object]:
    copy = item.copy
    return {
        "copy_id": copy.public_id,
        "code": copy.code,
        "document": copy.document.public_id,
        "number": copy.number,
        "of": copy.of_total,
        "marking": copy.marking,
        "received_at": item.received_at,
        "registration": item.registration.number if item.registration else "",
    }


def detail_out(request: PersonRequest, public_id: str) -> dict[str, object]:
    transfer, items = transfers.get_transfer_for(request.user, public_id)
    pending = sum(1 for i in items if i.received_at is None)
    return {**transfer_out(transfer, len(items), pending), "items": [item_out(i) for i in items]}


@router.post(
    "/transfers",
    response={201: TransferDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Dispatch copies to a registry, a person on a hand receipt or an addressee outside",
)
def dispatch(request: PersonRequest, payload: DispatchIn) -> Status[dict[str, object]]:
    where = transfers.find_destination(
        registry=payload.to_registry,
        person=payload.to_person,
        external=payload.to_external,
        container=payload.to_container,
    )
    transfer = transfers.dispatch(
        request.user,
        payload.copies,
        to_registry=where.to_registry,
        to_person=where.to_person,
        to_external=where.to_external,
        to_container=where.to_container,
        suspense=payload.suspense,
        note=payload.note,
    )
    return Status(201, detail_out(request, transfer.public_id))


@router.get(
    "/transfers",
    response={200: list[TransferOut], 400: ErrorOut, 403: ErrorOut},
    summary="Transfers in transit to or from a registry I staff (or to or from me), flagged past suspense",
)
def outstanding(request: PersonRequest, query: Query[OutstandingQuery]) -> Status[list[dict[str, object]]]:
    registry = None
    if query.registry:
        registry = Registry.objects.filter(code__iexact=query.registry).first()
        if registry is None:
            raise ValidationError({"registry": _("unknown registry %(code)s") % {"code": repr(query.registry)}})
    lines = transfers.outstanding(request.user, registry=registry, direction=query.direction)
    return Status(200, [transfer_out(line.transfer, line.copies, line.pending) for line in lines])


@router.get(
    "/transfers/{public_id}",
    response={200: TransferDetailOut, 404: ErrorOut},
    summary="One transfer, with the copies I may see",
)
def get_transfer(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    return Status(200, detail_out(request, public_id))


@router.post(
    "/transfers/{public_id}/receipt",
    response={200: ReceiptOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Acknowledge the receipt of scanned copies (or of every copy still in transit)",
)
def receive(request: PersonRequest, public_id: str, payload: ReceiveIn) -> Status[dict[str, object]]:
    receipt = transfers.acknowledge(request.user, public_id, payload.codes)
    detail = detail_out(request, public_id)
    detail.pop("items")
    return Status(
        200,
        {"transfer": detail, "received": [c.public_id for c in receipt.received], "outstanding": receipt.outstanding},
    )


@router.post(
    "/transfers/{public_id}/cancel",
    response={200: TransferDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Cancel a transfer none of whose copies was received: the copies are held again where they were",
)
def cancel(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    transfers.cancel(request.user, public_id)
    return Status(200, detail_out(request, public_id))


@router.get("/transfers/{public_id}/transmittal.pdf", summary="The transmittal and receipt form (PDF)")
def transmittal(request: PersonRequest, public_id: str) -> HttpResponse:
    transfer, pdf = transfers.transmittal_pdf(request.user, public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = transfer.number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="transmittal-{name}.pdf"'
    return response
