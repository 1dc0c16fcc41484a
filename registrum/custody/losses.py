"""Loss and compromise reports: registry staff report copies lost or compromised; a control
officer of the registry records the investigation (open -> investigating -> closed), its outcome
and who was told; a copy found again is back on hand. Each step shows in the copies' history."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import (
    copy_event,
    parse_copy_code,
    record_copy_events,
    require_control_officer,
    require_staff,
)
from registrum.custody.models import ChargeOut, Copy, CopyEventKind, CopyStatus, LossReport
from registrum.custody.models.losses import LossKind, LossState
from registrum.org.models import Person, Registry

MAX_COPIES_PER_REPORT = 500
# The steps an investigation moves through, forward only.
NEXT_STATES: dict[str, tuple[str, ...]] = {
    LossState.OPEN: (LossState.INVESTIGATING, LossState.CLOSED),
    LossState.INVESTIGATING: (LossState.CLOSED,),
    LossState.CLOSED: (),
}


def report_loss(
    actor: Person, registry: Registry, codes: Sequence[str], *, kind: str = LossKind.LOSS, circumstances: str
) -> LossReport:
    """Report copies of the registry lost (status lost) or compromised (still held where they
    are, but the report follows them)."""
    if kind not in LossKind.values:
        raise ValidationError({"kind": _("unknown kind %(kind)s") % {"kind": repr(kind)}})
    if not circumstances.strip():
        raise ValidationError({"circumstances": _("tell what happened")})
    public_ids = []
    for code in codes:
        if not code.strip():
            continue
        public_id = parse_copy_code(code)
        if public_id is None:
            raise ValidationError({"copies": _("%(code)s is not a copy's code") % {"code": code.strip()[:40]}})
        public_ids.append(public_id)
    if not public_ids:
        raise ValidationError({"copies": _("name at least one copy")})
    if len(public_ids) > MAX_COPIES_PER_REPORT:
        raise ValidationError({"copies": _("at most %(limit)d copies") % {"limit": MAX_COPIES_PER_REPORT}})
    with transaction.atomic(durable=True):
        require_staff(actor, registry, "report_loss")
        copies = list(
            Copy.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .filter(public_id__in=public_ids)
            .select_related("registry", "container", "document")
        )
        found = {c.public_id for c in copies}
        unknown = [p for p in public_ids if p not in found]
        if unknown:
            raise ValidationError({"copies": _("no such copy: %(code)s") % {"code": unknown[0].upper()}})
        for copy in copies:
            if copy.registry_id != registry.pk:
                raise ValidationError(
                    {
                        "copies": _("%(code)s is not a copy of %(registry)s")
                        % {"code": copy.code, "registry": registry.code}
                    }
                )
            if kind == LossKind.LOSS and copy.status not in (
                CopyStatus.HELD,
                CopyStatus.CHARGED_OUT,
                CopyStatus.IN_TRANSIT,
            ):
                raise ValidationError(
                    {"copies": _("%(code)s is %(status)s") % {"code": copy.code, "status": copy.get_status_display()}}
                )
        now = timezone.now()
        report = LossReport.objects.create(
            registry=registry,
            kind=kind,
            circumstances=circumstances.strip()[:4000],
            reported_at=now,
            reported_by=actor,
        )
        report.copies.add(*copies)
        if kind == LossKind.LOSS:
            Copy.objects.filter(pk__in=[c.pk for c in copies]).update(status=CopyStatus.LOST, since=now)
        record_copy_events(
            actor,
            copies,
            CopyEventKind.LOST,
            EventType.LOSS_REPORTED,
            now,
            reference=f"loss:{report.public_id}",
            note=str(LossKind(kind).label),
            summary=f"{kind} reported ({report.public_id})",
        )
        audit.record(
            actor,
            EventType.LOSS_REPORTED,
            registry,
            summary=f"{kind} report {report.public_id}: {len(copies)} copies",
            data={"report": report.public_id, "kind": kind, "copies": [c.public_id for c in copies]},
        )
        return report


def get_report(actor: Person, public_id: str, *, for_update: bool = False) -> LossReport:
    """A loss report, for the staff of its registry."""
    rows = LossReport.objects.select_related("registry", "inventory", "reported_by", "closed_by")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    report = rows.filter(public_id=str(public_id)).first()
    if report is None:
        raise Http404("no such loss report")
    require_staff(actor, report.registry, "loss_report")
    if not _seen_whole(actor).filter(pk=report.pk).exists():
        raise Http404("no such loss report")
    return report


def _seen_whole(actor: Person) -> QuerySet[LossReport]:
    """Reports every copy of which the person may see: the circumstances of a loss of copies
    above their clearance are not theirs to read, nor that the report exists."""
    hidden = LossReport.copies.through.objects.filter(lossreport_id=OuterRef("pk")).exclude(
        copy_id__in=Copy.objects.visible_to(actor).values("pk")
    )
    return LossReport.objects.exclude(Exists(hidden))


def reports_of(actor: Person, registry: Registry) -> QuerySet[LossReport]:
    require_staff(actor, registry, "list_loss_reports")
    return _seen_whole(actor).filter(registry=registry).select_related("reported_by", "inventory")


def report_copies(actor: Person, report: LossReport) -> list[Copy]:
    """The report's copies the reader may see (the access filter applies)."""
    return list(
        Copy.objects.visible_to(actor)
        .filter(loss_reports=report)
        .select_related("document", "container")
        .order_by("document_id", "number")
    )


