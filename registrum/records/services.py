"""The register's verbs. Each asks the policy, runs in one transaction and audits inside it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit, storage
from registrum.audit.events import EventType
from registrum.audit.refusals import Refused, Unseen
from registrum.org.models import Person, Registry, Unit
from registrum.policy import (
    Action,
    Decision,
    Level,
    RegistryTarget,
    Resource,
    active_policy,
    may,
)
from registrum.policy.decision import REGISTERING_ROLES
from registrum.records import content as content_types
from registrum.records.history import DOCUMENT_EVENTS
from registrum.records.models import (
    Access,
    AccessReason,
    Document,
    File,
    IdempotencyKey,
    Registration,
    Version,
    encode_nations,
)
from registrum.records.numbering import allocate, format_number
from registrum.records.querysets import Grantees
from registrum.records.registration import (
    CORRECTABLE_FIELDS,
    InvalidRegistration,
    RegistrationData,
    parse_registration,
    registration_values,
    text_problem,
)


class IdempotencyConflict(Exception):
    """The same Idempotency-Key came with a different request."""


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, body: object) -> Idempotency | None:
        if not key:
            return None
        problem = text_problem(key)
        if problem or len(key) > 100:
            raise ValidationError(
                {"Idempotency-Key": problem or _("is longer than %(limit)d characters") % {"limit": 100}}
            )
        encoded = json.dumps(body, sort_keys=True, default=str, ensure_ascii=True).encode()
        return cls(key, hashlib.sha256(encoded).hexdigest())


def replayed_registration(person: Person, key: str, body: object) -> Registration | None:
    """The registration an earlier request with this key made, or None if the key is new."""
    idempotency = Idempotency.of(key, body)
    if not (idempotency is not None):
        raise RuntimeError("internal check failed: idempotency is not None")
    row = IdempotencyKey.objects.filter(person=person, key=idempotency.key).select_related("registration").first()
    if row is None:
        return None
    if row.fingerprint != idempotency.fingerprint:
        raise IdempotencyConflict(_("this Idempotency-Key was already used for a different request"))
    return get_registration_for(person, row.registration.public_id)


def _remember(actor: Person, idempotency: Idempotency | None, registration: Registration, now: datetime) -> None:
    if idempotency is not None:
        IdempotencyKey.objects.create(
            person=actor,
            key=idempotency.key,
            fingerprint=idempotency.fingerprint,
            registration=registration,
            created_at=now,
        )


@dataclass(frozen=True)
class Upload:
    """Content handed to a service: a name and a readable binary stream."""

    filename: str
    stream: storage.ReadableStream


# Reading -----------------------------------------------------------------------------------


def get_document_for(person: Person | Any, public_id: str, action: Action = Action.READ) -> Document:
    """The one way to fetch a document: missing and not-allowed are the same 404. Not-allowed
    also carries the policy's reason, for the audit trail (the reader sees only the 404)."""
    document = Document.objects.visible_to(person).filter(public_id=str(public_id)).first()
    if document is None:
        raise _unseen(person, Document.objects.filter(public_id=str(public_id)).first(), action, "no such document")
    return document


def _unseen(person: Person | Any, document: Document | None, action: Action, message: str) -> Http404:
    if document is None or not getattr(person, "is_authenticated", False):
        return Http404(message)
    return Unseen(person, action.value, decide(person, Action.READ, document), document, message=message)


def get_registration_for(person: Person | Any, public_id: str, action: Action = Action.READ) -> Registration:
    """A registration the person may see (its document is visible), else the same 404."""
    registration = (
        Registration.objects.visible_to(person)
        .select_related("registry", "document", "file", "registered_by", "voided_by")
        .filter(public_id=str(public_id))
        .first()
    )
    if registration is None:
        hidden = Registration.objects.filter(public_id=str(public_id)).select_related("document").first()
        raise _unseen(person, hidden.document if hidden else None, action, "no such registration")
    return registration


def registrations_of(person: Person | Any, document: Document) -> list[Registration]:
    """Every registration of a document that the reader may see, oldest first."""
    return list(
        Registration.objects.visible_to(person)
        .filter(document=document)
        .select_related("registry", "registered_by", "file", "voided_by")
        .order_by("registered_at", "id")
    )


