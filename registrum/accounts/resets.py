"""Password reset by a one-time code sent by e-mail.

The code is valid for settings.REGISTRUM_RESET_CODE_MINUTES (15), for one use and a few wrong
tries; only its keyed hash is stored. Asking for a code answers the same whether or not the
account exists: the same page, and the same work (the message leaves from a background thread,
so a reply never waits for the mail server and its timing tells nothing). Sending is throttled
per username and per address: one a minute, a few an hour.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from registrum import audit
from registrum.accounts.models import ResetCode, ResetRequest
from registrum.accounts.passwords import check_password_rule, set_password
from registrum.audit.events import EventType
from registrum.org.models import Person

log = logging.getLogger(__name__)

CODE_DIGITS = 8
SENDS_PER_HOUR_PER_ADDRESS = 20


def _hash(person_id: int | None, code: str) -> str:
    return salted_hmac("registrum.accounts.reset-code", f"{person_id}:{code}", algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str


def _throttled(username: str, address: str | None, now: datetime) -> bool:
    """True when this request may not send: a code for this username in the last minute, too many
    this hour for it, or too many this hour from this address. Counted over requests, so an
    unknown username behaves exactly like a known one."""
    recent = ResetRequest.objects.filter(at__gte=now - timedelta(hours=1))
    by_name = recent.filter(username=username)
    if by_name.filter(at__gte=now - timedelta(minutes=1)).exists():
        return True
    if by_name.count() >= settings.REGISTRUM_RESET_SENDS_PER_HOUR:
        return True
    return address is not None and recent.filter(address=address).count() >= SENDS_PER_HOUR_PER_ADDRESS


@transaction.atomic
def _prepare(username: str, address: str | None) -> Outgoing | None:
    now = timezone.now()
    username = username.strip()[:150]
    # What no throttle or code needs any more: older than a day.
    ResetRequest.objects.filter(at__lt=now - timedelta(days=1)).delete()
    ResetCode.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    throttled = _throttled(username, address, now)
    ResetRequest.objects.create(username=username, address=address, at=now)
    person = Person.objects.filter(username=username, is_active=True).exclude(email="").first()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    code_hash = _hash(person.pk if person else None, code)  # hashed either way: the same work
    outcome = "throttled" if throttled else ("sent" if person else "no such account")
    audit.record(
        None,
        EventType.PASSWORD_RESET_REQUESTED,
        person,
        summary=f"password reset code for {username!r} requested from {address}: {outcome}",
        data={"username": username, "address": address, "outcome": outcome},
    )
    if throttled or person is None:
        return None
    # Only the newest code counts: asking again retires the earlier ones.
    ResetCode.objects.filter(person=person, used_at__isnull=True).update(used_at=now)
    minutes = settings.REGISTRUM_RESET_CODE_MINUTES
    ResetCode.objects.create(
        person=person, code_hash=code_hash, created_at=now, expires_at=now + timedelta(minutes=minutes), address=address
    )
    body = _(
        "Your Registrum password reset code is %(code)s\n\n"
        "It is valid for %(minutes)d minutes and can be used once. If you did not ask for it, "
        "ignore this message and tell your security officer."
    ) % {"code": code, "minutes": minutes}
    return Outgoing(to=person.email, subject=_("Registrum password reset code"), body=body)


def _send(message: Outgoing) -> None:
    try:
        EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to]).send()
    except Exception:  # the mail server's problem: logged for the operator, never shown to the asker
        log.exception("sending a password reset code failed")


def request_code(username: str, address: str | None) -> threading.Thread | None:
    """Ask for a reset code for `username`. Returns the thread sending the message, if one is
    sent (the caller never tells the asker; tests may wait on it)."""
    outgoing = _prepare(username, address)
    if outgoing is None:
        return None
    sender = threading.Thread(target=_send, args=(outgoing,), name="reset-code-mail", daemon=True)
    sender.start()
    return sender


class ResetRefused(ValidationError):
    """The code is wrong, used or expired, or the username is unknown: one answer for all."""


def reset_password(username: str, code: str, new: str, repeated: str, *, address: str | None) -> Person:
    """Set a new password with a code from the message. The new password is checked first (so a
    refusal of it tells nothing about the code); then the code: wrong, spent, expired or for an
    unknown username all give the same ResetRefused (the failure is recorded before it is raised)."""
    username = username.strip()[:150]
    if new != repeated:
        raise ValidationError({"repeated": [_("the two new passwords differ")]})
    person = _attempt(username, "".join(code.split()), new, address)
    if person is None:
        raise ResetRefused(_("The code is wrong or no longer valid."))
    # The holder proved themselves by mail: a lockout of the account from earlier guessing ends.
    reset_lockout(username=username)
    return person


@transaction.atomic
def _attempt(username: str, code: str, new: str, address: str | None) -> Person | None:
    person = Person.objects.filter(username=username, is_active=True).first()
    try:
        check_password_rule(new, person or Person(username=username))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    now = timezone.now()
    row = None
    if person is not None:
        row = (
            ResetCode.objects.select_for_update()
            .filter(person=person, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
    given = _hash(person.pk if person else None, code)
    if person is None or row is None or not hmac.compare_digest(row.code_hash, given):
        if row is not None:
            row.wrong_tries += 1
            if row.wrong_tries >= settings.REGISTRUM_RESET_CODE_TRIES:
                row.used_at = now  # too many wrong tries: this code is spent
            row.save(update_fields=["wrong_tries", "used_at"])
        audit.record(
            None,
            EventType.PASSWORD_RESET_FAILED,
            person,
            summary=f"password reset for {username!r} from {address} refused",
            data={"username": username, "address": address},
        )
        return None
    row.used_at = now
    row.save(update_fields=["used_at"])
    set_password(person, person, new, how="reset with an e-mailed code")
    audit.record(
        person,
        EventType.PASSWORD_RESET_COMPLETED,
        person,
        summary=f"password of {username} reset with an e-mailed code from {address}",
        data={"address": address},
    )
    return person
