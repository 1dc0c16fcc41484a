"""Reproductions, extracts and translations: new numbered copies made from a held copy, each
recording its source and the authority the policy requires (its provenance).

Where the handling needs the originator's consent (COSMIC TOP SECRET, ATOMAL) a clerk of the
holding registry requests the reproduction, recording the consent as the authority, and a
control officer of the registry other than the requester approves it in their own session:
the copies are made in the approval's transaction. Elsewhere staff of the holding registry
reproduce at once on a recorded authority."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import copy_event, material_of, record_copy_events, refuse_unless
from registrum.custody.models import Copy, CopyEventKind, CopyKind, CopyStatus, ReproductionRequest, ReproductionState
from registrum.org.models import Person
from registrum.policy import Decision, active_policy
from registrum.policy.custody import (
    APPROVAL_NEEDED,
    AUTHORITY_NOT_RECORDED,
    CONSENT_NOT_RECORDED,
    NOT_COPY_NUMBERED,
    custody_staff,
    may_approve_reproduction,
    may_reproduce,
    may_request_reproduction,
)
from registrum.records.models import Document

MAX_REPRODUCTIONS_AT_ONCE = 100
REPRODUCTION_KINDS = (CopyKind.REPRODUCTION, CopyKind.EXTRACT, CopyKind.TRANSLATION)


def _check_request(kind: str, count: int, authority: str) -> str:
    errors: dict[str, str] = {}
    if kind not in [str(k) for k in REPRODUCTION_KINDS]:
        errors["kind"] = _("unknown kind %(kind)s: reproduction, extract or translation") % {"kind": repr(kind)}
    if not isinstance(count, int) or not 1 <= count <= MAX_REPRODUCTIONS_AT_ONCE:
        errors["count"] = _("make between 1 and %(limit)d copies") % {"limit": MAX_REPRODUCTIONS_AT_ONCE}
    authority = authority.strip()
    if len(authority) > 250:
        errors["authority"] = _("the authority is at most 250 characters")
    if errors:
        raise ValidationError(errors)
    return authority


def _visible_copy(actor: Person, copy_public_id: str) -> Copy:
    source = (
        Copy.objects.visible_to(actor)
        .select_related("document", "registry", "container")
        .filter(public_id=str(copy_public_id).strip().lower())
        .first()
    )
    if source is None:
        raise Http404("no such copy")
    return source


def _answer(actor: Person, decision: Decision, action: str, source: Copy) -> None:
    """Refusals about the request go on its field; refusals of the person are 403s."""
    if decision.template == NOT_COPY_NUMBERED or decision.template == APPROVAL_NEEDED:
        raise ValidationError({"copy": decision.render(_)})
    if decision.template in (CONSENT_NOT_RECORDED, AUTHORITY_NOT_RECORDED):
        raise ValidationError({"authority": decision.render(_)})
    refuse_unless(actor, decision, action, source.document)


def _require_held(source: Copy) -> None:
    if source.status != CopyStatus.HELD or source.registry_id is None:
        raise ValidationError({"copy": _("the copy is %(status)s, not held") % {"status": source.get_status_display()}})


def reproduce(
    actor: Person,
    copy_public_id: str,
    *,
    kind: str = CopyKind.REPRODUCTION,
    count: int = 1,
    authority: str,
) -> list[Copy]:
    """Make `count` new copies from a held copy at once (where the policy needs no approval)."""
    authority = _check_request(kind, count, authority)
    with transaction.atomic(durable=True):
        source = _visible_copy(actor, copy_public_id)
        decision = may_reproduce(
            active_policy(), actor.subject(), source.registry_id, material_of(source), authority, timezone.localdate()
        )
        _answer(actor, decision, "reproduce", source)
        return _make_copies(actor, source, kind, count, authority, timezone.now(), reference="")


def request_reproduction(
    actor: Person,
    copy_public_id: str,
    *,
    kind: str = CopyKind.REPRODUCTION,
    count: int = 1,
    authority: str,
) -> ReproductionRequest:
    """A clerk of the holding registry asks for copies, recording the originator's consent."""
    authority = _check_request(kind, count, authority)
    with transaction.atomic(durable=True):
        source = _visible_copy(actor, copy_public_id)
        decision = may_request_reproduction(
            active_policy(), actor.subject(), source.registry_id, material_of(source), authority, timezone.localdate()
        )
        _answer(actor, decision, "request_reproduction", source)
        _require_held(source)
        request = ReproductionRequest.objects.create(
            source=source,
            kind=kind,
            count=count,
            authority=authority,
            state=ReproductionState.REQUESTED,
            requested_at=timezone.now(),
            requested_by=actor,
        )
        audit.record(
            actor,
            EventType.REPRODUCTION_REQUESTED,
            source.document,
            summary=f"copy {source.number} of {source.of_total}: {count} {kind}(s) requested ({authority})",
            data={
                "copy": source.public_id,
                "number": source.number,
                "of": source.of_total,
                "request": request.public_id,
                "kind": kind,
                "count": count,
                "authority": authority,
                "state": "requested",
            },
        )
        return request


def _locked_request(actor: Person, request_public_id: str) -> ReproductionRequest:
    request = (
        ReproductionRequest.objects.select_for_update(of=("self",))
        .select_related("source", "requested_by")
        .filter(public_id=str(request_public_id).strip().lower())
        .first()
    )
    if request is None or not _sees_request(actor, request):
        raise Http404("no such reproduction request")
    return request