def has_need_to_know(person: Person, document: Document) -> bool:
    """The need-to-know rule evaluated in Python, for `decide` and the property test."""
    grantees = Grantees(person)
    for row in Access.objects.filter(document=document).only("person_id", "unit_id", "registry_id"):
        if row.person_id == grantees.person_id:
            return True
        if row.unit_id is not None and row.unit_id in grantees.unit_ids:
            return True
        if row.registry_id is not None and row.registry_id in grantees.registry_ids:
            return True
    return False


def holding_registries(document: Document) -> frozenset[int]:
    """Registries where the document is registered (a voided registration holds nothing)."""
    return frozenset(
        Registration.objects.filter(document=document, voided_at__isnull=True).values_list("registry_id", flat=True)
    )


def resource_for(person: Person, document: Document, registration: Registration | None = None) -> Resource:
    return Resource(
        level=Level(document.level),
        category_mask=document.category_mask,
        releasable_to=frozenset(document.releasable_nations),
        need_to_know=has_need_to_know(person, document),
        holding_registries=holding_registries(document),
        registration_registry=registration.registry_id if registration else None,
        registration_void=registration.is_void if registration else False,
    )


def decide(person: Person, action: Action, document: Document, registration: Registration | None = None) -> Decision:
    """The policy's answer for one action on one document (or one of its registrations)."""
    if not getattr(person, "is_authenticated", False):
        return Decision(False, "not signed in")
    resource = resource_for(person, document, registration)
    return may(active_policy(), person.subject(), action, resource, timezone.localdate())


@dataclass(frozen=True)
class PageDecisions:
    """What a document page offers the person: granting, adding versions, and correcting or
    voiding each registration."""

    may_grant: bool
    may_add_version: bool
    correctable: dict[int, bool]


def page_decisions(person: Person, document: Document, registrations: list[Registration]) -> PageDecisions:
    """Every decision a document page needs, with the document's facts read once (not once per
    action and registration)."""
    if not getattr(person, "is_authenticated", False):
        return PageDecisions(False, False, {r.pk: False for r in registrations})
    resource = resource_for(person, document)
    policy, subject, today = active_policy(), person.subject(), timezone.localdate()

    def allowed(action: Action, target: Resource) -> bool:
        return bool(may(policy, subject, action, target, today))

    return PageDecisions(
        may_grant=allowed(Action.GRANT, resource),
        may_add_version=allowed(Action.ADD_VERSION, resource),
        correctable={
            r.pk: allowed(
                Action.CORRECT, replace(resource, registration_registry=r.registry_id, registration_void=r.is_void)
            )
            for r in registrations
        },
    )


def may_read(person: Person, document: Document) -> Decision:
    return decide(person, Action.READ, document)


def require(person: Person, action: Action, document: Document, registration: Registration | None = None) -> None:
    """Refuse with the policy's reason; the face that answers 403 records the refusal."""
    decision = decide(person, action, document, registration)
    if not decision:
        raise Refused(person, action.value, decision, document)


def get_version_for(person: Person | Any, document_public_id: str, number: int) -> Version:
    document = get_document_for(person, document_public_id)
    version = Version.objects.filter(document=document, number=number).first()
    if version is None:
        raise Http404("no such version")
    return version


# Registering -------------------------------------------------------------------------------


def registries_for(person: Person) -> list[Registry]:
    """Registries the person may register in: they are on the staff with a registering role."""
    subject = person.subject()
    if not subject.active or not subject.roles & REGISTERING_ROLES:
        return []
    return list(Registry.objects.filter(pk__in=subject.registries).order_by("code"))


def check_may_enter(
    actor: Person, registry: Registry, level: Level, category_mask: int, *, field: str = "level"
) -> None:
    """Refuse with Refused, a PermissionDenied (who), or ValidationError (what, on `field`: the
    level typed, or the registry chosen for a receipt), from the policy's reason."""
    policy = active_policy()
    today = timezone.localdate()
    lowest = min(policy.levels)
    who = may(
        policy,
        actor.subject(),
        Action.REGISTER,
        RegistryTarget(registry.pk, Level(registry.accreditation), lowest, 0),
        today,
    )
    if not who:
        raise Refused(actor, Action.REGISTER.value, who, registry, context=registry.code)
    what = may(
        policy,
        actor.subject(),
        Action.REGISTER,
        RegistryTarget(registry.pk, Level(registry.accreditation), level, category_mask),
        today,
    )
    if not what:
        raise ValidationError({field: f"{registry.code}: {what.render(_)}"})


