"""The audit trail. Services call `record` inside their transaction; nothing else writes events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registrum.audit.events import EventType
from registrum.dbkit import insert_many

if TYPE_CHECKING:
    from django.db.models import Model

    from registrum.audit.models import AuditEvent

__all__ = ["EventType", "event_row", "history_of", "record", "record_many"]


def _target(target: Model | None) -> tuple[str, int | None]:
    if target is None:
        return "", None
    return target._meta.model_name or "", target.pk


def event_row(
    actor: Any, event: EventType, target: Model | None, *, summary: str = "", data: dict[str, Any] | None = None
) -> AuditEvent:
    """An unsaved event, for services that write many at once (imports) with bulk_create."""
    from django.utils import timezone

    event = EventType(event)  # an undeclared kind is a programming error, refused before writing

    from registrum.audit.models import AuditEvent

    target_type, target_id = _target(target)
    return AuditEvent(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        event=event,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:500],
        data=data or {},
    )


def record(
    actor: Any, event: EventType, target: Model | None, *, summary: str = "", data: dict[str, Any] | None = None
) -> AuditEvent:
    """Write one audit event. Must run inside the caller's transaction (checked)."""
    from django.db import connection

    if not connection.in_atomic_block:
        raise RuntimeError(f"audit event {event!r} written outside a transaction")
    row = event_row(actor, event, target, summary=summary, data=data)
    row.save()
    return row


def record_many(actor: Any, event: EventType, target_type: str, targets: list[tuple[int, str]]) -> None:
    """Write one event per (target id, summary) in a single statement: imports register
    thousands of documents, each of which must still have its own event."""
    from django.db import connection
    from django.utils import timezone

    from registrum.audit.models import AuditEvent

    if not connection.in_atomic_block:
        raise RuntimeError(f"audit events {event!r} written outside a transaction")
    event = EventType(event)
    if not targets:
        return
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    data = AuditEvent._meta.get_field("data").get_db_prep_save({}, connection)
    actor_id = getattr(actor, "pk", None)
    insert_many(
        AuditEvent,
        ["at", "actor_id", "event", "target_type", "target_id", "summary", "data"],
        [(at, actor_id, event, target_type, pk, summary[:500], data) for pk, summary in targets],
    )


def history_of(target: Model) -> Any:
    """Events about one object, oldest first. The caller has already checked it may see the object."""
    from registrum.audit.models import AuditEvent

    target_type, target_id = _target(target)
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).select_related("actor")
