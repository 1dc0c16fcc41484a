"""Regrading: a downgrade, declassification or upgrade of a document, on the originator's
authority, recorded by the staff of a registry holding it. Applied at once, or scheduled
("downgrade to NATO CONFIDENTIAL on 2029-01-01") and applied when due by `apply_due_regrades`
(run daily from the command line, or from the due-regrades page).

Applying rewrites the classification columns of the document, of every registration and of
every copy of it in one transaction: the access filter, the markings on pages, cover sheets and
labels all read those columns, so they change together. Everyone concerned is told (a notice and
an e-mail after the commit).

An upgrade is refused, naming the place, when a registry, container or person holding a copy
or a registration is not accredited or cleared for the new classification: the copies are moved
first (a flag would leave the policy broken until someone acted on it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import container_place, copy_event, person_place, refuse_unless, registry_place
from registrum.custody.models import ChargeOut, Copy, CopyEvent, CopyEventKind, CopyStatus
from registrum.custody.models.regrading import Regrade, RegradeKind
from registrum.custody.notices import REGRADE, concerned_people, notify
from registrum.org.models import Person, Registry
from registrum.org.services import SystemActor
from registrum.policy import Decision, Level, Policy, active_policy
from registrum.policy.custody import Material, Place, custody_staff, may_place, may_regrade
from registrum.records.models import Document, Registration
from registrum.records.services import get_document_for

MAX_AUTHORITY = 300


def holding_registry_ids(document: Document) -> set[int]:
    """Registries holding the document: a live registration, or a copy on hand."""
    registered = Registration.objects.filter(document=document, voided_at__isnull=True).values_list(
        "registry_id", flat=True
    )
    holding = Copy.objects.filter(
        document=document, registry__isnull=False, status__in=(CopyStatus.HELD, CopyStatus.CHARGED_OUT)
    ).values_list("registry_id", flat=True)
    return set(registered) | set(holding)


def require_custody_staff(actor: Person, action: str) -> None:
    """A clerk or control officer on the staff of some registry (the queues are theirs)."""
    subject = actor.subject()
    decision = Decision(False, "only registry clerks and control officers do this")
    for registry_id in sorted(subject.registries):
        decision = custody_staff(subject, registry_id)
        if decision:
            return
    refuse_unless(actor, decision, action)


def require_regrader(actor: Person, document: Document, action: str = "regrade") -> None:
    """A clerk or control officer of a registry holding the document records regrading."""
    subject = actor.subject()
    held = holding_registry_ids(document)
    decision = custody_staff(subject, None)
    for registry_id in sorted(held):
        decision = custody_staff(subject, registry_id)
        if decision:
            return
    if not held:
        decision = Decision(False, "no registry holds this document")
    refuse_unless(actor, decision, action, document)


def parse_level(policy: Policy, value: Level | int | str, *, field_name: str = "to_level") -> Level:
    if isinstance(value, Level):
        return value
    try:
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            return Level(int(value))
        return policy.level_from_text(str(value))
    except ValueError as exc:
        raise ValidationError({field_name: str(exc)}) from None


def parse_categories(policy: Policy, codes: Iterable[str] | str) -> int:
    if isinstance(codes, str):
        codes = [c for c in codes.replace(",", " ").replace("/", " ").split() if c]
    try:
        return policy.category_mask([c for c in codes if c.strip()])
    except ValueError as exc:
        raise ValidationError({"to_categories": str(exc)}) from None


def kind_of(current_level: Level, current_mask: int, level: Level, mask: int) -> RegradeKind:
    """What a change of classification is: raising the level or adding a special category is an
    upgrade; reaching the lowest level with no category, a declassification; else a downgrade."""
    if level > current_level or mask & ~current_mask:
        return RegradeKind.UPGRADE
    if level == min(Level) and not mask:
        return RegradeKind.DECLASSIFY
    return RegradeKind.DOWNGRADE


def _check_kind(policy: Policy, said: RegradeKind, actual: RegradeKind, level: Level) -> None:
    if said == actual:
        return
    if said is RegradeKind.DOWNGRADE and actual is RegradeKind.DECLASSIFY:
        raise ValidationError(
            {
                "kind": _("a downgrade never reaches %(marking)s: that is a declassification (record it as one)")
                % {"marking": policy.levels[level].marking}
            }
        )
    if said is RegradeKind.DECLASSIFY:
        raise ValidationError(
            {
                "to_level": _("a declassification goes to %(marking)s with no special category")
                % {"marking": policy.levels[min(Level)].marking}
            }
        )
    raise ValidationError(
        {"kind": _("this change is a %(actual)s, not a %(said)s") % {"actual": actual.label, "said": said.label}}
    )


def record_regrade(
    actor: Person,
    document_public_id: str,
    *,
    kind: RegradeKind | str,
    to_level: Level | int | str | None = None,
    to_categories: Iterable[str] | str = (),
    authority: str,
    effective_on: date | None = None,
) -> Regrade:
    """Record the originator's decision to regrade a document. `authority` says who decided and
    their reference. Effective today (or absent, or past): applied now. In the future: scheduled,
    listed in the due-regrades queue, applied by `apply_due_regrades` on that day."""
    policy, today = active_policy(), timezone.localdate()
    try:
        said = RegradeKind(str(kind))
    except ValueError:
        known = ", ".join(k.value for k in RegradeKind)
        problem = _("unknown kind %(kind)r (known: %(known)s)") % {"kind": kind, "known": known}
        raise ValidationError({"kind": problem}) from None
    authority = " ".join((authority or "").split())
    if not authority:
        raise ValidationError({"authority": _("say who decided it and their reference (the originator's authority)")})
    if len(authority) > MAX_AUTHORITY:
        raise ValidationError({"authority": _("at most %(n)d characters") % {"n": MAX_AUTHORITY}})
    if to_level is None or to_level == "":
        if said is not RegradeKind.DECLASSIFY:
            raise ValidationError({"to_level": _("say the new classification level")})
        level, mask = min(Level), 0
    else:
        level, mask = parse_level(policy, to_level), parse_categories(policy, to_categories)
    with transaction.atomic(durable=True):
        document = get_document_for(actor, document_public_id)
        require_regrader(actor, document, "regrade")
        current = Material(Level(document.level), document.category_mask, frozenset(document.releasable_nations))
        if (level, mask) == (current.level, current.category_mask):
            raise ValidationError({"to_level": _("the new classification is the same as the current one")})
        refuse_unless(actor, may_regrade(policy, actor.subject(), current, level, mask, today), "regrade", document)
        _check_kind(policy, said, kind_of(current.level, current.category_mask, level, mask), level)
        now = timezone.now()
        regrade = Regrade.objects.create(
            document=document,
            kind=said,
            from_level=document.level,
            from_category_mask=document.category_mask,
            to_level=level,
            to_category_mask=mask,
            authority=authority,
            effective_on=effective_on or today,
            decided_at=now,
            decided_by=actor,
        )
        if regrade.effective_on <= today:
            _apply(regrade, document, actor, now)
        else:
            audit.record(
                actor,
                EventType.REGRADE_RECORDED,
                document,
                summary=f"{said.value} to {policy.marking(level, mask)} scheduled for {regrade.effective_on}",
                data=_event_data(policy, regrade),
            )
        return regrade


def _event_data(policy: Policy, regrade: Regrade) -> dict[str, Any]:
    return {
        "regrade": regrade.public_id,
        "kind": str(regrade.kind),
        "from": policy.marking(Level(regrade.from_level), regrade.from_category_mask),
        "to": policy.marking(Level(regrade.to_level), regrade.to_category_mask),
        "authority": regrade.authority,
        "effective_on": regrade.effective_on.isoformat(),
    }


def _holders(document: Document) -> list[tuple[str, Place]]:
    """Every place holding the document: registries that registered it, and each live copy's
    custodian and container (a copy charged out is also with its reader)."""
    places: list[tuple[str, Place]] = []
    registries = Registry.objects.filter(
        pk__in=Registration.objects.filter(document=document, voided_at__isnull=True).values("registry_id")
    )
    places += [(registry.code, registry_place(registry)) for registry in registries.order_by("code")]
    copies = (
        Copy.objects.filter(
            document=document, status__in=(CopyStatus.HELD, CopyStatus.CHARGED_OUT, CopyStatus.IN_TRANSIT)
        )
        .select_related("registry", "container", "person__clearance")
        .order_by("number")
    )
    for copy in copies:
        label = _("copy No. %(number)s of %(total)s") % {"number": copy.number, "total": copy.of_total}
        if copy.registry is not None:
            places.append((label, registry_place(copy.registry)))
        if copy.container is not None:
            places.append((label, container_place(copy.container)))
        if copy.person is not None:
            places.append((label, person_place(copy.person)))
    readers = ChargeOut.objects.filter(copy__document=document, checked_in_at__isnull=True).select_related(
        "reader__clearance", "copy"
    )
    for charge in readers:
        label = _("copy No. %(number)s of %(total)s") % {"number": charge.copy.number, "total": charge.copy.of_total}
        places.append((label, person_place(charge.reader)))
    return places


def check_places_for(document: Document, level: Level, mask: int) -> None:
    """Every place holding the document can hold it at the new classification, else the first
    place that cannot, with the policy's reason."""
    policy, today = active_policy(), timezone.localdate()
    material = Material(level, mask, frozenset(document.releasable_nations))
    for label, place in _holders(document):
        decision = may_place(policy, place, material, today)
        if not decision:
            raise ValidationError({"to_level": f"{label}: {decision.render(_)}"})


