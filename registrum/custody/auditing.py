"""What the audit trail's readers learn about custody: containers as targets (not classified:
every auditor sees them), and the custody events in the reader's language. The events about a
document's copies target the document, so the records app's clearance rule applies to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q

from registrum.audit.reading import TargetKind, register_renderers, register_target_kind
from registrum.custody.models import Container
from registrum.records.history import register_document_events
from registrum.records.models import File

CONTAINER = "container"

# Each part of the custody app adds its renderers here (event kind -> text from the event data).
RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {}


def find_containers(person: Any, text: str) -> list[int]:
    text = text.strip()
    if not text or "\x00" in text:
        return []
    return list(Container.objects.filter(Q(public_id=text) | Q(code__iexact=text)).values_list("pk", flat=True)[:100])


def container_labels(ids: list[int]) -> dict[int, tuple[str, int]]:
    rows = Container.objects.filter(pk__in=ids).values_list("pk", "code")
    return {pk: (code, 0) for pk, code in rows}


# Transfers: the events about a whole transfer carry its transmittal number and counts only.
TRANSFER = "transfer"


def find_transfers(person: Any, text: str) -> list[int]:
    from registrum.custody.models import Transfer

    text = text.strip()
    if not text or "\x00" in text:
        return []
    return list(Transfer.objects.filter(Q(public_id=text) | Q(number__iexact=text)).values_list("pk", flat=True)[:100])


def transfer_labels(ids: list[int]) -> dict[int, tuple[str, int]]:
    from registrum.custody.models import Transfer

    return {pk: (number, 0) for pk, number in Transfer.objects.filter(pk__in=ids).values_list("pk", "number")}


def find_files(person: Any, text: str) -> list[int]:
    text = text.strip()
    if not text or "\x00" in text:
        return []
    return list(File.objects.filter(code__iexact=text).values_list("pk", flat=True)[:100])


def file_labels(ids: list[int]) -> dict[int, tuple[str, int]]:
    return {pk: (code, 0) for pk, code in File.objects.filter(pk__in=ids).values_list("pk", "code")}


def register() -> None:
    from registrum.custody import history

    register_target_kind(CONTAINER, TargetKind(find=find_containers, labels=container_labels))
    register_target_kind(TRANSFER, TargetKind(find=find_transfers, labels=transfer_labels))
    register_renderers(RENDERERS | history.RENDERERS)
    # Files of the file plan (retention holds target them): unclassified, like containers.
    register_target_kind("file", TargetKind(find=find_files, labels=file_labels))
    register_document_events(*history.DOCUMENT_EVENTS)
