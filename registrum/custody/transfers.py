"""Transfers of copies between custodians, and their receipts.

A dispatch sends one or many copies held by one custodian (a registry, or a person returning
copies held on a hand receipt to a registry) to a registry (into one of its containers), to a
person on a hand receipt, or to an addressee outside the organisation. The copies are in
transit, still on the sender's books, until the receiver acknowledges them (scanning their
codes, or all at once); the receiving registry then registers the receipt in its own register.
During the transit the receiver has the document's need-to-know (an access row with source
"transfer:<pk>"), which ends when the last copy is received or the transfer is cancelled.

Received on dispatch: when no copy's handling asks for a receipt (`receipt_on_transfer` False,
e.g. NATO CONFIDENTIAL) and the destination is inside the organisation and needs no act of its
own (a person on a hand receipt, or a registry that has registered every document already), the
copies change custodian in the dispatching transaction. A registry that still has to register
the receipt acknowledges it as usual, because the registration is its staff's act.

An addressee outside signs the receipt form and sends it back: the sending registry records
it (acknowledges), and only then do the copies leave the books (status DISPATCHED).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import (
    check_move,
    check_place,
    container_place,
    external_place,
    handling_of,
    parse_copy_code,
    person_place,
    record_copy_events,
    refuse_unless,
    registry_place,
    require_staff,
)
from registrum.custody.models import (
    Container,
    Copy,
    CopyEventKind,
    CopyStatus,
    Transfer,
    TransferItem,
    TransferState,
    TransmittalSequence,
)
from registrum.org.models import Person, Registry
from registrum.policy import Decision, Level, active_policy
from registrum.policy.custody import Place
from registrum.policy.decision import N_
from registrum.records.models import Access, AccessReason, Document, Registration
from registrum.records.services import enter_receipt, find_person, registries_for

MAX_TRANSFER_COPIES = 2_000


def transfer_source(transfer: Transfer) -> str:
    return f"transfer:{transfer.pk}"


def copy_source(copy: Copy) -> str:
    return f"copy:{copy.pk}"


def allocate_transmittal(registry: Registry, year: int) -> str:
    """The registry's next transmittal number of the year ("CR/TR/2026/000001"), inside the
    dispatching transaction (the row's lock orders concurrent dispatches; a rollback returns it)."""
    if not connection.in_atomic_block:
        raise RuntimeError("transmittal numbers are allocated inside the dispatching transaction")
    table = connection.ops.quote_name(TransmittalSequence._meta.db_table)
    with connection.cursor() as cursor:
        for _attempt in range(2):
            cursor.execute(
                f"UPDATE {table} SET last_value = last_value + 1 WHERE registry_id = %s AND year = %s "  # noqa: S608
                "RETURNING last_value",
                [registry.pk, year],
            )
            row = cursor.fetchone()
            if row is not None:
                return f"{registry.code}/TR/{year}/{int(row[0]):06d}"
            TransmittalSequence.objects.bulk_create(
                [TransmittalSequence(registry=registry, year=year, last_value=0)], ignore_conflicts=True
            )
    raise RuntimeError(f"no transmittal sequence for {registry.code} in {year}")


# Dispatch ------------------------------------------------------------------------------------


def _representatives(copies: Iterable[Copy]) -> list[Copy]:
    """One copy per distinct classification: the policy's answer is the same for all of them."""
    seen: dict[tuple[int, int, str], Copy] = {}
    for copy in copies:
        seen.setdefault((copy.level, copy.category_mask, copy.releasable_to), copy)
    return list(seen.values())


def _load_copies(actor: Person, public_ids: Sequence[str]) -> list[Copy]:
    """The copies named by public id or label code, locked; what the actor may not see is
    reported as not there."""
    texts = [str(p).strip() for p in public_ids if str(p).strip()]
    ids = [parse_copy_code(t) or "" for t in texts]
    bad = [t for t, i in zip(texts, ids, strict=True) if not i]
    if bad:
        raise ValidationError({"copies": _("%(code)s: not a copy code") % {"code": bad[0][:40]}})
    if not ids:
        raise ValidationError({"copies": _("choose at least one copy")})
    if len(ids) > MAX_TRANSFER_COPIES:
        raise ValidationError(
            {"copies": _("at most %(limit)d copies go in one transfer") % {"limit": MAX_TRANSFER_COPIES}}
        )
    if len(set(ids)) != len(ids):
        raise ValidationError({"copies": _("a copy is listed twice")})
    copies = list(
        Copy.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("document", "registry", "person", "container")
        .filter(public_id__in=ids)
        .order_by("document_id", "number")
    )
    found = {c.public_id for c in copies}
    unknown = [i for i in ids if i not in found]
    if unknown:
        # Not seen and not there read the same: nothing about a copy the actor may not see.
        raise ValidationError({"copies": _("no such copy: %(ids)s") % {"ids": ", ".join(unknown[:5])}})
    return copies


def _origin(actor: Person, copies: list[Copy]) -> tuple[Registry | None, Person | None, Place]:
    custodians = {(c.registry_id, c.person_id) for c in copies}
    if len(custodians) != 1:
        raise ValidationError({"copies": _("the copies of one transfer are held by one custodian")})
    first = copies[0]
    if first.registry_id:
        require_staff(actor, first.registry, "dispatch_transfer", first.document)
    else:
        refuse_unless(
            actor,
            Decision(
                first.person_id == actor.pk,
                N_("only the person holding the copies on a hand receipt dispatches them"),
            ),
            "dispatch_transfer",
            first.document,
        )
    for copy in copies:
        if copy.status != CopyStatus.HELD:
            raise ValidationError(
                {
                    "copies": _("copy No. %(number)s of %(total)s of %(document)s is %(status)s, not held")
                    % {
                        "number": copy.number,
                        "total": copy.of_total,
                        "document": copy.document.public_id,
                        "status": copy.get_status_display(),
                    }
                }
            )
    if first.registry_id:
        return first.registry, None, registry_place(first.registry)  # type: ignore[arg-type]
    return None, actor, person_place(actor)


def dispatch(
    actor: Person,
    copy_public_ids: Sequence[str],
    *,
    to_registry: Registry | None = None,
    to_person: Person | None = None,
    to_external: str = "",
    to_container: Container | None = None,
    suspense: date | None = None,
    note: str = "",
) -> Transfer:
    """Send copies held by one custodian to another, under a new transmittal number. Every
    copy is checked against the destination's accreditation or clearance and the chain rule;
    the whole dispatch is one transaction, so a refusal or a failure moves nothing."""
    to_external = " ".join(to_external.split())
    destinations = [d for d in (to_registry, to_person, to_external) if d]
    if len(destinations) != 1:
        raise ValidationError({"destination": _("give one destination: a registry, a person or an addressee outside")})
    if len(to_external) > 300:
        raise ValidationError({"destination": _("is longer than %(limit)d characters") % {"limit": 300}})
    if to_container is not None and to_registry is None:
        raise ValidationError({"container": _("a container is chosen only for a receiving registry")})
    if len(note) > 300:
        raise ValidationError({"note": _("is longer than %(limit)d characters") % {"limit": 300}})
    today = timezone.localdate()
    if suspense is not None and suspense < today:
        raise ValidationError({"suspense": _("the receipt cannot be due before today")})
    with transaction.atomic(durable=True):
        copies = _load_copies(actor, copy_public_ids)
        from_registry, from_person, origin = _origin(actor, copies)
        kinds = _representatives(copies)
        if from_person is not None and to_registry is None:
            raise ValidationError({"destination": _("copies held on a hand receipt go back to a registry")})
        destination = _destination_place(to_registry, to_person, to_external)
        if to_registry is not None and to_registry.pk == from_registry_id(from_registry):
            raise ValidationError(
                {"destination": _("the copies are already held by %(code)s") % {"code": to_registry.code}}
            )
        if to_person is not None:
            to_person = Person.objects.select_related("clearance", "unit").get(pk=to_person.pk)
            destination = person_place(to_person)
        # The chain rule first: a sideways move is refused as such, whatever the place.
        check_move(origin, destination, kinds, field="destination")
        check_place(destination, kinds, field="destination")
        if to_container is not None:
            _check_container(to_container, to_registry, kinds)  # type: ignore[arg-type]
        now = timezone.now()
        if suspense is None:
            suspense = today + timedelta(days=min(handling_of(c).receipt_suspense_days for c in kinds))
        # A person's copies go back to a registry: that registry numbers the transmittal.
        numbering_registry: Registry = from_registry or to_registry  # type: ignore[assignment]
        transfer = Transfer.objects.create(
            number=allocate_transmittal(numbering_registry, timezone.localdate(now).year),
            from_registry=from_registry,
            from_person=from_person,
            to_registry=to_registry,
            to_person=to_person,
            to_external=to_external,
            to_container=to_container,
            state=TransferState.IN_TRANSIT,
            dispatched_at=now,
            dispatched_by=actor,
            suspense=suspense,
            note=note.strip(),
        )
        items = TransferItem.objects.bulk_create(
            [TransferItem(transfer=transfer, copy=c) for c in copies], batch_size=500
        )
        Copy.objects.filter(pk__in=[c.pk for c in copies]).update(status=CopyStatus.IN_TRANSIT, since=now)
        for copy in copies:
            copy.status, copy.since = CopyStatus.IN_TRANSIT, now
        reference = f"transfer:{transfer.public_id}"
        record_copy_events(
            actor,
            copies,
            CopyEventKind.DISPATCHED,
            EventType.TRANSFER_DISPATCHED,
            now,
            reference=reference,
            note=_("to %(destination)s") % {"destination": transfer.destination_label},
            summary=f"dispatched to {transfer.destination_label} under {transfer.number}",
        )
        # The receiver sees what is coming (and may acknowledge it) during the transit.
        if to_registry is not None or to_person is not None:
            Access.objects.bulk_create(
                [
                    Access(
                        document_id=document_id,
                        registry=to_registry,
                        person=to_person,
                        reason=AccessReason.COPY_HOLDER,
                        source=transfer_source(transfer),
                        granted_at=now,
                        granted_by=actor,
                    )
                    for document_id in sorted({c.document_id for c in copies})
                ],
                ignore_conflicts=True,
            )
        if _received_on_dispatch(transfer, copies):
            _receive(actor, transfer, items, now, on_dispatch=True)
        return transfer


def from_registry_id(registry: Registry | None) -> int | None:
    return registry.pk if registry is not None else None


def _destination_place(to_registry: Registry | None, to_person: Person | None, to_external: str) -> Place:
    if to_registry is not None:
        return registry_place(to_registry)
    if to_person is not None:
        return person_place(to_person)
    return external_place(to_external)


def _check_container(container: Container, registry: Registry, items: Sequence[Copy]) -> None:
    if container.registry_id != registry.pk:
        raise ValidationError(
            {
                "container": _("%(container)s belongs to %(registry)s")
                % {"container": container.code, "registry": container.registry.code}
            }
        )
    check_place(container_place(container), items, field="container")


def _received_on_dispatch(transfer: Transfer, copies: list[Copy]) -> bool:
    """No receipt asked at this level, and nothing for the receiver to do (see the module's text)."""
    if any(handling_of(c).receipt_on_transfer for c in _representatives(copies)):
        return False
    if transfer.to_person_id:
        return True
    if transfer.to_registry_id:
        documents = {c.document_id for c in copies}
        registered = set(
            Registration.objects.filter(
                document_id__in=documents, registry_id=transfer.to_registry_id, voided_at__isnull=True
            ).values_list("document_id", flat=True)
        )
        return documents <= registered
    return False


# Receipt -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    transfer: Transfer
    received: list[Copy]
    outstanding: int


def _transfer_for_update(actor: Person, transfer_public_id: str) -> Transfer:
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("from_registry", "from_person", "to_registry", "to_person", "to_container")
        .filter(public_id=str(transfer_public_id))
        .first()
    )
    if transfer is None or not is_party(actor, transfer):
        raise Http404("no such transfer")
    return transfer


