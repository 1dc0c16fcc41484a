"""The second factor: TOTP (an authenticator app) with ten recovery codes, required for people
cleared from a level up (settings.REGISTRUM_OTP_REQUIRED_FROM_LEVEL, a level name or "never").
Web sign-in only: API tokens are their own credential."""

from __future__ import annotations

import secrets
from base64 import b32encode
from binascii import unhexlify

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from registrum import audit
from registrum.accounts.passwords import may_act_on
from registrum.audit.events import EventType
from registrum.org.models import Clearance, Person
from registrum.org.services import Actor
from registrum.policy import Level, active_policy

RECOVERY_CODES = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def required_from() -> Level | None:
    """The level from which a second factor is required; None when never."""
    text = str(settings.REGISTRUM_OTP_REQUIRED_FROM_LEVEL).strip()
    if text.lower() == "never":
        return None
    return active_policy().level_from_text(text)


def is_required(person: Person) -> bool:
    """A valid clearance at or above the threshold needs a second factor. An expired clearance
    opens nothing classified, so it needs none (its holder is told it expired)."""
    threshold = required_from()
    if threshold is None or not person.is_authenticated:
        return False
    try:
        clearance = person.clearance
    except Clearance.DoesNotExist:
        return False
    return clearance.level >= threshold and clearance.is_valid(timezone.localdate())


def is_enrolled(person: Person) -> bool:
    return TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code, drawn on the server (no script)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


@transaction.atomic
def start_enrolment(person: Person, *, key: str | None = None) -> TOTPDevice:
    """A new unconfirmed authenticator for `person` (an earlier unconfirmed one is replaced).
    It counts only once confirmed with a first code."""
    TOTPDevice.objects.filter(user=person, confirmed=False).delete()
    device = TOTPDevice(user=person, name=TOTP_NAME, confirmed=False)
    if key is not None:
        device.key = key
    device.save()
    return device


def pending_enrolment(person: Person) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=person, confirmed=False).order_by("-pk").first()


@transaction.atomic
def confirm_enrolment(person: Person, code: str, *, address: str | None = None) -> list[str] | None:
    """Confirm the pending authenticator with a first code: it replaces any earlier one, and ten
    fresh recovery codes are returned (to be shown once). None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=person, confirmed=False).order_by("-pk").first()
    if device is None or not device.verify_token(_digits(code)):
        audit.record(
            person,
            EventType.OTP_FAILED,
            person,
            summary=f"second factor enrolment of {person.username}: wrong code",
            data={"address": address, "stage": "enrolment"},
        )
        return None
    TOTPDevice.objects.filter(user=person, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(person)
    audit.record(
        person,
        EventType.OTP_ENROLLED,
        person,
        summary=f"{person.username} enrolled an authenticator",
        data={"address": address},
    )
    return codes


def _new_recovery_codes(person: Person) -> list[str]:
    StaticDevice.objects.filter(user=person).delete()
    static = StaticDevice.objects.create(user=person, name=RECOVERY_NAME, confirmed=True)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def _digits(code: str) -> str:
    return "".join(code.split())


@transaction.atomic
def verify(person: Person, code: str, *, address: str | None = None) -> Device | None:
    """The device that accepts `code` (the authenticator's current code, or an unused recovery
    code, which is then spent), audited; None, audited as a failure, when none does. Each device
    slows down after failures (django-otp's throttling), so guessing six digits does not pay."""
    code = _digits(code)
    for totp in TOTPDevice.objects.select_for_update().filter(user=person, confirmed=True):
        if totp.verify_token(code):
            return totp
    for static in StaticDevice.objects.select_for_update().filter(user=person, confirmed=True):
        if static.verify_token(code):
            left = StaticToken.objects.filter(device=static).count()
            audit.record(
                person,
                EventType.OTP_RECOVERY_USED,
                person,
                summary=f"{person.username} used a recovery code ({left} left)",
                data={"address": address, "left": left},
            )
            return static
    audit.record(
        person,
        EventType.OTP_FAILED,
        person,
        summary=f"second factor of {person.username}: wrong code",
        data={"address": address, "stage": "sign-in"},
    )
    return None


@transaction.atomic
def enrol_known_secret(actor: Actor, person: Person, key: str) -> None:
    """Give `person` an authenticator with a secret the operator chose (hex). Only the demo does
    this, so that its people can sign in from a printed secret; a real site enrols on the page."""
    from registrum.org.services import SystemActor

    if not isinstance(actor, SystemActor):
        raise PermissionError("only the operator sets a known second-factor secret")
    TOTPDevice.objects.filter(user=person).delete()
    TOTPDevice.objects.create(user=person, name=TOTP_NAME, key=key, confirmed=True)
    audit.record(
        actor, EventType.OTP_ENROLLED, person, summary=f"authenticator with a known secret set for {person.username}"
    )


def has_secret(person: Person, hex_key: str) -> bool:
    return TOTPDevice.objects.filter(user=person, confirmed=True, key=hex_key).exists()


def totp_code(hex_key: str, *, at: float | None = None) -> str:
    totp = TOTP(unhexlify(hex_key))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


@transaction.atomic
def reset(actor: Actor, person: Person) -> None:
    """Remove a person's authenticator and recovery codes (lost phone): they enrol again at
    their next sign-in. The operator or an administrator; audited."""
    may_act_on(actor, person, self_allowed=False)
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()
    audit.record(actor, EventType.OTP_RESET, person, summary=f"second factor of {person.username} reset")
