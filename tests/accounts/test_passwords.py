"""The password rule wherever a password is set, and the argon2id hasher."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from registrum.accounts import passwords
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.org import services as org
from registrum.org.models import Person
from registrum.org.services import SYSTEM
from tests.accounts.conftest import LOGIN, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = "Kestrel-Falcon-42"


def problems(raw: str, person: Person | None = None) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        passwords.check_password_rule(raw, person)
    return refused.value.messages


def test_a_password_meeting_the_rule_passes():
    passwords.check_password_rule(GOOD)


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("Sh0rt-pw", ["at least 12 characters (this one has 8)"]),
        ("Kestrel Falcon-42", ["must not contain spaces"]),
        ("kestrel-falcon-42", ["upper-case letter"]),
        ("KESTREL-FALCON-42", ["lower-case letter"]),
        ("Kestrel-Falcon-xy", ["a digit"]),
        ("KestrelFalcon42xy", ["a symbol"]),
        ("a", ["at least 12", "upper-case", "a digit", "a symbol", "too common"]),
    ],
)
def test_each_failing_part_of_the_rule_is_named(raw, named):
    found = problems(raw)
    for part in named:
        assert any(part in message for message in found), (part, found)
    assert len(found) == len(named)


def test_common_and_similar_passwords_are_refused_too(world):
    # Lower-cased, as Django compares: a list word with the rule's parts added is still refused.
    assert any("too common" in m for m in problems("Mega_Pizdetz666"))
    similar = Person(username="kestrelfalcon", first_name="Kestrel", last_name="Falcon", email="kf@hq.example")
    assert any("too similar" in m for m in problems("Kestrelfalcon-1", similar))


def test_an_operator_cannot_create_an_account_with_the_password_a(world):
    with pytest.raises(ValidationError) as refused:
        org.create_person(
            SYSTEM, username="weak", first_name="W", last_name="K", nationality="BEL", unit=world.eso, password="a"
        )
    assert "password" in refused.value.message_dict
    assert not Person.objects.filter(username="weak").exists()


def test_the_command_line_names_what_the_password_lacks(world, monkeypatch):
    import sys

    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)  # the administrator acting, proven
    stdin, sys.stdin = sys.stdin, io.StringIO("password\n")
    try:
        with pytest.raises(CommandError) as refused:
            call_command(
                "org",
                "--as",
                world.admin.username,
                "person",
                "weak",
                "--first",
                "W",
                "--last",
                "K",
                "--nationality",
                "BEL",
                "--password-stdin",
            )
    finally:
        sys.stdin = stdin
    assert "at least 12 characters" in str(refused.value)
    assert "upper-case letter" in str(refused.value)
    assert not Person.objects.filter(username="weak").exists()


def test_setting_a_password_is_checked_and_audited(world):
    with pytest.raises(ValidationError):
        passwords.set_password(world.admin, world.reader, "short")
    passwords.set_password(world.admin, world.reader, GOOD)
    world.reader.refresh_from_db()
    assert world.reader.check_password(GOOD)
    event = AuditEvent.objects.get(event=EventType.PASSWORD_CHANGED)
    assert event.actor == world.admin and event.target_id == world.reader.pk
    assert GOOD not in event.summary and GOOD not in str(event.data)


def test_nobody_but_an_administrator_sets_another_persons_password(world):
    with pytest.raises(PermissionDenied):
        passwords.set_password(world.clerk, world.reader, GOOD)


def test_self_service_change_needs_the_current_password_and_the_new_one_twice(client: Client, world):
    client.force_login(world.reader)
    other = Client()
    other.force_login(world.reader)
    url = "/accounts/password/"
    wrong = client.post(url, {"current": "Not-it-at-all-1", "password": GOOD, "repeated": GOOD})
    assert wrong.status_code == 400 and b"current password is wrong" in wrong.content
    differ = client.post(url, {"current": PASSWORD, "password": GOOD, "repeated": GOOD + "x"})
    assert differ.status_code == 400 and b"differ" in differ.content
    weak = client.post(url, {"current": PASSWORD, "password": "weakweakweak", "repeated": "weakweakweak"})
    assert weak.status_code == 400 and b"upper-case letter" in weak.content
    done = client.post(url, {"current": PASSWORD, "password": GOOD, "repeated": GOOD})
    assert done.status_code == 302
    # This session goes on; the other one has ended.
    assert client.get("/accounts/").status_code == 200
    assert other.get("/accounts/").status_code == 302
    assert sign_in(Client(), "reader", GOOD).status_code == 302
    assert AuditEvent.objects.filter(event=EventType.PASSWORD_CHANGED, target_id=world.reader.pk).count() == 1


def test_passwords_are_hashed_with_argon2id_sized_for_a_small_server(settings, world):
    settings.PASSWORD_HASHERS = ["registrum.accounts.passwords.RegistrumArgon2Hasher"]
    encoded = make_password(GOOD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), passwords.RegistrumArgon2Hasher)


def test_an_older_heavier_hash_is_replaced_at_the_next_sign_in(settings, client: Client, world):
    settings.PASSWORD_HASHERS = ["registrum.accounts.passwords.RegistrumArgon2Hasher"]
    from django.contrib.auth.hashers import Argon2PasswordHasher

    world.reader.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    world.reader.save(update_fields=["password"])
    assert "m=102400" in world.reader.password
    assert client.post(LOGIN, {"username": "reader", "password": PASSWORD}).status_code == 302
    world.reader.refresh_from_db()
    assert "m=19456,t=2,p=1" in world.reader.password


def test_guessing_the_current_password_counts_towards_the_lockout(client: Client, world):
    client.force_login(world.reader)
    url = "/accounts/password/"
    for n in range(4):
        data = {"current": f"Guess-number-{n}", "password": GOOD, "repeated": GOOD}
        assert client.post(url, data, REMOTE_ADDR="10.5.0.1").status_code == 400
    data = {"current": "Guess-number-5", "password": GOOD, "repeated": GOOD}
    assert client.post(url, data, REMOTE_ADDR="10.5.0.1").status_code == 429
    # Even the right one is refused now.
    data = {"current": PASSWORD, "password": GOOD, "repeated": GOOD}
    assert client.post(url, data, REMOTE_ADDR="10.5.0.1").status_code == 429
    world.reader.refresh_from_db()
    assert world.reader.check_password(PASSWORD)
    failures = AuditEvent.objects.filter(event=EventType.LOGIN_FAILED)
    assert sum(1 for e in failures if e.data.get("username") == "reader") >= 5


def test_a_password_an_administrator_set_opens_nothing_until_its_holder_replaces_it(client: Client, world):
    from registrum.accounts.services import issue_token
    from registrum.org import services as org

    newcomer = org.create_person(
        world.admin,
        username="newcomer",
        first_name="New",
        last_name="Comer",
        nationality="BEL",
        unit=world.eso,
        password=GOOD,
    )
    assert newcomer.must_change_password  # the administrator knows it
    assert sign_in(client, "newcomer", GOOD).status_code == 302
    for page in ("/", "/register/", "/accounts/tokens/"):
        answer = client.get(page)
        assert answer.status_code == 302 and answer["Location"] == "/accounts/password/", page
    with pytest.raises(PermissionDenied):
        issue_token(newcomer, newcomer, name="before")
    mine = "Only-Mine-2026!"
    assert client.post("/accounts/password/", {"current": GOOD, "password": mine, "repeated": mine}).status_code == 302
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password
    assert client.get("/").status_code == 200
    assert issue_token(newcomer, newcomer, name="after")


def test_an_administrator_resetting_a_password_makes_it_one_time_and_the_operator_setting_up_does_not(world):
    from registrum.org import services as org
    from registrum.org.services import SYSTEM

    set_up = org.create_person(
        SYSTEM, username="first", first_name="F", last_name="P", nationality="BEL", unit=world.eso, password=GOOD
    )
    assert not set_up.must_change_password  # the operator setting a site up: no person knows it
    org.set_password(world.admin, set_up, "Reset-By-Admin-1")
    set_up.refresh_from_db()
    assert set_up.must_change_password