def is_party(person: Person, transfer: Transfer) -> bool:
    """Staff of the sending or receiving registry, or the sending or receiving person."""
    if person is None or not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    registries = person.subject().registries
    return (
        (transfer.from_registry_id is not None and transfer.from_registry_id in registries)
        or (transfer.to_registry_id is not None and transfer.to_registry_id in registries)
        or person.pk in (transfer.from_person_id, transfer.to_person_id)
    )


def _require_receiver(actor: Person, transfer: Transfer) -> None:
    if transfer.to_registry_id:
        require_staff(actor, transfer.to_registry, "acknowledge_transfer", transfer)
    elif transfer.to_person_id:
        refuse_unless(
            actor,
            Decision(transfer.to_person_id == actor.pk, N_("only the person receiving the copies acknowledges them")),
            "acknowledge_transfer",
            transfer,
        )
    else:
        # The addressee outside signs the form; the sending registry records it.
        require_staff(actor, transfer.from_registry, "acknowledge_transfer", transfer)


def _require_open(transfer: Transfer) -> None:
    if transfer.state != TransferState.IN_TRANSIT:
        raise ValidationError(
            {
                "transfer": _("transfer %(number)s is %(state)s")
                % {"number": transfer.number, "state": transfer.get_state_display()}
            }
        )


