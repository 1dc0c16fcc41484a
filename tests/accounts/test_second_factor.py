"""The second factor: required from NATO CONFIDENTIAL clearance up (the site's default), enrolled
on a page with a server-drawn QR code, confirmed with a first code, ten recovery codes once."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from registrum.accounts import second_factor
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from tests.accounts.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_factor_from_nc")]

ENROL = "/accounts/second-factor/"
VERIFY = "/accounts/second-factor/verify/"


def key_of(person: Any) -> str:
    return str(TOTPDevice.objects.filter(user=person).order_by("-pk").values_list("key", flat=True)[0])


def code(person: Any, steps_ahead: int = 0) -> str:
    """The authenticator's code now (or a step later: a code is accepted once, and one step of
    clock drift is allowed)."""
    return second_factor.totp_code(key_of(person), at=time.time() + 30 * steps_ahead)


def after_the_pause(person: Any) -> None:
    """Move the last failure back in time: after a wrong code a device accepts none for a moment
    (django-otp's throttling, doubling with each failure)."""
    TOTPDevice.objects.filter(user=person).update(throttling_failure_timestamp=timezone.now() - timedelta(minutes=1))


def enrol(client: Client, person: Any) -> list[str]:
    page = client.get(ENROL)
    assert page.status_code == 200
    done = client.post(ENROL, {"code": code(person)})
    assert done.status_code == 200
    return re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.content.decode())


def test_a_cleared_person_must_enrol_before_anything_else(client: Client, world):
    assert sign_in(client, "reader", PASSWORD).status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith(ENROL + "?next=")
    assert client.get("/register/")["Location"].startswith(ENROL)
    page = client.get(ENROL)
    body = page.content.decode()
    assert "<svg" in body and "<script>" not in body and "style=" not in body.split("<svg", 1)[1].split("</svg>")[0]
    secret = re.search(r'<code class="token">([A-Z2-7 ]+)</code>', body)
    assert secret is not None and len(secret.group(1).replace(" ", "")) == 32


def test_enrolment_is_confirmed_with_a_first_code_and_gives_ten_recovery_codes(client: Client, world):
    sign_in(client, "reader", PASSWORD)
    client.get(ENROL)
    wrong = client.post(ENROL, {"code": "000000"})
    assert wrong.status_code == 400 and b"wrong or no longer valid" in wrong.content
    assert not second_factor.is_enrolled(world.reader)
    assert client.post(ENROL, {"code": code(world.reader)}).status_code == 400  # right, but too soon
    after_the_pause(world.reader)
    done = client.post(ENROL, {"code": code(world.reader)})
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.content.decode())
    assert len(set(codes)) == 10
    assert second_factor.is_enrolled(world.reader)
    assert client.get("/").status_code == 200  # verified by the confirming code
    kinds = list(AuditEvent.objects.values_list("event", flat=True))
    assert EventType.OTP_ENROLLED in kinds and EventType.OTP_FAILED in kinds


def test_an_enrolled_person_gives_the_code_after_the_password(client: Client, world):
    first = Client()
    sign_in(first, "clerk", PASSWORD)
    enrol(first, world.clerk)
    sign_in(client, "clerk", PASSWORD)
    assert client.get("/")["Location"].startswith(VERIFY)
    # Enrolling a new authenticator is not a way around it.
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    wrong = client.post(VERIFY, {"code": "123456", "next": "/register/"})
    assert wrong.status_code == 400 and b"wrong or no longer valid" in wrong.content
    failure = AuditEvent.objects.filter(event=EventType.OTP_FAILED).latest("pk")
    assert failure.actor == world.clerk
    after_the_pause(world.clerk)
    right = client.post(VERIFY, {"code": code(world.clerk, steps_ahead=1), "next": "/register/"})
    assert right.status_code == 302 and right["Location"] == "/register/"
    assert client.get("/register/").status_code == 200


def test_a_recovery_code_works_once(client: Client, world):
    setup = Client()
    sign_in(setup, "clerk", PASSWORD)
    recovery = enrol(setup, world.clerk)
    sign_in(client, "clerk", PASSWORD)
    assert client.post(VERIFY, {"code": recovery[0]}).status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(event=EventType.OTP_RECOVERY_USED, actor=world.clerk).count() == 1
    again = Client()
    sign_in(again, "clerk", PASSWORD)
    assert again.post(VERIFY, {"code": recovery[0]}).status_code == 400


def test_below_the_threshold_an_expired_clearance_or_never_needs_no_second_factor(settings, world):
    for username in ("nrreader", "admin", "expired"):
        client = Client()
        sign_in(client, username, PASSWORD)
        assert client.get("/").status_code == 200, username
    settings.REGISTRUM_OTP_REQUIRED_FROM_LEVEL = "never"
    client = Client()
    sign_in(client, "clerk", PASSWORD)
    assert client.get("/").status_code == 200
    settings.REGISTRUM_OTP_REQUIRED_FROM_LEVEL = "COSMIC TOP SECRET"
    assert not second_factor.is_required(world.reader)
    assert second_factor.is_required(world.clerk)


def test_api_tokens_are_not_asked_for_a_second_factor(world):
    from registrum.accounts.services import issue_token

    token = issue_token(world.clerk, world.clerk, name="t")
    answer = Client().get("/api/v1/registrations", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_an_administrator_resets_a_lost_authenticator(world):
    client = Client()
    sign_in(client, "reader", PASSWORD)
    enrol(client, world.reader)
    with pytest.raises(PermissionDenied):
        second_factor.reset(world.clerk, world.reader)
    second_factor.reset(world.admin, world.reader)
    assert not second_factor.is_enrolled(world.reader)
    assert AuditEvent.objects.filter(event=EventType.OTP_RESET).count() == 1
