"""Administration with separation of duties, on every face: the services, the pages, the API and
`registrum org`. Nobody changes their own roles, clearance or status; COSMIC TOP SECRET and special
briefings wait for a second person; moving a unit moves its need-to-know; a deactivated account
is worth nothing from then on."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from registrum.accounts.services import issue_token
from registrum.audit.models import AuditEvent
from registrum.cli import REFUSED_COMMANDS, refusal
from registrum.org import services as org
from registrum.org.models import Clearance, ClearanceRequest, Person, Registry, RequestState, Role, Unit
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records.models import Document
from tests.conftest import PASSWORD, World, make_person

pytestmark = pytest.mark.django_db

NEXT_YEAR = date.today() + timedelta(days=365)
STRONG = "Tr0ub4dor&3-Horse"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def officer(world: World) -> Person:
    """A control officer holding everything they may be asked to confirm."""
    return make_person("officer", "BEL", world.hq, Level.CTS, ("COSMIC", "ATOMAL", "BOHEMIA"), (Role.CONTROL_OFFICER,))


@pytest.fixture
def admin_officer(world: World) -> Person:
    """An administrator who is a control officer too: still not their own second person."""
    return make_person(
        "adminco", "NLD", world.hq, Level.CTS, ("COSMIC", "ATOMAL"), (Role.ADMINISTRATOR, Role.CONTROL_OFFICER)
    )


def fresh(person: Person) -> Person:
    return Person.objects.select_related("clearance", "unit").get(pk=person.pk)


def api(client: Client, person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(person, person, name='test')}"}


def org_command(*args: str, password: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> str:
    out = io.StringIO()
    if monkeypatch is not None and password is not None:
        monkeypatch.setenv("REGISTRUM_AS_PASSWORD", password)
    real = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        call_command("org", *args, stdout=out)
    finally:
        sys.stdin = real
    return out.getvalue()


# Nobody changes their own roles, clearance or status ----------------------------------------


def test_nobody_changes_their_own_roles_clearance_or_status_through_the_services(world, admin_officer):
    for change in (
        lambda: org.set_roles(admin_officer, admin_officer, [Role.ADMINISTRATOR, Role.AUDITOR]),
        lambda: org.remove_role(admin_officer, admin_officer, Role.CONTROL_OFFICER),
        lambda: org.set_clearance(
            admin_officer, admin_officer, level=Level.NS, granted=date.today(), expires=NEXT_YEAR
        ),
        lambda: org.withdraw_clearance(admin_officer, admin_officer),
        lambda: org.deactivate_person(admin_officer, admin_officer),
        # Unit, nationality and registry staff decide what one may read.
        lambda: org.change_person(admin_officer, admin_officer, unit=world.eso),
        lambda: org.change_person(admin_officer, admin_officer, nationality="USA"),
        lambda: org.add_registry_staff(admin_officer, world.registry, admin_officer),
    ):
        with pytest.raises(PermissionDenied, match="nobody"):
            change()
    person = fresh(admin_officer)
    assert sorted(r.role for r in person.roles.all()) == [Role.ADMINISTRATOR, Role.CONTROL_OFFICER]
    assert (person.clearance.level, person.is_active, person.unit, person.nationality) == (
        Level.CTS,
        True,
        world.hq,
        "NLD",
    )
    assert not world.registry.staff.filter(pk=person.pk).exists()
    assert not AuditEvent.objects.filter(
        actor=admin_officer,
        event__in=["org.roles_changed", "org.person_deactivated", "org.person_changed", "org.registry_staff_added"],
    ).exists()
    # Their own name is theirs to correct.
    org.change_person(admin_officer, admin_officer, position="Security officer", unit=world.hq)
    assert fresh(admin_officer).position == "Security officer"


def test_self_change_is_refused_on_the_pages(client, world):
    client.force_login(world.admin)
    username = world.admin.username
    response = client.post(reverse("org:person_roles", args=[username]), {"roles": ["administrator", "auditor"]})
    assert response.status_code == 403
    assert "nobody changes their own roles" in response.content.decode()
    response = client.post(reverse("org:person_clearance", args=[username]), {"level": "NS", "expires": str(NEXT_YEAR)})
    assert response.status_code == 403
    assert client.post(reverse("org:person_status", args=[username]), {"active": "0"}).status_code == 403
    # The page says why instead of offering the forms.
    page = client.get(reverse("org:person", args=[username])).content.decode()
    assert "nobody changes their own clearance or briefings" in page
    assert 'action="/organisation/people/admin/roles/"' not in page
    assert not Clearance.objects.filter(person=world.admin).exists()
    assert fresh(world.admin).is_active


def test_self_change_is_refused_by_the_api(client, world):
    headers = api(client, world.admin)
    response = client.put(
        "/api/v1/org/people/admin/roles", {"roles": ["administrator", "auditor"]}, "application/json", headers=headers
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "nobody changes their own roles"
    response = client.put(
        "/api/v1/org/people/admin/clearance",
        {"level": "CTS", "expires": str(NEXT_YEAR), "briefings": ["COSMIC"]},
        "application/json",
        headers=headers,
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "nobody changes their own clearance or briefings"
    assert client.post("/api/v1/org/people/admin/deactivate", headers=headers).status_code == 403
    assert not ClearanceRequest.objects.exists()


def test_self_change_is_refused_by_the_command_line(world, monkeypatch):
    with pytest.raises(CommandError, match="refused: nobody changes their own roles"):
        org_command("--as", "admin", "roles", "admin", "--add", "auditor", password=PASSWORD, monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="refused: nobody changes their own clearance"):
        org_command(
            "clearance", "admin", "--level", "NS", "--expires", str(NEXT_YEAR), "--as", "admin",
            password=PASSWORD, monkeypatch=monkeypatch,
        )  # fmt: skip
    with pytest.raises(CommandError, match="refused: nobody deactivates"):
        org_command("--as", "admin", "deactivate", "admin", password=PASSWORD, monkeypatch=monkeypatch)


# A second person for COSMIC TOP SECRET and the special briefings -----------------------------


def test_cts_waits_for_a_control_officer_other_than_the_requester(world, officer, admin_officer):
    request = org.set_clearance(
        admin_officer, world.reader, level=Level.CTS, granted=date.today(), expires=NEXT_YEAR, briefings=["cosmic"]
    )
    assert isinstance(request, ClearanceRequest)
    assert request.state == RequestState.PENDING
    assert request.reason == "COSMIC TOP SECRET takes a control officer's confirmation"
    assert fresh(world.reader).clearance.level == Level.NS  # nothing changed yet
    with pytest.raises(PermissionDenied, match="the requester cannot decide on their own request"):
        org.confirm_clearance_request(admin_officer, request.pk)
    with pytest.raises(PermissionDenied, match="only a control officer confirms"):
        org.confirm_clearance_request(world.reader, request.pk)
    assert fresh(world.reader).clearance.level == Level.NS

    org.confirm_clearance_request(officer, request.pk, "checked the national certificate")
    reader = fresh(world.reader)
    assert (reader.clearance.level, reader.clearance.briefings) == (Level.CTS, ["COSMIC"])
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.note) == (
        RequestState.CONFIRMED,
        officer,
        "checked the national certificate",
    )
    events = list(AuditEvent.objects.filter(target_type="person", target_id=reader.pk).order_by("id"))
    assert [(e.event, e.actor) for e in events[-3:]] == [
        ("org.clearance_requested", admin_officer),
        ("org.clearance_confirmed", officer),
        ("org.clearance_set", officer),
    ]
    with pytest.raises(ValidationError, match="confirmed already"):
        org.confirm_clearance_request(officer, request.pk)
    # A control officer is not their own second person either.
    own = org.set_clearance(
        admin_officer, officer, level=Level.CTS, granted=date.today(), expires=NEXT_YEAR + timedelta(days=1),
        briefings=["COSMIC", "ATOMAL", "BOHEMIA"],
    )  # fmt: skip
    with pytest.raises(PermissionDenied, match="nobody confirms their own clearance"):
        org.confirm_clearance_request(officer, own.pk)


def test_a_briefing_waits_a_lower_clearance_takes_effect_at_once_and_a_rejection_changes_nothing(
    world, officer, admin_officer
):
    lower = org.set_clearance(admin_officer, world.nr_reader, level=Level.NC, granted=date.today(), expires=NEXT_YEAR)
    assert isinstance(lower, Clearance) and fresh(world.nr_reader).clearance.level == Level.NC
    briefed = org.set_clearance(
        admin_officer, world.nr_reader, level=Level.NC, granted=date.today(), expires=NEXT_YEAR, briefings=["BOHEMIA"]
    )
    assert isinstance(briefed, ClearanceRequest)
    org.reject_clearance_request(officer, briefed.pk, "no briefing certificate")
    assert fresh(world.nr_reader).clearance.briefings == []
    assert AuditEvent.objects.filter(event="org.clearance_rejected", actor=officer).count() == 1


def test_an_administrator_without_clearance_cannot_grant_one_alone(world, officer):
    """The fixture's administrator holds no clearance: an NC record by them waits for a second person."""
    request = org.set_clearance(world.admin, world.nr_reader, level=Level.NC, granted=date.today(), expires=NEXT_YEAR)
    assert isinstance(request, ClearanceRequest)
    assert request.reason == "above your own clearance: a control officer confirms it"
    org.confirm_clearance_request(officer, request.pk)
    assert fresh(world.nr_reader).clearance.level == Level.NC