def acknowledge(actor: Person, transfer_public_id: str, copy_codes: Sequence[str] | None = None) -> Receipt:
    """Receive the copies whose codes were scanned (or every copy still in transit): they pass
    to the receiving registry (into the chosen container), the receiving person or, for an
    addressee outside, leave the books. A code that is not a copy code, not in this transfer or
    already received is told apart, and then nothing is received."""
    with transaction.atomic(durable=True):
        transfer = _transfer_for_update(actor, transfer_public_id)
        _require_receiver(actor, transfer)
        _require_open(transfer)
        # Only what the receiver may see: a copy above their clearance waits for a cleared
        # colleague, and its code reads as not in this transfer.
        visible = Copy.objects.visible_to(actor)
        pending = list(
            TransferItem.objects.filter(transfer=transfer, received_at__isnull=True, copy__in=visible).select_related(
                "copy", "copy__document", "copy__registry", "copy__person"
            )
        )
        if copy_codes is not None:
            pending = _scanned(transfer, pending, copy_codes, visible)
        elif not pending:
            raise ValidationError({"codes": _("no copy of this transfer that you may receive is in transit")})
        now = timezone.now()
        received = _receive(actor, transfer, pending, now)
        outstanding = TransferItem.objects.filter(
            transfer=transfer, received_at__isnull=True, copy__in=Copy.objects.visible_to(actor)
        ).count()
        return Receipt(transfer, received, outstanding)


