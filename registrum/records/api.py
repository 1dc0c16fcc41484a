"""Register endpoints. Thin: schemas in, one service or listing call, schemas out.

Documents and registrations are addressed by opaque ids (`id`), never by a sequential integer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File as FileParam
from ninja import Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import field_validator

from registrum.org.models import Registry
from registrum.org.requests import PersonRequest
from registrum.policy import Action, Level, active_policy
from registrum.records import services
from registrum.records.listing import CappedPaginator, RegisterFilters, register_for
from registrum.records.models import Access, AccessReason, Document, File, Registration, Version
from registrum.records.registration import InvalidRegistration, parse_registration, text_problem

router = Router(tags=["register"])
MAX_PAGE_SIZE = 200
IDEMPOTENCY_HELP = (
    "A key of the client's choosing (up to 100 characters). A retry with the same key and body returns "
    "the registration the first request made instead of registering again."
)


def _clean_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


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
    id: str
    originator: str
    originator_reference: str
    document_date: date | None
    subject: str
    subject_level: str
    level: str
    categories: list[str]
    releasable_to: list[str]
    marking: str
    language: str
    pages: int | None
    annexes: int
    downgrade_instruction: str


class RegistrationOut(Schema):
    id: str
    number: str
    registry: str
    direction: str
    registered_at: datetime
    file: str | None
    external_addressees: str
    void: bool
    voided_at: datetime | None
    void_reason: str
    document: DocumentOut


class RegistrationSummary(Schema):
    id: str
    number: str
    registry: str
    direction: str
    registered_at: datetime
    void: bool


class GrantOut(Schema):
    grantee: str
    reason: str
    granted_at: datetime


class DocumentDetailOut(DocumentOut):
    registrations: list[RegistrationSummary]
    action: list[str]
    info: list[str]
    granted_to: list[str]
    versions: list[VersionOut]


class RegistrationPage(Schema):
    count: int
    # False when there are more than `count` (the count stops at 1,000); `pages` is then the
    # number known so far, and `next` says whether another page follows.
    count_exact: bool
    next: bool
    page: int
    pages: int
    items: list[RegistrationOut]


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


class ReceiptIn(Schema):
    registry: str
    direction: str = "IN"
    file: str = ""
    external_addressees: str = ""

    _text = field_validator("registry", "direction", "file", "external_addressees")(_clean_text)


class CorrectionIn(Schema):
    direction: str | None = None
    document_date: str | None = None
    originator: str | None = None
    originator_reference: str | None = None
    subject: str | None = None
    external_addressees: str | None = None
    file: str | None = None
    language: str | None = None
    pages: int | None = None
    annexes: int | None = None


class VoidIn(Schema):
    reason: str

    _text = field_validator("reason")(_clean_text)


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

    _text = field_validator("registry", "direction", "level", "originator", "reference", "q")(_clean_text)


class LookupIn(Schema):
    q: str

    _text = field_validator("q")(_clean_text)


class GrantIn(Schema):
    grantee: str
    note: str = ""

    _text = field_validator("grantee", "note")(_clean_text)


class GrantResultOut(GrantOut):
    created: bool
    still_refused: str


class ErrorOut(Schema):
    detail: object


def document_out(document: Document) -> dict[str, object]:
    policy = active_policy()
    return {
        "id": document.public_id,
        "originator": document.originator,
        "originator_reference": document.originator_reference,
        "document_date": document.document_date,
        "subject": document.subject,
        "subject_level": Level(document.subject_level).name,
        "level": Level(document.level).name,
        "categories": policy.category_codes(document.category_mask),
        "releasable_to": document.releasable_nations,
        "marking": document.marking,
        "language": document.language,
        "pages": document.pages,
        "annexes": document.annexes,
        "downgrade_instruction": document.downgrade_instruction,
    }


def summary_out(registration: Registration) -> dict[str, object]:
    return {
        "id": registration.public_id,
        "number": registration.number,
        "registry": registration.registry.code,
        "direction": registration.direction,
        "registered_at": registration.registered_at,
        "void": registration.is_void,
    }


def registration_out(registration: Registration) -> dict[str, object]:
    return {
        **summary_out(registration),
        "file": registration.file.code if registration.file_id and registration.file else None,
        "external_addressees": registration.external_addressees,
        "voided_at": registration.voided_at,
        "void_reason": registration.void_reason,
        "document": document_out(registration.document),
    }


def document_detail_out(person: Any, document: Document) -> dict[str, object]:
    rows = list(document.access_rows.select_related("unit", "person", "registry").order_by("granted_at", "id"))
    complete = bool(services.decide(person, Action.READ_AUDIT, document))
    return {
        **document_out(document),
        "registrations": [summary_out(r) for r in services.registrations_of(person, document)],
        "action": [r.grantee_label for r in rows if r.reason == AccessReason.ACTION],
        "info": [r.grantee_label for r in rows if r.reason == AccessReason.INFO],
        # Who else was granted it is for holding-registry staff and auditors (as on the page);
        # anyone else sees their own grant only.
        "granted_to": [
            r.grantee_label for r in rows if r.reason == AccessReason.GRANT and (complete or r.person_id == person.pk)
        ],
        "versions": list(document.versions.all()),
    }


def _grant_out(row: Access) -> dict[str, object]:
    return {"grantee": row.grantee_label, "reason": row.reason, "granted_at": row.granted_at}


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


@router.get("/registrations", response={200: RegistrationPage, 400: ErrorOut}, summary="The register, filtered")
def list_registrations(request: PersonRequest, filters: Query[FiltersIn]) -> Status[dict[str, object]]:
    level = None
    if filters.level:
        try:
            level = active_policy().level_from_text(filters.level)
        except ValueError as exc:
            return Status(400, {"detail": [{"field": "level", "message": str(exc)}]})
    wanted = RegisterFilters(
        registry=filters.registry,
        direction=filters.direction.upper(),
        level=level,
        registered_from=filters.registered_from,
        registered_to=filters.registered_to,
        originator=filters.originator,
        reference=filters.reference,
        q=filters.q,
    )
    qs = register_for(request.user, wanted).select_related("file")
    paginator = CappedPaginator(
        qs,
        max(1, min(filters.page_size, MAX_PAGE_SIZE)),
        count_queryset=register_for(request.user, wanted, for_count=True),
    )
    page = paginator.get_page(filters.page)
    return Status(
        200,
        {
            "count": paginator.count,
            "count_exact": paginator.exact,
            "next": page.has_next(),
            "page": page.number,
            "pages": paginator.num_pages,
            "items": [registration_out(r) for r in page.object_list],
        },
    )


@router.get("/registrations/{public_id}", response=RegistrationOut, summary="One registration")
def get_registration(request: PersonRequest, public_id: str) -> dict[str, object]:
    return registration_out(services.get_registration_for(request.user, public_id))


def _replay(request: PersonRequest, key: str | None, body: object) -> Registration | None:
    if not key:
        return None
    return services.replayed_registration(request.user, key, body)


@router.post(
    "/registrations",
    response={200: RegistrationOut, 201: RegistrationOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Register a new document",
)
def register(
    request: PersonRequest,
    payload: RegistrationIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HELP),
) -> Status[dict[str, object]]:
    body = payload.dict()
    # A retry with a key already used is found by the unique key when the registration is
    # written (and then rolled back whole): no lookup before every registration.
    raw = dict(body)
    for name in ("categories", "releasable_to"):
        raw[name] = " ".join(raw[name])
    for name in ("action", "info"):
        raw[name] = ";".join(raw[name])
    data = parse_registration(raw)
    registration, created = services.register_document_once(
        request.user, data, idempotency=services.Idempotency.of(idempotency_key, body)
    )
    return Status(201 if created else 200, registration_out(registration))


@router.get("/documents/lookup", response=list[DocumentOut], summary="Known documents by number or reference")
def lookup(request: PersonRequest, query: Query[LookupIn]) -> list[dict[str, object]]:
    """Documents I may see whose registration number or originator's reference is exactly `q`:
    what a receiving registry types before registering a receipt."""
    return [document_out(d) for d in services.find_known_documents(request.user, query.q)]


@router.get("/documents/{public_id}", response=DocumentDetailOut, summary="One document")
def get_document(request: PersonRequest, public_id: str) -> dict[str, object]:
    return document_detail_out(request.user, services.get_document_for(request.user, public_id))


@router.post(
    "/documents/{public_id}/registrations",
    response={200: RegistrationOut, 201: RegistrationOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Register the receipt of a known document in one of my registries",
)
def register_receipt(
    request: PersonRequest,
    public_id: str,
    payload: ReceiptIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HELP),
) -> Status[dict[str, object]]:
    body = {"document": public_id, **payload.dict()}
    replayed = _replay(request, idempotency_key, body)
    if replayed is not None:
        return Status(200, registration_out(replayed))
    registry = Registry.objects.filter(code__iexact=payload.registry).first()
    if registry is None:
        raise InvalidRegistration([("registry", _("unknown registry %(code)s") % {"code": repr(payload.registry)})])
    file = None
    if payload.file:
        file = File.objects.filter(code__iexact=payload.file).first()
        if file is None:
            raise InvalidRegistration([("file", _("unknown file %(code)s") % {"code": repr(payload.file)})])
    idempotency = services.Idempotency.of(idempotency_key, body)
    registration, created = services.once(
        request.user,
        idempotency,
        lambda: services.register_receipt(
            request.user,
            public_id,
            registry=registry,
            direction=payload.direction.upper(),
            file=file,
            external_addressees=payload.external_addressees,
            idempotency=idempotency,
        ),
    )
    return Status(201 if created else 200, registration_out(registration))


@router.patch(
    "/registrations/{public_id}",
    response={200: RegistrationOut, 400: ErrorOut, 403: ErrorOut},
    summary="Correct a registration's descriptive fields",
)
def correct(request: PersonRequest, public_id: str, payload: CorrectionIn) -> Status[dict[str, object]]:
    changes = dict(payload.dict(exclude_unset=True).items())
    registration = services.correct_registration(request.user, public_id, changes)
    return Status(200, registration_out(services.get_registration_for(request.user, registration.public_id)))


@router.post(
    "/registrations/{public_id}/void",
    response={200: RegistrationOut, 400: ErrorOut, 403: ErrorOut},
    summary="Void a registration (it stays in the register, marked VOID)",
)
def void(request: PersonRequest, public_id: str, payload: VoidIn) -> Status[dict[str, object]]:
    services.void_registration(request.user, public_id, payload.reason)
    return Status(200, registration_out(services.get_registration_for(request.user, public_id)))


@router.post(
    "/documents/{public_id}/versions",
    response={201: VersionOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    summary="Upload a version (PDF, DOCX, EML, TXT)",
)
def upload_version(request: PersonRequest, public_id: str, content: FileParam[UploadedFile]) -> Status[Version]:
    version = services.add_version(request.user, public_id, services.Upload(content.name or "content", content))
    return Status(201, version)


@router.get("/documents/{public_id}/versions/{int:number}/content", summary="Download a version")
def download_version(request: PersonRequest, public_id: str, number: int) -> FileResponse:
    version, stream = services.open_version(request.user, public_id, number)
    return FileResponse(stream, as_attachment=True, filename=version.filename, content_type=version.media_type)


@router.post(
    "/documents/{public_id}/grants",
    response={200: GrantResultOut, 201: GrantResultOut, 400: ErrorOut, 403: ErrorOut},
    summary="Grant need-to-know to a person (@username), unit or registry (holding registry staff)",
)
def grant(request: PersonRequest, public_id: str, payload: GrantIn) -> Status[dict[str, object]]:
    grantee = services.find_grantee(payload.grantee)
    result = services.grant_access(request.user, public_id, note=payload.note, **grantee)
    return Status(
        201 if result.created else 200,
        {**_grant_out(result.row), "created": result.created, "still_refused": result.still_refused},
    )


@router.delete(
    "/documents/{public_id}/grants/{grantee}",
    response={204: None, 400: ErrorOut, 403: ErrorOut},
    summary="Revoke an explicit need-to-know grant",
)
def revoke(request: HttpRequest, public_id: str, grantee: str) -> Status[None]:
    person = request.user
    services.revoke_access(person, public_id, **services.find_grantee(grantee))  # type: ignore[arg-type]
    return Status(204, None)
