"""What the audit trail's readers learn about documents: which ones a reader may see the
events of in full, how a typed reference names one, and the register's events in the reader's
language. Registered with the trail at start-up (`RecordsConfig.ready`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from registrum.audit.reading import TargetKind, register_renderers, register_target_kind
from registrum.records.history import RENDERERS
from registrum.records.models import Document, Registration
from registrum.records.querysets import visibility_q

DOCUMENT = "document"


def details_shown(person: Any) -> QuerySet[Document]:
    """Documents whose events the reader sees in full on the auditor's pages: those they are
    cleared, briefed and releasable for. Need-to-know is waived (an auditor reads the trail of
    everything), the clearance never is: a document above it keeps its title, reference and
    numbers to itself."""
    conditions = visibility_q(person, "pk")
    if conditions is None:
        return Document.objects.none()
    held, _need = conditions
    return Document.objects.filter(held)


def find_documents(person: Any, text: str) -> list[int]:
    """Documents named by their public id or one of their registration numbers, among those
    whose details the reader may see."""
    text = text.strip()
    if not text or "\x00" in text:
        return []
    numbered = Registration.objects.filter(number__in={text, text.upper()}).values("document_id")
    named = details_shown(person).filter(Q(public_id=text) | Q(pk__in=numbered))
    return list(named.values_list("pk", flat=True)[:100])


def document_labels(ids: list[int]) -> dict[int, tuple[str, int]]:
    rows = Document.objects.filter(pk__in=ids).values_list("pk", "public_id", "level")
    return {pk: (public_id, level) for pk, public_id, level in rows}


def register() -> None:
    register_target_kind(DOCUMENT, TargetKind(shown=details_shown, find=find_documents, labels=document_labels))
    register_renderers(RENDERERS)
