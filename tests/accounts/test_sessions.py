"""Idle timeout, absolute lifetime, and signing out everywhere."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from registrum.accounts import sessions
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from tests.accounts.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(username: str = "reader") -> Client:
    client = Client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def age_session(client: Client, *, started_ago: float, seen_ago: float) -> None:
    """Move the session's clock back, as if that much time had passed."""
    session = client.session
    now = time.time()
    session[sessions.STARTED] = int(now - started_ago)
    session[sessions.SEEN] = int(now - seen_ago)
    session.save()


def test_a_session_ends_after_the_idle_timeout(settings, world):
    settings.REGISTRUM_SESSION_IDLE_MINUTES = 30
    client = signed_in()
    age_session(client, started_ago=29 * 60, seen_ago=29 * 60)
    assert client.get("/accounts/").status_code == 200  # 29 idle minutes: still on
    age_session(client, started_ago=31 * 60, seen_ago=31 * 60)
    ended = client.get("/accounts/")
    assert ended.status_code == 302 and ended["Location"].startswith("/accounts/login/?next=")
    assert client.get("/accounts/").status_code == 302  # really signed out
    page = client.get(ended["Location"])
    assert b"without activity" in page.content
    logout = AuditEvent.objects.get(event=EventType.LOGOUT)
    assert logout.data["reason"] == "session ended after inactivity"


def test_a_busy_session_still_ends_at_its_maximum_lifetime(settings, world):
    settings.REGISTRUM_SESSION_MAX_HOURS = 10
    client = signed_in()
    age_session(client, started_ago=9.9 * 3600, seen_ago=10)
    assert client.get("/accounts/").status_code == 200
    age_session(client, started_ago=10 * 3600 + 60, seen_ago=10)
    assert client.get("/accounts/").status_code == 302
    assert AuditEvent.objects.get(event=EventType.LOGOUT).data["reason"] == "session reached its maximum lifetime"


def test_activity_keeps_a_session_alive(settings, world):
    client = signed_in()
    age_session(client, started_ago=3600, seen_ago=20 * 60)
    assert client.get("/accounts/").status_code == 200
    # That request counted as activity: twenty more minutes are fine.
    session = client.session
    session[sessions.SEEN] -= 20 * 60
    session.save()
    assert client.get("/accounts/").status_code == 200


def test_signing_out_everywhere_ends_every_session_this_one_included(world):
    laptop, phone = signed_in(), signed_in()
    other_person = signed_in("clerk")
    assert laptop.post("/accounts/sign-out-everywhere/").status_code == 302
    assert laptop.get("/accounts/").status_code == 302
    assert phone.get("/accounts/").status_code == 302
    assert other_person.get("/accounts/").status_code == 200
    assert AuditEvent.objects.get(event=EventType.SESSIONS_ENDED).actor == world.reader
    # Signing in again works.
    assert signed_in().get("/accounts/").status_code == 200


def test_the_api_is_not_subject_to_page_sessions(world):
    from registrum.accounts.services import issue_token

    token = issue_token(world.reader, world.reader, name="t")
    signed_in().post("/accounts/sign-out-everywhere/")
    answer = Client().get("/api/v1/registrations", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
