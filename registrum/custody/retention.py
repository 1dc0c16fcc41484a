"""Retention and disposition: what is due for disposition, holds that stop it, the decisions
taken, and the 30-year public-disclosure review of records of permanent value.

When a document's retention runs out. A document is filed by its registrations (each registry
files it in one of its files); each file has a retention class (years, and what then: destroy,
transfer to archives, review again). The clock of a filing starts when its file is closed (the
records-management cut-off); while the file is still open, it starts at the document's date, or
at the registration's date when the document is undated, so that a file held open for decades
does not keep its oldest papers forever. A document is due when at least one of its live
filings has run out and none is still running (the longest retention wins); an unfiled document
has no retention class and is never due. Where filings disagree on what to do, transfer to
archives wins over review, and review over destroy (a record of permanent value is never
destroyed because another registry filed it under a short class).

A hold (on the document, or on a file it is filed in) takes it out of the queue until lifted. A
decision takes it out for good (destroy: handed to the destruction proposals; archive), or until
a date (review again). Everything goes through the access filter, and the queue lists only
documents registered in a registry the reader is on the staff of.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import refuse_unless
from registrum.custody.models.retention import DispositionDecision, Hold
from registrum.custody.regrading import declassify_in_transaction, require_custody_staff
from registrum.org.models import Person
from registrum.policy import active_policy
from registrum.policy.custody import control_officer_of, custody_staff
from registrum.records.models import Disposition, Document, File, Registration, RetentionClass
from registrum.records.services import get_document_for

# Records of permanent value are reviewed for public disclosure at this age.
DISCLOSURE_REVIEW_YEARS = 30
# What a queue page shows at most (the oldest first).
QUEUE_LIMIT = 500
# Documents asked about in one query (within every database's limit of parameters).
CHUNK = 5_000

Action = DispositionDecision.Action


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    return years_before(day, -years)


def _run_out(today: date) -> Q:
    """On registrations: filed, and the filing's retention has run out by `today`."""
    due = Q(pk__in=[])
    for retention in RetentionClass.objects.all():
        cutoff = years_before(today, retention.years)
        due |= Q(file__retention_class=retention) & (
            Q(file__closed__lte=cutoff)
            | Q(file__closed__isnull=True, document__document_date__lte=cutoff)
            | Q(file__closed__isnull=True, document__document_date__isnull=True, registered_at__date__lte=cutoff)
        )
    return due


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _staffed(actor: Person) -> frozenset[int]:
    """The registries whose queue the actor sees; refused to anyone who is not a clerk or
    control officer of a registry."""
    require_custody_staff(actor, "disposition_queue")
    return actor.subject().registries


def _staffed_documents(actor: Person) -> QuerySet[Document]:
    """Documents the actor may see, registered in a registry they are on the staff of."""
    registries = _staffed(actor)
    staffed = Registration.objects.filter(document=OuterRef("pk"), voided_at__isnull=True, registry_id__in=registries)
    return Document.objects.visible_to(actor).filter(Exists(staffed))


def _held_ids(ids: list[int]) -> set[int]:
    """Of these documents, those under a hold not lifted, on the document or on a file it is filed in."""
    held = set(Hold.objects.filter(document_id__in=ids, lifted_at__isnull=True).values_list("document_id", flat=True))
    held_files = Hold.objects.filter(file__isnull=False, lifted_at__isnull=True).values("file_id")
    held |= set(
        Registration.objects.filter(document_id__in=ids, voided_at__isnull=True, file_id__in=held_files).values_list(
            "document_id", flat=True
        )
    )
    return held


def _decided_ids(ids: list[int], today: date, *, final: tuple[str, ...], review: tuple[str, ...]) -> set[int]:
    """Of these documents, those with a final decision or a review date still ahead."""
    decided = DispositionDecision.objects.filter(document_id__in=ids).filter(
        Q(action__in=final) | Q(action__in=review, review_on__gt=today)
    )
    return set(decided.values_list("document_id", flat=True))


@dataclass(frozen=True)
class Due:
    due_on: date
    disposition: Disposition
    files: list[str]


# Where filings disagree: archives before review before destruction.
_PRECEDENCE = {Disposition.ARCHIVE: 0, Disposition.REVIEW: 1, Disposition.DESTROY: 2}