def update_report(actor: Person, public_id: str, *, state: str, outcome: str = "", people_told: str = "") -> LossReport:
    """A control officer of the registry moves the investigation on and records its outcome and
    the people told; closing needs an outcome."""
    with transaction.atomic(durable=True):
        report = get_report(actor, public_id, for_update=True)
        require_control_officer(actor, report.registry, "update_loss_report")
        if state != report.state and state not in NEXT_STATES.get(report.state, ()):
            raise ValidationError(
                {
                    "state": _("a report %(from)s cannot become %(to)s")
                    % {"from": report.get_state_display(), "to": state}
                }
            )
        if outcome.strip():
            report.outcome = outcome.strip()[:4000]
        if people_told.strip():
            report.people_told = people_told.strip()[:500]
        if state == LossState.CLOSED and not report.outcome:
            raise ValidationError({"outcome": _("record the outcome before closing")})
        previous = report.state
        report.state = state
        if state == LossState.CLOSED and report.closed_at is None:
            report.closed_at = timezone.now()
            report.closed_by = actor
        report.save()
        audit.record(
            actor,
            EventType.LOSS_UPDATED,
            report.registry,
            summary=f"loss report {report.public_id}: {previous} -> {state}",
            data={"report": report.public_id, "from": previous, "to": state, "people_told": report.people_told},
        )
        return report


def copy_found(actor: Person, public_id: str, code: str) -> Copy:
    """A copy reported lost is found again: back on hand in its registry (event FOUND)."""
    copy_id = parse_copy_code(code)
    with transaction.atomic(durable=True):
        report = get_report(actor, public_id, for_update=True)
        copy = (
            Copy.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .filter(public_id=copy_id, loss_reports=report)
            .select_related("registry", "container", "document")
            .first()
            if copy_id
            else None
        )
        if copy is None:
            raise ValidationError({"copy": _("no copy of this report has that code")})
        if copy.status != CopyStatus.LOST:
            raise ValidationError(
                {"copy": _("the copy is %(status)s, not lost") % {"status": copy.get_status_display()}}
            )
        now = timezone.now()
        # Found on a reader who still has it on charge: charged out again, else held.
        on_charge = ChargeOut.objects.filter(copy=copy, checked_in_at__isnull=True).exists()
        copy.status = CopyStatus.CHARGED_OUT if on_charge else CopyStatus.HELD
        copy.registry = report.registry
        copy.person = None
        copy.since = now
        copy.save(update_fields=["status", "registry", "person", "since"])
        copy_event(copy, CopyEventKind.FOUND, actor, now, reference=f"loss:{report.public_id}").save()
        audit.record(
            actor,
            EventType.COPY_FOUND,
            copy.document,
            summary=f"copy {copy.number} of {copy.of_total} found again (loss report {report.public_id})",
            data={"copy": copy.public_id, "number": copy.number, "of": copy.of_total, "report": report.public_id},
        )
        return copy
