"""What every custody service shares: the policy's view of places and copies, the checks that
raise the policy's reason, and the writing of copy events beside their audit events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.audit.refusals import Refused
from registrum.custody.models import Container, Copy, CopyEvent, CopyEventKind
from registrum.org.models import Person, Registry
from registrum.policy import Decision, Level, active_policy
from registrum.policy.custody import (
    Handling,
    Material,
    Place,
    PlaceKind,
    control_officer_of,
    custody_staff,
    handling_for,
    may_move,
    may_place,
)
from registrum.records.models import Document


def registry_place(registry: Registry) -> Place:
    return Place(
        PlaceKind.REGISTRY,
        registry.code,
        place_id=registry.pk,
        accreditation=Level(registry.accreditation),
        registry_kind=str(registry.kind),
        parent_id=registry.parent_id,
    )


def container_place(container: Container) -> Place:
    return Place(
        PlaceKind.CONTAINER,
        container.code,
        place_id=container.pk,
        accreditation=Level(container.accreditation),
        category_mask=container.category_mask,
        active=container.active,
    )


def person_place(person: Person) -> Place:
    return Place(PlaceKind.PERSON, f"@{person.username}", place_id=person.pk, person=person.subject())


def external_place(addressee: str) -> Place:
    return Place(PlaceKind.EXTERNAL, addressee)


def material_of(item: Copy | Document) -> Material:
    return Material(Level(item.level), item.category_mask, frozenset(item.releasable_nations))


def handling_of(item: Copy | Document) -> Handling:
    return handling_for(active_policy(), Level(item.level), item.category_mask)


def check_place(place: Place, items: Iterable[Copy | Document], *, field: str) -> None:
    """Locations carry clearances: refuse, on `field`, a place not accredited or cleared for
    every item (the first refusal's reason, naming the copy)."""
    policy, today = active_policy(), timezone.localdate()
    for item in items:
        decision = may_place(policy, place, material_of(item), today)
        if not decision:
            raise ValidationError({field: f"{label_of(item)}: {decision.render(_)}"})


def check_move(origin: Place, destination: Place, items: Iterable[Copy | Document], *, field: str) -> None:
    policy = active_policy()
    for item in items:
        decision = may_move(policy, origin, destination, material_of(item))
        if not decision:
            raise ValidationError({field: f"{label_of(item)}: {decision.render(_)}"})


def label_of(item: Copy | Document) -> str:
    if isinstance(item, Copy):
        return _("copy No. %(number)s of %(total)s") % {"number": item.number, "total": item.of_total}
    return str(item)


def refuse_unless(actor: Person, decision: Decision, action: str, target: Any = None, *, context: str = "") -> None:
    if not decision:
        raise Refused(actor, action, decision, target, context=context)


def require_staff(actor: Person, registry: Registry | None, action: str, target: Any = None) -> None:
    """Clerk or control officer of the registry that holds the copies."""
    refuse_unless(actor, custody_staff(actor.subject(), registry.pk if registry else None), action, target)


def require_control_officer(actor: Person, registry: Registry | None, action: str, target: Any = None) -> None:
    refuse_unless(actor, control_officer_of(actor.subject(), registry.pk if registry else None), action, target)


def copy_event(
    copy: Copy,
    kind: CopyEventKind,
    actor: Person,
    now: datetime,
    *,
    reference: str = "",
    note: str = "",
) -> CopyEvent:
    """An unsaved history line for a copy, with its custodian and container as they are now."""
    container = copy.container.code if copy.container_id and copy.container else ""
    return CopyEvent(
        copy=copy,
        kind=kind,
        at=now,
        by=actor,
        custodian=copy.custodian_label[:300],
        container=container,
        reference=reference[:60],
        note=note[:300],
    )


def record_copy_events(
    actor: Person,
    copies: Sequence[Copy],
    kind: CopyEventKind,
    event: EventType,
    now: datetime,
    *,
    reference: str = "",
    note: str = "",
    summary: str,
) -> None:
    """One history line per copy and one audit event per copy (targeting its document, so the
    trail's clearance rule applies), each in a single statement: a dispatch of a thousand
    copies is two inserts, not two thousand."""
    CopyEvent.objects.bulk_create(
        [copy_event(c, kind, actor, now, reference=reference, note=note) for c in copies], batch_size=500
    )
    audit.record_many(
        actor,
        event,
        "document",
        [
            (
                c.document_id,
                f"copy {c.number} of {c.of_total}: {summary}",
                {"copy": c.public_id, "number": c.number, "of": c.of_total, "kind": str(kind), "reference": reference},
            )
            for c in copies
        ],
    )


def get_copy(public_id_or_code: str) -> Copy:
    """A copy by its public id or by the code on its label (not through the access filter: the
    callers check custody, and answer 404 to whoever may not see it)."""
    text = parse_copy_code(public_id_or_code)
    copy = (
        Copy.objects.select_related("document", "registry", "person", "container").filter(public_id=text).first()
        if text
        else None
    )
    if copy is None:
        raise Http404("no such copy")
    return copy


def parse_copy_code(text: str) -> str | None:
    """The public id in a scanned or typed code ("RGC-ABCD..." or the bare id), or None when the
    text cannot be one (what a keyboard-wedge scanner types, trailing Enter included)."""
    from registrum.custody.models.copies import COPY_CODE_PREFIX

    code = text.strip()
    if code.upper().startswith(COPY_CODE_PREFIX):
        code = code[len(COPY_CODE_PREFIX) :]
    code = code.lower()
    if len(code) != 16 or not code.isalnum() or not code.isascii():
        return None
    return code