def check_may_register(actor: Person, data: RegistrationData) -> None:
    check_may_enter(actor, data.registry, data.level, data.category_mask)


def document_fields(data: RegistrationData, *, now: datetime) -> dict[str, Any]:
    """The document's columns (by attribute name), shared by one registration and imports."""
    return {
        "originator": data.originator,
        "originator_reference": data.originator_reference,
        "document_date": data.document_date,
        "subject": data.subject,
        "subject_level": int(data.subject_level),
        "level": int(data.level),
        "category_mask": data.category_mask,
        "releasable_to": encode_nations(data.releasable_to),
        "language": data.language,
        "pages": data.pages,
        "annexes": data.annexes,
        "downgrade_instruction": data.downgrade_instruction,
        "created_at": now,
    }


def classification_of(document: Document | Mapping[str, Any]) -> dict[str, Any]:
    """The register's copy of a document's classification: the only place it is taken from."""
    if isinstance(document, Document):
        return {
            "level": document.level,
            "category_mask": document.category_mask,
            "releasable_to": document.releasable_to,
        }
    return {name: document[name] for name in ("level", "category_mask", "releasable_to")}


def registration_fields(
    actor: Person,
    registry: Registry,
    *,
    direction: str,
    classification: Mapping[str, Any],
    sequence: int,
    year: int,
    now: datetime,
    file: File | None = None,
    external_addressees: str = "",
) -> dict[str, Any]:
    """A registration's columns (by attribute name), shared by one registration and imports."""
    return {
        **classification,
        "registry_id": registry.pk,
        "year": year,
        "sequence": sequence,
        "number": format_number(registry, year, sequence, direction),
        "direction": direction,
        "registered_at": now,
        "registered_by_id": actor.pk,
        "file_id": file.pk if file else None,
        "external_addressees": external_addressees,
    }


def registration_source(registration_id: int) -> str:
    return f"registration:{registration_id}"


def need_to_know_grants(data: RegistrationData) -> list[tuple[str, str, int]]:
    """The addressees' need-to-know a registration creates, as (reason, grantee column, id)."""
    grants: list[tuple[str, str, int]] = []
    for reason, units, persons in (
        (AccessReason.ACTION.value, data.action_units, data.action_persons),
        (AccessReason.INFO.value, data.info_units, data.info_persons),
    ):
        grants += [(reason, "unit_id", unit.pk) for unit in _unique(units)]
        grants += [(reason, "person_id", person.pk) for person in _unique(persons)]
    return grants


def _unique(items: Iterable[Any]) -> list[Any]:
    return list({item.pk: item for item in items}.values())


def once(
    actor: Person, idempotency: Idempotency | None, register: Callable[[], Registration]
) -> tuple[Registration, bool]:
    """Run a registering service, or return what an earlier request with the same key registered
    (a client that lost the answer retries). Returns (registration, created)."""
    try:
        return register(), True
    except IntegrityError:
        if idempotency is None:
            raise
        # A concurrent request with the same key committed first: this one rolled back whole.
        row = IdempotencyKey.objects.filter(person=actor, key=idempotency.key).first()
        if row is None:
            raise
        if row.fingerprint != idempotency.fingerprint:
            raise IdempotencyConflict(_("this Idempotency-Key was already used for a different request")) from None
        return get_registration_for(actor, row.registration.public_id), False


def register_document_once(
    actor: Person, data: RegistrationData, *, idempotency: Idempotency | None
) -> tuple[Registration, bool]:
    return once(actor, idempotency, lambda: register_document(actor, data, idempotency=idempotency))


def register_document(
    actor: Person, data: RegistrationData, *, upload: Upload | None = None, idempotency: Idempotency | None = None
) -> Registration:
    """Enter a new document in a registry's register, with its first version if content is given.

    Content is stored first (outside the transaction, it can be large). If the registration then
    fails, the content stays unreferenced (sealed, its data key gone with the failed transaction)
    and `registrum storage check --repair` removes it after its grace period.
    """
    check_may_register(actor, data)
    if upload is None:
        return _register(actor, data, None, idempotency)
    media_type, warning = _inspect_upload(upload)
    blob = storage.get_store().put(upload.stream, max_bytes=settings.REGISTRUM_MAX_UPLOAD_BYTES)
    return _register(actor, data, (upload, media_type, warning, blob), idempotency)


