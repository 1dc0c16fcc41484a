"""Refused access, recorded with the policy's reason.

A refusal happens inside the refused action's transaction, which then rolls back: an event
written there would vanish with it. So a service raises `Refused` (a PermissionDenied carrying
what the trail needs), and the faces' one error handler (web middleware, API exception handler)
calls `record_refusal` after the rollback, in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext

from registrum.audit import record
from registrum.audit.events import EventType
from registrum.policy import Decision

__all__ = ["Refused", "Unseen", "record_refusal"]


class Refused(PermissionDenied):
    """The policy said no: the message is the reason in the reader's language; the decision,
    action and target travel with it for the audit trail."""

    def __init__(
        self, actor: Any, action: str, decision: Decision, target: Model | None = None, *, context: str = ""
    ) -> None:
        reason = decision.render(gettext)
        super().__init__(f"{context}: {reason}" if context else reason)
        self.actor = actor
        self.action = action
        self.decision = decision
        self.target = target


class Unseen(Http404):
    """What the person may not read is answered as absent (404, nothing more); the trail still
    records who asked for it and the policy's reason."""

    def __init__(self, actor: Any, action: str, decision: Decision, target: Model, *, message: str) -> None:
        super().__init__(message)  # the same words as for what does not exist
        self.actor = actor
        self.action = action
        self.decision = decision
        self.target = target


def _username(actor: Any) -> str:
    return str(getattr(actor, "username", "") or "anonymous")


def record_refusal(actor: Any, exc: PermissionDenied | Unseen, *, where: str = "") -> None:
    """Write one ACCESS_REFUSED event for a refusal that has already rolled back. A refusal
    that did not come from the policy (a page only registry staff open) is recorded with its
    message and the page or operation it refused (`where`)."""
    if isinstance(exc, Refused | Unseen):
        decision = exc.decision
        data: dict[str, Any] = {
            "action": exc.action,
            "reason": decision.template,
            "params": dict(decision.params),
        }
        target = exc.target
        english = decision.reason
    else:
        english = str(exc) or "permission denied"
        data = {"action": where, "reason": english, "params": {}}
        target = None
    if target is not None:
        data["target"] = f"{target._meta.model_name}:{target.pk}"
    if where:
        data["where"] = where
    actor = exc.actor if isinstance(exc, Refused | Unseen) else actor
    with transaction.atomic():
        record(
            actor,
            EventType.ACCESS_REFUSED,
            target,
            summary=f"{_username(actor)} was refused {data['action']}: {english}",
            data=data,
        )
