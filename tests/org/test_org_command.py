"""Setting the organisation up from the command line goes through the audited services."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from registrum.audit.models import AuditEvent
from registrum.org.models import Person, Registry
from registrum.policy import Level
from registrum.records.models import Registration

pytestmark = pytest.mark.django_db


def org(*args, stdin=""):
    out = io.StringIO()
    import sys

    real = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("org", *args, stdout=out)
    finally:
        sys.stdin = real
    return out.getvalue()


def test_a_new_site_is_set_up_and_its_clerk_can_register(client):
    org("unit", "HQ", "Headquarters", "--kind", "organisation")
    org("unit", "REG", "Registry office", "--parent", "HQ")
    out = org(
        "person",
        "clerk1",
        "--first",
        "Ana",
        "--last",
        "Ruiz",
        "--nationality",
        "esp",
        "--unit",
        "REG",
        "--role",
        "clerk",
        "--password-stdin",
        stdin="A-long-enough-passw0rd\n",
    )
    assert "person clerk1 added" in out
    org("clearance", "clerk1", "--level", "NS", "--expires", "2030-12-31", "--briefing", "atomal")
    org(
        "registry",
        "CR",
        "Central Registry",
        "--kind",
        "central",
        "--unit",
        "HQ",
        "--accreditation",
        "NS",
        "--pattern",
        "{registry}-{direction}/{year}/{seq:05d}",
    )
    org("staff", "CR", "clerk1")

    person = Person.objects.get(username="clerk1")
    assert person.nationality == "ESP"
    assert person.check_password("A-long-enough-passw0rd")
    assert (person.clearance.level, person.clearance.expires, person.clearance.briefings) == (
        Level.NS,
        date(2030, 12, 31),
        ["ATOMAL"],
    )
    assert Registry.objects.get(code="CR").staff.get() == person
    assert AuditEvent.objects.filter(event__startswith="org.").count() == 6  # one per change

    client.force_login(person)
    response = client.post(
        "/register/new/", {"registry": "CR", "direction": "IN", "originator": "SHAPE", "subject": "x", "level": "NS"}
    )
    assert response.status_code == 302
    assert Registration.objects.get().number == f"CR-IN/{date.today().year}/00001"
    assert "CR" in org("show")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("unit", "X", "X", "--parent", "NOPE"), "unknown unit 'NOPE'"),
        (("clearance", "ghost", "--level", "NS", "--expires", "2030-01-01"), "unknown person 'ghost'"),
        (("person", "p", "--first", "A", "--last", "B", "--nationality", "XYZ"), "unknown nation 'XYZ'"),
    ],
)
def test_bad_input_is_named(args, message):
    with pytest.raises(CommandError, match=message):
        org(*args)


def test_registry_pattern_and_accreditation_are_checked():
    org("unit", "HQ", "Headquarters")
    org("registry", "CR", "Central", "--kind", "central", "--unit", "HQ", "--accreditation", "NC")
    with pytest.raises(CommandError, match=r"lacks \{seq\}"):
        org(
            "registry",
            "SR",
            "Sub",
            "--kind",
            "sub",
            "--unit",
            "HQ",
            "--accreditation",
            "NC",
            "--parent",
            "CR",
            "--pattern",
            "{registry}/{year}",
        )
    with pytest.raises(CommandError, match="above its parent"):
        org("registry", "SR", "Sub", "--kind", "sub", "--unit", "HQ", "--accreditation", "NS", "--parent", "CR")
    with pytest.raises(CommandError, match="needs a parent"):
        org("registry", "CP", "Point", "--kind", "control_point", "--unit", "HQ", "--accreditation", "NC")