@transaction.atomic(durable=True)
def _register(
    actor: Person,
    data: RegistrationData,
    content: tuple[Upload, str, str, storage.StoredBlob] | None,
    idempotency: Idempotency | None,
) -> Registration:
    now = timezone.now()
    year = timezone.localdate(now).year
    # The number first: it is the registry's lock that orders concurrent registrations, and a
    # failure after it (a constraint on the document) must hand it back with the rest.
    sequence = allocate(data.registry, year)
    document = Document.objects.create(**document_fields(data, now=now))
    registration = _enter(
        actor,
        document,
        data.registry,
        direction=data.direction,
        now=now,
        year=year,
        sequence=sequence,
        file=data.file,
        external_addressees=data.external_addressees,
        with_registry_row=False,  # written below with the addressees' rows, in one statement
    )
    source = registration_source(registration.pk)
    Access.objects.bulk_create(
        [
            _registry_row(actor, registration, now),
            *(
                Access(
                    document=document, reason=reason, source=source, granted_at=now, granted_by=actor, **{column: pk}
                )
                for reason, column, pk in need_to_know_grants(data)
            ),
        ]
    )
    audit.record(
        actor,
        EventType.DOCUMENT_REGISTERED,
        document,
        summary=f"{registration.number} registered in {data.registry.code}",
        data={
            "number": registration.number,
            "registry": data.registry.code,
            "level": int(data.level),
            "direction": data.direction,
        },
    )
    if content is not None:
        upload, media_type, warning, blob = content
        _add_version(actor, document, upload, media_type, warning, blob, now)
    _remember(actor, idempotency, registration, now)
    return registration


def _enter(
    actor: Person,
    document: Document,
    registry: Registry,
    *,
    direction: str,
    now: datetime,
    year: int,
    file: File | None,
    external_addressees: str,
    received_from: Registration | None = None,
    sequence: int | None = None,
    with_registry_row: bool = True,
) -> Registration:
    """A registration with the next number of the registry's year (or the one already
    allocated), and the registry's need-to-know."""
    if sequence is None:
        sequence = allocate(registry, year)
    registration = Registration.objects.create(
        document=document,
        received_from=received_from,
        **registration_fields(
            actor,
            registry,
            direction=direction,
            classification=classification_of(document),
            sequence=sequence,
            year=year,
            now=now,
            file=file,
            external_addressees=external_addressees,
        ),
    )
    # The objects in hand, so nothing is read back to show the result.
    registration.document = document
    registration.registry = registry
    if with_registry_row:
        _registry_row(actor, registration, now).save()
    return registration


def _registry_row(actor: Person, registration: Registration, now: datetime) -> Access:
    """The holding registry's need-to-know, given by the registration."""
    return Access(
        document_id=registration.document_id,
        registry_id=registration.registry_id,
        reason=AccessReason.REGISTRY,
        source=registration_source(registration.pk),
        granted_at=now,
        granted_by=actor,
    )


def find_known_documents(person: Person, text: str) -> list[Document]:
    """Documents the person may see whose registration number or originator's reference is
    exactly `text`: what a receiving registry types from the copy in its hands."""
    text = text.strip()
    if not text or "\x00" in text:
        return []
    numbered = Registration.objects.filter(number__in={text, text.upper()}).values("document_id")
    return list(
        Document.objects.visible_to(person)
        .filter(Q(pk__in=numbered) | Q(originator_reference__iexact=text))
        .order_by("-created_at", "-id")[:20]
    )


def register_receipt(
    actor: Person,
    document_public_id: str,
    *,
    registry: Registry,
    direction: str = "IN",
    file: File | None = None,
    external_addressees: str = "",
    idempotency: Idempotency | None = None,
) -> Registration:
    """A registry records in its own register the receipt of a document already known, without
    re-typing it: the new registration points to the document and gets the registry's number."""
    problems = {name: text_problem(value) for name, value in (("external_addressees", external_addressees),)}
    problems = {name: problem for name, problem in problems.items() if problem}
    if len(external_addressees) > 500:
        problems["external_addressees"] = _("is longer than %(limit)d characters") % {"limit": 500}
    if problems:
        raise ValidationError(problems)
    with transaction.atomic(durable=True):
        document = get_document_for(actor, document_public_id, Action.REGISTER_RECEIPT)
        now = timezone.now()
        registration = enter_receipt(
            actor, document, registry, direction=direction, file=file, external_addressees=external_addressees, now=now
        )
        _remember(actor, idempotency, registration, now)
        return registration


