"""The password rule, the hasher, and setting a password: one place every face goes through.

The rule is the organisation's published one: at least 12 characters, no spaces, upper- and
lower-case letters, digits and symbols; Django's common-password and similarity validators run
beside it (settings.AUTH_PASSWORD_VALIDATORS). Code below `accounts` in the layers (org) checks a
password with Django's own `validate_password`, which runs the same list.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.org.models import Person
from registrum.org.services import Actor, SystemActor
from registrum.policy import Action, PersonTarget, active_policy, may

MIN_LENGTH = 12


def _is_symbol(ch: str) -> bool:
    return not ch.isalnum() and not ch.isspace()


class PasswordRuleValidator:
    """At least 12 characters, no spaces, upper- and lower-case letters, digits and symbols.
    Every part the password misses is named in one error each."""

    def __init__(self, min_length: int = MIN_LENGTH) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        problems: list[ValidationError] = []
        if len(password) < self.min_length:
            problems.append(
                ValidationError(
                    _("the password must have at least %(min)d characters (this one has %(count)d)")
                    % {"min": self.min_length, "count": len(password)},
                    code="password_too_short",
                )
            )
        if any(ch.isspace() for ch in password):
            problems.append(ValidationError(_("the password must not contain spaces"), code="password_has_space"))
        missing = [
            (str.isupper, _("the password must contain an upper-case letter"), "password_no_upper"),
            (str.islower, _("the password must contain a lower-case letter"), "password_no_lower"),
            (str.isdigit, _("the password must contain a digit"), "password_no_digit"),
            (_is_symbol, _("the password must contain a symbol (such as ! - _ #)"), "password_no_symbol"),
        ]
        for test, message, code in missing:
            if not any(test(ch) for ch in password):
                problems.append(ValidationError(message, code=code))
        if problems:
            raise ValidationError(problems)

    def get_help_text(self) -> str:
        return _("At least %(min)d characters, no spaces, with upper- and lower-case letters, digits and symbols.") % {
            "min": self.min_length
        }


class RegistrumArgon2Hasher(Argon2PasswordHasher):
    """argon2id sized for a 2-core server running four single-threaded workers: 19 MiB and two
    passes take about 40 ms on one core here, so a login stays far under 300 ms and even four
    attempts at once hold under 80 MiB (Django's default, 100 MiB with 8 lanes, cost a few parallel
    attempts 400 MiB and half a second each). The figures are OWASP's first argon2id setting;
    `python -m bench.login` measures them. Django re-hashes older hashes at the next sign-in."""

    algorithm = "argon2"  # same prefix as Django's: existing hashes verify and are upgraded
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1


def check_password_rule(raw: str, person: Person | None = None) -> None:
    """ValidationError listing every part of the rule the password fails, else nothing."""
    password_validation.validate_password(raw, person)


def may_act_on(actor: Actor, person: Person, *, self_allowed: bool = True) -> None:
    """The operator, an administrator, or (for their own password) the person; else PermissionDenied."""
    if isinstance(actor, SystemActor) or (self_allowed and actor.pk == person.pk):
        return
    decision = may(
        active_policy(),
        actor.subject(),
        Action.ADMINISTER,
        PersonTarget(person_id=person.pk, active=person.is_active),
        timezone.localdate(),
    )
    if not decision:
        raise PermissionDenied(decision.render(_))


@transaction.atomic
def set_password(actor: Actor, person: Person, raw: str, *, how: str = "set") -> None:
    """Give `person` the password `raw` (checked against the rule first), audited. Other sessions
    of the person end: the session hash is derived from the password hash."""
    may_act_on(actor, person)
    try:
        check_password_rule(raw, person)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    person.set_password(raw)
    # Only a password its holder chose (changed, or reset with a code sent to them) is theirs alone.
    person.must_change_password = isinstance(actor, Person) and actor.pk != person.pk
    person.save(update_fields=["password", "must_change_password"])
    audit.record(
        actor,
        EventType.PASSWORD_CHANGED,
        person,
        summary=f"password of {person.username} {how} by {actor.username}",
        data={"how": how},
    )


class WrongCurrentPassword(ValidationError):
    pass


@transaction.atomic
def change_own_password(person: Person, *, current: str, new: str, repeated: str) -> None:
    """Self-service: the current password proves it is the holder; the new one twice."""
    if not person.check_password(current):
        raise WrongCurrentPassword({"current": [_("the current password is wrong")]})
    if new != repeated:
        raise ValidationError({"repeated": [_("the two new passwords differ")]})
    if new == current:
        raise ValidationError({"password": [_("the new password is the current one")]})
    set_password(person, person, new, how="changed")