def test_a_new_request_supersedes_the_pending_one(world, admin_officer):
    first = org.set_clearance(admin_officer, world.reader, level=Level.CTS, granted=date.today(), expires=NEXT_YEAR)
    second = org.set_clearance(
        admin_officer, world.reader, level=Level.NS, granted=date.today(), expires=NEXT_YEAR, briefings=["ATOMAL"]
    )
    first.refresh_from_db()
    assert first.state == RequestState.SUPERSEDED
    assert ClearanceRequest.objects.get(state=RequestState.PENDING) == second


def test_the_second_person_on_the_pages(client, world, officer, admin_officer):
    client.force_login(admin_officer)
    response = client.post(
        reverse("org:person_clearance", args=["reader"]),
        {"level": "CTS", "expires": str(NEXT_YEAR), "briefings": ["COSMIC", "ATOMAL"]},
    )
    assert response.status_code == 302
    request = ClearanceRequest.objects.get()
    page = client.get(reverse("org:person", args=["reader"])).content.decode()
    assert "awaits a control officer" in page and ">pending<" in page
    queue = client.get(reverse("org:requests")).content.decode()
    assert "the requester cannot decide on their own request" in queue
    assert reverse("org:request_confirm", args=[request.pk]) not in queue
    assert client.post(reverse("org:request_confirm", args=[request.pk])).status_code == 403

    client.force_login(officer)
    queue = client.get(reverse("org:requests")).content.decode()
    assert reverse("org:request_confirm", args=[request.pk]) in queue
    response = client.post(reverse("org:request_confirm", args=[request.pk]), {"note": "seen"})
    assert response.status_code == 302
    assert fresh(world.reader).clearance.level == Level.CTS
    # Someone who is neither administrator nor control officer does not see the queue.
    client.force_login(world.reader)
    assert client.get(reverse("org:requests")).status_code == 403


