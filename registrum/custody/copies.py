"""Numbered copies and security containers: numbering a document's copies, containers and
their combination changes, moving a copy between containers, holdings and copy history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import (
    check_place,
    container_place,
    copy_event,
    handling_of,
    record_copy_events,
    registry_place,
    require_control_officer,
    require_staff,
)
from registrum.custody.models import (
    CombinationChange,
    Container,
    ContainerKind,
    Copy,
    CopyEvent,
    CopyEventKind,
    CopyStatus,
)
from registrum.org.models import Person, Registry
from registrum.policy import Level, active_policy
from registrum.policy.custody import CopyNumbering
from registrum.records.models import Document, Registration
from registrum.records.services import get_document_for

MAX_COPIES_AT_ONCE = 500


def holding_registry_ids(document: Document) -> set[int]:
    return set(
        Registration.objects.filter(document=document, voided_at__isnull=True).values_list("registry_id", flat=True)
    )


def number_copies(
    actor: Person,
    document_public_id: str,
    *,
    registry: Registry,
    count: int,
    container: Container | None = None,
) -> list[Copy]:
    """Give a document numbered copies held by a registry that registered it. The first issue
    is "1 of N"; a later one continues the numbers ("4 of 5", "5 of 5")."""
    if not 1 <= count <= MAX_COPIES_AT_ONCE:
        raise ValidationError({"count": _("give between 1 and %(limit)d copies") % {"limit": MAX_COPIES_AT_ONCE}})
    with transaction.atomic(durable=True):
        document = get_document_for(actor, document_public_id)
        require_staff(actor, registry, "number_copies", document)
        if registry.pk not in holding_registry_ids(document):
            raise ValidationError(
                {"registry": _("%(code)s has not registered this document") % {"code": registry.code}}
            )
        if handling_of(document).copies is CopyNumbering.NONE:
            marking = active_policy().levels[Level(document.level)].marking
            raise ValidationError({"count": _("%(marking)s documents are not copy-numbered") % {"marking": marking}})
        check_place(registry_place(registry), [document], field="registry")
        if container is not None:
            _check_container(container, registry, [document])
        # Lock the document's copies while numbering (concurrent issues get distinct numbers).
        Document.objects.select_for_update().filter(pk=document.pk).first()
        last = Copy.objects.filter(document=document).aggregate(last=Max("number"))["last"] or 0
        total = last + count
        now = timezone.now()
        copies = [
            Copy(
                document=document,
                number=last + n,
                of_total=total,
                level=document.level,
                category_mask=document.category_mask,
                releasable_to=document.releasable_to,
                registry=registry,
                container=container,
                status=CopyStatus.HELD,
                since=now,
                created_at=now,
                created_by=actor,
            )
            for n in range(1, count + 1)
        ]
        Copy.objects.bulk_create(copies)
        copies = list(Copy.objects.filter(document=document, number__gt=last).select_related("registry", "container"))
        record_copy_events(
            actor,
            copies,
            CopyEventKind.CREATED,
            EventType.COPIES_NUMBERED,
            now,
            summary=f"numbered, held by {registry.code}",
        )
        return copies


def _check_container(container: Container, registry: Registry, items: list[Copy] | list[Document]) -> None:
    if container.registry_id != registry.pk:
        raise ValidationError(
            {
                "container": _("%(container)s belongs to %(registry)s")
                % {"container": container.code, "registry": container.registry.code}
            }
        )
    check_place(container_place(container), items, field="container")


def store_copy(actor: Person, copy_public_id: str, container: Container | None) -> Copy:
    """Move a held copy into one of its registry's containers (or out of any)."""
    with transaction.atomic(durable=True):
        copy = _held_copy(actor, copy_public_id)
        if container is not None:
            _check_container(container, copy.registry, [copy])  # type: ignore[arg-type]
        copy.container = container
        copy.save(update_fields=["container"])
        now = timezone.now()
        copy_event(copy, CopyEventKind.STORED, actor, now).save()
        code = container.code if container else ""
        place = code or "no container"
        audit.record(
            actor,
            EventType.COPY_STORED,
            copy.document,
            summary=f"copy {copy.number} of {copy.of_total} stored in {place}",
            data={"copy": copy.public_id, "number": copy.number, "of": copy.of_total, "container": code},
        )
        return copy


def _held_copy(actor: Person, copy_public_id: str) -> Copy:
    copy = (
        Copy.objects.visible_to(actor)
        # Only the copy's row: PostgreSQL locks no row on the nullable side of an outer join.
        .select_for_update(of=("self",))
        .select_related("document", "registry", "container")
        .filter(public_id=str(copy_public_id))
        .first()
    )
    if copy is None:
        from django.http import Http404

        raise Http404("no such copy")
    require_staff(actor, copy.registry, "store_copy", copy.document)
    if copy.status != CopyStatus.HELD:
        raise ValidationError({"copy": _("the copy is %(status)s, not held") % {"status": copy.get_status_display()}})
    return copy