def _apply(regrade: Regrade, document: Document, actor: Person | None, now: datetime) -> None:
    """Rewrite the classification of the document, its registrations and its copies (inside
    the caller's transaction), record it, and tell everyone concerned."""
    policy = active_policy()
    Document.objects.select_for_update().filter(pk=document.pk).first()
    document.refresh_from_db(fields=["level", "category_mask", "subject_level"])
    level, mask = Level(regrade.to_level), regrade.to_category_mask
    if kind_of(Level(document.level), document.category_mask, level, mask) is RegradeKind.UPGRADE:
        check_places_for(document, level, mask)
    regrade.from_level, regrade.from_category_mask = document.level, document.category_mask
    columns = {"level": level, "category_mask": mask}
    Document.objects.filter(pk=document.pk).update(**columns, subject_level=min(document.subject_level, level))
    Registration.objects.filter(document=document).update(**columns)
    Copy.objects.filter(document=document).update(**columns)
    document.refresh_from_db(fields=["level", "category_mask", "subject_level"])
    regrade.applied_at, regrade.applied_by = now, actor
    regrade.save(update_fields=["from_level", "from_category_mask", "applied_at", "applied_by"])
    data = _event_data(policy, regrade)
    copies = list(Copy.objects.filter(document=document).select_related("registry", "person", "container"))
    if copies:
        by = actor or regrade.decided_by  # applied by the system: the history names the decider
        reference = f"regrade:{regrade.public_id}"
        note = f"{data['from']} -> {data['to']}"
        CopyEvent.objects.bulk_create(
            [copy_event(c, CopyEventKind.REGRADED, by, now, reference=reference, note=note) for c in copies],
            batch_size=500,
        )
    audit.record(
        actor,
        EventType.DOCUMENT_REGRADED,
        document,
        summary=f"{regrade.kind}: {data['from']} -> {data['to']} ({regrade.authority})",
        data=data,
    )
    marking, public_id = data["to"], document.public_id
    texts = {
        RegradeKind.DOWNGRADE: lambda: _("Document %(id)s was downgraded. Its marking is now %(marking)s."),
        RegradeKind.DECLASSIFY: lambda: _("Document %(id)s was declassified. Its marking is now %(marking)s."),
        RegradeKind.UPGRADE: lambda: _(
            "Document %(id)s was upgraded. Its marking is now %(marking)s: check that you may still hold it."
        ),
    }
    # What it turned out to be when applied (a scheduled one may meet a changed document).
    template = texts[kind_of(Level(regrade.from_level), regrade.from_category_mask, level, mask)]
    people = concerned_people(document) - ({actor.pk} if actor is not None else set())
    notify(
        people,
        document,
        REGRADE,
        lambda: template() % {"id": public_id, "marking": marking},
        now,
        subject=f"Registrum: {public_id} {marking}",
    )


