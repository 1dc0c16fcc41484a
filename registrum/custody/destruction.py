"""Witnessed destruction: a proposal by registry staff, approval by a control officer, the
destroyer's signature and then each witness's, every one in the signer's own session (one
request each). When the certificate has the signatures the policy requires the copies are
destroyed, all in that last signature's transaction; the certificate is kept for the policy's
period and is then itself disposable.

Decisions:
- A control officer never approves a destruction they proposed themselves (four eyes).
- The destroyer is whoever signs first: registry staff cleared for every copy.
- Witnesses: cleared for every copy, not the destroyer; they need not be registry staff.
- The certificate's SHA-256 is taken over its canonical content (number, registry, reason,
  copies, approval, signatures), so a printed certificate can be checked against the register
  whatever the PDF renderer's version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit, storage
from registrum.audit.events import EventType
from registrum.custody.common import (
    handling_of,
    material_of,
    parse_copy_code,
    record_copy_events,
    refuse_unless,
    require_control_officer,
    require_staff,
)
from registrum.custody.models import Copy, CopyEventKind, CopyStatus
from registrum.custody.models.destruction import (
    Destruction,
    DestructionItem,
    DestructionSignature,
    DestructionState,
)
from registrum.custody.models.retention import Hold
from registrum.org.models import Person, Registry
from registrum.policy import Decision, Level, active_policy
from registrum.policy.custody import custody_staff, may_approve_destruction, may_witness
from registrum.policy.decision import N_, may_hold
from registrum.records.encryption import destroy_version_key
from registrum.records.models import Registration, Version

MAX_COPIES_PER_CERTIFICATE = 1000
OPEN_STATES = (DestructionState.PROPOSED, DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES)


def certificate_number(registry: Registry, year: int, sequence: int) -> str:
    return f"{registry.code}/DC/{year}/{sequence:06d}"


def _next_number(registry: Registry, year: int) -> str:
    """The registry's next certificate number of the year (the registry row is locked by the caller)."""
    prefix = certificate_number(registry, year, 0)[:-6]
    numbers = Destruction.objects.filter(registry=registry, number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return certificate_number(registry, year, last + 1)


def _held_by_registry(copies: Sequence[Copy], registry: Registry) -> None:
    """Every copy is held (not charged out, in transit or gone) by the registry: else refused."""
    for copy in copies:
        if copy.registry_id != registry.pk:
            raise ValidationError(
                {
                    "copies": _("copy No. %(number)s of %(total)s is not held by %(registry)s")
                    % {"number": copy.number, "total": copy.of_total, "registry": registry.code}
                }
            )
        if copy.status != CopyStatus.HELD:
            raise ValidationError(
                {
                    "copies": _("copy No. %(number)s of %(total)s is %(status)s, not held")
                    % {"number": copy.number, "total": copy.of_total, "status": copy.get_status_display()}
                }
            )


def _not_on_hold(copies: Sequence[Copy]) -> None:
    """Nothing under a retention hold (on the document, or on a file it is registered in) goes."""
    document_ids = {c.document_id for c in copies}
    file_ids = set(
        Registration.objects.filter(document_id__in=document_ids, file__isnull=False).values_list("file_id", flat=True)
    )
    held = Hold.objects.filter(lifted_at__isnull=True).filter(Q(document_id__in=document_ids) | Q(file_id__in=file_ids))
    if held.exists():
        hold_documents = set(held.exclude(document=None).values_list("document_id", flat=True))
        hold_files = set(held.exclude(file=None).values_list("file_id", flat=True))
        for copy in copies:
            on_file = Registration.objects.filter(document_id=copy.document_id, file_id__in=hold_files).exists()
            if copy.document_id in hold_documents or on_file:
                raise ValidationError(
                    {
                        "copies": _("copy No. %(number)s of %(total)s is under a retention hold")
                        % {"number": copy.number, "total": copy.of_total}
                    }
                )


def _cleared_for_all(actor: Person, copies: Sequence[Copy], action: str, target: Any) -> None:
    policy, today, subject = active_policy(), timezone.localdate(), actor.subject()
    for copy in copies:
        held = may_hold(policy, subject, Level(copy.level), copy.category_mask, today)
        refuse_unless(actor, held, action, target)


def propose_destruction(
    actor: Person,
    registry: Registry,
    copy_public_ids: Sequence[str],
    reason: str,
    *,
    method: str = "",
    destroy_electronic: bool = False,
) -> Destruction:
    """Registry staff propose the destruction of copies their registry holds, named by public id
    or by the code on their label (what a scanner types)."""
    reason, method = reason.strip(), method.strip()
    texts = [str(i).strip() for i in copy_public_ids if str(i).strip()]
    ids = list(dict.fromkeys(parse_copy_code(t) or t.lower() for t in texts))
    errors: dict[str, str] = {}
    if not reason or len(reason) > 300:
        errors["reason"] = _("give a reason of 1 to 300 characters")
    if len(method) > 100:
        errors["method"] = _("the method is at most 100 characters")
    if not ids:
        errors["copies"] = _("choose at least one copy")
    elif len(ids) > MAX_COPIES_PER_CERTIFICATE:
        errors["copies"] = _("at most %(limit)d copies on one certificate") % {"limit": MAX_COPIES_PER_CERTIFICATE}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        require_staff(actor, registry, "propose_destruction")
        registry = Registry.objects.select_for_update().get(pk=registry.pk)
        found = {c.public_id: c for c in Copy.objects.visible_to(actor).filter(public_id__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationError({"copies": _("no such copy: %(id)s") % {"id": missing[0]}})
        copies = [found[i] for i in ids]
        _cleared_for_all(actor, copies, "propose_destruction", registry)
        _held_by_registry(copies, registry)
        _not_on_hold(copies)
        pending = DestructionItem.objects.filter(copy__in=copies, destruction__state__in=OPEN_STATES).first()
        if pending is not None:
            copy = next(c for c in copies if c.pk == pending.copy_id)
            raise ValidationError(
                {
                    "copies": _("copy No. %(number)s of %(total)s is already proposed on %(certificate)s")
                    % {"number": copy.number, "total": copy.of_total, "certificate": pending.destruction.number}
                }
            )
        now = timezone.now()
        destruction = Destruction.objects.create(
            number=_next_number(registry, timezone.localdate().year),
            registry=registry,
            state=DestructionState.PROPOSED,
            reason=reason,
            method=method,
            destroy_electronic=destroy_electronic,
            signatures_required=max(handling_of(c).destruction_signatures for c in copies),
            proposed_at=now,
            proposed_by=actor,
        )
        DestructionItem.objects.bulk_create(
            [DestructionItem(destruction=destruction, copy=c, document_id=c.document_id) for c in copies]
        )
        audit.record(
            actor,
            EventType.DESTRUCTION_PROPOSED,
            destruction,
            summary=f"destruction {destruction.number} of {len(copies)} copies proposed in {registry.code}",
            data={
                "number": destruction.number,
                "registry": registry.code,
                "copies": [c.public_id for c in copies],
                "reason": reason,
                "destroy_electronic": destroy_electronic,
            },
        )
        return destruction


def _locked(actor: Person, public_id: str) -> Destruction:
    destruction = (
        Destruction.objects.select_for_update(of=("self",))
        .select_related("registry")
        .filter(public_id=str(public_id))
        .first()
    )
    if destruction is None or not may_see(actor, destruction):
        raise Http404("no such destruction")
    return destruction


def _item_copies(destruction: Destruction, *, lock: bool = False) -> list[Copy]:
    copies = Copy.objects.filter(destruction_items__destruction=destruction)
    if lock:
        copies = copies.select_for_update(of=("self",))
    return list(copies.select_related("document", "registry", "container").order_by("document_id", "number"))


def _decide(actor: Person, public_id: str, *, approve: bool, note: str = "") -> Destruction:
    with transaction.atomic(durable=True):
        destruction = _locked(actor, public_id)
        action = "approve_destruction" if approve else "reject_destruction"
        if approve:
            decision = may_approve_destruction(actor.subject(), destruction.registry_id, destruction.proposed_by_id)
            refuse_unless(actor, decision, action, destruction)
        else:
            require_control_officer(actor, destruction.registry, action, destruction)
        if destruction.state != DestructionState.PROPOSED:
            raise ValidationError(
                {"state": _("the destruction is %(state)s, not proposed") % {"state": destruction.get_state_display()}}
            )
        if approve:
            copies = _item_copies(destruction, lock=True)
            _cleared_for_all(actor, copies, action, destruction)
            _held_by_registry(copies, destruction.registry)
            _not_on_hold(copies)
        destruction.state = DestructionState.APPROVED if approve else DestructionState.REJECTED
        destruction.approved_at, destruction.approved_by = timezone.now(), actor
        destruction.save(update_fields=["state", "approved_at", "approved_by"])
        verb = "approved" if approve else "rejected"
        audit.record(
            actor,
            EventType.DESTRUCTION_APPROVED if approve else EventType.DESTRUCTION_REJECTED,
            destruction,
            summary=f"destruction {destruction.number} {verb}" + (f": {note.strip()[:200]}" if note.strip() else ""),
            data={"number": destruction.number, "note": note.strip()[:300]},
        )
        return destruction


def approve_destruction(actor: Person, public_id: str) -> Destruction:
    return _decide(actor, public_id, approve=True)


def reject_destruction(actor: Person, public_id: str, note: str = "") -> Destruction:
    return _decide(actor, public_id, approve=False, note=note)


def sign_destruction(actor: Person, public_id: str) -> Destruction:
    """The actor signs the certificate, in their own session: the first signature is the
    destroyer's, the others witnesses'. The signature that completes it destroys the copies."""
    with transaction.atomic(durable=True):
        destruction = _locked(actor, public_id)
        if destruction.state not in (DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES):
            raise ValidationError(
                {
                    "state": _("the destruction is %(state)s: only an approved destruction is signed")
                    % {"state": destruction.get_state_display()}
                }
            )
        copies = _item_copies(destruction, lock=True)
        signatures = list(destruction.signatures.all())
        policy, today, subject = active_policy(), timezone.localdate(), actor.subject()
        if not signatures:
            role = DestructionSignature.Role.DESTROYER
            require_staff(actor, destruction.registry, "destroy", destruction)
            _cleared_for_all(actor, copies, "destroy", destruction)
            _held_by_registry(copies, destruction.registry)
        else:
            role = DestructionSignature.Role.WITNESS
            destroyer_id = signatures[0].person_id
            for copy in copies:
                refuse_unless(
                    actor, may_witness(policy, subject, destroyer_id, material_of(copy), today), "witness", destruction
                )
            if any(s.person_id == actor.pk for s in signatures):
                raise ValidationError({"signature": _("you have already signed this certificate")})
        now = timezone.now()
        DestructionSignature.objects.create(destruction=destruction, person=actor, role=role, signed_at=now)
        audit.record(
            actor,
            EventType.DESTRUCTION_SIGNED,
            destruction,
            summary=f"destruction {destruction.number} signed ({role})",
            data={"number": destruction.number, "role": str(role)},
        )
        if len(signatures) + 1 >= destruction.signatures_required:
            _complete(actor, destruction, copies, now)
        else:
            destruction.state = DestructionState.AWAITING_WITNESSES
            destruction.save(update_fields=["state"])
        return destruction


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _complete(actor: Person, destruction: Destruction, copies: list[Copy], now: datetime) -> None:
    """Destroy every copy (and, when asked, the electronic versions of documents with no copy
    left), in the completing signature's transaction: any refusal leaves every copy where it was."""
    _held_by_registry(copies, destruction.registry)
    _not_on_hold(copies)
    Copy.objects.filter(pk__in=[c.pk for c in copies]).update(status=CopyStatus.DESTROYED, container=None, since=now)
    for copy in copies:
        copy.status, copy.container, copy.since = CopyStatus.DESTROYED, None, now
    record_copy_events(
        actor,
        copies,
        CopyEventKind.DESTROYED,
        EventType.COPY_DESTROYED,
        now,
        reference=f"destruction:{destruction.public_id}",
        note=destruction.number,
        summary=f"destroyed ({destruction.number})",
    )
    destruction.state = DestructionState.COMPLETED
    destruction.completed_at = now
    destruction.keep_until = _add_years(timezone.localdate(), max(handling_of(c).certificate_years for c in copies))
    destruction.certificate_sha256 = hashlib.sha256(_canonical(destruction, copies)).hexdigest()
    destruction.save(update_fields=["state", "completed_at", "keep_until", "certificate_sha256"])
    if destruction.destroy_electronic:
        _destroy_electronic(actor, destruction, {c.document_id for c in copies})


def _destroy_electronic(actor: Person, destruction: Destruction, document_ids: set[int]) -> None:
    """Documents whose every copy is now destroyed lose their electronic versions: their data
    keys are erased, so the content (and every backup of it) is unreadable."""
    remaining = set(
        Copy.objects.filter(document_id__in=document_ids)
        .exclude(status=CopyStatus.DESTROYED)
        .values_list("document_id", flat=True)
    )
    store = storage.get_store()
    for version in Version.objects.filter(document_id__in=document_ids - remaining, wrapped_key__isnull=False):
        destroy_version_key(store, version)
        audit.record(
            actor,
            EventType.VERSION_DESTROYED,
            version.document,
            summary=f"electronic version {version.number} destroyed ({destruction.number}): its data key erased",
            data={"version": version.number, "electronic": True, "reference": f"destruction:{destruction.public_id}"},
        )


def _canonical(destruction: Destruction, copies: Sequence[Copy]) -> bytes:
    signatures = destruction.signatures.order_by("signed_at", "id").values_list("person__username", "role", "signed_at")
    content = {
        "number": destruction.number,
        "registry": destruction.registry.code,
        "reason": destruction.reason,
        "method": destruction.method,
        "approved_by": destruction.approved_by.username if destruction.approved_by else "",
        "approved_at": destruction.approved_at.isoformat() if destruction.approved_at else "",
        "copies": [[c.document.public_id, c.public_id, c.number, c.of_total] for c in copies],
        "signatures": [[u, r, at.isoformat()] for u, r, at in signatures],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def dispose_certificate(actor: Person, public_id: str) -> Destruction:
    """After its retention period a control officer disposes of the certificate: the row and
    its trail stay, marked disposed of."""
    with transaction.atomic(durable=True):
        destruction = _locked(actor, public_id)
        require_control_officer(actor, destruction.registry, "dispose_certificate", destruction)
        if destruction.state != DestructionState.COMPLETED:
            raise ValidationError(
                {"state": _("the destruction is %(state)s, not completed") % {"state": destruction.get_state_display()}}
            )
        if destruction.keep_until and timezone.localdate() < destruction.keep_until:
            raise ValidationError(
                {"state": _("the certificate is kept until %(date)s") % {"date": destruction.keep_until.isoformat()}}
            )
        destruction.state = DestructionState.CERTIFICATE_DISPOSED
        destruction.save(update_fields=["state"])
        audit.record(
            actor,
            EventType.CERTIFICATE_DISPOSED,
            destruction,
            summary=f"destruction certificate {destruction.number} disposed of",
            data={"number": destruction.number, "kept_until": str(destruction.keep_until)},
        )
        return destruction


# Reading -------------------------------------------------------------------------------------


def may_see(person: Person, destruction: Destruction) -> bool:
    """Staff of the registry and whoever signed it see a destruction; while it awaits signatures
    so does a possible witness, who must see every copy on it (need-to-know) and be cleared for
    each: a witness signs only what they can check."""
    if not _sees_every_copy(person, destruction):
        return False
    if custody_staff(person.subject(), destruction.registry_id):
        return True
    if destruction.signatures.filter(person=person).exists():
        return True
    if destruction.state not in (DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES):
        return False
    copies = _item_copies(destruction)
    if Copy.objects.visible_to(person).filter(pk__in=[c.pk for c in copies]).count() != len(copies):
        return False
    policy, today, subject = active_policy(), timezone.localdate(), person.subject()
    destroyer = destruction.signatures.order_by("signed_at", "id").values_list("person_id", flat=True).first()
    return all(may_witness(policy, subject, destroyer, material_of(c), today) for c in copies)


def _sees_every_copy(person: Person, destruction: Destruction) -> bool:
    """Staff not cleared for a copy on it learn nothing of the destruction (reason, number)."""
    return not _with_hidden_copies(person).filter(pk=destruction.pk).exists()


def _with_hidden_copies(person: Person) -> QuerySet[Destruction]:
    hidden = DestructionItem.objects.filter(destruction_id=OuterRef("pk")).exclude(
        copy_id__in=Copy.objects.visible_to(person).values("pk")
    )
    return Destruction.objects.filter(Exists(hidden))


def get_destruction(person: Person, public_id: str) -> Destruction:
    destruction = (
        Destruction.objects.select_related("registry", "proposed_by", "approved_by")
        .filter(public_id=str(public_id))
        .first()
    )
    if destruction is None or not may_see(person, destruction):
        raise Http404("no such destruction")
    return destruction


def destructions_of(person: Person, registry: Registry) -> QuerySet[Destruction]:
    require_staff(person, registry, "list_destructions")
    return (
        Destruction.objects.filter(registry=registry)
        .exclude(pk__in=_with_hidden_copies(person).values("pk"))
        .select_related("proposed_by", "approved_by")
    )


@dataclass(frozen=True)
class CertificateLine:
    copy: Copy
    reference: str
    registration_number: str
    marking: str


def certificate_lines(person: Person, destruction: Destruction) -> list[CertificateLine]:
    """The copies on the certificate that the person may see, with their registration number
    in the destruction's registry and their marking."""
    policy = active_policy()
    copies = list(
        Copy.objects.visible_to(person)
        .filter(destruction_items__destruction=destruction)
        .select_related("document")
        .order_by("document_id", "number")
    )
    numbers = dict(
        Registration.objects.filter(
            document_id__in={c.document_id for c in copies}, registry=destruction.registry
        ).values_list("document_id", "number")
    )
    return [
        CertificateLine(
            copy=c,
            reference=str(c.document),
            registration_number=numbers.get(c.document_id, ""),
            marking=policy.marking(Level(c.level), c.category_mask, c.releasable_nations),
        )
        for c in copies
    ]


def certificate_pdf(person: Person, public_id: str) -> tuple[Destruction, bytes]:
    """The destruction certificate as PDF, marked with the highest marking among its copies.
    Only for a reader who sees every copy on it (a partial certificate would mislead)."""
    from registrum.reports import render_pdf

    destruction = get_destruction(person, public_id)
    lines = certificate_lines(person, destruction)
    if len(lines) != destruction.items.count():
        refuse_unless(
            person,
            Decision(False, N_("the certificate lists copies you are not cleared to see")),
            "print_destruction_certificate",
            destruction,
        )
    # The page marking: the highest level among the copies, with every special category on any.
    level = max(line.copy.level for line in lines)
    mask = 0
    for line in lines:
        mask |= line.copy.category_mask
    marking = active_policy().marking(Level(level), mask)
    pdf = render_pdf(
        "custody/destruction_certificate.html",
        {
            "destruction": destruction,
            "lines": lines,
            "signatures": list(destruction.signatures.select_related("person").order_by("signed_at", "id")),
        },
        marking=marking,
        title=_("Destruction certificate %(number)s") % {"number": destruction.number},
    )
    return destruction, pdf