def test_the_second_person_through_the_api(client, world, officer, admin_officer):
    response = client.put(
        "/api/v1/org/people/reader/clearance",
        {"level": "COSMIC TOP SECRET", "expires": str(NEXT_YEAR), "briefings": ["COSMIC"]},
        "application/json",
        headers=api(client, admin_officer),
    )
    assert response.status_code == 202
    body = response.json()
    assert body["in_effect"] is False and body["request"]["state"] == "pending"
    number = body["request"]["id"]
    mine = client.post(
        f"/api/v1/org/clearance-requests/{number}/confirm", {}, "application/json", headers=api(client, admin_officer)
    )
    assert mine.status_code == 403
    assert mine.json()["detail"] == "the requester cannot decide on their own request: a second person must"
    queue = client.get("/api/v1/org/clearance-requests", headers=api(client, officer)).json()
    assert [(e["id"], e["may_confirm"]) for e in queue] == [(number, True)]
    confirmed = client.post(
        f"/api/v1/org/clearance-requests/{number}/confirm",
        {"note": "ok"},
        "application/json",
        headers=api(client, officer),
    )
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    assert fresh(world.reader).clearance.level == Level.CTS
    # A lower clearance takes effect at once: 200.
    response = client.put(
        "/api/v1/org/people/nrreader/clearance",
        {"level": "NC", "expires": str(NEXT_YEAR)},
        "application/json",
        headers=api(client, admin_officer),
    )
    assert response.status_code == 200 and response.json()["clearance"]["level"] == "NC"