# Scheduled regrades ------------------------------------------------------------------------


def pending_for(actor: Person) -> QuerySet[Regrade]:
    """Scheduled regrades of documents the actor may see and whose holding registry they staff,
    soonest first (the due-regrades queue)."""
    subject = actor.subject()
    staffed = Registration.objects.filter(
        document=OuterRef("document"), voided_at__isnull=True, registry_id__in=subject.registries
    )
    pending = Regrade.objects.filter(applied_at__isnull=True, cancelled_at__isnull=True).filter(Exists(staffed))
    # The few documents with a pending regrade, through the access filter (not the filter's
    # whole set of visible documents).
    visible = Document.objects.visible_to(actor).filter(pk__in=pending.values("document_id"))
    return pending.filter(document__in=visible).select_related("document", "decided_by").order_by("effective_on", "id")


def regrades_of(actor: Person, document_public_id: str) -> tuple[Document, list[Regrade]]:
    """A document (through the access filter) and its regrades, past and scheduled."""
    document = get_document_for(actor, document_public_id)
    regrades = list(
        Regrade.objects.filter(document=document)
        .select_related("decided_by", "applied_by")
        .order_by("effective_on", "id")
    )
    return document, regrades


@dataclass
class Applied:
    applied: list[Regrade] = field(default_factory=list)
    # A scheduled upgrade a holder can no longer hold stays pending, with the reason.
    refused: list[tuple[Regrade, str]] = field(default_factory=list)


