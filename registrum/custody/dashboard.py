"""The clerk's dashboard: one small function per section, each returning data (no HTML) for the
registries the person staffs. Every count and line goes through the access filter: a section
never counts a copy or names a document the person may not see. Other parts add sections by
adding a function here and a line to SECTIONS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from registrum.custody.models import (
    ChargeOut,
    Container,
    Copy,
    Inventory,
    Notice,
    Regrade,
    Transfer,
)
from registrum.custody.models.copies import ON_HAND
from registrum.custody.models.destruction import DestructionItem
from registrum.custody.models.inventories import InventoryState
from registrum.custody.models.movements import TransferState
from registrum.org.models import Person, Registry
from registrum.policy import Level, active_policy
from registrum.policy.custody import (
    combination_change_due,
    control_officer_of,
    custody_staff,
    handling_for,
    inventory_due,
)
from registrum.records.models import Document, Registration

# Lines shown per section (the counts are whole).
LINES = 50


@dataclass
class Section:
    key: str
    count: int
    lines: list[Any] = field(default_factory=list)
    # How many of `count` are past due (overdue, past suspense).
    flagged: int = 0


def staffed_registries(person: Person) -> list[Registry]:
    """The registries whose custody staff the person is."""
    subject = person.subject()
    return [
        r for r in Registry.objects.filter(pk__in=subject.registries).order_by("code") if custody_staff(subject, r.pk)
    ]


def _visible_copies(person: Person) -> QuerySet[Copy]:
    return Copy.objects.visible_to(person)


# Receipts outstanding --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    transfer: Transfer
    side: str  # "sending" or "receiving"
    copies: int  # visible copies on the transfer
    overdue: bool


def receipts_outstanding(person: Person, registries: list[Registry], today: date) -> Section:
    """Transfers in transit from or to the person's registries (or to the person), with the
    copies the person may see on them; past suspense flagged."""
    ids = [r.pk for r in registries]
    visible = _visible_copies(person).values("pk")
    transfers = (
        Transfer.objects.filter(state=TransferState.IN_TRANSIT)
        .filter(Q(from_registry_id__in=ids) | Q(to_registry_id__in=ids) | Q(to_person=person))
        .annotate(seen=Count("items", filter=Q(items__copy_id__in=visible), distinct=True))
        .filter(seen__gt=0)
        .select_related("from_registry", "to_registry", "to_person")
        .order_by("suspense", "id")
    )
    lines = [
        ReceiptLine(t, "sending" if t.from_registry_id in ids else "receiving", t.seen, t.suspense < today)
        for t in transfers
    ]
    return Section("receipts", len(lines), lines[:LINES], sum(line.overdue for line in lines))


# Charge-outs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeOutLine:
    charge_out: ChargeOut
    overdue: bool
    due_today: bool


def charge_outs_due(person: Person, registries: list[Registry], today: date) -> Section:
    """Copies charged out of the person's registries (or to the person) and not checked in,
    soonest due first: overdue and due today flagged."""
    ids = [r.pk for r in registries]
    outs = (
        ChargeOut.objects.filter(checked_in_at__isnull=True)
        .filter(Q(registry_id__in=ids) | Q(reader=person))
        .filter(copy_id__in=_visible_copies(person).values("pk"))
        .select_related("copy", "reader", "registry")
        .order_by("due", "id")
    )
    lines = [ChargeOutLine(c, c.due < today, c.due == today) for c in outs]
    return Section("charge_outs", len(lines), lines[:LINES], sum(line.overdue for line in lines))


# Inventories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryLine:
    registry: Registry
    months: int
    last_closed: date | None
    levels: list[int]  # the levels whose holdings are due, highest first


def inventories_due(person: Person, registries: list[Registry], today: date) -> Section:
    """Registries whose holdings (as the person sees them) call for a periodic inventory that is
    due: for each level held, the last closed inventory of the whole registry (of all levels, or
    of that level) is older than the level's period, or there never was one."""
    policy = active_policy()
    lines: list[InventoryLine] = []
    for registry in registries:
        held = (
            _visible_copies(person)
            .filter(registry=registry, status__in=ON_HAND)
            .values_list("level", "category_mask")
            .distinct()
        )
        periods: dict[int, int] = {}
        for level, mask in held:
            months = handling_for(policy, Level(level), mask).inventory_months
            if months is not None:
                periods[level] = min(months, periods.get(level, months))
        if not periods:
            continue
        closed = Inventory.objects.filter(registry=registry, container__isnull=True, state=InventoryState.CLOSED)
        last_all = closed.filter(level__isnull=True).aggregate(last=Max("closed_at"))["last"]
        by_level = dict(
            closed.filter(level__in=list(periods))
            .values("level")
            .annotate(last=Max("closed_at"))
            .values_list("level", "last")
        )
        due: list[tuple[int, int, date | None]] = []
        for level, months in periods.items():
            stamps = [t for t in (last_all, by_level.get(level)) if t is not None]
            last = timezone.localdate(max(stamps)) if stamps else None
            if inventory_due(last, months, today):
                due.append((level, months, last))
        if due:
            lasts = [last for _level, _months, last in due]
            oldest = None if None in lasts else min(d for d in lasts if d is not None)
            lines.append(
                InventoryLine(
                    registry,
                    min(months for _level, months, _last in due),
                    oldest,
                    sorted((level for level, _months, _last in due), reverse=True),
                )
            )
    return Section("inventories", len(lines), lines[:LINES], len(lines))