def test_the_second_person_on_the_command_line(world, officer, admin_officer, monkeypatch):
    out = org_command(
        "--as", "adminco", "clearance", "reader", "--level", "CTS", "--expires", str(NEXT_YEAR), "--briefing", "COSMIC",
        password=PASSWORD, monkeypatch=monkeypatch,
    )  # fmt: skip
    request = ClearanceRequest.objects.get()
    assert f"awaits a control officer: request {request.pk}" in out
    assert "reader" in org_command("requests")
    with pytest.raises(CommandError, match="the requester cannot decide"):
        org_command("--as", "adminco", "confirm", str(request.pk), password=PASSWORD, monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="needs a person"):
        org_command("confirm", str(request.pk))  # no administrator-free set-up here: refused earlier
    org_command("--as", "officer", "confirm", str(request.pk), password=PASSWORD, monkeypatch=monkeypatch)
    assert fresh(world.reader).clearance.level == Level.CTS
    event = AuditEvent.objects.get(event="org.clearance_confirmed")
    assert event.actor == officer  # the person acted for, not the operator


# Units --------------------------------------------------------------------------------------


def test_moving_a_unit_repaths_its_descendants_and_moves_need_to_know(world):
    """ESO (under IMS) with a section under it moves under OPS: a member of the section now counts
    for OPS, and no longer for IMS."""
    section = org.create_unit(SYSTEM, code="ESO-S1", name="Section 1", parent=world.eso)
    member = make_person("sectionmember", "DEU", section, Level.NS, (), (Role.READER,))
    ims = Unit.objects.get(code="IMS")
    for_ims = world.register(level=Level.NS, subject="For IMS only", action_units=[ims])
    for_ops = world.register(level=Level.NS, subject="For OPS only", action_units=[world.ops])
    assert set(Document.objects.visible_to(member).values_list("subject", flat=True)) == {"For IMS only"}

    org.move_unit(world.admin, world.eso, world.ops)

    eso, section = Unit.objects.get(code="ESO"), Unit.objects.get(code="ESO-S1")
    assert eso.parent == world.ops
    assert eso.path == f"{world.ops.path}{eso.pk}/"
    assert section.path == f"{eso.path}{section.pk}/"
    member = fresh(member)
    assert member.unit.ancestor_ids() == [world.hq.pk, world.ops.pk, eso.pk, section.pk]
    visible = set(Document.objects.visible_to(member).values_list("subject", flat=True))
    assert visible == {"For OPS only"}, visible
    assert for_ims.document.subject not in visible and for_ops
    event = AuditEvent.objects.get(event="org.unit_moved")
    assert (event.actor, event.data) == (world.admin, {"before": "IMS", "after": "OPS", "units": 2})


def test_a_unit_cannot_move_under_itself_or_its_descendants(world):
    section = org.create_unit(SYSTEM, code="ESO-S1", name="Section 1", parent=world.eso)
    for parent in (world.eso, section):
        with pytest.raises(ValidationError, match="cannot move under itself") as caught:
            org.move_unit(world.admin, world.eso, parent)
        assert "parent" in caught.value.message_dict
    assert Unit.objects.get(code="ESO").path == world.eso.path
    # To the top and back.
    org.move_unit(world.admin, world.eso, None)
    assert Unit.objects.get(code="ESO-S1").path == f"/{world.eso.pk}/{section.pk}/"


