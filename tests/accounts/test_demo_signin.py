"""The demo stays usable with the second factor: known secrets, a command for the current code,
and a login page that says how (only when the demo is loaded)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from registrum.accounts import second_factor
from registrum.demo import builder
from tests.accounts.conftest import LOGIN, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_factor_from_nc")]


def demo_code(username: str) -> str:
    out = io.StringIO()
    call_command("demo", "code", username, stdout=out)
    return out.getvalue().strip()


def test_the_login_page_mentions_the_demo_only_when_it_is_loaded(client: Client, db):
    assert b"Demo data is loaded" not in client.get(LOGIN).content
    builder.build(registrations=0)
    page = client.get(LOGIN).content
    assert b"Demo data is loaded" in page and builder.DEMO_PASSWORD.encode() in page
    assert b"registrum demo code" in page


def test_a_demo_person_signs_in_with_the_printed_password_and_the_current_code(client: Client, db):
    builder.build(registrations=0)
    assert sign_in(client, "jsmith", builder.DEMO_PASSWORD).status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/second-factor/verify/")
    current = demo_code("jsmith")
    assert current == second_factor.totp_code(builder.demo_totp_key("jsmith"))
    assert client.post("/accounts/second-factor/verify/", {"code": current}).status_code == 302
    assert client.get("/").status_code == 200


def test_the_code_command_knows_only_the_demo_secrets(db):
    builder.build(registrations=0)
    with pytest.raises(CommandError, match="not one of the demo"):
        demo_code("nobody-here")
    # A demo person who enrolled an authenticator of their own: its codes are not printed.
    person = builder.Person.objects.get(username="jsmith")
    device = second_factor.start_enrolment(person)
    device.confirmed = True
    device.save()
    second_factor.TOTPDevice.objects.filter(user=person).exclude(pk=device.pk).delete()
    with pytest.raises(CommandError, match="no demo authenticator"):
        demo_code("jsmith")
