"""The audit trail. Services call `record` inside their transaction; nothing else writes events.

Each event carries its actor, the person acted for when that is someone else (`on_behalf_of`) and
its origin (`web ADDRESS`, `api ADDRESS`, `cli user@host`, `system`), both taken from
`registrum.audit.context` (set by the request middleware, the command line, or `acting(...)`).
After the writing transaction commits, its events are linked into a SHA-256 hash chain
(`registrum.audit.chain`: what is covered, why linking is deferred, how to verify), whose head is
signed from time to time into a file outside the database (`registrum.audit.checkpoints`). The
database refuses UPDATE and DELETE on both tables (`registrum.audit.triggers`).
`registrum audit verify` proves the trail intact or names the first broken event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from registrum.audit.context import acting, current_on_behalf_of_id, current_origin
from registrum.audit.events import EventType
from registrum.dbkit import insert_many

if TYPE_CHECKING:
    from django.db.models import Model

    from registrum.audit.models import AuditEvent

__all__ = ["EventType", "acting", "event_row", "history_of", "record", "record_many"]


def _target(target: Model | None) -> tuple[str, int | None]:
    if target is None:
        return "", None
    return target._meta.model_name or "", target.pk


def _on_behalf_of_id(actor_id: int | None) -> int | None:
    behalf = current_on_behalf_of_id()
    return None if behalf == actor_id else behalf


def event_row(
    actor: Any, event: EventType, target: Model | None, *, summary: str = "", data: dict[str, Any] | None = None
) -> AuditEvent:
    """An unsaved event. Whoever saves it outside `record` must call
    `registrum.audit.chain.chain_after_commit(lowest id)` so that it gets linked."""
    from django.utils import timezone

    event = EventType(event)  # an undeclared kind is a programming error, refused before writing

    from registrum.audit.models import AuditEvent

    target_type, target_id = _target(target)
    actor_id = getattr(actor, "pk", None)
    return AuditEvent(
        at=timezone.now(),
        actor=actor if actor_id else None,
        on_behalf_of_id=_on_behalf_of_id(actor_id),
        origin=current_origin(),
        event=event,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:500],
        data=data or {},
    )


def record(
    actor: Any, event: EventType, target: Model | None, *, summary: str = "", data: dict[str, Any] | None = None
) -> AuditEvent:
    """Write one audit event. Must run inside the caller's transaction (checked); the event is
    linked into the chain after that transaction commits."""
    from django.db import connection

    from registrum.audit.chain import chain_after_commit

    if not connection.in_atomic_block:
        raise RuntimeError(f"audit event {event!r} written outside a transaction")
    row = event_row(actor, event, target, summary=summary, data=data)
    row.save()
    chain_after_commit(row.pk)
    return row


def record_many(
    actor: Any,
    event: EventType,
    target_type: str,
    targets: Sequence[tuple[int, str] | tuple[int, str, dict[str, Any]]],
) -> None:
    """Write one event per (target id, summary[, data]) in a single statement: imports register
    thousands of documents, a dispatch moves a thousand copies, each with its own event."""
    from django.db import connection
    from django.utils import timezone

    from registrum.audit.chain import EVENT_TABLE, chain_after_commit
    from registrum.audit.models import AuditEvent, canonical_json

    if not connection.in_atomic_block:
        raise RuntimeError(f"audit events {event!r} written outside a transaction")
    event = EventType(event)
    if not targets:
        return
    with connection.cursor() as cursor:
        # Every id this statement allocates is above every id allocated so far, so above this.
        cursor.execute(f"SELECT MAX(id) FROM {EVENT_TABLE}")  # noqa: S608
        lowest = (cursor.fetchone()[0] or 0) + 1
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    empty = canonical_json({})
    actor_id = getattr(actor, "pk", None)
    behalf, origin = _on_behalf_of_id(actor_id), current_origin()
    insert_many(
        AuditEvent,
        ["at", "actor_id", "on_behalf_of_id", "origin", "event", "target_type", "target_id", "summary", "data"],
        [
            (
                at,
                actor_id,
                behalf,
                origin,
                event,
                target_type,
                target[0],
                target[1][:500],
                canonical_json(target[2]) if len(target) > 2 else empty,
            )
            for target in targets
        ],
    )
    chain_after_commit(lowest)


def history_of(target: Model) -> Any:
    """Events about one object, oldest first. The caller has already checked it may see the object."""
    from registrum.audit.models import AuditEvent

    target_type, target_id = _target(target)
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).select_related("actor")
