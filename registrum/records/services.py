"""The register's verbs. Each checks access, runs in one transaction and audits inside it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit, storage
from registrum.org.models import Person, Registry, RegistryStaff, Role
from registrum.policy import Action, Decision, Level, Resource, active_policy, may, may_classify
from registrum.records import content as content_types
from registrum.records.models import Access, AccessReason, Document, Version, encode_nations
from registrum.records.numbering import allocate, format_number
from registrum.records.querysets import Grantees
from registrum.records.registration import RegistrationData

REGISTERING_ROLES = (Role.CLERK, Role.CONTROL_OFFICER)


@dataclass(frozen=True)
class Upload:
    """Content handed to a service: a name and a readable binary stream."""

    filename: str
    stream: storage.ReadableStream


# Reading -----------------------------------------------------------------------------------


def get_document_for(person: Person | Any, pk: int) -> Document:
    """The one way to fetch a document: missing and not-allowed are the same 404."""
    return get_object_or_404(Document.objects.visible_to(person), pk=pk)


def has_need_to_know(person: Person, document: Document) -> bool:
    """The need-to-know rule evaluated in Python, for `may_read` and the property test."""
    grantees = Grantees(person)
    if document.registry_id in grantees.registry_ids:
        return True
    for row in Access.objects.filter(document=document).only("person_id", "unit_id"):
        if row.person_id == grantees.person_id:
            return True
        if row.unit_id is not None and row.unit_id in grantees.unit_ids:
            return True
    return False


def may_read(person: Person, document: Document) -> Decision:
    resource = Resource(
        level=Level(document.level),
        category_mask=document.category_mask,
        releasable_to=frozenset(document.releasable_nations),
        need_to_know=has_need_to_know(person, document),
    )
    return may(active_policy(), person.subject(), Action.READ, resource, timezone.localdate())


def get_version_for(person: Person | Any, document_pk: int, number: int) -> Version:
    document = get_document_for(person, document_pk)
    return get_object_or_404(Version, document=document, number=number)


# Registering -------------------------------------------------------------------------------


def registries_for(person: Person) -> list[Registry]:
    """Registries the person may register in: they are on the staff with a registering role."""
    if not person.is_active or not any(person.has_role(role) for role in REGISTERING_ROLES):
        return []
    return list(Registry.objects.filter(registrystaff__person=person).order_by("code"))


def check_may_register(actor: Person, data: RegistrationData) -> None:
    """Refuse with PermissionDenied (who) or ValidationError (what), naming the problem."""
    if not actor.is_active:
        raise PermissionDenied(_("your account is not active"))
    if not any(actor.has_role(role) for role in REGISTERING_ROLES):
        raise PermissionDenied(_("only registry clerks and control officers register documents"))
    if not RegistryStaff.objects.filter(registry=data.registry, person=actor).exists():
        raise PermissionDenied(_("you are not on the staff of registry %(code)s") % {"code": data.registry.code})
    policy = active_policy()
    if data.level > data.registry.accreditation:
        accredited = policy.levels[Level(data.registry.accreditation)].marking
        raise ValidationError(
            {
                "level": _("registry %(code)s is accredited only up to %(marking)s")
                % {"code": data.registry.code, "marking": accredited}
            }
        )
    decision = may_classify(policy, actor.subject(), data.level, data.category_mask, timezone.localdate())
    if not decision:
        raise ValidationError({"level": decision.reason})


def document_fields(
    actor: Person, data: RegistrationData, *, sequence: int, year: int, now: datetime
) -> dict[str, Any]:
    """The register entry's columns (by attribute name), shared by one registration and imports."""
    return {
        "registry_id": data.registry.pk,
        "year": year,
        "sequence": sequence,
        "number": format_number(data.registry, year, sequence, data.direction),
        "direction": data.direction,
        "registered_at": now,
        "registered_by_id": actor.pk,
        "originator": data.originator,
        "originator_reference": data.originator_reference,
        "document_date": data.document_date,
        "subject": data.subject,
        "subject_level": int(data.subject_level),
        "level": int(data.level),
        "category_mask": data.category_mask,
        "releasable_to": encode_nations(data.releasable_to),
        "external_addressees": data.external_addressees,
        "file_id": data.file.pk if data.file else None,
        "language": data.language,
        "pages": data.pages,
        "annexes": data.annexes,
        "downgrade_instruction": data.downgrade_instruction,
    }


def build_document(actor: Person, data: RegistrationData, *, sequence: int, year: int, now: datetime) -> Document:
    return Document(**document_fields(actor, data, sequence=sequence, year=year, now=now))


def need_to_know_grants(data: RegistrationData) -> list[tuple[str, str, int]]:
    """The need-to-know a registration creates, as (reason, grantee column, id): every addressee.
    (The registering registry's staff see it through the document's own registry column.)"""
    grants: list[tuple[str, str, int]] = []
    for reason, units, persons in (
        (AccessReason.ACTION.value, data.action_units, data.action_persons),
        (AccessReason.INFO.value, data.info_units, data.info_persons),
    ):
        grants += [(reason, "unit_id", unit.pk) for unit in _unique(units)]
        grants += [(reason, "person_id", person.pk) for person in _unique(persons)]
    return grants


def access_rows(actor: Person, document: Document, data: RegistrationData, now: datetime) -> list[Access]:
    return [
        Access(document=document, reason=reason, granted_at=now, granted_by=actor, **{column: pk})
        for reason, column, pk in need_to_know_grants(data)
    ]