# Containers --------------------------------------------------------------------------------


def create_container(
    actor: Person,
    *,
    registry: Registry,
    code: str,
    name: str,
    accreditation: Level,
    categories: list[str] | tuple[str, ...] = (),
    kind: str = ContainerKind.SAFE,
    room: str = "",
    combination_changed_on: date | None = None,
) -> Container:
    """A control officer of the registry takes a container into service. Its accreditation never
    exceeds the registry's."""
    code = code.strip().upper()
    errors: dict[str, str] = {}
    if not code or len(code) > 40 or any(ch.isspace() for ch in code):
        errors["code"] = _("a code of 1 to 40 characters without spaces")
    if not name.strip() or len(name) > 200:
        errors["name"] = _("a name of 1 to 200 characters")
    if kind not in ContainerKind.values:
        errors["kind"] = _("unknown kind %(kind)s") % {"kind": repr(kind)}
    if accreditation > Level(registry.accreditation):
        errors["accreditation"] = _("%(registry)s is accredited only up to %(marking)s") % {
            "registry": registry.code,
            "marking": active_policy().levels[Level(registry.accreditation)].marking,
        }
    try:
        mask = active_policy().category_mask(categories)
    except ValueError as exc:
        errors["categories"] = str(exc)
        mask = 0
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        require_control_officer(actor, registry, "create_container")
        if Container.objects.filter(code=code).exists():
            raise ValidationError({"code": _("%(code)s is taken") % {"code": code}})
        now = timezone.now()
        changed_on = combination_changed_on or timezone.localdate()
        container = Container.objects.create(
            registry=registry,
            code=code,
            name=name.strip(),
            kind=kind,
            room=room.strip()[:200],
            accreditation=int(accreditation),
            category_mask=mask,
            combination_changed_on=changed_on,
        )
        CombinationChange.objects.create(
            container=container,
            changed_on=changed_on,
            reason=CombinationChange.Reason.NEW,
            recorded_at=now,
            recorded_by=actor,
        )
        audit.record(
            actor,
            EventType.CONTAINER_CREATED,
            container,
            summary=f"container {code} taken into service in {registry.code}",
            data={
                "code": code,
                "registry": registry.code,
                "accreditation": Level(accreditation).name,
                "categories": list(categories),
            },
        )
        return container


