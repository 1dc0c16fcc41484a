"""The audit trail: events, and the hash chain over them (see `registrum.audit.chain`).

`AuditEvent` is one row per change or read, written by the service inside its own transaction.
`AuditLink` puts committed events in a chain: position n holds SHA-256(hash of n-1 || the event's
canonical encoding). Both tables are insert-only: database triggers refuse UPDATE, DELETE and
(PostgreSQL) TRUNCATE (migration 0005).

`data` is stored as canonical JSON text (sorted keys, no spaces, UTF-8 as is), so its bytes are the
same on SQLite and PostgreSQL and can be hashed as stored; Python code sees a dict.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def canonical_json(value: Any) -> str:
    """The one text form of an event's data: what is stored, and so what is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class CanonicalJSONField(models.TextField):
    """A dict in Python, canonical JSON text in the database (never jsonb, which reorders bytes)."""

    if TYPE_CHECKING:
        _pyi_private_set_type: Any
        _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else canonical_json(value)

    def value_to_string(self, obj: models.Model) -> str:
        return canonical_json(self.value_from_object(obj))


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    # Null actor means the system itself (a command run without a person, a migration).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The person the actor acted for, when that is someone else (an operator for a requester).
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    # Where the action came from: "web 203.0.113.5", "api 10.0.0.1", "cli operator@host", "system".
    origin = models.CharField(_("origin"), max_length=200, blank=True, default="")
    event = models.CharField(_("event"), max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    data = CanonicalJSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id", "at"], name="audit_target_idx")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event} {self.target_type}:{self.target_id}"


class AuditLink(models.Model):
    """One event's place in the chain. Positions run 1..n without gaps; the hash is hex SHA-256."""

    position = models.BigIntegerField(primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="link")
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.position} {self.hash[:12]}"
