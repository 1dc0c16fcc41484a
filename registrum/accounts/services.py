"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.accounts.models import ApiToken
from registrum.org.models import Person, Role
from registrum.org.services import Actor, SystemActor

TOKEN_PREFIX = "rgm_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_token(actor: Actor, person: Person, *, name: str, days: int | None = 90) -> str:
    """A new bearer token for `person`; the plain token is returned once and never stored."""
    if not isinstance(actor, SystemActor) and actor.pk != person.pk and not actor.has_role(Role.ADMINISTRATOR):
        raise PermissionDenied(_("you may issue tokens only for yourself"))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    row = ApiToken.objects.create(
        person=person,
        name=name[:100],
        prefix=token[:12],
        digest=_digest(token),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    audit.record(actor, "accounts.token_issued", person, summary=f"API token {row.prefix}… issued to {person.username}")
    return token


def person_for_token(token: str) -> Person | None:
    """The active person a valid, unexpired, unrevoked token belongs to, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("person", "person__clearance", "person__unit")
        .filter(digest=_digest(token), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if row is None or (row.expires_at is not None and row.expires_at < now) or not row.person.is_active:
        return None
    # Last use is kept to the minute, so a busy client does not write on every request.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.person


@transaction.atomic
def revoke_token(actor: Person, token_pk: int) -> None:
    row = ApiToken.objects.select_for_update().get(pk=token_pk)
    if row.person_id != actor.pk and not actor.has_role(Role.ADMINISTRATOR):
        raise PermissionDenied(_("you may revoke only your own tokens"))
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    audit.record(actor, "accounts.token_revoked", row.person, summary=f"API token {row.prefix}… revoked")