def _scanned(
    transfer: Transfer, pending: list[TransferItem], codes: Sequence[str], visible: QuerySet[Copy]
) -> list[TransferItem]:
    by_id = {item.copy.public_id: item for item in pending}
    chosen: dict[str, TransferItem] = {}
    problems: list[str] = []
    unresolved: dict[str, str] = {}
    for code in codes:
        text = code.strip()
        if not text:
            continue
        public_id = parse_copy_code(text)
        if public_id is None:
            problems.append(_("%(code)s: not a copy code") % {"code": text[:40]})
        elif public_id in by_id:
            if public_id in chosen:
                problems.append(_("%(code)s: scanned twice") % {"code": text[:40]})
            chosen[public_id] = by_id[public_id]
        else:
            unresolved[public_id] = text[:40]
    if unresolved:
        done = set(
            TransferItem.objects.filter(
                transfer=transfer, received_at__isnull=False, copy__public_id__in=list(unresolved), copy__in=visible
            ).values_list("copy__public_id", flat=True)
        )
        for public_id, text in unresolved.items():
            if public_id in done:
                problems.append(_("%(code)s: already received") % {"code": text})
            else:
                problems.append(_("%(code)s: not in this transfer") % {"code": text})
    if problems:
        raise ValidationError({"codes": problems})
    if not chosen:
        raise ValidationError({"codes": _("scan or type at least one copy code")})
    return list(chosen.values())