def _due(ids: list[int], today: date) -> dict[int, Due]:
    """Of these documents, those due for disposition: every live filing run out, not held, not
    decided; with the latest date a filing ran out, the disposition and the files."""
    filings: dict[int, list[tuple[date, Disposition, str]]] = {}
    rows = Registration.objects.filter(document_id__in=ids, voided_at__isnull=True, file__isnull=False).values_list(
        "document_id",
        "file__code",
        "file__closed",
        "file__retention_class__years",
        "file__retention_class__disposition",
        "document__document_date",
        "registered_at",
    )
    for document_id, code, closed, years, disposition, dated, registered_at in rows:
        start = closed or dated or timezone.localtime(registered_at).date()
        filings.setdefault(document_id, []).append((years_after(start, years), Disposition(disposition), code))
    due = {
        document_id: Due(
            due_on=max(f[0] for f in mine),
            disposition=min({f[1] for f in mine}, key=_PRECEDENCE.__getitem__),
            files=sorted({f[2] for f in mine}),
        )
        for document_id, mine in filings.items()
        if all(f[0] <= today for f in mine)
    }
    if due:
        candidates = list(due)
        out = _held_ids(candidates) | _decided_ids(
            candidates, today, final=(Action.DESTROY, Action.ARCHIVE, Action.DISCLOSE), review=(Action.REVIEW,)
        )
        for document_id in out:
            due.pop(document_id, None)
    return due


def is_due(document: Document, today: date) -> bool:
    return document.pk in _due([document.pk], today)


@dataclass(frozen=True)
class DueItem:
    document: Document
    due_on: date
    disposition: Disposition
    files: list[str]


def _visible_in_order(actor: Person, ordered: list[int], limit: int) -> list[Document]:
    """The first `limit` of these documents (in this order) that the actor may see."""
    shown: list[Document] = []
    for chunk in _chunks(ordered, 1000):
        found = {d.pk: d for d in Document.objects.visible_to(actor).filter(pk__in=chunk)}
        shown += [found[pk] for pk in chunk if pk in found]
        if len(shown) >= limit:
            break
    return shown[:limit]


def disposition_queue(actor: Person, today: date | None = None) -> list[DueItem]:
    """What is due for disposition in the actor's registries, the longest overdue first. In
    steps that each use an index (a single query joining all of it is slow at 100,000 filed
    documents): filings run out in the actor's registries, then every filing of those documents,
    holds and decisions, and last the access filter on the few shown."""
    today = today or timezone.localdate()
    registries = _staffed(actor)
    candidates = sorted(
        set(
            Registration.objects.filter(voided_at__isnull=True, file__isnull=False, registry_id__in=registries)
            .filter(_run_out(today))
            .values_list("document_id", flat=True)
        )
    )
    due: dict[int, Due] = {}
    for chunk in _chunks(candidates):
        due.update(_due(chunk, today))
    ordered = sorted(due, key=lambda pk: (due[pk].due_on, pk))
    return [
        DueItem(document=d, due_on=due[d.pk].due_on, disposition=due[d.pk].disposition, files=due[d.pk].files)
        for d in _visible_in_order(actor, ordered, QUEUE_LIMIT)
    ]


def due_counts(actor: Person, today: date | None = None) -> tuple[int, int]:
    """For the clerk's dashboard: (documents due for disposition, records due for the 30-year
    review) in the actor's registries, as far as the actor may see them (at most QUEUE_LIMIT
    each); (0, 0) for anyone not on a registry's staff."""
    subject = actor.subject()
    if not any(custody_staff(subject, registry_id) for registry_id in subject.registries):
        return 0, 0
    return len(disposition_queue(actor, today)), len(disclosure_queue(actor, today))


def _require_control_officer_holding(actor: Person, document: Document, action: str) -> None:
    subject = actor.subject()
    held = Registration.objects.filter(document=document, voided_at__isnull=True).values_list("registry_id", flat=True)
    decision = control_officer_of(subject, None)
    for registry_id in sorted(set(held)):
        decision = control_officer_of(subject, registry_id)
        if decision:
            return
    refuse_unless(actor, decision, action, document)


def _require_any_control_officer(actor: Person, action: str, target: Any = None) -> None:
    subject = actor.subject()
    decision = control_officer_of(subject, None)
    for registry_id in sorted(subject.registries):
        decision = control_officer_of(subject, registry_id)
        if decision:
            return
    refuse_unless(actor, decision, action, target)


