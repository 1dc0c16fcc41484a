"""Reset by a one-time code sent by e-mail, read from a real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from registrum.accounts.models import ResetCode, ResetRequest
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.org.models import Person
from tests.accounts.conftest import Mailbox, code_in, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Osprey-Harbour-77"


@pytest.fixture
def reader(world) -> Person:
    world.reader.email = "reader@hq.example"
    world.reader.save(update_fields=["email"])
    return world.reader


def ask(client: Client, username: str, address: str = "10.2.0.1"):
    return client.post("/accounts/reset/", {"username": username}, REMOTE_ADDR=address)


def reset(client: Client, username: str, code: str, password: str = NEW, repeated: str | None = None):
    data = {"username": username, "code": code, "password": password, "repeated": repeated or password}
    return client.post("/accounts/reset/code/", data, REMOTE_ADDR="10.2.0.1")


def test_a_code_from_the_message_sets_a_new_password_once(client: Client, reader, mailbox: Mailbox):
    asked = ask(client, "reader")
    assert asked.status_code == 302 and asked["Location"] == "/accounts/reset/code/?username=reader"
    message = mailbox.next_message()
    assert message["To"] == "reader@hq.example"
    code = code_in(message)
    assert code not in str(ResetCode.objects.values_list("code_hash", flat=True)[0])  # stored hashed
    done = reset(client, "reader", code)
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert sign_in(Client(), "reader", NEW).status_code == 302
    assert sign_in(Client(), "reader", PASSWORD).status_code == 200
    # Single use.
    again = reset(client, "reader", code, "Another-Heron-88")
    assert again.status_code == 400 and b"wrong or no longer valid" in again.content
    kinds = set(AuditEvent.objects.values_list("event", flat=True))
    assert {EventType.PASSWORD_RESET_REQUESTED, EventType.PASSWORD_RESET_COMPLETED} <= kinds
    assert EventType.PASSWORD_RESET_FAILED in kinds


def test_the_answer_is_the_same_whether_or_not_the_account_exists(reader, mailbox: Mailbox):
    known = ask(Client(), "reader")
    unknown = ask(Client(), "nobody-here")
    assert known.status_code == unknown.status_code == 302
    page_known = Client().get(known["Location"]).content.replace(b"reader", b"X")
    page_unknown = Client().get(unknown["Location"]).content.replace(b"nobody-here", b"X")
    import re

    strip = re.compile(rb"\b[A-Za-z0-9]{64}\b")
    assert strip.sub(b"", page_known) == strip.sub(b"", page_unknown)
    mailbox.next_message()
    assert mailbox.empty()
    # A code tried for an unknown account is refused exactly like a wrong one.
    wrong_known = reset(Client(), "reader", "00000000")
    wrong_unknown = reset(Client(), "nobody-here", "00000000")
    assert wrong_known.status_code == wrong_unknown.status_code == 400
    assert strip.sub(b"", wrong_known.content).replace(b"reader", b"X") == strip.sub(
        b"", wrong_unknown.content
    ).replace(b"nobody-here", b"X")
    # Both requests are counted for throttling, known or not.
    assert ResetRequest.objects.count() == 2


def test_a_code_expires_after_fifteen_minutes(client: Client, reader, mailbox: Mailbox):
    ask(client, "reader")
    code = code_in(mailbox.next_message())
    ResetCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert reset(client, "reader", code).status_code == 400
    reader.refresh_from_db()
    assert reader.check_password(PASSWORD)


def test_a_code_is_spent_after_five_wrong_tries(client: Client, reader, mailbox: Mailbox):
    ask(client, "reader")
    code = code_in(mailbox.next_message())
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        assert reset(client, "reader", wrong).status_code == 400
    assert reset(client, "reader", code).status_code == 400
    assert AuditEvent.objects.filter(event=EventType.PASSWORD_RESET_FAILED).count() == 6


def test_the_new_password_must_meet_the_rule_and_the_code_is_kept(client: Client, reader, mailbox: Mailbox):
    ask(client, "reader")
    code = code_in(mailbox.next_message())
    weak = reset(client, "reader", code, "weak")
    assert weak.status_code == 400 and b"upper-case letter" in weak.content
    differ = reset(client, "reader", code, NEW, NEW + "!")
    assert differ.status_code == 400 and b"differ" in differ.content
    assert reset(client, "reader", code).status_code == 302


def test_sending_a_new_code_is_throttled(settings, client: Client, reader, mailbox: Mailbox):
    ask(client, "reader")
    first = code_in(mailbox.next_message())
    ask(client, "reader")  # within the minute: nothing sent
    ResetRequest.objects.update(at=timezone.now() - timedelta(minutes=2))
    ask(client, "reader")  # a minute later: a new code, and the first one retired
    second = code_in(mailbox.next_message())
    assert mailbox.empty()
    assert reset(client, "reader", first).status_code == 400
    assert reset(client, "reader", second).status_code == 302
    # A few an hour at most, per account.
    ResetRequest.objects.all().delete()
    now = timezone.now()
    ResetRequest.objects.bulk_create(
        ResetRequest(username="reader", address="10.3.0.1", at=now - timedelta(minutes=5 + i))
        for i in range(settings.REGISTRUM_RESET_SENDS_PER_HOUR)
    )
    ask(client, "reader")
    assert mailbox.empty()
    outcomes = [e.data["outcome"] for e in AuditEvent.objects.filter(event=EventType.PASSWORD_RESET_REQUESTED)]
    assert outcomes.count("throttled") == 2


def test_a_reset_ends_a_lockout_of_the_account(client: Client, reader, mailbox: Mailbox):
    for n in range(5):
        sign_in(Client(), "reader", "Wrong-Password-1", f"10.4.0.{n}")
    assert sign_in(Client(), "reader", PASSWORD, "10.4.1.1").status_code == 429
    ask(client, "reader")
    assert reset(client, "reader", code_in(mailbox.next_message())).status_code == 302
    assert sign_in(Client(), "reader", NEW, "10.4.1.2").status_code == 302