def _receive(
    actor: Person, transfer: Transfer, items: list[TransferItem], now: datetime, *, on_dispatch: bool = False
) -> list[Copy]:
    """Pass the items' copies to the destination, in bulk, inside the caller's transaction."""
    copies = [item.copy for item in items]
    if not copies:
        return []
    copy_ids = [c.pk for c in copies]
    if transfer.to_registry_id:
        registry: Registry = transfer.to_registry  # type: ignore[assignment]
        container = transfer.to_container
        if container is not None:
            # Still in service and approved (it may have changed since the dispatch).
            _check_container(container, registry, _representatives(copies))
        Copy.objects.filter(pk__in=copy_ids).update(
            registry=registry, person=None, container=container, status=CopyStatus.HELD, since=now
        )
        for copy in copies:
            copy.registry, copy.person, copy.container, copy.status, copy.since = (
                registry,
                None,
                container,
                CopyStatus.HELD,
                now,
            )
        _register_receipts(actor, transfer, registry, items, now)
    elif transfer.to_person_id:
        person = transfer.to_person
        Copy.objects.filter(pk__in=copy_ids).update(
            registry=None, person=person, container=None, status=CopyStatus.HELD, since=now
        )
        for copy in copies:
            copy.registry, copy.person, copy.container, copy.status, copy.since = (
                None,
                person,
                None,
                CopyStatus.HELD,
                now,
            )
        # The hand receipt's need-to-know lasts as long as the person holds the copy.
        Access.objects.bulk_create(
            [
                Access(
                    document_id=c.document_id,
                    person=person,
                    reason=AccessReason.COPY_HOLDER,
                    source=copy_source(c),
                    granted_at=now,
                    granted_by=actor,
                )
                for c in copies
            ],
            ignore_conflicts=True,
        )
    else:
        Copy.objects.filter(pk__in=copy_ids).update(
            registry=None,
            person=None,
            container=None,
            external=transfer.to_external,
            status=CopyStatus.DISPATCHED,
            since=now,
        )
        for copy in copies:
            copy.registry, copy.person, copy.container, copy.status, copy.since = (
                None,
                None,
                None,
                CopyStatus.DISPATCHED,
                now,
            )
            copy.external = transfer.to_external
    if transfer.from_person_id:
        # The hand receipt ends: the person's need-to-know from holding the copies with it.
        Access.objects.filter(source__in=[copy_source(c) for c in copies], person_id=transfer.from_person_id).delete()
    TransferItem.objects.filter(pk__in=[i.pk for i in items]).update(received_at=now, received_by=actor)
    note = _("received on dispatch: no receipt asked at this level") if on_dispatch else ""
    if not transfer.to_registry_id and not transfer.to_person_id:
        note = _("signed receipt returned by %(addressee)s") % {"addressee": transfer.to_external}
    record_copy_events(
        actor,
        copies,
        CopyEventKind.RECEIVED,
        EventType.TRANSFER_RECEIVED,
        now,
        reference=f"transfer:{transfer.public_id}",
        note=note,
        summary=f"received by {transfer.destination_label} under {transfer.number}",
    )
    if not TransferItem.objects.filter(transfer=transfer, received_at__isnull=True).exists():
        transfer.state, transfer.received_at, transfer.received_by = TransferState.RECEIVED, now, actor
        transfer.save(update_fields=["state", "received_at", "received_by"])
        _end_transit_rows(actor, transfer, "received")
    return copies


def _register_receipts(
    actor: Person, transfer: Transfer, registry: Registry, items: list[TransferItem], now: datetime
) -> None:
    """The receiving registry registers each document it has not registered yet (one
    registration per document, however many copies came), and each item points to it."""
    documents: dict[int, Document] = {item.copy.document_id: item.copy.document for item in items}
    registrations = dict(
        Registration.objects.filter(document_id__in=documents, registry=registry, voided_at__isnull=True).values_list(
            "document_id", "pk"
        )
    )
    for document_id, document in documents.items():
        if document_id not in registrations:
            registrations[document_id] = enter_receipt(actor, document, registry, now=now).pk
    by_registration: dict[int, list[int]] = {}
    for item in items:
        by_registration.setdefault(registrations[item.copy.document_id], []).append(item.pk)
    for registration_id, item_ids in by_registration.items():
        TransferItem.objects.filter(pk__in=item_ids).update(registration_id=registration_id)


def _end_transit_rows(actor: Person, transfer: Transfer, why: str) -> None:
    ended = Access.objects.filter(source=transfer_source(transfer)).delete()[0]
    audit.record(
        actor,
        EventType.TRANSFER_RECEIVED if why == "received" else EventType.TRANSFER_CANCELLED,
        transfer,
        summary=f"transfer {transfer.number} {why}; {ended} in-transit need-to-know rows ended",
        data={"number": transfer.number, "state": str(transfer.state), "rows_ended": ended},
    )


# Cancel --------------------------------------------------------------------------------------


