"""Signing in: one answer for any wrong credential, lockout per account and per address decided
before any hashing, every event audited, and a clear word for an expired clearance."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from tests.accounts.conftest import LOGIN, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """A real (fast) hasher that counts its work: what a flood would cost."""

    calls: ClassVar[int] = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = ["tests.accounts.test_signin.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def answer(response: Any) -> bytes:
    """The page without what differs from request to request (the CSRF token, the name typed)."""
    import re

    body = re.sub(rb"\b[A-Za-z0-9]{64}\b", b"", response.content)  # masked CSRF tokens
    return re.sub(rb'name="username" id="id_username"[^>]*>', b"", body)


def test_a_sign_in_is_audited_with_its_address(client: Client, world):
    response = sign_in(client, "reader", PASSWORD, "10.1.2.3")
    assert response.status_code == 302
    event = AuditEvent.objects.get(event=EventType.LOGIN)
    assert event.actor == world.reader and event.data["address"] == "10.1.2.3"
    client.post("/accounts/logout/")
    assert AuditEvent.objects.get(event=EventType.LOGOUT).actor == world.reader


def test_a_wrong_username_and_a_wrong_password_get_the_same_answer(client: Client, world):
    wrong_password = sign_in(client, "reader", "Wrong-Password-1")
    unknown = sign_in(client, "nobody-here", "Wrong-Password-1")
    world.outsider.is_active = False
    world.outsider.save(update_fields=["is_active"])
    deactivated = sign_in(client, "outsider", PASSWORD)
    assert wrong_password.status_code == unknown.status_code == deactivated.status_code == 200
    assert answer(wrong_password) == answer(unknown) == answer(deactivated)
    assert b"did not match" in wrong_password.content


def test_a_failure_names_the_username_tried_and_the_address_never_the_password(client: Client, world):
    sign_in(client, "reader", "Wrong-Password-1", "10.9.8.7")
    event = AuditEvent.objects.get(event=EventType.LOGIN_FAILED)
    assert event.data == {"username": "reader", "address": "10.9.8.7"}
    assert "Wrong-Password-1" not in event.summary


def test_five_failures_lock_the_account_even_from_many_addresses(client: Client, world, counting):
    for n in range(4):
        assert sign_in(client, "reader", f"Wrong-Password-{n}", f"10.0.1.{n}").status_code == 200
    # The fifth failure is answered with the lockout.
    assert sign_in(client, "reader", "Wrong-Password-5", "10.0.1.5").status_code == 429
    work = counting.calls
    # The right password from yet another address: refused, and at no hashing cost.
    locked = sign_in(client, "reader", PASSWORD, "10.0.2.1")
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    assert counting.calls == work
    assert AuditEvent.objects.filter(event=EventType.LOCKED_OUT).exists()
    # Another account from a fresh address is not affected.
    assert sign_in(Client(), "clerk", PASSWORD, "10.0.3.1").status_code == 302


def test_five_failures_lock_the_address_for_every_account(client: Client, world, counting):
    for n in range(5):
        sign_in(client, f"guess{n}", "Wrong-Password-1", "10.0.4.4")
    work = counting.calls
    locked = sign_in(client, "reader", PASSWORD, "10.0.4.4")
    assert locked.status_code == 429
    assert counting.calls == work
    locked_event = AuditEvent.objects.filter(event=EventType.LOCKED_OUT).first()
    assert locked_event is not None and locked_event.data["address"] == "10.0.4.4"
    # The same person from elsewhere still signs in.
    assert sign_in(Client(), "reader", PASSWORD, "10.0.5.5").status_code == 302


def test_the_lockout_page_does_not_tell_whether_the_account_exists(world):
    for username in ("reader", "nobody-here"):
        for n in range(5):
            sign_in(Client(), username, "Wrong-Password-1", f"10.0.{6 if username == 'reader' else 7}.{n}")
    known = sign_in(Client(), "reader", "Wrong-Password-1", "10.0.8.1")
    unknown = sign_in(Client(), "nobody-here", "Wrong-Password-1", "10.0.8.2")
    assert known.status_code == unknown.status_code == 429
    assert answer(known) == answer(unknown)


def test_signing_in_to_ones_own_account_does_not_clear_guesses_at_another(client: Client, world):
    for n in range(4):
        sign_in(Client(), "clerk", f"Wrong-Password-{n}", "10.0.9.1")
    assert sign_in(Client(), "reader", PASSWORD, "10.0.9.1").status_code == 302  # the guesser's own account
    # The fifth guess at the clerk's account, from anywhere, is still the fifth.
    assert sign_in(Client(), "clerk", "Wrong-Password-9", "10.0.9.2").status_code == 429


def test_failures_age_out_after_the_cool_off(client: Client, world):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    for n in range(5):
        sign_in(Client(), "reader", f"Wrong-Password-{n}", f"10.0.10.{n}")
    assert sign_in(Client(), "reader", PASSWORD, "10.0.10.9").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(Client(), "reader", PASSWORD, "10.0.10.9").status_code == 302


def test_an_expired_clearance_is_told_to_its_holder_and_opens_nothing_classified(client: Client, world):
    registration = world.register(subject="Operation WAGTAIL readiness", action_units=[world.eso])
    home = client.post(LOGIN, {"username": "expired", "password": PASSWORD}, follow=True)
    assert home.status_code == 200
    assert b"clearance expired on" in home.content
    assert b"WAGTAIL" not in client.get("/register/").content
    assert client.get(f"/register/d/{registration.document.public_id}/").status_code == 404
    # Nobody else hears of it.
    other = Client().post(LOGIN, {"username": "reader", "password": PASSWORD}, follow=True)
    assert b"clearance expired" not in other.content


def test_the_account_page_keeps_saying_the_clearance_expired(client: Client, world):
    client.force_login(world.expired)
    assert b"clearance expired on" in client.get("/accounts/").content
    client.force_login(world.reader)
    assert b"clearance expired" not in client.get("/accounts/").content
