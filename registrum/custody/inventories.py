"""Inventories (musters): list once what a registry (or one of its containers) should hold, check
the copies off by scanning their codes or by list, close with a signed report. Copies not found
are marked missing and go into one loss report. Due dates follow the policy.

Starting and closing each run in one transaction: an interrupted start lists nothing, an
interrupted close leaves every copy as it was."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import copy_event, parse_copy_code, record_copy_events, refuse_unless, require_staff
from registrum.custody.models import (
    Container,
    Copy,
    CopyEvent,
    CopyEventKind,
    CopyStatus,
    Inventory,
    InventoryItem,
    InventoryScan,
    LossReport,
    ScanOutcome,
)
from registrum.custody.models.inventories import InventoryState
from registrum.custody.models.losses import LossKind
from registrum.org.models import Person, Registry
from registrum.policy import Level, active_policy
from registrum.policy.custody import handling_for, may_take_inventory
from registrum.policy.decision import may_hold
from registrum.records.models import Registration

# Missing copies listed on the scanning page (the report lists them all).
MISSING_SHOWN = 50
MAX_CODES_AT_ONCE = 2000


def accountable_q() -> Q:
    """Copies whose handling is accountable (numbered copies required): by level, or by a strict
    special category at any level. Needs `strict_bits` annotated (see `accountable_copies`)."""
    policy = active_policy()
    levels = [int(level) for level in policy.levels if handling_for(policy, level, 0).accountable]
    return Q(level__in=levels) | Q(strict_bits__gt=0)


def strict_category_bits() -> int:
    policy = active_policy()
    return sum(c.bit for c in policy.categories if handling_for(policy, Level.NU, c.bit).accountable)


def accountable_copies(registry: Registry, container: Container | None = None, level: Level | None = None) -> Any:
    """The accountable holdings an inventory expects: copies of the registry, held or charged out,
    of accountable handling, in the container / at the level when given (no access filter: the
    muster is of the registry, its staff are cleared for what it holds)."""
    copies = (
        Copy.objects.filter(registry=registry, status__in=(CopyStatus.HELD, CopyStatus.CHARGED_OUT))
        .alias(strict_bits=F("category_mask").bitand(strict_category_bits()))
        .filter(accountable_q())
    )
    if container is not None:
        copies = copies.filter(container=container)
    if level is not None:
        copies = copies.filter(level=int(level))
    return copies.order_by()


def _registry_for_update(registry: Registry) -> Registry:
    return Registry.objects.select_for_update(of=("self",)).get(pk=registry.pk)


def start_inventory(
    actor: Person, registry: Registry, *, container: Container | None = None, level: Level | int | None = None
) -> Inventory:
    """List the expected copies once, in one INSERT ... SELECT (a hundred thousand copies are one
    statement). One open inventory per registry and container at a time."""
    if level is not None:
        try:
            level = Level(int(level))
        except ValueError:
            raise ValidationError({"level": _("unknown level %(level)s") % {"level": repr(level)}}) from None
    with transaction.atomic(durable=True):
        require_staff(actor, registry, "start_inventory")
        _registry_for_update(registry)
        if container is not None and container.registry_id != registry.pk:
            raise ValidationError(
                {
                    "container": _("%(container)s is not a container of %(registry)s")
                    % {"container": container.code, "registry": registry.code}
                }
            )
        if Inventory.objects.filter(registry=registry, container=container, state=InventoryState.OPEN).exists():
            raise ValidationError(
                {
                    "container": _("an inventory of %(place)s is already open: close it first")
                    % {"place": container.code if container else registry.code}
                }
            )
        now = timezone.now()
        inventory = Inventory.objects.create(
            registry=registry,
            container=container,
            level=int(level) if level is not None else None,
            started_at=now,
            started_by=actor,
        )
        expected = accountable_copies(registry, container, level).values_list("pk")
        sql, params = expected.query.sql_with_params()
        table = InventoryItem._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (inventory_id, copy_id) SELECT %s, expected.* FROM ({sql}) expected",  # noqa: S608 - table name from the model, values as parameters
                (inventory.pk, *params),
            )
            inventory.expected = cursor.rowcount
        require_cleared_for_listed(actor, inventory, "start_inventory")
        inventory.save(update_fields=["expected"])
        audit.record(
            actor,
            EventType.INVENTORY_STARTED,
            registry,
            summary=f"inventory {inventory.public_id} of {scope_label(inventory)} started: "
            f"{inventory.expected} copies expected",
            data={
                "inventory": inventory.public_id,
                "container": container.code if container else "",
                "level": Level(level).name if level is not None else "",
                "expected": inventory.expected,
            },
        )
        return inventory


def scope_label(inventory: Inventory) -> str:
    place = inventory.container.code if inventory.container_id and inventory.container else inventory.registry.code
    if inventory.level is not None:
        return f"{place} ({active_policy().levels[Level(inventory.level)].marking})"
    return place


def require_cleared_for_listed(actor: Person, inventory: Inventory, action: str) -> None:
    """The copies listed are not filtered by access (the muster is of the registry): refused to
    staff not cleared for every level and special category listed (one grouped query)."""
    listed = (
        Copy.objects.filter(pk__in=InventoryItem.objects.filter(inventory=inventory).values("copy_id"))
        .order_by()
        .values_list("level", "category_mask")
        .distinct()
    )
    kinds = [(Level(level), mask) for level, mask in listed]
    refuse_unless(
        actor, may_take_inventory(active_policy(), actor.subject(), kinds, timezone.localdate()), action, inventory
    )


def _staffed_inventory(actor: Person, public_id: str, *, for_update: bool = False) -> Inventory:
    rows = Inventory.objects.select_related("registry", "container", "started_by", "closed_by")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    inventory = rows.filter(public_id=str(public_id)).first()
    if inventory is None:
        raise Http404("no such inventory")
    require_staff(actor, inventory.registry, "inventory")
    return inventory


def get_inventory(actor: Person, public_id: str, *, for_update: bool = False) -> Inventory:
    """An inventory, for the staff of its registry cleared for what it lists (others are refused)."""
    inventory = _staffed_inventory(actor, public_id, for_update=for_update)
    require_cleared_for_listed(actor, inventory, "inventory")
    return inventory


def inventories_of(actor: Person, registry: Registry) -> QuerySet[Inventory]:
    """The registry's inventories its staff may read: those listing only copies they are cleared
    for (the others' counts would tell of holdings they may not see)."""
    require_staff(actor, registry, "list_inventories")
    rows = Inventory.objects.filter(registry=registry).select_related("container", "started_by", "closed_by")
    policy, subject, today = active_policy(), actor.subject(), timezone.localdate()
    out_of_reach = [int(level) for level in policy.levels if not may_hold(policy, subject, level, 0, today)]
    top = max((level for level in policy.levels if int(level) not in out_of_reach), default=min(Level))
    not_briefed = sum(c.bit for c in policy.categories if not may_hold(policy, subject, top, c.bit, today))
    if not out_of_reach and not not_briefed:
        return rows
    unseen = (
        InventoryItem.objects.filter(inventory__registry=registry)
        .alias(unbriefed=F("copy__category_mask").bitand(not_briefed))
        .filter(Q(copy__level__in=out_of_reach) | Q(unbriefed__gt=0))
        .values("inventory_id")
    )
    return rows.exclude(pk__in=unseen)


# Checking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    code: str
    outcome: ScanOutcome
    # Told only for copies on this inventory's list or of this registry: never another's.
    copy_label: str = ""

    @property
    def message(self) -> str:
        if self.outcome == ScanOutcome.CHECKED:
            return _("Found: %(copy)s checked.") % {"copy": self.copy_label}
        if self.outcome == ScanOutcome.ALREADY_CHECKED:
            return _("Already checked: %(copy)s was scanned before.") % {"copy": self.copy_label}
        if self.outcome == ScanOutcome.UNEXPECTED:
            return _("Unexpected: %(copy)s is this registry's but not on this inventory's list.") % {
                "copy": self.copy_label
            }
        if self.outcome == ScanOutcome.OTHER_REGISTRY:
            return _("Not a copy of this registry: %(code)s.") % {"code": self.code}
        return _("Not a copy: %(code)s is no copy's code.") % {"code": self.code}


def _label(copy: Copy) -> str:
    return _("%(code)s, copy No. %(number)s of %(total)s") % {
        "code": copy.code,
        "number": copy.number,
        "total": copy.of_total,
    }


def _check_one(actor: Person, inventory: Inventory, code: str, now: datetime) -> ScanResult:
    text = code.strip()[:100]
    public_id = parse_copy_code(text)
    copy = (
        Copy.objects.only(
            "id", "public_id", "number", "of_total", "registry_id", "document_id", "status", "level", "category_mask"
        )
        .filter(public_id=public_id)
        .first()
        if public_id
        else None
    )
    if copy is not None and copy.registry_id == inventory.registry_id:
        # Checking off (or being told the number of) a copy of the registry needs clearance for it.
        held = may_hold(active_policy(), actor.subject(), Level(copy.level), copy.category_mask, timezone.localdate())
        refuse_unless(actor, held, "inventory_check", inventory)
    if copy is None:
        outcome, label = ScanOutcome.NOT_A_COPY, ""
    else:
        updated = InventoryItem.objects.filter(inventory=inventory, copy=copy, checked_at__isnull=True).update(
            checked_at=now, checked_by=actor
        )
        if updated:
            outcome, label = ScanOutcome.CHECKED, _label(copy)
        elif InventoryItem.objects.filter(inventory=inventory, copy=copy).exists():
            outcome, label = ScanOutcome.ALREADY_CHECKED, _label(copy)
        elif copy.registry_id == inventory.registry_id:
            outcome, label = ScanOutcome.UNEXPECTED, _label(copy)
        else:
            outcome, label = ScanOutcome.OTHER_REGISTRY, ""
    InventoryScan.objects.create(inventory=inventory, code=text, copy=copy, outcome=outcome, at=now, by=actor)
    if outcome == ScanOutcome.CHECKED and copy is not None:
        event = copy_event(copy, CopyEventKind.INVENTORIED, actor, now, reference=f"inventory:{inventory.public_id}")
        event.custodian = inventory.registry.code
        event.container = inventory.container.code if inventory.container_id and inventory.container else ""
        event.save()
        audit.record_many(
            actor,
            EventType.INVENTORY_CHECKED,
            "document",
            [
                (
                    copy.document_id,
                    f"copy {copy.number} of {copy.of_total} checked at inventory {inventory.public_id}",
                    {
                        "copy": copy.public_id,
                        "number": copy.number,
                        "of": copy.of_total,
                        "inventory": inventory.public_id,
                    },
                )
            ],
        )
    return ScanResult(text, outcome, label)


def _open_inventory(actor: Person, public_id: str) -> Inventory:
    # Each scanned copy is checked against the scanner's clearance instead of the whole list:
    # a scan stays one small query at a hundred thousand copies.
    inventory = _staffed_inventory(actor, public_id)
    if inventory.state != InventoryState.OPEN:
        raise ValidationError({"code": _("the inventory is closed")})
    return inventory


def check_copy(actor: Person, inventory_public_id: str, code: str) -> ScanResult:
    """One scanned or typed code: checked, already checked, unexpected (this registry's copy not
    on the list), another custodian's copy (nothing told about it), or not a copy at all."""
    if not code.strip():
        raise ValidationError({"code": _("scan or type a copy's code")})
    with transaction.atomic(durable=True):
        inventory = _open_inventory(actor, inventory_public_id)
        return _check_one(actor, inventory, code, timezone.now())


def check_list(actor: Person, inventory_public_id: str, codes: Iterable[str]) -> list[ScanResult]:
    """A list of codes (one a line, as typed or pasted), each checked as if scanned."""
    lines = [c.strip() for c in codes if c.strip()]
    if not lines:
        raise ValidationError({"codes": _("give at least one code, one a line")})
    if len(lines) > MAX_CODES_AT_ONCE:
        raise ValidationError({"codes": _("at most %(limit)d codes at once") % {"limit": MAX_CODES_AT_ONCE}})
    with transaction.atomic(durable=True):
        inventory = _open_inventory(actor, inventory_public_id)
        now = timezone.now()
        return [_check_one(actor, inventory, line, now) for line in lines]


@dataclass
class Progress:
    expected: int
    found: int
    missing: int
    scans: dict[str, int] = field(default_factory=dict)

    @property
    def unexpected(self) -> int:
        return (
            self.scans.get(ScanOutcome.UNEXPECTED, 0)
            + self.scans.get(ScanOutcome.OTHER_REGISTRY, 0)
            + self.scans.get(ScanOutcome.NOT_A_COPY, 0)
        )


def progress(inventory: Inventory) -> Progress:
    """Counts so far (expected, found, missing) and the scans by outcome: two aggregate queries."""
    counts = InventoryItem.objects.filter(inventory=inventory).aggregate(
        expected=Count("id"), found=Count("id", filter=Q(checked_at__isnull=False))
    )
    scans = dict(
        InventoryScan.objects.filter(inventory=inventory)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    expected, found = counts["expected"] or 0, counts["found"] or 0
    return Progress(expected, found, expected - found, scans)


def missing_copies(inventory: Inventory, limit: int | None = MISSING_SHOWN) -> list[Copy]:
    """Expected copies not (yet) checked, by document and number."""
    ids = InventoryItem.objects.filter(inventory=inventory, checked_at__isnull=True).values("copy_id")
    rows = Copy.objects.filter(pk__in=ids).select_related("document").order_by("document_id", "number")
    return list(rows[:limit] if limit is not None else rows)


# Closing ---------------------------------------------------------------------------------------


def close_inventory(actor: Person, inventory_public_id: str) -> Inventory:
    """Fix the counts, mark the copies not found missing (status lost), open one loss report for
    them, and sign the report. All in one transaction."""
    with transaction.atomic(durable=True):
        inventory = get_inventory(actor, inventory_public_id, for_update=True)
        if inventory.state != InventoryState.OPEN:
            raise ValidationError({"inventory": _("the inventory is already closed")})
        now = timezone.now()
        counts = progress(inventory)
        missing = list(
            Copy.objects.select_for_update(of=("self",))
            .filter(pk__in=InventoryItem.objects.filter(inventory=inventory, checked_at__isnull=True).values("copy_id"))
            .select_related("registry", "container")
            .order_by("document_id", "number")
        )
        inventory.state = InventoryState.CLOSED
        inventory.closed_at = now
        inventory.closed_by = actor
        inventory.expected, inventory.found, inventory.missing = counts.expected, counts.found, counts.missing
        inventory.unexpected = counts.unexpected
        reference = f"inventory:{inventory.public_id}"
        report: LossReport | None = None
        if missing:
            record_copy_events(
                actor,
                missing,
                CopyEventKind.MISSING,
                EventType.LOSS_REPORTED,
                now,
                reference=reference,
                summary=f"missing at inventory {inventory.public_id}",
            )
            Copy.objects.filter(pk__in=[c.pk for c in missing]).update(status=CopyStatus.LOST, since=now)
            report = LossReport.objects.create(
                registry=inventory.registry,
                kind=LossKind.LOSS,
                inventory=inventory,
                circumstances=_("%(count)d copies not found at inventory %(inventory)s of %(scope)s.")
                % {"count": len(missing), "inventory": inventory.public_id, "scope": scope_label(inventory)},
                reported_at=now,
                reported_by=actor,
            )
            report.copies.add(*missing)
        data = report_data(inventory)
        inventory.report_sha256 = data.sha256
        inventory.report_signature = sign_digest(data.sha256)
        inventory.save()
        audit.record(
            actor,
            EventType.INVENTORY_CLOSED,
            inventory.registry,
            summary=f"inventory {inventory.public_id} of {scope_label(inventory)} closed: {counts.found} of "
            f"{counts.expected} found, {counts.missing} missing",
            data={
                "inventory": inventory.public_id,
                "expected": counts.expected,
                "found": counts.found,
                "missing": counts.missing,
                "unexpected": counts.unexpected,
                "loss_report": report.public_id if report else "",
                "report_sha256": data.sha256,
                "report_signature": inventory.report_signature,
            },
        )
        # The report must render before the close commits: a report that cannot be made rolls
        # the close back (ReportError names the template).
        render_report(inventory, data)
        return inventory


# The report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLine:
    code: str
    number: int
    of_total: int
    registration: str
    marking: str
    container: str


@dataclass(frozen=True)
class ReportData:
    inventory: Inventory
    expected: int
    found: int
    missing: list[ReportLine]
    scans: dict[str, list[str]]
    marking: str
    level: int
    sha256: str

    @property
    def scan_groups(self) -> list[tuple[str, str, list[str]]]:
        labels = dict(ScanOutcome.choices)
        return [
            (key, str(labels[key]), self.scans.get(key, []))
            for key in (ScanOutcome.UNEXPECTED, ScanOutcome.OTHER_REGISTRY, ScanOutcome.NOT_A_COPY)
        ]

    @property
    def already(self) -> list[str]:
        return self.scans.get(ScanOutcome.ALREADY_CHECKED, [])


def report_data(inventory: Inventory) -> ReportData:
    """What the report says, from the stored rows only, and the SHA-256 of its canonical form:
    the fingerprint the report carries and the key signs. The fingerprint covers what never
    changes once the inventory is closed (who, when, the counts, the missing copies' codes, every
    scan), not what a later regrading or renumbering would (markings, registration numbers)."""
    policy = active_policy()
    items = InventoryItem.objects.filter(inventory=inventory)
    found = items.filter(checked_at__isnull=False).count()
    expected = items.count()
    top = Copy.objects.filter(pk__in=items.values("copy_id")).order_by("-level").values_list("level", flat=True)
    level = top.first()
    mask = 0
    for value in (
        Copy.objects.filter(pk__in=items.values("copy_id"))
        .order_by()
        .values_list("category_mask", flat=True)
        .distinct()
    ):
        mask |= value
    level = int(level) if level is not None else int(inventory.level or Level.NU)
    marking = policy.marking(Level(level), mask)
    missing_rows = list(
        Copy.objects.filter(pk__in=items.filter(checked_at__isnull=True).values("copy_id"))
        .select_related("container")
        .order_by("document_id", "number")
    )
    numbers = dict(
        Registration.objects.filter(
            registry=inventory.registry, document_id__in={c.document_id for c in missing_rows}, voided_at__isnull=True
        ).values_list("document_id", "number")
    )
    missing = [
        ReportLine(
            c.code,
            c.number,
            c.of_total,
            numbers.get(c.document_id, ""),
            policy.marking(Level(c.level), c.category_mask),
            c.container.code if c.container else "",
        )
        for c in missing_rows
    ]
    scans: dict[str, list[str]] = {}
    for code, outcome in (
        InventoryScan.objects.filter(inventory=inventory).order_by("at", "id").values_list("code", "outcome")
    ):
        if outcome != ScanOutcome.CHECKED:
            scans.setdefault(outcome, []).append(code)
    canonical = {
        "inventory": inventory.public_id,
        "registry": inventory.registry.code,
        "container": inventory.container.code if inventory.container else "",
        "level": inventory.level,
        "started_at": inventory.started_at.isoformat(),
        "started_by": inventory.started_by.username,
        "closed_at": inventory.closed_at.isoformat() if inventory.closed_at else "",
        "closed_by": inventory.closed_by.username if inventory.closed_by else "",
        "expected": expected,
        "found": found,
        "missing": [line.code for line in missing],
        "scans": scans,
    }
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return ReportData(inventory, expected, found, missing, scans, marking, level, digest)


def sign_digest(digest: str) -> str:
    """The report's SHA-256 signed with the audit checkpoint key ("<key id>:<base64 Ed25519>"), or
    "" when no key is set up (the SHA-256 is still in the audit event)."""
    from registrum.audit.checkpoints import SigningKeyError, key_id, load_signing_key

    try:
        key = load_signing_key()
    except SigningKeyError:
        return ""
    signature = base64.b64encode(key.sign(digest.encode("ascii"))).decode("ascii")
    return f"{key_id(key.public_key())}:{signature}"


def verify_signature(inventory: Inventory) -> bool:
    from cryptography.exceptions import InvalidSignature

    from registrum.audit.checkpoints import SigningKeyError, key_id, load_public_key

    if not inventory.report_signature:
        return False
    try:
        public = load_public_key()
    except SigningKeyError:
        return False
    kid, _sep, signature = inventory.report_signature.partition(":")
    if kid != key_id(public):
        return False
    try:
        public.verify(base64.b64decode(signature), inventory.report_sha256.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True


def render_report(inventory: Inventory, data: ReportData | None = None) -> bytes:
    """The inventory report PDF, rendered on demand from the stored rows of a closed inventory."""
    from registrum.reports import render_pdf

    data = data or report_data(inventory)
    return render_pdf(
        "custody/inventory_report.html",
        {
            "inventory": inventory,
            "data": data,
            "scope": scope_label(inventory),
            "signed": bool(inventory.report_signature),
        },
        marking=data.marking,
        title=_("Inventory report %(id)s") % {"id": inventory.public_id},
    )


def report_pdf(actor: Person, inventory_public_id: str) -> bytes:
    inventory = get_inventory(actor, inventory_public_id)
    if inventory.state != InventoryState.CLOSED:
        raise ValidationError({"inventory": _("the report is made when the inventory is closed")})
    return render_report(inventory)


# Due by policy ---------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class InventoryDue:
    registry: Registry
    due: date | None  # None: nothing held calls for an inventory
    last_closed: datetime | None
    handover: bool  # a copy of handover-inventoried handling received since the last inventory
    reason: str

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


def inventory_due(registry: Registry, today: date | None = None) -> InventoryDue:
    """When the registry's next full inventory is due: the shortest period the policy sets for the
    levels it holds after the last closed full inventory (now, if never), and at once when a copy
    whose handling calls for an inventory on change of custodian came in since."""
    policy = active_policy()
    today = today or timezone.localdate()
    held = accountable_copies(registry).values_list("level", "category_mask").distinct()
    months: list[int] = []
    handover_levels: set[int] = set()
    handover_masks = 0
    for level, mask in held:
        handling = handling_for(policy, Level(level), mask)
        if handling.inventory_months:
            months.append(handling.inventory_months)
        if handling.inventory_on_handover:
            handover_levels.add(level)
            handover_masks |= mask
    last = (
        Inventory.objects.filter(
            registry=registry, container__isnull=True, level__isnull=True, state=InventoryState.CLOSED
        )
        .order_by("-closed_at")
        .values_list("closed_at", flat=True)
        .first()
    )
    handover = False
    if handover_levels:
        received = CopyEvent.objects.filter(
            kind=CopyEventKind.RECEIVED,
            copy__in=accountable_copies(registry).values("pk"),
        )
        if last is not None:
            received = received.filter(at__gt=last)
        handover = received.exists()
    if not months and not handover:
        return InventoryDue(registry, None, last, False, _("nothing held calls for an inventory"))
    if last is None:
        return InventoryDue(registry, today, None, handover, _("no inventory yet"))
    if handover:
        return InventoryDue(registry, today, last, True, _("a copy changed custodian since the last inventory"))
    due = _add_months(timezone.localtime(last).date(), min(months))
    return InventoryDue(registry, due, last, False, _("every %(months)d months") % {"months": min(months)})


def inventories_due(actor: Person, *, within_days: int = 30) -> list[InventoryDue]:
    """For the registries the actor staffs: those due within `within_days` (overdue first)."""
    limit = timezone.localdate() + timedelta(days=within_days)
    rows = [inventory_due(r) for r in Registry.objects.filter(pk__in=actor.subject().registries).order_by("code")]
    return sorted(
        (r for r in rows if r.due is not None and r.due <= limit), key=lambda r: (r.due or limit, r.registry.code)
    )