def cancel(actor: Person, transfer_public_id: str) -> Transfer:
    """The sender takes back a transfer none of whose copies was received: each copy is held
    again where it was (its custodian and container never changed)."""
    with transaction.atomic(durable=True):
        transfer = _transfer_for_update(actor, transfer_public_id)
        if transfer.from_registry_id:
            require_staff(actor, transfer.from_registry, "cancel_transfer", transfer)
        else:
            refuse_unless(
                actor,
                Decision(transfer.from_person_id == actor.pk, N_("only the sender cancels a transfer")),
                "cancel_transfer",
                transfer,
            )
        _require_open(transfer)
        if TransferItem.objects.filter(transfer=transfer, received_at__isnull=False).exists():
            raise ValidationError({"transfer": _("part of the transfer was received: it can no longer be cancelled")})
        copies = list(
            Copy.objects.select_for_update(of=("self",))
            .filter(transfer_items__transfer=transfer)
            .select_related("registry", "person", "container")
        )
        now = timezone.now()
        Copy.objects.filter(pk__in=[c.pk for c in copies]).update(status=CopyStatus.HELD, since=now)
        transfer.state = TransferState.CANCELLED
        transfer.save(update_fields=["state"])
        record_copy_events(
            actor,
            copies,
            CopyEventKind.RECALLED,
            EventType.TRANSFER_CANCELLED,
            now,
            reference=f"transfer:{transfer.public_id}",
            summary=f"dispatch {transfer.number} cancelled, held again where it was",
        )
        _end_transit_rows(actor, transfer, "cancelled")
        return transfer


# Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferLine:
    """A transfer in a list, with what the reader may see of it: the copies through the access
    filter (a transfer none of whose copies they may see is not listed)."""

    transfer: Transfer
    copies: int
    pending: int
    overdue: bool


def get_transfer_for(person: Person, transfer_public_id: str) -> tuple[Transfer, list[TransferItem]]:
    """A transfer its parties may see, with the items whose copies the reader may see."""
    transfer = (
        Transfer.objects.select_related(
            "from_registry", "from_person", "to_registry", "to_person", "to_container", "dispatched_by", "received_by"
        )
        .filter(public_id=str(transfer_public_id))
        .first()
    )
    if transfer is None or not is_party(person, transfer):
        raise Http404("no such transfer")
    items = list(
        TransferItem.objects.filter(transfer=transfer, copy__in=Copy.objects.visible_to(person))
        .select_related("copy", "copy__document", "registration", "received_by")
        .order_by("copy__document_id", "copy__number")
    )
    if not items:
        raise Http404("no such transfer")
    return transfer, items


def outstanding(
    person: Person, *, registry: Registry | None = None, direction: str = "inbound", today: date | None = None
) -> list[TransferLine]:
    """Transfers in transit to (inbound) or from (outbound) a registry its staff look at, or the
    person's own when no registry is given; flagged past their suspense date."""
    if direction not in ("inbound", "outbound"):
        raise ValidationError({"direction": _("inbound or outbound")})
    today = today or timezone.localdate()
    transfers = Transfer.objects.filter(state=TransferState.IN_TRANSIT)
    if registry is not None:
        require_staff(person, registry, "list_transfers")
        transfers = transfers.filter(**{"to_registry" if direction == "inbound" else "from_registry": registry})
    else:
        transfers = transfers.filter(**{"to_person" if direction == "inbound" else "from_person": person})
    transfers = transfers.select_related("from_registry", "from_person", "to_registry", "to_person").order_by(
        "suspense", "id"
    )[:500]
    rows = list(transfers)
    counts = {
        row["transfer_id"]: row
        for row in TransferItem.objects.filter(transfer__in=rows, copy__in=Copy.objects.visible_to(person))
        .values("transfer_id")
        .annotate(total=Count("id"), pending=Count("id", filter=Q(received_at__isnull=True)))
    }
    return [
        TransferLine(t, counts[t.pk]["total"], counts[t.pk]["pending"], t.suspense < today)
        for t in rows
        if t.pk in counts
    ]


def transmittal_marking(copies: Sequence[Copy]) -> str:
    """The highest marking among the copies: the highest level, every special category, and a
    releasability only as wide as every copy's."""
    policy = active_policy()
    level = max(Level(c.level) for c in copies)
    mask = 0
    nations: set[str] | None = None
    for copy in copies:
        mask |= copy.category_mask
        these = set(copy.releasable_nations)
        nations = these if nations is None else nations & these
    return policy.marking(level, mask, sorted(nations or ()))