def enter_receipt(
    actor: Person,
    document: Document,
    registry: Registry,
    *,
    now: datetime,
    direction: str = "IN",
    file: File | None = None,
    external_addressees: str = "",
) -> Registration:
    """The receipt's registration inside the caller's transaction (a registry receiving copies
    on a transfer registers them here): the caller has found the document through the access
    filter; this checks the registry and the actor, numbers it and writes the audit event."""
    check_may_enter(actor, registry, Level(document.level), document.category_mask, field="registry")
    if direction not in ("IN", "OUT", "INT"):
        raise ValidationError(
            {"direction": _("unknown direction %(code)s (use IN, OUT or INT)") % {"code": repr(direction)}}
        )
    if Registration.objects.filter(document=document, registry=registry, voided_at__isnull=True).exists():
        raise ValidationError(
            {"registry": _("the document is already registered in %(code)s") % {"code": registry.code}}
        )
    first = (
        Registration.objects.filter(document=document, voided_at__isnull=True).order_by("registered_at", "id").first()
    )
    registration = _enter(
        actor,
        document,
        registry,
        direction=direction,
        now=now,
        year=timezone.localdate(now).year,
        file=file,
        external_addressees=external_addressees,
        received_from=first,
    )
    audit.record(
        actor,
        EventType.RECEIPT_REGISTERED,
        document,
        summary=f"receipt registered in {registry.code} as {registration.number}",
        data={
            "number": registration.number,
            "registry": registry.code,
            "received_from": first.number if first else "",
            "direction": direction,
        },
    )
    return registration


# Correcting and voiding ---------------------------------------------------------------------


def correct_registration(actor: Person, registration_public_id: str, changes: Mapping[str, object]) -> Registration:
    """Correct a registration's descriptive fields. Classification is not corrected here (that
    is regrading, with its own authority). Before and after go into the audit event; a refused
    correction changes nothing."""
    unknown = sorted(set(changes) - set(CORRECTABLE_FIELDS))
    if unknown:
        raise InvalidRegistration(
            [
                (name, _("cannot be corrected (correctable: %(fields)s)") % {"fields": ", ".join(CORRECTABLE_FIELDS)})
                for name in unknown
            ]
        )
    with transaction.atomic(durable=True):
        registration = get_registration_for(actor, registration_public_id, Action.CORRECT)
        document = Document.objects.select_for_update().get(pk=registration.document_id)
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("registry", "file")
            .get(pk=registration.pk)
        )
        require(actor, Action.CORRECT, document, registration)
        current = registration_values(registration, document)
        proposed = {**current, **{name: "" if value is None else str(value) for name, value in changes.items()}}
        data = parse_registration(proposed)
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        for name in CORRECTABLE_FIELDS:
            if current[name] != proposed[name].strip():
                before[name], after[name] = current[name], proposed[name].strip()
        if not after:
            raise ValidationError({"": _("nothing to correct: every value is as registered")})
        fields = document_fields(data, now=document.created_at)
        for name in ("originator", "originator_reference", "document_date", "subject", "language", "pages", "annexes"):
            setattr(document, name, fields[name])
        document.save()
        registration.direction = data.direction
        registration.file = data.file
        registration.external_addressees = data.external_addressees
        registration.save(update_fields=["direction", "file", "external_addressees"])
        audit.record(
            actor,
            EventType.REGISTRATION_CORRECTED,
            document,
            summary=f"{registration.number} corrected: {', '.join(sorted(after))}",
            data={"number": registration.number, "before": before, "after": after},
        )
        return registration