def record_combination_change(
    actor: Person, container: Container, *, changed_on: date, reason: str, note: str = ""
) -> CombinationChange:
    if reason not in CombinationChange.Reason.values:
        raise ValidationError({"reason": _("unknown reason %(reason)s") % {"reason": repr(reason)}})
    if changed_on > timezone.localdate():
        raise ValidationError({"changed_on": _("a change cannot be recorded before it happens")})
    with transaction.atomic(durable=True):
        container = Container.objects.select_for_update(of=("self",)).select_related("registry").get(pk=container.pk)
        require_staff(actor, container.registry, "record_combination_change")
        change = CombinationChange.objects.create(
            container=container,
            changed_on=changed_on,
            reason=reason,
            note=note[:300],
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        if container.combination_changed_on is None or changed_on > container.combination_changed_on:
            container.combination_changed_on = changed_on
            container.save(update_fields=["combination_changed_on"])
        audit.record(
            actor,
            EventType.COMBINATION_CHANGED,
            container,
            summary=f"combination of {container.code} changed on {changed_on} ({reason})",
            data={"code": container.code, "changed_on": changed_on.isoformat(), "reason": reason},
        )
        return change


# Reading -------------------------------------------------------------------------------------


def holdings(
    person: Person, registry: Registry, *, container: Container | None = None, level: Level | None = None
) -> QuerySet[Copy]:
    """The copies a registry holds (or has out on charge or in transit from it), as its staff
    see them: through the access filter, so a copy above their clearance is not there."""
    copies = (
        Copy.objects.visible_to(person)
        .filter(registry=registry)
        .exclude(status__in=(CopyStatus.DESTROYED, CopyStatus.DISPATCHED))
    )
    if container is not None:
        copies = copies.filter(container=container)
    if level is not None:
        copies = copies.filter(level=int(level))
    return copies.select_related("document", "container").order_by("document_id", "number")


@dataclass(frozen=True)
class CopyHistory:
    copy: Copy
    events: list[CopyEvent]


def copies_of(person: Person, document_public_id: str) -> tuple[Document, list[CopyHistory]]:
    """Every copy of a document the person may see, with every custodian, container and
    movement, oldest first: the copy history page."""
    document = get_document_for(person, document_public_id)
    copies = list(
        Copy.objects.visible_to(person)
        .filter(document=document)
        .select_related("registry", "person", "container", "made_from")
        .order_by("number")
    )
    events: dict[int, list[CopyEvent]] = {c.pk: [] for c in copies}
    for event in CopyEvent.objects.filter(copy__in=copies).select_related("by").order_by("at", "id"):
        events[event.copy_id].append(event)
    return document, [CopyHistory(c, events[c.pk]) for c in copies]


def copy_for(person: Person, copy_public_id: str) -> Copy:
    """A copy the person may see (through the access filter); 404 for any other."""
    copy = (
        Copy.objects.visible_to(person)
        .select_related("document", "registry", "person", "container")
        .filter(public_id=str(copy_public_id))
        .first()
    )
    if copy is None:
        from django.http import Http404

        raise Http404("no such copy")
    return copy


def containers_of(actor: Person, registry: Registry) -> QuerySet[Container]:
    """A registry's containers, for its staff (others are refused)."""
    require_staff(actor, registry, "list_containers", registry)
    return Container.objects.filter(registry=registry).order_by("code")


def container_for(actor: Person, container_public_id: str) -> Container:
    """A container by its public id, for the staff of its registry (404 when there is none)."""
    container = Container.objects.select_related("registry").filter(public_id=str(container_public_id)).first()
    if container is None:
        from django.http import Http404

        raise Http404("no such container")
    require_staff(actor, container.registry, "read_container", container)
    return container


def registry_holdings(
    actor: Person, registry: Registry, *, container: Container | None = None, level: Level | None = None
) -> QuerySet[Copy]:
    """`holdings` for the staff of the registry only."""
    require_staff(actor, registry, "read_holdings", registry)
    return holdings(actor, registry, container=container, level=level)


# Cover sheets and labels ---------------------------------------------------------------------

COVER_TEMPLATE = "custody/copies_cover_pdf.html"
LABELS_TEMPLATE = "custody/copies_labels_pdf.html"


def cover_sheet_pdf(person: Person, copy_public_id: str, *, template: str = COVER_TEMPLATE) -> tuple[Copy, bytes]:
    """The cover sheet of one copy the person may see, rendered and its printing audited. The
    registration numbers are those the person may see; the subject is theirs to read (they
    could not see the copy otherwise)."""
    from registrum.records.services import registrations_of
    from registrum.reports import qr_data_uri, render_pdf

    copy = copy_for(person, copy_public_id)
    document = copy.document
    numbers = [r.number for r in registrations_of(person, document) if not r.is_void]
    pdf = render_pdf(
        template,
        {
            "copy": copy,
            "document": document,
            "numbers": numbers,
            "qr": qr_data_uri(copy.code),
            "categories": active_policy().category_codes(copy.category_mask),
        },
        marking=copy.marking,
        title=_("Cover sheet"),
    )
    with transaction.atomic(durable=True):
        audit.record(
            person,
            EventType.COVER_PRINTED,
            document,
            summary=f"cover sheet of copy {copy.number} of {copy.of_total} printed",
            data={"copy": copy.public_id, "number": copy.number, "of": copy.of_total, "what": "cover"},
        )
    return copy, pdf


LABELS_PER_PAGE = 10


def labels_pdf(person: Person, document_public_id: str, *, template: str = LABELS_TEMPLATE) -> tuple[Document, bytes]:
    """Labels (QR code, copy code, "Copy No. N of M", marking) for every copy of a document that
    the person may see and the organisation still holds, audited."""
    from registrum.reports import qr_data_uri, render_pdf

    document, histories = copies_of(person, document_public_id)
    copies = [h.copy for h in histories if h.copy.status not in (CopyStatus.DESTROYED, CopyStatus.DISPATCHED)]
    if not copies:
        raise ValidationError({"copies": _("this document has no copies to label")})
    labels = [{"copy": c, "qr": qr_data_uri(c.code, scale=3)} for c in copies]
    pages = [labels[i : i + LABELS_PER_PAGE] for i in range(0, len(labels), LABELS_PER_PAGE)]
    marking = max(copies, key=lambda c: c.level).marking
    pdf = render_pdf(template, {"document": document, "pages": pages}, marking=marking, title=_("Copy labels"))
    with transaction.atomic(durable=True):
        audit.record(
            person,
            EventType.COVER_PRINTED,
            document,
            summary=f"labels of {len(copies)} copies printed",
            data={"copies": [c.public_id for c in copies], "what": "labels"},
        )
    return document, pdf