def _clean_text(value: str, field: str, missing: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise ValidationError({field: missing})
    if len(text) > 300:
        raise ValidationError({field: _("at most %(n)d characters") % {"n": 300}})
    return text


# Holds ---------------------------------------------------------------------------------------


def place_hold(
    actor: Person, *, reason: str, document_public_id: str | None = None, file_code: str | None = None
) -> Hold:
    """A control officer stops disposition of a document (of a registry they control), or of a
    whole file, until the hold is lifted."""
    if bool(document_public_id) == bool(file_code):
        raise ValidationError({"target": _("name either a document or a file")})
    reason = _clean_text(reason, "reason", _("say why disposition is stopped (the case, the request)"))
    with transaction.atomic(durable=True):
        now = timezone.now()
        if document_public_id:
            document = get_document_for(actor, document_public_id)
            _require_control_officer_holding(actor, document, "place_hold")
            hold = Hold.objects.create(document=document, reason=reason, placed_at=now, placed_by=actor)
            target: Document | File = document
        else:
            file = File.objects.filter(code=str(file_code).strip()).first()
            if file is None:
                raise ValidationError({"file": _("no file %(code)s in the file plan") % {"code": file_code}})
            _require_any_control_officer(actor, "place_hold")
            hold = Hold.objects.create(file=file, reason=reason, placed_at=now, placed_by=actor)
            target = file
        audit.record(
            actor,
            EventType.HOLD_PLACED,
            target,
            summary=f"hold {hold.public_id} placed: {reason[:200]}",
            data={"hold": hold.public_id, "reason": reason},
        )
        return hold


def lift_hold(actor: Person, hold_public_id: str, reason: str) -> Hold:
    reason = _clean_text(reason, "reason", _("say why the hold is lifted"))
    with transaction.atomic(durable=True):
        hold = (
            Hold.objects.select_for_update(of=("self",))
            .select_related("document", "file")
            .filter(public_id=str(hold_public_id))
            .first()
        )
        if hold is None:
            raise Http404("no such hold")
        target: Document | File
        if hold.document is not None:
            target = get_document_for(actor, hold.document.public_id)
            _require_control_officer_holding(actor, target, "lift_hold")
        else:
            if hold.file is None:  # the constraint: a hold names a document or a file
                raise Http404("no such hold")
            target = hold.file
            _require_any_control_officer(actor, "lift_hold")
        if hold.lifted_at is not None:
            raise ValidationError({"hold": _("this hold was already lifted")})
        hold.lifted_at, hold.lifted_by = timezone.now(), actor
        hold.save(update_fields=["lifted_at", "lifted_by"])
        audit.record(
            actor,
            EventType.HOLD_LIFTED,
            target,
            summary=f"hold {hold.public_id} lifted: {reason[:200]}",
            data={"hold": hold.public_id, "reason": reason},
        )
        return hold


def holds_for(actor: Person, *, include_lifted: bool = False) -> list[Hold]:
    """Holds on files, and on documents the actor may see (newest first); staff only."""
    _staffed(actor)
    holds = Hold.objects.select_related("document", "file", "placed_by", "lifted_by")
    if not include_lifted:
        holds = holds.filter(lifted_at__isnull=True)
    shown: list[Hold] = []
    for chunk in _chunks(list(holds.values_list("pk", flat=True)[: QUEUE_LIMIT * 10]), 1000):
        rows = list(holds.filter(pk__in=chunk))
        documents = [h.document_id for h in rows if h.document_id]
        visible = set(_staffed_documents(actor).filter(pk__in=documents).values_list("pk", flat=True))
        shown += [h for h in rows if h.file_id or h.document_id in visible]
        if len(shown) >= QUEUE_LIMIT:
            break
    shown.sort(key=lambda h: (h.placed_at, h.pk), reverse=True)
    return shown[:QUEUE_LIMIT]


def is_held(document: Document) -> bool:
    return bool(_held_ids([document.pk]))


# Decisions -----------------------------------------------------------------------------------


def decide_disposition(
    actor: Person, document_public_id: str, *, action: str, review_on: date | None = None, note: str = ""
) -> DispositionDecision:
    """A control officer of a holding registry decides a document that is due: destroy (it then
    goes to a destruction proposal), transfer to archives, or review again on a later date."""
    chosen = next((a for a in (Action.DESTROY, Action.ARCHIVE, Action.REVIEW) if a.value == str(action)), None)
    if chosen is None:
        known = ", ".join(a.value for a in (Action.DESTROY, Action.ARCHIVE, Action.REVIEW))
        raise ValidationError(
            {"action": _("unknown decision %(action)r (known: %(known)s)") % {"action": action, "known": known}}
        )
    today = timezone.localdate()
    if chosen is Action.REVIEW and (review_on is None or review_on <= today):
        raise ValidationError({"review_on": _("give the date of the next review, after today")})
    if chosen is not Action.REVIEW:
        review_on = None
    note = " ".join((note or "").split())[:300]
    with transaction.atomic(durable=True):
        document = get_document_for(actor, document_public_id)
        _require_control_officer_holding(actor, document, "decide_disposition")
        Document.objects.select_for_update().filter(pk=document.pk).first()
        if is_held(document):
            raise ValidationError({"action": _("this document is under a hold: nothing is decided until it is lifted")})
        if not is_due(document, today):
            raise ValidationError({"action": _("this document is not due for disposition")})
        decision = DispositionDecision.objects.create(
            document=document,
            action=chosen,
            review_on=review_on,
            note=note,
            decided_at=timezone.now(),
            decided_by=actor,
        )
        _record_decision(actor, document, decision)
        return decision


def _record_decision(actor: Person, document: Document, decision: DispositionDecision) -> None:
    data = {
        "action": str(decision.action),
        "label": str(Action(decision.action).label),
        "review_on": decision.review_on.isoformat() if decision.review_on else "",
        "note": decision.note,
    }
    audit.record(
        actor,
        EventType.DISPOSITION_DECIDED,
        document,
        summary=f"disposition: {decision.action}"
        + (f" (review on {decision.review_on})" if decision.review_on else ""),
        data=data,
    )


def decisions_of(actor: Person, document_public_id: str) -> tuple[Document, list[DispositionDecision], list[Hold]]:
    document = get_document_for(actor, document_public_id)
    decisions = list(DispositionDecision.objects.filter(document=document).select_related("decided_by"))
    holds = list(
        Hold.objects.filter(
            Q(document=document)
            | Q(file__in=Registration.objects.filter(document=document, voided_at__isnull=True).values("file_id"))
        ).select_related("file", "placed_by", "lifted_by")
    )
    return document, decisions, holds


# The 30-year public-disclosure review --------------------------------------------------------


def _disclosure_candidates(today: date, registrations: QuerySet[Registration]) -> list[int]:
    """Of the documents these registrations file, the records of permanent value (filed under a
    class whose disposition is transfer to archives) dated 30 years ago or more, neither disclosed
    nor kept back past today; the oldest first."""
    cutoff = years_before(today, DISCLOSURE_REVIEW_YEARS)
    rows = (
        registrations.filter(
            voided_at__isnull=True,
            file__retention_class__disposition=Disposition.ARCHIVE,
            document__document_date__lte=cutoff,
        )
        .values_list("document__document_date", "document_id")
        .distinct()
    )
    ordered = [pk for _dated, pk in sorted(set(rows))]
    out: set[int] = set()
    for chunk in _chunks(ordered):
        out |= _decided_ids(chunk, today, final=(Action.DISCLOSE,), review=(Action.RETAIN,))
    return [pk for pk in ordered if pk not in out]


def disclosure_queue(actor: Person, today: date | None = None) -> list[Document]:
    today = today or timezone.localdate()
    staffed = Registration.objects.filter(registry_id__in=_staffed(actor))
    return _visible_in_order(actor, _disclosure_candidates(today, staffed), QUEUE_LIMIT)


def decide_disclosure(
    actor: Person,
    document_public_id: str,
    *,
    disclose: bool,
    authority: str,
    review_in_years: int | None = None,
) -> DispositionDecision:
    """The 30-year review: disclose (declassified to the lowest level, the public-disclosure
    marking recorded) or keep it classified and review it again in N years."""
    authority = _clean_text(authority, "authority", _("say who decided it and their reference"))
    today = timezone.localdate()
    if not disclose and (review_in_years is None or not 1 <= review_in_years <= 50):
        raise ValidationError({"review_in_years": _("review again in 1 to 50 years")})
    with transaction.atomic(durable=True):
        document = get_document_for(actor, document_public_id)
        _require_control_officer_holding(actor, document, "decide_disclosure")
        if not _disclosure_candidates(today, Registration.objects.filter(document=document)):
            raise ValidationError({"action": _("this document is not due for the public-disclosure review")})
        now = timezone.now()
        if disclose:
            marking = active_policy().public_marking
            declassify_in_transaction(actor, document, f"{marking}: {authority}", now)
            decision = DispositionDecision.objects.create(
                document=document,
                action=Action.DISCLOSE,
                note=f"{marking}: {authority}"[:300],
                decided_at=now,
                decided_by=actor,
            )
        else:
            decision = DispositionDecision.objects.create(
                document=document,
                action=Action.RETAIN,
                review_on=years_after(today, review_in_years or 0),
                note=authority,
                decided_at=now,
                decided_by=actor,
            )
        _record_decision(actor, document, decision)
        return decision