def void_registration(actor: Person, registration_public_id: str, reason: str) -> Registration:
    """Void a registration: it stays in the register, marked VOID, with its number."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("give the reason for voiding")})
    problem = text_problem(reason)
    if problem:
        raise ValidationError({"reason": problem})
    if len(reason) > 300:
        raise ValidationError({"reason": _("is longer than %(limit)d characters") % {"limit": 300}})
    with transaction.atomic(durable=True):
        registration = get_registration_for(actor, registration_public_id, Action.VOID)
        registration = (
            Registration.objects.select_for_update(of=("self",)).select_related("registry").get(pk=registration.pk)
        )
        require(actor, Action.VOID, registration.document, registration)
        registration.voided_at = timezone.now()
        registration.voided_by = actor
        registration.void_reason = reason
        registration.save(update_fields=["voided_at", "voided_by", "void_reason"])
        audit.record(
            actor,
            EventType.REGISTRATION_VOIDED,
            registration.document,
            summary=f"{registration.number} voided: {reason}",
            data={"number": registration.number, "reason": reason},
        )
        return registration


# Versions -----------------------------------------------------------------------------------


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
    # The document row is locked first, so concurrent uploads to one document queue for the
    # next number instead of colliding on it (there is no version row to lock before the first).
    Document.objects.select_for_update().filter(pk=document.pk).values_list("pk", flat=True).get()
    last = Version.objects.filter(document=document).order_by("-number").values_list("number", flat=True).first()
    version = Version.objects.create(
        document=document,
        number=(last or 0) + 1,
        filename=upload.filename[-255:],
        media_type=media_type,
        size=blob.size,
        sha256=blob.sha256,
        blob_id=blob.blob_id,
        kek_id=blob.kek_id,
        wrapped_key=blob.wrapped_key,
        uploaded_at=now,
        uploaded_by=actor,
        warning=warning,
    )
    audit.record(
        actor,
        EventType.VERSION_ADDED,
        document,
        summary=f"version {version.number} ({upload.filename}) added",
        data={
            "version": version.number,
            "filename": upload.filename[-255:],
            "sha256": blob.sha256,
            "size": blob.size,
            "warning": warning,
        },
    )
    return version


def add_version(actor: Person, document_public_id: str, upload: Upload) -> Version:
    # 404 before anything else: no existence leak.
    document = get_document_for(actor, document_public_id, Action.ADD_VERSION)
    require(actor, Action.ADD_VERSION, document)
    media_type, warning = _inspect_upload(upload)
    blob = storage.get_store().put(upload.stream, max_bytes=settings.REGISTRUM_MAX_UPLOAD_BYTES)
    with transaction.atomic(durable=True):
        return _add_version(actor, document, upload, media_type, warning, blob, timezone.now())


@transaction.atomic(durable=True)
def open_version(actor: Person, document_public_id: str, number: int) -> tuple[Version, BinaryIO]:
    """Hand out content and record who took it: reading classified content is audited."""
    version = get_version_for(actor, document_public_id, number)
    stream = open_content(version)
    audit.record(
        actor,
        EventType.VERSION_DOWNLOADED,
        version.document,
        summary=f"{actor.username} downloaded version {version.number}",
        data={"version": version.number, "filename": version.filename},
    )
    return version, stream


def open_content(version: Version) -> BinaryIO:
    """The plaintext of a version the caller was allowed (and audited) to read, decrypted as it is read."""
    if version.blob_id is None or version.wrapped_key is None:
        raise storage.BlobNotFound(f"{version}: not sealed yet (run `registrum keys migrate`)")
    return storage.get_store().open(version.blob_id, version.kek_id, bytes(version.wrapped_key))


# Need-to-know -------------------------------------------------------------------------------

GRANT_SOURCE = "grant"


@dataclass(frozen=True)
class GrantResult:
    row: Access
    created: bool
    # Why the grantee still cannot read the document (clearance, briefing, nationality), or "".
    still_refused: str


def _grantee_kwargs(person: Person | None, unit: Unit | None, registry: Registry | None) -> dict[str, Any]:
    given = {name: value for name, value in (("person", person), ("unit", unit), ("registry", registry)) if value}
    if len(given) != 1:
        raise ValidationError({"grantee": _("name exactly one grantee: a person, a unit or a registry")})
    return given


def _grantee_label(grantee: dict[str, Any]) -> str:
    if "person" in grantee:
        return f"@{grantee['person'].username}"
    return str(next(iter(grantee.values())).code)


def grant_access(
    actor: Person,
    document_public_id: str,
    *,
    person: Person | None = None,
    unit: Unit | None = None,
    registry: Registry | None = None,
    note: str = "",
) -> GrantResult:
    """An explicit need-to-know grant, by staff of a holding registry. It does not lift
    clearance, briefing or releasability: a person who still could not read the document is
    named with the policy's reason, so the granter knows."""
    grantee = _grantee_kwargs(person, unit, registry)
    with transaction.atomic(durable=True):
        document = get_document_for(actor, document_public_id, Action.GRANT)
        require(actor, Action.GRANT, document)
        now = timezone.now()
        row, created = Access.objects.get_or_create(
            document=document,
            reason=AccessReason.GRANT,
            source=GRANT_SOURCE,
            person=grantee.get("person"),
            unit=grantee.get("unit"),
            registry=grantee.get("registry"),
            defaults={"granted_at": now, "granted_by": actor},
        )
        still_refused = ""
        if person is not None:
            decision = may_read(person, document)
            still_refused = "" if decision else decision.render(_)
        if created:
            audit.record(
                actor,
                EventType.ACCESS_GRANTED,
                document,
                summary=f"need-to-know granted to {_grantee_label(grantee)}",
                data={"grantee": _grantee_label(grantee), "note": note[:200], "still_refused": still_refused},
            )
        return GrantResult(row, created, still_refused)


