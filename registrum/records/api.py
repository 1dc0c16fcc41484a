"""Register endpoints. Thin: schemas in, one service or listing call, schemas out."""

from __future__ import annotations

from datetime import date, datetime

from django.core.paginator import Paginator
from django.http import FileResponse
from ninja import File as FileParam
from ninja import Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import field_validator

from registrum.org.requests import PersonRequest
from registrum.policy import Level, active_policy
from registrum.records import services
from registrum.records.listing import RegisterFilters, register_for
from registrum.records.models import Access, AccessReason, Document, Version
from registrum.records.registration import parse_registration

router = Router(tags=["register"])
MAX_PAGE_SIZE = 200


class RegistryOut(Schema):
    code: str
    name: str
    kind: str
    accreditation: str


class VersionOut(Schema):
    number: int
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    warning: str


class DocumentOut(Schema):
    id: int
    number: str
    registry: str
    direction: str
    registered_at: datetime
    originator: str
    originator_reference: str
    document_date: date | None
    subject: str
    subject_level: str
    level: str
    categories: list[str]
    releasable_to: list[str]
    marking: str
    file: str | None
    language: str
    pages: int | None
    annexes: int
    downgrade_instruction: str
    external_addressees: str


class DocumentDetailOut(DocumentOut):
    action: list[str]
    info: list[str]
    granted_to: list[str]
    versions: list[VersionOut]


class DocumentPage(Schema):
    count: int
    page: int
    pages: int
    items: list[DocumentOut]


class RegistrationIn(Schema):
    registry: str
    direction: str
    originator: str
    subject: str
    level: str
    subject_level: str = ""
    originator_reference: str = ""
    document_date: str = ""
    categories: list[str] = []
    releasable_to: list[str] = []
    action: list[str] = []
    info: list[str] = []
    external_addressees: str = ""
    file: str = ""
    language: str = "en"
    pages: int | None = None
    annexes: int = 0
    downgrade_instruction: str = ""


class FiltersIn(Schema):
    registry: str = ""
    direction: str = ""
    level: str = ""
    registered_from: date | None = None
    registered_to: date | None = None
    originator: str = ""
    reference: str = ""
    q: str = ""
    page: int = 1
    page_size: int = 50

    @field_validator("registry", "direction", "level", "originator", "reference", "q")
    @classmethod
    def no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        return value


class GrantIn(Schema):
    username: str
    note: str = ""


class GrantOut(Schema):
    username: str
    reason: str
    granted_at: datetime


class ErrorOut(Schema):
    detail: object


def document_out(document: Document) -> dict[str, object]:
    policy = active_policy()
    return {
        "id": document.pk,
        "number": document.number,
        "registry": document.registry.code,
        "direction": document.direction,
        "registered_at": document.registered_at,
        "originator": document.originator,
        "originator_reference": document.originator_reference,
        "document_date": document.document_date,
        "subject": document.subject,
        "subject_level": Level(document.subject_level).name,
        "level": Level(document.level).name,
        "categories": policy.category_codes(document.category_mask),
        "releasable_to": document.releasable_nations,
        "marking": document.marking,
        "file": document.file.code if document.file_id and document.file else None,
        "language": document.language,
        "pages": document.pages,
        "annexes": document.annexes,
        "downgrade_instruction": document.downgrade_instruction,
        "external_addressees": document.external_addressees,
    }


def _addressee_label(row: Access) -> str:
    return row.unit.code if row.unit else f"@{row.person.username if row.person else ''}"


def document_detail_out(document: Document) -> dict[str, object]:
    rows = list(document.access_rows.select_related("unit", "person").order_by("granted_at", "id"))
    return {
        **document_out(document),
        "action": [_addressee_label(r) for r in rows if r.reason == AccessReason.ACTION],
        "info": [_addressee_label(r) for r in rows if r.reason == AccessReason.INFO],
        "granted_to": [_addressee_label(r) for r in rows if r.reason == AccessReason.GRANT],
        "versions": list(document.versions.all()),
    }


