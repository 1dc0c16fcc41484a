"""Charge-out and check-in: a held copy lent to a reader for a period. The reader's need-to-know
comes from the charge-out (an access row with source "chargeout:<pk>") and ends with the
check-in, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import (
    check_place,
    copy_event,
    handling_of,
    parse_copy_code,
    person_place,
    require_staff,
)
from registrum.custody.models import ChargeOut, Copy, CopyEventKind, CopyStatus
from registrum.org.models import Person, Registry
from registrum.records.models import Access, AccessReason

# The longest a charge-out may run, whatever is asked.
MAX_CHARGE_OUT_DAYS = 366


def source_of(charge_out: ChargeOut) -> str:
    return f"chargeout:{charge_out.pk}"


def _copy_for_update(actor: Person, code: str) -> Copy:
    """The copy a clerk names (its code or public id), through the access filter and locked."""
    public_id = parse_copy_code(code)
    copy = (
        Copy.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("document", "registry", "container")
        .filter(public_id=public_id)
        .first()
        if public_id
        else None
    )
    if copy is None:
        raise Http404("no such copy")
    return copy


def charge_out(actor: Person, code: str, reader: Person, *, due: date | None = None, note: str = "") -> ChargeOut:
    """Lend a held copy to a reader cleared, briefed and within the releasability for it, until
    `due` (by default the policy's usual term)."""
    today = timezone.localdate()
    with transaction.atomic(durable=True):
        copy = _copy_for_update(actor, code)
        require_staff(actor, copy.registry, "charge_out", copy.document)
        if copy.status != CopyStatus.HELD or copy.registry is None:
            raise ValidationError(
                {"copy": _("the copy is %(status)s, not held") % {"status": copy.get_status_display()}}
            )
        reader = Person.objects.select_related("clearance", "unit").get(pk=reader.pk)
        check_place(person_place(reader), [copy], field="reader")
        if due is None:
            due = today + timedelta(days=handling_of(copy).charge_out_days)
        if due < today:
            raise ValidationError({"due": _("the due date cannot be in the past")})
        if due > today + timedelta(days=MAX_CHARGE_OUT_DAYS):
            raise ValidationError({"due": _("a charge-out runs at most %(days)d days") % {"days": MAX_CHARGE_OUT_DAYS}})
        now = timezone.now()
        loan = ChargeOut.objects.create(
            copy=copy,
            registry=copy.registry,
            reader=reader,
            charged_at=now,
            charged_by=actor,
            due=due,
            note=note.strip()[:300],
        )
        Access.objects.create(
            document=copy.document,
            person=reader,
            reason=AccessReason.COPY_HOLDER,
            source=source_of(loan),
            granted_at=now,
            granted_by=actor,
        )
        copy.status = CopyStatus.CHARGED_OUT
        copy.since = now
        copy.save(update_fields=["status", "since"])
        copy_event(copy, CopyEventKind.CHARGED_OUT, actor, now, reference=f"chargeout:{loan.public_id}").save()
        audit.record(
            actor,
            EventType.CHARGED_OUT,
            copy.document,
            summary=f"copy {copy.number} of {copy.of_total} charged out to {reader.username} until {due}",
            data={
                "copy": copy.public_id,
                "number": copy.number,
                "of": copy.of_total,
                "reader": reader.username,
                "due": due.isoformat(),
                "chargeout": loan.public_id,
            },
        )
        return loan


def check_in(actor: Person, code: str) -> ChargeOut:
    """The copy is back: the charge-out ends and with it the reader's need-to-know from it."""
    with transaction.atomic(durable=True):
        copy = _copy_for_update(actor, code)
        require_staff(actor, copy.registry, "check_in", copy.document)
        loan = (
            ChargeOut.objects.select_for_update(of=("self",))
            .select_related("reader")
            .filter(copy=copy, checked_in_at__isnull=True)
            .first()
        )
        # A copy marked lost at an inventory while on charge comes back by its check-in too.
        if loan is None or copy.status not in (CopyStatus.CHARGED_OUT, CopyStatus.LOST):
            raise ValidationError({"copy": _("the copy is not charged out")})
        now = timezone.now()
        loan.checked_in_at = now
        loan.checked_in_by = actor
        loan.save(update_fields=["checked_in_at", "checked_in_by"])
        withdrawn, _counts = Access.objects.filter(source=source_of(loan)).delete()
        copy.status = CopyStatus.HELD
        copy.since = now
        copy.save(update_fields=["status", "since"])
        copy_event(copy, CopyEventKind.CHECKED_IN, actor, now, reference=f"chargeout:{loan.public_id}").save()
        audit.record(
            actor,
            EventType.CHECKED_IN,
            copy.document,
            summary=(
                f"copy {copy.number} of {copy.of_total} checked in from {loan.reader.username}; "
                f"{withdrawn} need-to-know row(s) from the charge-out withdrawn"
            ),
            data={
                "copy": copy.public_id,
                "number": copy.number,
                "of": copy.of_total,
                "reader": loan.reader.username,
                "chargeout": loan.public_id,
                "access_withdrawn": withdrawn,
            },
        )
        return loan


# Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loan:
    charge_out: ChargeOut
    overdue: bool
    due_today: bool


def _loans(rows: QuerySet[ChargeOut], today: date) -> list[Loan]:
    return [Loan(c, c.due < today, c.due == today) for c in rows]


def open_charge_outs(actor: Person, registry: Registry) -> list[Loan]:
    """A registry's copies out on charge, soonest due first, as its staff see them (through the
    access filter: a copy above their clearance is not counted)."""
    require_staff(actor, registry, "list_charge_outs")
    visible = Copy.objects.visible_to(actor).filter(registry=registry).values("pk")
    rows = (
        ChargeOut.objects.filter(registry=registry, checked_in_at__isnull=True, copy__in=visible)
        .select_related("copy", "copy__document", "reader")
        .order_by("due", "id")
    )
    return _loans(rows, timezone.localdate())


def due_charge_outs(actor: Person, registry: Registry, *, within_days: int = 0) -> list[Loan]:
    """Charge-outs due back by today (+ `within_days`), overdue ones included."""
    limit = timezone.localdate() + timedelta(days=within_days)
    return [loan for loan in open_charge_outs(actor, registry) if loan.charge_out.due <= limit]


def overdue_charge_outs(actor: Person, registry: Registry) -> list[Loan]:
    return [loan for loan in open_charge_outs(actor, registry) if loan.overdue]


def readers_charge_outs(actor: Person, reader: Person) -> list[Loan]:
    """What a reader has on charge: the reader sees their own; registry staff see the loans of
    their registries (each copy through the access filter)."""
    rows = ChargeOut.objects.filter(reader=reader, checked_in_at__isnull=True)
    if actor.pk != reader.pk:
        rows = rows.filter(registry_id__in=actor.subject().registries)
    visible = Copy.objects.visible_to(actor).values("pk")
    rows = rows.filter(copy__in=visible).select_related("copy", "copy__document", "registry").order_by("due", "id")
    return _loans(rows, timezone.localdate())