def _sees_request(person: Person, request: ReproductionRequest) -> bool:
    """Staff of the registry holding the copy who see the copy see its requests."""
    return bool(custody_staff(person.subject(), request.source.registry_id)) and (
        Copy.objects.visible_to(person).filter(pk=request.source_id).exists()
    )


def _decide(actor: Person, request_public_id: str, *, approve: bool, note: str = "") -> ReproductionRequest:
    with transaction.atomic(durable=True):
        request = _locked_request(actor, request_public_id)
        source = Copy.objects.select_related("document", "registry", "container").get(pk=request.source_id)
        action = "approve_reproduction" if approve else "reject_reproduction"
        decision = may_approve_reproduction(
            active_policy(),
            actor.subject(),
            source.registry_id,
            request.requested_by_id,
            material_of(source),
            timezone.localdate(),
        )
        refuse_unless(actor, decision, action, source.document)
        if request.state != ReproductionState.REQUESTED:
            raise ValidationError(
                {"state": _("the request is %(state)s, not awaiting approval") % {"state": request.get_state_display()}}
            )
        now = timezone.now()
        request.state = ReproductionState.APPROVED if approve else ReproductionState.REJECTED
        request.decided_at, request.decided_by, request.note = now, actor, note.strip()[:300]
        if approve:
            authority = f"{request.authority}; approved by @{actor.username} {now:%Y-%m-%d}"[:300]
            made = _make_copies(
                actor, source, request.kind, request.count, authority, now, reference=f"request:{request.public_id}"
            )
            first, last = made[0].number, made[-1].number
            request.made_numbers = str(first) if first == last else f"{first}-{last}"
        else:
            audit.record(
                actor,
                EventType.REPRODUCTION_REJECTED,
                source.document,
                summary=f"copy {source.number} of {source.of_total}: reproduction request rejected",
                data={
                    "copy": source.public_id,
                    "request": request.public_id,
                    "state": "rejected",
                    "note": request.note,
                },
            )
        request.save(update_fields=["state", "decided_at", "decided_by", "note", "made_numbers"])
        return request


def approve_reproduction(actor: Person, request_public_id: str) -> ReproductionRequest:
    """A control officer other than the requester approves: the copies are made now."""
    return _decide(actor, request_public_id, approve=True)


def reject_reproduction(actor: Person, request_public_id: str, note: str = "") -> ReproductionRequest:
    return _decide(actor, request_public_id, approve=False, note=note)


def _make_copies(
    actor: Person, source: Copy, kind: str, count: int, authority: str, now: datetime, *, reference: str
) -> list[Copy]:
    """The new copies take the document's next numbers (under the same lock as number_copies),
    are held where the source is, and record the source and the authority."""
    Document.objects.select_for_update().filter(pk=source.document_id).first()
    source = (
        Copy.objects.select_for_update(of=("self",))
        .select_related("document", "registry", "container")
        .get(pk=source.pk)
    )
    _require_held(source)
    last = Copy.objects.filter(document_id=source.document_id).aggregate(last=Max("number"))["last"] or 0
    total = last + count
    Copy.objects.bulk_create(
        [
            Copy(
                document_id=source.document_id,
                number=last + n,
                of_total=total,
                kind=kind,
                made_from=source,
                authority=authority,
                level=source.level,
                category_mask=source.category_mask,
                releasable_to=source.releasable_to,
                registry_id=source.registry_id,
                container_id=source.container_id,
                status=CopyStatus.HELD,
                since=now,
                created_at=now,
                created_by=actor,
            )
            for n in range(1, count + 1)
        ]
    )
    made = list(
        Copy.objects.filter(document_id=source.document_id, number__gt=last)
        .select_related("registry", "container")
        .order_by("number")
    )
    numbers = ", ".join(str(c.number) for c in made)
    record_copy_events(
        actor,
        made,
        CopyEventKind.REPRODUCED,
        EventType.COPY_REPRODUCED,
        now,
        reference=reference or f"copy:{source.public_id}",
        note=f"{kind} of copy {source.number}; authority: {authority}",
        summary=f"{kind} of copy {source.number} ({authority})",
    )
    copy_event(
        source,
        CopyEventKind.REPRODUCED,
        actor,
        now,
        reference=reference,
        note=f"{kind}: copy No. {numbers} made from it",
    ).save()
    audit.record(
        actor,
        EventType.COPY_REPRODUCED,
        source.document,
        summary=f"copy {source.number} of {source.of_total}: {kind} made as copy {numbers}",
        data={
            "copy": source.public_id,
            "number": source.number,
            "of": source.of_total,
            "kind": kind,
            "made": [c.public_id for c in made],
            "authority": authority,
        },
    )
    return made


# Reading -------------------------------------------------------------------------------------


def requests_for(person: Person, copy: Copy) -> QuerySet[ReproductionRequest]:
    """The reproduction requests of a copy the person sees (staff of its registry only)."""
    if not custody_staff(person.subject(), copy.registry_id):
        return ReproductionRequest.objects.none()
    return ReproductionRequest.objects.filter(source=copy).select_related("requested_by", "decided_by")


def get_request(person: Person, public_id: str) -> ReproductionRequest:
    request = (
        ReproductionRequest.objects.select_related("source", "source__document", "requested_by", "decided_by")
        .filter(public_id=str(public_id).strip().lower())
        .first()
    )
    if request is None or not _sees_request(person, request):
        raise Http404("no such reproduction request")
    return request
