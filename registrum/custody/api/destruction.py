"""Endpoints: destructions of a registry, proposing, approving or rejecting, signing (each
signer with their own token), the certificate, disposing of it."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import field_validator

from registrum.custody import destruction as service
from registrum.custody.api._common import ErrorOut, clean_text
from registrum.custody.models.destruction import Destruction
from registrum.org.models import Person, Registry
from registrum.org.requests import PersonRequest

router = Router(tags=["custody"])


class DestructionIn(Schema):
    registry: str
    copies: list[str]
    reason: str
    method: str = ""
    destroy_electronic: bool = False

    _text = field_validator("registry", "reason", "method")(clean_text)

    @field_validator("copies")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for item in value:
            clean_text(item)
        return value


class NoteIn(Schema):
    note: str = ""

    _text = field_validator("note")(clean_text)


class SignatureOut(Schema):
    role: str
    person: str
    name: str
    signed_at: datetime


class DestructionCopyOut(Schema):
    id: str
    document: str
    registration: str
    marking: str
    number: int
    of: int
    status: str


class DestructionOut(Schema):
    id: str
    number: str
    registry: str
    state: str
    reason: str
    method: str
    destroy_electronic: bool
    signatures_required: int
    proposed_at: datetime
    proposed_by: str
    approved_at: datetime | None
    approved_by: str | None
    completed_at: datetime | None
    keep_until: date | None
    certificate_sha256: str
    copies: list[DestructionCopyOut]
    signatures: list[SignatureOut]


class DestructionSummaryOut(Schema):
    id: str
    number: str
    state: str
    reason: str
    proposed_at: datetime
    completed_at: datetime | None


def _username(person: Person | None) -> str | None:
    return person.username if person else None


def destruction_out(person: Person, destruction: Destruction) -> dict[str, object]:
    destruction = service.get_destruction(person, destruction.public_id)
    lines = service.certificate_lines(person, destruction)
    return {
        "id": destruction.public_id,
        "number": destruction.number,
        "registry": destruction.registry.code,
        "state": destruction.state,
        "reason": destruction.reason,
        "method": destruction.method,
        "destroy_electronic": destruction.destroy_electronic,
        "signatures_required": destruction.signatures_required,
        "proposed_at": destruction.proposed_at,
        "proposed_by": destruction.proposed_by.username,
        "approved_at": destruction.approved_at,
        "approved_by": _username(destruction.approved_by),
        "completed_at": destruction.completed_at,
        "keep_until": destruction.keep_until,
        "certificate_sha256": destruction.certificate_sha256,
        "copies": [
            {
                "id": line.copy.public_id,
                "document": line.copy.document.public_id,
                "registration": line.registration_number,
                "marking": line.marking,
                "number": line.copy.number,
                "of": line.copy.of_total,
                "status": line.copy.status,
            }
            for line in lines
        ],
        "signatures": [
            {"role": s.role, "person": s.person.username, "name": s.person.get_full_name(), "signed_at": s.signed_at}
            for s in destruction.signatures.select_related("person")
        ],
    }


ANSWERS = {200: DestructionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get(
    "/registries/{code}/destructions",
    response={200: list[DestructionSummaryOut], 403: ErrorOut, 404: ErrorOut},
    summary="Destructions of a registry",
)
def list_destructions(request: PersonRequest, code: str) -> Status[list[dict[str, object]]]:
    registry = get_object_or_404(Registry, code=code.upper())
    return Status(
        200,
        [
            {
                "id": d.public_id,
                "number": d.number,
                "state": d.state,
                "reason": d.reason,
                "proposed_at": d.proposed_at,
                "completed_at": d.completed_at,
            }
            for d in service.destructions_of(request.user, registry)[:500]
        ],
    )


@router.post(
    "/destructions",
    response={201: DestructionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Propose the destruction of copies the registry holds",
)
def propose(request: PersonRequest, payload: DestructionIn) -> Status[dict[str, object]]:
    registry = get_object_or_404(Registry, code=payload.registry.upper())
    destruction = service.propose_destruction(
        request.user,
        registry,
        payload.copies,
        payload.reason,
        method=payload.method,
        destroy_electronic=payload.destroy_electronic,
    )
    return Status(201, destruction_out(request.user, destruction))


@router.get("/destructions/{public_id}", response={200: DestructionOut, 404: ErrorOut}, summary="One destruction")
def get_destruction(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    return Status(200, destruction_out(request.user, service.get_destruction(request.user, public_id)))


@router.post("/destructions/{public_id}/approve", response=ANSWERS, summary="Approve (a control officer)")
def approve(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    return Status(200, destruction_out(request.user, service.approve_destruction(request.user, public_id)))


@router.post("/destructions/{public_id}/reject", response=ANSWERS, summary="Reject (a control officer)")
def reject(request: PersonRequest, public_id: str, payload: NoteIn) -> Status[dict[str, object]]:
    destruction = service.reject_destruction(request.user, public_id, payload.note)
    return Status(200, destruction_out(request.user, destruction))


@router.post(
    "/destructions/{public_id}/sign",
    response=ANSWERS,
    summary="Sign as destroyer (first) or witness, with one's own token; the last signature destroys the copies",
)
def sign(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    return Status(200, destruction_out(request.user, service.sign_destruction(request.user, public_id)))


@router.post(
    "/destructions/{public_id}/dispose",
    response=ANSWERS,
    summary="Dispose of the certificate after its retention period (a control officer)",
)
def dispose(request: PersonRequest, public_id: str) -> Status[dict[str, object]]:
    return Status(200, destruction_out(request.user, service.dispose_certificate(request.user, public_id)))


@router.get(
    "/destructions/{public_id}/certificate",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    summary="The destruction certificate (PDF)",
)
def certificate(request: PersonRequest, public_id: str) -> HttpResponse:
    destruction, pdf = service.certificate_pdf(request.user, public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{destruction.number.replace("/", "-")}.pdf"'
    return response