# The transmittal and receipt form ------------------------------------------------------------


def qr_inline_svg(payload: str) -> str:
    """A QR code as inline SVG markup (drawn in the page itself: WeasyPrint 70 refuses the
    reports' plain-function URL fetcher that a data: URI image would go through)."""
    import io

    import segno
    from django.utils.safestring import mark_safe

    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(
        buffer, kind="svg", scale=2, border=2, xmldecl=False, svgns=True, svgclass="qr"
    )
    return mark_safe(buffer.getvalue().decode("ascii"))  # noqa: S308 - segno's own markup, the payload is a copy code


def transmittal_pdf(person: Person, transfer_public_id: str) -> tuple[Transfer, bytes]:
    """The transmittal and receipt form as PDF: the copies the reader may see, each with its
    QR code, under the highest marking among them on every page."""
    from registrum.reports import render_pdf

    transfer, items = get_transfer_for(person, transfer_public_id)
    copies = [item.copy for item in items]
    documents = {c.document_id for c in copies}
    sender = transfer.from_registry_id
    numbers: dict[int, str] = {}
    for document_id, registry_id, number in (
        Registration.objects.filter(document_id__in=documents, voided_at__isnull=True)
        .order_by("registered_at", "id")
        .values_list("document_id", "registry_id", "number")
    ):
        # The sender's own number; else the first registration's (a person returning copies).
        if document_id not in numbers or registry_id == sender:
            numbers[document_id] = number
    policy = active_policy()
    rows = [
        {
            "copy": c,
            "reference": c.document.originator_reference,
            "registration_number": numbers.get(c.document_id, ""),
            "subject": c.document.subject,
            "subject_marking": policy.levels[Level(c.document.subject_level)].abbreviation,
            "marking": c.marking,
            "qr": qr_inline_svg(c.code),
        }
        for c in copies
    ]
    origin = transfer.from_registry or transfer.from_person
    context = {
        "transfer": transfer,
        "rows": rows,
        "origin": str(origin) if origin else "",
        "destination": str(transfer.to_registry or transfer.to_person or transfer.to_external),
    }
    title = _("Transmittal %(number)s") % {"number": transfer.number}
    pdf = render_pdf("custody/transfer_transmittal.html", context, marking=transmittal_marking(copies), title=title)
    return transfer, pdf


# What the faces name -------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    to_registry: Registry | None = None
    to_person: Person | None = None
    to_external: str = ""
    to_container: Container | None = None


def find_destination(*, registry: str = "", person: str = "", external: str = "", container: str = "") -> Destination:
    """The destination as the faces name it (registry code, @username, an addressee outside, a
    container code), with a clear error on the field that names nothing."""
    to_registry = None
    if registry.strip():
        to_registry = Registry.objects.filter(code__iexact=registry.strip()).first()
        if to_registry is None:
            raise ValidationError({"destination": _("unknown registry %(code)s") % {"code": repr(registry[:40])}})
    to_person = find_person(person, field="destination") if person.strip() else None
    to_container = None
    if container.strip():
        to_container = Container.objects.select_related("registry").filter(code__iexact=container.strip()).first()
        if to_container is None:
            raise ValidationError({"container": _("unknown container %(code)s") % {"code": repr(container[:40])}})
    return Destination(to_registry, to_person, external, to_container)


def staff_registries(person: Person) -> list[Registry]:
    """The registries whose copies the person may dispatch and whose receipts they acknowledge."""
    return registries_for(person)


def dispatchable(person: Person, registry: Registry | None, *, limit: int = MAX_TRANSFER_COPIES) -> list[Copy]:
    """Copies held (not out, not moving) that the person may dispatch: a registry's they staff,
    or their own on a hand receipt when no registry is given; through the access filter."""
    copies = Copy.objects.visible_to(person).filter(status=CopyStatus.HELD)
    if registry is not None:
        require_staff(person, registry, "dispatch_transfer")
        copies = copies.filter(registry=registry)
    else:
        copies = copies.filter(person=person)
    return list(copies.select_related("document", "container").order_by("document_id", "number")[:limit])