def apply_due_regrades(actor: Person | SystemActor, today: date | None = None) -> Applied:
    """Apply every scheduled regrade due on or before `today`, each in its own transaction (one
    that cannot be applied does not hold up the others). A person applies those in their queue;
    the system (the daily command run by the operator) applies all of them."""
    today = today or timezone.localdate()
    if isinstance(actor, Person):
        due = pending_for(actor).filter(effective_on__lte=today)
    else:
        due = Regrade.objects.filter(applied_at__isnull=True, cancelled_at__isnull=True, effective_on__lte=today)
    person = actor if isinstance(actor, Person) else None
    result = Applied()
    for regrade_id in list(due.order_by("effective_on", "id").values_list("pk", flat=True)):
        try:
            with transaction.atomic(durable=True):
                regrade = (
                    Regrade.objects.select_for_update(of=("self",))
                    .select_related("document")
                    .filter(pk=regrade_id, applied_at__isnull=True, cancelled_at__isnull=True)
                    .first()
                )
                if regrade is None:
                    continue
                _apply(regrade, regrade.document, person, timezone.now())
        except ValidationError as exc:
            result.refused.append((Regrade.objects.get(pk=regrade_id), "; ".join(exc.messages)))
        else:
            result.applied.append(regrade)
    return result


def cancel_regrade(actor: Person, regrade_public_id: str, reason: str) -> Regrade:
    """Withdraw a scheduled regrade recorded in error (an applied one is undone by another)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("say why the scheduled regrade is withdrawn")})
    with transaction.atomic(durable=True):
        regrade = (
            Regrade.objects.select_for_update(of=("self",))
            .select_related("document")
            .filter(public_id=str(regrade_public_id))
            .first()
        )
        if regrade is None or not Document.objects.visible_to(actor).filter(pk=regrade.document_id).exists():
            raise Http404("no such regrade")
        require_regrader(actor, regrade.document, "cancel_regrade")
        if regrade.applied_at is not None or regrade.cancelled_at is not None:
            raise ValidationError({"regrade": _("only a scheduled regrade that is still pending can be withdrawn")})
        regrade.cancelled_at = timezone.now()
        regrade.save(update_fields=["cancelled_at"])
        audit.record(
            actor,
            EventType.REGRADE_RECORDED,
            regrade.document,
            summary=f"scheduled {regrade.kind} withdrawn: {reason[:200]}",
            data={**_event_data(active_policy(), regrade), "cancelled": True, "reason": reason[:300]},
        )
        return regrade


__all__ = [
    "Applied",
    "apply_due_regrades",
    "cancel_regrade",
    "check_places_for",
    "kind_of",
    "pending_for",
    "record_regrade",
    "regrades_of",
]


def declassify_in_transaction(actor: Person, document: Document, authority: str, now: datetime) -> Regrade | None:
    """Declassify a document inside the caller's transaction (the public-disclosure decision):
    None when it is already at the lowest level with no special category."""
    level = min(Level)
    if document.level == level and not document.category_mask:
        return None
    current = Material(Level(document.level), document.category_mask, frozenset(document.releasable_nations))
    decision = may_regrade(active_policy(), actor.subject(), current, level, 0, timezone.localdate())
    refuse_unless(actor, decision, "regrade", document)
    regrade = Regrade.objects.create(
        document=document,
        kind=RegradeKind.DECLASSIFY,
        from_level=document.level,
        from_category_mask=document.category_mask,
        to_level=level,
        to_category_mask=0,
        authority=authority[:MAX_AUTHORITY],
        effective_on=timezone.localdate(),
        decided_at=now,
        decided_by=actor,
    )
    _apply(regrade, document, actor, now)
    return regrade


def due_count(actor: Person, today: date | None = None) -> int:
    """For the clerk's dashboard: scheduled regrades of the actor's registries due by today."""
    return pending_for(actor).filter(effective_on__lte=today or timezone.localdate()).count()