def test_moving_a_unit_on_the_page_the_api_and_the_command_line(client, world, monkeypatch):
    client.force_login(world.admin)
    response = client.post(reverse("org:unit", args=["ESO"]), {"move": "1", "parent": "OPS"})
    assert response.status_code == 302 and Unit.objects.get(code="ESO").parent == world.ops
    response = client.post(reverse("org:unit", args=["OPS"]), {"move": "1", "parent": "ESO"})
    assert response.status_code == 400
    assert "Move under: ESO is OPS itself or under it" in response.content.decode()
    response = client.post(
        "/api/v1/org/units/ESO/move", {"parent": "IMS"}, "application/json", headers=api(client, world.admin)
    )
    assert response.status_code == 200 and response.json()["parent"] == "IMS"
    org_command("--as", "admin", "move-unit", "ESO", "--top", password=PASSWORD, monkeypatch=monkeypatch)
    assert Unit.objects.get(code="ESO").parent is None


# Deactivation ---------------------------------------------------------------------------------


def test_a_deactivated_person_cannot_sign_in_nor_use_a_session_or_token(client, world):
    token = issue_token(world.reader, world.reader, name="laptop")
    signed_in = Client()
    signed_in.force_login(world.reader)
    assert signed_in.get("/").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    org.deactivate_person(world.admin, world.reader)

    assert signed_in.get("/").status_code == 302  # the session is worth nothing from now on
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    response = client.post("/accounts/login/", {"username": "reader", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event="org.person_deactivated", actor=world.admin).count() == 1

    org.reactivate_person(world.admin, world.reader)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


# People, roles, registries, with errors naming the field --------------------------------------


def test_people_are_created_and_changed_with_errors_naming_the_field(client, world):
    client.force_login(world.admin)
    bad = client.post(
        reverse("org:person_new"),
        {"username": "newclerk", "nationality": "XYZ", "password": "a", "email": "not-an-address"},
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Nationality (ISO 3166 three letters, e.g. DEU): unknown nation" in page
    assert not Person.objects.filter(username="newclerk").exists()
    ok = client.post(
        reverse("org:person_new"),
        {
            "username": "newclerk",
            "first_name": "Ana",
            "last_name": "Ruiz",
            "nationality": "esp",
            "unit": "DGIMS-REG",
            "password": STRONG,
            "roles": ["clerk"],
        },
    )
    assert ok.status_code == 302
    person = Person.objects.get(username="newclerk")
    assert (person.nationality, person.unit.code, person.check_password(STRONG)) == ("ESP", "DGIMS-REG", True)
    response = client.post(
        reverse("org:person_edit", args=["newclerk"]),
        {"first_name": "Ana", "last_name": "Ruiz Gil", "nationality": "ESP", "unit": "OPS", "position": "Clerk"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(event="org.person_changed")
    assert event.data["after"] == {"last_name": "Ruiz Gil", "position": "Clerk", "unit": "OPS"}


def test_a_password_set_on_any_face_passes_the_rule(client, world, monkeypatch):
    with pytest.raises(ValidationError) as caught:
        org.create_person(
            SYSTEM, username="weak", first_name="W", last_name="K", nationality="DEU", unit=None, password="a"
        )
    assert "password" in caught.value.message_dict
    response = client.post(
        "/api/v1/org/people",
        {"username": "weak", "first_name": "W", "last_name": "K", "nationality": "DEU", "password": "short"},
        "application/json",
        headers=api(client, world.admin),
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["detail"]} == {"password"}
    response = client.put(
        "/api/v1/org/people/nrreader/password",
        {"password": "short"},
        "application/json",
        headers=api(client, world.admin),
    )
    assert response.status_code == 400
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="password: "):
        call_command(
            "org",
            "--as",
            "admin",
            "person",
            "weak",
            "--first",
            "W",
            "--last",
            "K",
            "--nationality",
            "DEU",
            "--password-stdin",
        )
    assert not Person.objects.filter(username="weak").exists()
    org.set_password(world.admin, world.nr_reader, STRONG)
    assert fresh(world.nr_reader).check_password(STRONG)


def test_an_administrator_never_sets_the_password_of_someone_cleared_beyond_them(world, admin_officer):
    """Who sets a password can sign in with it, and read what its holder reads."""
    with pytest.raises(PermissionDenied, match="cleared beyond you"):
        org.set_password(world.admin, world.reader, STRONG)  # NS, and the administrator holds nothing
    with pytest.raises(PermissionDenied, match="your own password on your account page"):
        org.set_password(world.admin, world.admin, STRONG)
    org.set_password(admin_officer, world.reader, STRONG)  # cleared CTS: reaches NS
    assert fresh(world.reader).check_password(STRONG)
    # An expired clearance reaches nothing: the administrator may set that password.
    org.set_password(world.admin, world.expired, STRONG)


def test_roles_registries_and_staff_through_the_api(client, world):
    headers = api(client, world.admin)
    response = client.put(
        "/api/v1/org/people/reader/roles", {"roles": ["reader", "clerk"]}, "application/json", headers=headers
    )
    assert response.status_code == 200 and response.json()["roles"] == ["clerk", "reader"]
    response = client.post(
        "/api/v1/org/registries",
        {"code": "ESO-CP", "name": "ESO Control Point", "kind": "control_point", "unit": "ESO", "accreditation": "NC",
         "parent": "OPS-CP"},
        "application/json",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert client.put("/api/v1/org/registries/ESO-CP/staff/reader", headers=headers).json()["staff"] == ["reader"]
    response = client.patch(
        "/api/v1/org/registries/ESO-CP", {"accreditation": "CTS"}, "application/json", headers=headers
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == [{"field": "accreditation", "message": "a registry cannot be accredited above its parent"}]
        or response.json()["detail"][0]["field"] == "accreditation"
    )
    assert client.delete("/api/v1/org/registries/ESO-CP/staff/reader", headers=headers).json()["staff"] == []
    assert Registry.objects.get(code="ESO-CP").accreditation == Level.NC
    assert [e.event for e in AuditEvent.objects.filter(event__startswith="org.registry").order_by("id")][-3:] == [
        "org.registry_created",
        "org.registry_staff_added",
        "org.registry_staff_removed",
    ]


def test_only_administrators_administer(client, world):
    headers = api(client, world.clerk)
    assert client.get("/api/v1/org/people", headers=headers).status_code == 403
    assert client.get("/api/v1/org/people/reader", headers=headers).status_code == 403
    assert (
        client.post("/api/v1/org/units", {"code": "X", "name": "X"}, "application/json", headers=headers).status_code
        == 403
    )
    client.force_login(world.clerk)
    assert client.get(reverse("org:people")).status_code == 403
    assert client.get(reverse("org:unit", args=["ESO"])).status_code == 403
    assert "Administration" not in client.get("/").content.decode()
    client.force_login(world.admin)
    assert "Administration" in client.get("/").content.decode()


def test_administration_pages_show_no_document(client, world):
    """An administrator without clearance administers the people who read CTS documents; their
    pages name people and units, never a document."""
    world.register(level=Level.CTS, subject="Nuclear posture OSPREY", category_mask=1)
    client.force_login(world.admin)
    for url in (
        reverse("org:people"),
        reverse("org:person", args=["clerk"]),
        reverse("org:units"),
        reverse("org:unit", args=["ESO"]),
        reverse("org:registries"),
        reverse("org:registry", args=["IMS-REG"]),
        reverse("org:requests"),
        reverse("org:organisation"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "OSPREY" not in response.content.decode(), url


# The command line -----------------------------------------------------------------------------


def test_once_an_administrator_exists_the_command_line_needs_a_person(world, monkeypatch):
    with pytest.raises(CommandError, match="act as a person with --as USERNAME"):
        org_command("unit", "NEW", "New unit")
    with pytest.raises(CommandError, match="--as admin: authentication failed"):
        org_command("--as", "admin", "unit", "NEW", "New unit", password="wrong", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="refused: only a system administrator does this"):
        org_command("--as", "clerk", "unit", "NEW", "New unit", password=PASSWORD, monkeypatch=monkeypatch)
    org_command(
        "--as", "admin", "unit", "NEW", "New unit", "--parent", "HQ", password=PASSWORD, monkeypatch=monkeypatch
    )
    assert AuditEvent.objects.get(event="org.unit_created", summary__contains="NEW").actor == world.admin
    assert "NEW" in org_command("show")  # reading needs nobody


def test_a_deployment_is_provisioned_by_script(world, officer, monkeypatch):
    def run(*args: str, acting: str = "admin") -> str:
        return org_command("--as", acting, *args, password=PASSWORD, monkeypatch=monkeypatch)

    run("change-unit", "ESO", "--name", "Executive Support Office")
    run("person", "newco", "--first", "Nils", "--last", "Berg", "--nationality", "NOR", "--unit", "ESO")
    run("change-person", "newco", "--position", "Control officer", "--email", "nils@hq.example")
    run("roles", "newco", "--add", "control_officer", "--add", "clerk")
    run("clearance", "newco", "--level", "NR", "--expires", str(NEXT_YEAR))
    run("registry", "ESO-CP", "ESO point", "--kind", "control_point", "--unit", "ESO", "--accreditation", "NC",
        "--parent", "CR")  # fmt: skip
    run("change-registry", "ESO-CP", "--name", "ESO control point")
    run("staff", "ESO-CP", "newco")
    run("deactivate", "newco")
    run("reactivate", "newco")
    run("staff", "ESO-CP", "newco", "--remove")
    run("clearance", "newco", "--withdraw")
    person = Person.objects.get(username="newco")
    assert (person.position, person.unit.code, person.is_active) == ("Control officer", "ESO", True)
    assert sorted(person.roles.values_list("role", flat=True)) == ["clerk", "control_officer"]
    assert not Clearance.objects.filter(person=person).exists()
    assert Registry.objects.get(code="ESO-CP").name == "ESO control point"
    assert Unit.objects.get(code="ESO").name == "Executive Support Office"
    events = AuditEvent.objects.filter(event__startswith="org.", actor=world.admin)
    assert events.count() == 12


# Django's own commands -------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(REFUSED_COMMANDS))
def test_django_commands_around_the_services_are_refused(command):
    message = refusal((command, "--noinput"))
    assert message is not None and message.startswith(f"registrum {command} is refused: ")
    assert refusal(("migrate",)) is None and refusal(()) is None


def test_the_registrum_command_refuses_them_before_django_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "registrum.cli", "createsuperuser", "--username", "root", "--noinput"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "REGISTRUM_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "registrum createsuperuser is refused" in result.stderr
    assert "registrum org" in result.stderr and "--role administrator" in result.stderr
    assert not (tmp_path / "registrum.sqlite3").exists()


def test_listing_people_costs_the_same_queries_however_many(client, world, admin_officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = api(client, world.admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/org/people", headers=headers).status_code == 200
        return len(captured)

    client.get("/api/v1/me", headers=headers)  # the token's first use is recorded once
    before = queries()
    for number in range(5):
        person = make_person(f"more{number}", "DEU", world.ops, Level.NS, (), (Role.READER,))
        org.set_clearance(admin_officer, person, level=Level.CTS, granted=date.today(), expires=NEXT_YEAR)
    listed = client.get("/api/v1/org/people", headers=headers).json()
    assert sum(1 for p in listed if p["pending_request"]) == 5
    assert queries() == before


@pytest.mark.parametrize(
    "pattern", ["{registry}/{year[0]}/{seq}", "{registry}/{year}/{seq.real.x}", "{registry}/{year}/{seq:099999999d}"]
)
def test_a_hostile_numbering_pattern_is_refused_by_field(pattern):
    with pytest.raises(ValidationError) as caught:
        org.check_numbering_pattern(pattern)
    assert list(caught.value.message_dict) == ["numbering_pattern"]


def test_names_no_database_can_hold_are_absent_not_errors(client, world):
    """A NUL in a URL's username or code (PostgreSQL refuses it even in a query) is a 404."""
    headers = api(client, world.admin)
    assert client.get("/api/v1/org/people/a%00b", headers=headers).status_code == 404
    roles = client.put("/api/v1/org/people/a%00b/roles", {"roles": []}, "application/json", headers=headers)
    assert roles.status_code == 404
    response = client.patch("/api/v1/org/units/E%00SO", {"name": "x"}, "application/json", headers=headers)
    assert response.status_code == 404
    client.force_login(world.admin)
    for url in ("/organisation/people/a%00b/", "/organisation/units/E%00SO/", "/organisation/registries/C%00R/"):
        assert client.get(url).status_code == 404, url