def _unique(items: Iterable[Any]) -> list[Any]:
    return list({item.pk: item for item in items}.values())


def register_document(actor: Person, data: RegistrationData, *, upload: Upload | None = None) -> Document:
    """Enter a document in a registry's register, with its first version if content is given.

    The content is stored first (outside the transaction, it can be large) and removed again if
    the registration fails, so a failure leaves no number used and nothing stored.
    """
    check_may_register(actor, data)
    if upload is None:
        return _register(actor, data, None)
    media_type, warning = _inspect_upload(upload)
    with storage.staged(upload.stream, max_bytes=settings.REGISTRUM_MAX_UPLOAD_BYTES) as blob:
        return _register(actor, data, (upload, media_type, warning, blob))


@transaction.atomic(durable=True)
def _register(
    actor: Person, data: RegistrationData, content: tuple[Upload, str, str, storage.StoredBlob] | None
) -> Document:
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence = allocate(data.registry, year)
    document = build_document(actor, data, sequence=sequence, year=year, now=now)
    document.save()
    Access.objects.bulk_create(access_rows(actor, document, data, now))
    audit.record(
        actor,
        "records.document_registered",
        document,
        summary=f"{document.number} registered in {data.registry.code}",
        data={"level": int(data.level), "direction": data.direction},
    )
    if content is not None:
        upload, media_type, warning, blob = content
        _add_version(actor, document, upload, media_type, warning, blob, now)
    return document


def _inspect_upload(upload: Upload) -> tuple[str, str]:
    try:
        media_type = content_types.media_type_for(upload.filename)
    except content_types.UnsupportedContent as exc:
        raise ValidationError({"content": str(exc)}) from exc
    return media_type, content_types.inspect(upload.stream, media_type)


def _add_version(
    actor: Person,
    document: Document,
    upload: Upload,
    media_type: str,
    warning: str,
    blob: storage.StoredBlob,
    now: datetime,
) -> Version:
    last = Version.objects.select_for_update().filter(document=document).order_by("-number").first()
    version = Version.objects.create(
        document=document,
        number=(last.number + 1) if last else 1,
        filename=upload.filename[-255:],
        media_type=media_type,
        size=blob.size,
        sha256=blob.sha256,
        uploaded_at=now,
        uploaded_by=actor,
        warning=warning,
    )
    audit.record(
        actor,
        "records.version_added",
        document,
        summary=f"version {version.number} ({upload.filename}) added to {document.number}",
        data={"sha256": blob.sha256, "size": blob.size, "warning": warning},
    )
    return version


def is_holding_registry_staff(actor: Person, document: Document) -> bool:
    return RegistryStaff.objects.filter(registry_id=document.registry_id, person=actor).exists()


def check_may_add_version(actor: Person, document: Document) -> None:
    """Content is added by the registry that holds the document, or by whoever registered it."""
    if document.registered_by_id == actor.pk:
        return
    if any(actor.has_role(role) for role in REGISTERING_ROLES) and is_holding_registry_staff(actor, document):
        return
    raise PermissionDenied(_("only the holding registry adds versions to a document"))


def add_version(actor: Person, document_pk: int, upload: Upload) -> Version:
    document = get_document_for(actor, document_pk)  # 404 before anything else: no existence leak
    check_may_add_version(actor, document)
    media_type, warning = _inspect_upload(upload)
    with (
        storage.staged(upload.stream, max_bytes=settings.REGISTRUM_MAX_UPLOAD_BYTES) as blob,
        transaction.atomic(durable=True),
    ):
        return _add_version(actor, document, upload, media_type, warning, blob, timezone.now())


@transaction.atomic(durable=True)
def open_version(actor: Person, document_pk: int, number: int) -> tuple[Version, BinaryIO]:
    """Hand out content and record who took it: reading classified content is audited."""
    version = get_version_for(actor, document_pk, number)
    stream = storage.get_store().open(version.sha256)
    audit.record(
        actor,
        "records.version_downloaded",
        version.document,
        summary=f"{actor.username} downloaded version {version.number} of {version.document.number}",
    )
    return version, stream


def can_grant(actor: Person, document: Document) -> bool:
    """Need-to-know is granted by the staff of the registry that holds the document."""
    return is_holding_registry_staff(actor, document)


@transaction.atomic(durable=True)
def grant_access(actor: Person, document_pk: int, *, person: Person, note: str = "") -> Access:
    """An explicit need-to-know grant, by the holding registry. It does not lift clearance,
    briefing or releasability: the grantee still needs all of those."""
    document = get_document_for(actor, document_pk)
    if not can_grant(actor, document):
        raise PermissionDenied(_("only staff of the holding registry grant need-to-know"))
    row = Access.objects.create(
        document=document, person=person, reason=AccessReason.GRANT, granted_at=timezone.now(), granted_by=actor
    )
    audit.record(
        actor,
        "records.access_granted",
        document,
        summary=f"need-to-know on {document.number} granted to {person.username}",
        data={"note": note[:200]},
    )
    return row


def find_person(username: str) -> Person:
    """An active account by username, for faces that name people; a clear error if none."""
    person = Person.objects.filter(username=username.strip().lstrip("@"), is_active=True).first()
    if person is None:
        raise ValidationError({"username": _("no active account %(username)s") % {"username": repr(username)}})
    return person


def history_for(person: Person, document_pk: int) -> Any:
    return audit.history_of(get_document_for(person, document_pk))