# Regrades ------------------------------------------------------------------------------------


def regrades_due(person: Person, registries: list[Registry], today: date) -> Section:
    """Scheduled regrades whose day has come and that are neither applied nor cancelled, of
    documents the person may see (registry staff only: readers are told by notices)."""
    if not registries:
        return Section("regrades", 0)
    regrades = (
        Regrade.objects.filter(applied_at__isnull=True, cancelled_at__isnull=True, effective_on__lte=today)
        .filter(document_id__in=Document.objects.visible_to(person).values("pk"))
        .select_related("document")
        .order_by("effective_on", "id")
    )
    lines = list(regrades)
    return Section("regrades", len(lines), lines[:LINES], len(lines))


# Containers ----------------------------------------------------------------------------------


def combinations_due(person: Person, registries: list[Registry], today: date) -> Section:
    """Containers in service in the person's registries whose combination is due a change."""
    containers = Container.objects.filter(registry__in=registries, active=True).select_related("registry")
    lines = [c for c in containers.order_by("code") if combination_change_due(c.combination_changed_on, today)]
    return Section("combinations", len(lines), lines[:LINES], len(lines))


# Accountable documents without copies ----------------------------------------------------------


def strict_category_bits() -> int:
    """The special categories that make any document accountable (ATOMAL)."""
    policy = active_policy()
    return sum(c.bit for c in policy.categories if handling_for(policy, min(policy.levels), c.bit).accountable)


def accountable_filter(prefix: str = "") -> Q:
    """Rows (documents, registrations, copies: they carry the classification columns) the policy
    requires copies of: an accountable level, or a strict category. Needs the annotation
    `strict` (the category mask and strict_category_bits()) when there are strict categories."""
    policy = active_policy()
    levels = [int(level) for level in policy.levels if handling_for(policy, level, 0).accountable]
    query = Q(**{f"{prefix}level__in": levels})
    if strict_category_bits():
        query |= Q(strict__gt=0)
    return query


@dataclass(frozen=True)
class UncopiedLine:
    registration: Registration


def uncopied_documents(person: Person, registries: list[Registry], today: date) -> Section:
    """Accountable documents registered (not void) in the person's registries that have no
    numbered copies yet, as the person sees them."""
    registrations = (
        Registration.objects.visible_to(person)
        .filter(registry__in=registries, voided_at__isnull=True)
        .annotate(
            strict=F("category_mask").bitand(strict_category_bits()),
            has_copies=Exists(Copy.objects.filter(document_id=OuterRef("document_id"))),
        )
        .filter(has_copies=False)
        .filter(accountable_filter())
        .select_related("document", "registry")
        .order_by("registered_at", "id")
    )
    count = registrations.count()
    lines = [UncopiedLine(r) for r in registrations[:LINES]]
    return Section("uncopied", count, lines, count)


