"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.accounts.models import ApiToken
from registrum.audit.events import EventType
from registrum.org.models import Person, Role
from registrum.org.services import Actor, SystemActor
from registrum.policy import Action, PersonTarget, active_policy, may

TOKEN_PREFIX = "rgm_"  # noqa: S105 - the tokens' public prefix, not a secret
PREFIX_LENGTH = 12  # TOKEN_PREFIX and 8 random characters: shown, and how a token is addressed
DEFAULT_TOKEN_DAYS = 90
# Every token expires: a forgotten one stops working within a year at most.
MAX_TOKEN_DAYS = 365


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_token_days(days: int) -> int:
    """The lifetime of a new token, in days, if allowed; ValidationError otherwise."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(
            {"days": _("a token lasts from 1 to %(max)d days, not %(days)d") % {"max": MAX_TOKEN_DAYS, "days": days}}
        )
    return days


@transaction.atomic
def issue_token(actor: Actor, person: Person, *, name: str, days: int = DEFAULT_TOKEN_DAYS) -> str:
    """A new bearer token for `person`, issued by that very person: nobody, neither an
    administrator nor the system, acts as someone else. The plain token is returned once and
    never stored; only its digest and its prefix are."""
    if not person.is_active:
        raise PermissionDenied(
            _("the account %(username)s is deactivated: no token is issued") % {"username": person.username}
        )
    if isinstance(actor, SystemActor) or actor.pk != person.pk:
        raise PermissionDenied(_("you may issue tokens only for yourself"))
    decision = may(
        active_policy(),
        actor.subject(),
        Action.ISSUE_TOKEN,
        PersonTarget(person_id=person.pk, active=person.is_active),
        timezone.localdate(),
    )
    if not decision:
        raise PermissionDenied(decision.render(_))
    if person.must_change_password:
        raise PermissionDenied(_("change the password an administrator set for you first, on the account page"))
    check_token_days(days)
    while True:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        # The prefix addresses the token (revoking): draw again in the rare case it is taken.
        if not ApiToken.objects.filter(prefix=token[:PREFIX_LENGTH]).exists():
            break
    now = timezone.now()
    row = ApiToken.objects.create(
        person=person,
        name=name[:100],
        prefix=token[:PREFIX_LENGTH],
        digest=_digest(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit.record(actor, EventType.TOKEN_ISSUED, person, summary=f"API token {row.prefix}… issued to {person.username}")
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
def revoke_token(actor: Person, prefix: str) -> None:
    """Revoke the token with this prefix. Owners revoke their own; an administrator may revoke
    anyone's (revoking only removes access: it is not acting as someone else), audited either way.
    A token the actor may not revoke is as unknown as a missing one: ApiToken.DoesNotExist."""
    rows = ApiToken.objects.select_for_update().select_related("person").filter(prefix=prefix)
    if not (actor.is_active and actor.has_role(Role.ADMINISTRATOR)):
        rows = rows.filter(person_id=actor.pk)
    row = rows.get()
    if row.revoked_at is not None:
        return  # already revoked: a second click changes nothing
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    audit.record(
        actor,
        EventType.TOKEN_REVOKED,
        row.person,
        summary=f"API token {row.prefix}… of {row.person.username} revoked by {actor.username}",
    )