@router.get("/me", response=dict[str, object], summary="Who the token belongs to")
def me(request: PersonRequest) -> dict[str, object]:
    person = request.user
    subject = person.subject()
    return {
        "username": person.username,
        "nationality": subject.nationality,
        "clearance": subject.clearance.name if subject.clearance else None,
        "clearance_expires": subject.clearance_expires,
        "briefings": sorted(subject.briefings),
    }


@router.get("/registries", response=list[RegistryOut], summary="Registries I may register in")
def my_registries(request: PersonRequest) -> list[dict[str, object]]:
    return [
        {"code": r.code, "name": r.name, "kind": r.kind, "accreditation": Level(r.accreditation).name}
        for r in services.registries_for(request.user)
    ]


@router.get("/documents", response={200: DocumentPage, 400: ErrorOut}, summary="The register, filtered")
def list_documents(request: PersonRequest, filters: Query[FiltersIn]) -> Status[dict[str, object]]:
    level = None
    if filters.level:
        try:
            level = active_policy().level_from_text(filters.level)
        except ValueError as exc:
            return Status(400, {"detail": [{"field": "level", "message": str(exc)}]})
    qs = register_for(
        request.user,
        RegisterFilters(
            registry=filters.registry,
            direction=filters.direction.upper(),
            level=level,
            registered_from=filters.registered_from,
            registered_to=filters.registered_to,
            originator=filters.originator,
            reference=filters.reference,
            q=filters.q,
        ),
    ).select_related("file")
    paginator = Paginator(qs, max(1, min(filters.page_size, MAX_PAGE_SIZE)))
    page = paginator.get_page(filters.page)
    return Status(
        200,
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "items": [document_out(d) for d in page.object_list],
        },
    )


@router.get("/documents/{int:document_id}", response=DocumentDetailOut, summary="One document")
def get_document(request: PersonRequest, document_id: int) -> dict[str, object]:
    return document_detail_out(services.get_document_for(request.user, document_id))


@router.post(
    "/documents",
    response={201: DocumentDetailOut, 400: ErrorOut, 403: ErrorOut},
    summary="Register a document",
)
def register(request: PersonRequest, payload: RegistrationIn) -> Status[dict[str, object]]:
    raw = payload.dict()
    for name in ("categories", "releasable_to"):
        raw[name] = " ".join(raw[name])
    for name in ("action", "info"):
        raw[name] = ";".join(raw[name])
    data = parse_registration(raw)
    document = services.register_document(request.user, data)
    return Status(201, document_detail_out(document))


@router.post(
    "/documents/{int:document_id}/versions",
    response={201: VersionOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    summary="Upload a version (PDF, DOCX, EML, TXT)",
)
def upload_version(request: PersonRequest, document_id: int, content: FileParam[UploadedFile]) -> Status[Version]:
    version = services.add_version(
        request.user,
        document_id,
        services.Upload(content.name or "content", content),
    )
    return Status(201, version)


@router.get("/documents/{int:document_id}/versions/{int:number}/content", summary="Download a version")
def download_version(request: PersonRequest, document_id: int, number: int) -> FileResponse:
    version, stream = services.open_version(request.user, document_id, number)
    return FileResponse(stream, as_attachment=True, filename=version.filename, content_type=version.media_type)


@router.post(
    "/documents/{int:document_id}/grants",
    response={201: GrantOut, 400: ErrorOut, 403: ErrorOut},
    summary="Grant need-to-know to a person (holding registry staff)",
)
def grant(request: PersonRequest, document_id: int, payload: GrantIn) -> Status[dict[str, object]]:
    grantee = services.find_person(payload.username)
    row = services.grant_access(request.user, document_id, person=grantee, note=payload.note)
    return Status(201, {"username": grantee.username, "reason": row.reason, "granted_at": row.granted_at})