# Notices -------------------------------------------------------------------------------------


def unread_notices(person: Person, registries: list[Registry], today: date) -> Section:
    """The person's unread notices. A notice's document is linked only if they may still see it."""
    notices = list(
        Notice.objects.filter(person=person, read_at__isnull=True)
        .select_related("document")
        .order_by("-created_at", "-id")[:LINES]
    )
    count = Notice.objects.filter(person=person, read_at__isnull=True).count()
    visible = set(
        Document.objects.visible_to(person)
        .filter(pk__in=[n.document_id for n in notices if n.document_id])
        .values_list("pk", flat=True)
    )
    for notice in notices:
        notice.visible_document = notice.document if notice.document_id in visible else None  # type: ignore[attr-defined]
    return Section("notices", count, notices, 0)


def disposition_due(person: Person, registries: list[Registry], today: date) -> Section:
    """Documents of the person's registries due for disposition, and records due for the 30-year
    public-disclosure review (as the person sees them; the queues' own pages list them)."""
    if not registries:
        return Section("disposition", 0, [], 0)
    from registrum.custody import retention

    disposition, disclosure = retention.due_counts(person, today)
    return Section("disposition", disposition + disclosure, [disposition, disclosure], 0)


@dataclass(frozen=True)
class Pending:
    """An act waiting for someone: a destruction to approve or to sign, a reproduction to approve."""

    what: str  # "destruction_approval", "destruction_signatures", "reproduction_approval"
    public_id: str
    label: str
    registry: str
    since: Any


def awaiting_action(person: Person, registries: list[Registry], today: date) -> Section:
    """Destructions proposed (for the registry's control officers to approve) or approved and
    waiting for their signatures, and reproduction requests waiting for a control officer, in the
    person's registries: the approvals queue. Counted only where the person may see every copy."""
    from registrum.custody.models import Destruction, DestructionState, ReproductionRequest
    from registrum.custody.models.reproduction import ReproductionState

    subject = person.subject()
    officer_of = {r.pk for r in registries if control_officer_of(subject, r.pk)}
    visible = _visible_copies(person)
    lines: list[Pending] = []
    destructions = (
        Destruction.objects.filter(
            registry__in=registries,
            state__in=(DestructionState.PROPOSED, DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES),
        )
        .exclude(Exists(DestructionItem.objects.filter(destruction=OuterRef("pk")).exclude(copy__in=visible)))
        .select_related("registry")
        .order_by("proposed_at", "id")
    )
    for destruction in destructions:
        if destruction.state == DestructionState.PROPOSED:
            if destruction.registry_id not in officer_of:
                continue
            what = "destruction_approval"
        else:
            what = "destruction_signatures"
        lines.append(
            Pending(what, destruction.public_id, destruction.number, destruction.registry.code, destruction.proposed_at)
        )
    requests = (
        ReproductionRequest.objects.filter(
            state=ReproductionState.REQUESTED, source__registry_id__in=officer_of, source__in=visible
        )
        .select_related("source", "source__registry")
        .order_by("requested_at", "id")
    )
    for request in requests:
        label = f"{request.source.number}/{request.source.of_total} × {request.count}"
        registry = request.source.registry.code if request.source.registry else ""
        lines.append(Pending("reproduction_approval", request.public_id, label, registry, request.requested_at))
    return Section("awaiting", len(lines), lines[:LINES], 0)


SectionFunction = Callable[[Person, list[Registry], date], Section]
SECTIONS: list[SectionFunction] = [
    awaiting_action,
    receipts_outstanding,
    charge_outs_due,
    inventories_due,
    regrades_due,
    combinations_due,
    uncopied_documents,
    disposition_due,
    unread_notices,
]


def dashboard(person: Person, today: date | None = None) -> dict[str, Section]:
    """Every section for the person, by key."""
    today = today or timezone.localdate()
    registries = staffed_registries(person)
    return {section.key: section for section in (function(person, registries, today) for function in SECTIONS)}