def revoke_access(
    actor: Person,
    document_public_id: str,
    *,
    person: Person | None = None,
    unit: Unit | None = None,
    registry: Registry | None = None,
    reason: str = AccessReason.GRANT,
    source: str = GRANT_SOURCE,
) -> None:
    """Withdraw one need-to-know row, exactly the one its source gave. The holding registry's
    own rows end only with the registration (they are what makes it the holding registry)."""
    grantee = _grantee_kwargs(person, unit, registry)
    if reason == AccessReason.REGISTRY:
        raise ValidationError({"reason": _("a holding registry's need-to-know ends only with its registration")})
    with transaction.atomic(durable=True):
        document = get_document_for(actor, document_public_id, Action.REVOKE)
        require(actor, Action.REVOKE, document)
        row = (
            Access.objects.select_for_update()
            .filter(
                document=document,
                reason=reason,
                source=source,
                person=grantee.get("person"),
                unit=grantee.get("unit"),
                registry=grantee.get("registry"),
            )
            .first()
        )
        if row is None:
            raise ValidationError(
                {"grantee": _("%(grantee)s has no such need-to-know") % {"grantee": _grantee_label(grantee)}}
            )
        row.delete()
        audit.record(
            actor,
            EventType.ACCESS_REVOKED,
            document,
            summary=f"need-to-know of {_grantee_label(grantee)} ({reason}) revoked",
            data={"grantee": _grantee_label(grantee), "reason": reason, "source": source},
        )


def find_person(username: str, *, field: str = "username") -> Person:
    """An active account by username, for faces that name people; a clear error if none,
    on the field the face asked with."""
    name = username.strip().lstrip("@")
    problem = text_problem(name)
    if problem:
        raise ValidationError({field: problem})
    person = Person.objects.filter(username=name, is_active=True).first()
    if person is None:
        raise ValidationError({field: _("no active account %(username)s") % {"username": repr(username)}})
    return person


def find_grantee(code: str) -> dict[str, Any]:
    """A grantee named as faces name them: @username, a unit code or a registry code."""
    code = code.strip()
    problem = text_problem(code)
    if problem:
        raise ValidationError({"grantee": problem})
    if code.startswith("@"):
        return {"person": find_person(code, field="grantee")}
    registry = Registry.objects.filter(code__iexact=code).first()
    if registry is not None:
        return {"registry": registry}
    unit = Unit.objects.filter(code__iexact=code).first()
    if unit is not None:
        return {"unit": unit}
    person = Person.objects.filter(username=code, is_active=True).first()
    if person is not None:
        return {"person": person}
    raise ValidationError(
        {
            "grantee": _("unknown grantee %(code)s (a person @username, a unit or a registry code)")
            % {"code": repr(code)}
        }
    )


@dataclass(frozen=True)
class History:
    events: list[Any]
    # Whether the events include who else read, downloaded or was granted the document.
    complete: bool


def history_for(person: Person, document: Document) -> History:
    """A document's history as the reader may see it: what happened to the document for every
    reader; who else had it (downloads, grants, refusals) for holding-registry staff and auditors."""
    complete = bool(decide(person, Action.READ_AUDIT, document))
    events = audit.history_of(document)
    if not complete:
        events = events.filter(event__in=DOCUMENT_EVENTS)
    return History(list(events), complete)
