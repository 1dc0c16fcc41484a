"""Reproductions, extracts and translations: new numbered copies made from a held copy, with the
authority the policy requires recorded on each (their provenance).

Design: where the handling needs the originator's consent (COSMIC TOP SECRET, ATOMAL) the
consent is recorded as the authority and a control officer of the holding registry makes the
reproduction: making it is their approval, in their own session, and the trail names them.
Elsewhere a clerk of the holding registry reproduces on a recorded authority."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.custody.common import copy_event, material_of, record_copy_events, refuse_unless
from registrum.custody.models import Copy, CopyEventKind, CopyKind, CopyStatus
from registrum.org.models import Person
from registrum.policy import active_policy
from registrum.policy.custody import (
    AUTHORITY_NOT_RECORDED,
    CONSENT_NOT_RECORDED,
    NOT_COPY_NUMBERED,
    may_reproduce,
)
from registrum.records.models import Document

MAX_REPRODUCTIONS_AT_ONCE = 100
REPRODUCTION_KINDS = (CopyKind.REPRODUCTION, CopyKind.EXTRACT, CopyKind.TRANSLATION)


def reproduce(
    actor: Person,
    copy_public_id: str,
    *,
    kind: str = CopyKind.REPRODUCTION,
    count: int = 1,
    authority: str,
) -> list[Copy]:
    """Make `count` new copies from a held copy; they take the document's next numbers, are held
    where the source is, and record the source and the authority."""
    errors: dict[str, str] = {}
    if kind not in [str(k) for k in REPRODUCTION_KINDS]:
        errors["kind"] = _("unknown kind %(kind)s: reproduction, extract or translation") % {"kind": repr(kind)}
    if not 1 <= count <= MAX_REPRODUCTIONS_AT_ONCE:
        errors["count"] = _("make between 1 and %(limit)d copies") % {"limit": MAX_REPRODUCTIONS_AT_ONCE}
    authority = authority.strip()
    if len(authority) > 300:
        errors["authority"] = _("the authority is at most 300 characters")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        source = (
            Copy.objects.visible_to(actor)
            .select_related("document", "registry", "container")
            .filter(public_id=str(copy_public_id))
            .first()
        )
        if source is None:
            raise Http404("no such copy")
        decision = may_reproduce(
            active_policy(), actor.subject(), source.registry_id, material_of(source), authority, timezone.localdate()
        )
        if decision.template == NOT_COPY_NUMBERED:
            raise ValidationError({"copy": decision.render(_)})
        if decision.template in (CONSENT_NOT_RECORDED, AUTHORITY_NOT_RECORDED):
            raise ValidationError({"authority": decision.render(_)})
        refuse_unless(actor, decision, "reproduce", source.document)
        # Lock the document's copies while numbering (as number_copies does).
        Document.objects.select_for_update().filter(pk=source.document_id).first()
        source = Copy.objects.select_related("document", "registry", "container").get(pk=source.pk)
        if source.status != CopyStatus.HELD or source.registry_id is None:
            raise ValidationError(
                {"copy": _("the copy is %(status)s, not held") % {"status": source.get_status_display()}}
            )
        last = Copy.objects.filter(document_id=source.document_id).aggregate(last=Max("number"))["last"] or 0
        total = last + count
        now = timezone.now()
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
            Copy.objects.filter(document_id=source.document_id, number__gt=last).select_related("registry", "container")
        )
        numbers = ", ".join(str(c.number) for c in made)
        record_copy_events(
            actor,
            made,
            CopyEventKind.REPRODUCED,
            EventType.COPY_REPRODUCED,
            now,
            reference=f"copy:{source.public_id}",
            note=f"{kind} of copy {source.number}; authority: {authority}",
            summary=f"{kind} of copy {source.number} ({authority})",
        )
        copy_event(source, CopyEventKind.REPRODUCED, actor, now, note=f"{kind}: copy No. {numbers} made from it").save()
        audit.record(
            actor,
            EventType.COPY_REPRODUCED,
            source.document,
            summary=f"copy {source.number} of {source.of_total}: {kind} made as copy {numbers}",
            data={
                "copy": source.public_id,
                "number": source.number,
                "kind": kind,
                "made": [c.public_id for c in made],
                "authority": authority,
            },
        )
        return made
