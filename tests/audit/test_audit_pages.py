"""The auditor's pages: who may open them, what the filters find, what stays hidden, and the
CSV export that is itself on the trail."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from registrum import audit
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.org import services as org
from registrum.org.models import Person, Role
from registrum.org.services import SYSTEM
from registrum.policy import Level, active_policy
from registrum.records import services
from tests.conftest import World, make_person

pytestmark = pytest.mark.django_db


def _streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def auditor(world: World) -> Person:
    return make_person("auditor", "DNK", world.hq, Level.NS, (), (Role.AUDITOR,))


def _as(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _csv(response) -> list[dict[str, str]]:
    body = _streamed(response).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_an_auditor_filters_by_actor_and_gets_exactly_those_events(world: World, auditor: Person, pdf_upload) -> None:
    registration = world.register(upload=pdf_upload)
    doc_id = registration.document.public_id
    services.open_version(world.reader, doc_id, 1)[1].close()
    services.open_version(world.reader, doc_id, 1)[1].close()
    services.grant_access(world.clerk, doc_id, person=world.outsider)

    page = _as(auditor).get("/audit/?actor=reader")
    assert page.status_code == 200
    lines = page.context["lines"]
    assert [line.actor for line in lines] == ["reader", "reader"]
    assert [line.event.event for line in lines] == [EventType.VERSION_DOWNLOADED] * 2
    assert "Version 1 downloaded" in page.content.decode()

    by_kind = _as(auditor).get(f"/audit/?event={EventType.ACCESS_GRANTED.value}&actor=clerk")
    assert [line.details for line in by_kind.context["lines"]] == ["Need-to-know granted to @outsider"]


def test_only_auditors_open_the_trail_and_each_refusal_is_on_it(world: World, auditor: Person) -> None:
    assert "Audit trail" in _as(auditor).get("/").content.decode()
    for person in (world.reader, world.clerk, world.admin):
        client = _as(person)
        assert "Audit trail" not in client.get("/").content.decode()
        assert client.get("/audit/").status_code == 403
        assert client.get("/audit/export.csv").status_code == 403
    refusals = AuditEvent.objects.filter(event=EventType.ACCESS_REFUSED)
    assert refusals.count() == 6
    assert {e.data["reason"] for e in refusals} == {"only auditors read the audit trail"}
    assert not AuditEvent.objects.filter(event=EventType.AUDIT_EXPORTED).exists()


def test_a_document_above_the_auditors_clearance_keeps_its_details(world: World, auditor: Person) -> None:
    secret = world.register(level=Level.NS, subject="Exercise KESTREL", originator_reference="KESTREL-1")
    cosmic = world.register(
        level=Level.CTS,
        subject="Operation OSPREY",
        originator_reference="OSPREY-1",
        category_mask=active_policy().category_mask(["ATOMAL"]),
    )
    services.correct_registration(world.clerk, cosmic.public_id, {"subject": "Operation OSPREY revised"})
    client = _as(auditor)

    page = client.get("/audit/")
    body = page.content.decode()
    assert secret.number in body and secret.document.public_id in body
    for hidden in (cosmic.number, "OSPREY", cosmic.document.public_id):
        assert hidden not in body, hidden
    withheld = [line for line in page.context["lines"] if line.withheld]
    assert [line.event.event for line in withheld] == [
        EventType.REGISTRATION_CORRECTED,
        EventType.DOCUMENT_REGISTERED,
    ]
    # Neither a search of the summaries nor the document filter tells that the number exists.
    for query in (f"q={cosmic.number}", f"target={cosmic.number}", f"target={cosmic.document.public_id}"):
        assert client.get(f"/audit/?{query}").context["lines"] == [], query
    assert len(client.get(f"/audit/?q={secret.number}").context["lines"]) == 1
    exported = _streamed(client.get("/audit/export.csv")).decode()
    assert secret.number in exported and "OSPREY" not in exported and cosmic.number not in exported


def test_filters_by_target_date_and_text(world: World, auditor: Person, pdf_upload) -> None:
    first = world.register(upload=pdf_upload)
    second = world.register(subject="Another")
    services.void_registration(world.clerk, second.public_id, "entered twice")
    client = _as(auditor)

    by_number = client.get(f"/audit/?target={first.number}").context["lines"]
    assert {line.event.event for line in by_number} == {EventType.DOCUMENT_REGISTERED, EventType.VERSION_ADDED}
    by_id = client.get(f"/audit/?target={second.document.public_id}").context["lines"]
    assert [line.event.event for line in by_id] == [EventType.REGISTRATION_VOIDED, EventType.DOCUMENT_REGISTERED]
    assert [line.event.event for line in client.get("/audit/?q=entered+twice").context["lines"]] == [
        EventType.REGISTRATION_VOIDED
    ]
    about_reader = client.get("/audit/?target=@reader").context["lines"]
    assert {(line.target, line.event.event) for line in about_reader} == {
        ("@reader", EventType.PERSON_CREATED),
        ("@reader", EventType.CLEARANCE_SET),
    }
    assert {line.target for line in client.get("/audit/?target=ims-reg").context["lines"]} == {"IMS-REG"}
    today = first.registered_at.date().isoformat()
    assert len(client.get(f"/audit/?date_from={today}&date_to={today}&actor=clerk").context["lines"]) == 4
    assert client.get("/audit/?date_to=2000-01-01").context["lines"] == []


def test_the_csv_export_is_audited_with_its_filters_and_its_cells_are_inert(world: World, auditor: Person) -> None:
    formula = make_person("-2+3", "BEL", world.reg_unit, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, world.registry, formula)
    registration = world.register(actor=formula)
    world.register()
    response = _as(auditor).get("/audit/export.csv?actor=-2%2B3&event=records.document_registered")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert [(row["actor"], row["event"], row["target"]) for row in rows] == [
        ("'-2+3", "records.document_registered", registration.document.public_id)
    ]
    assert rows[0]["details"] == f"Registered in IMS-REG as {registration.number} (incoming)"
    export = AuditEvent.objects.get(event=EventType.AUDIT_EXPORTED)
    assert export.actor_id == auditor.pk
    assert export.data == {"filters": {"actor": "-2+3", "event": "records.document_registered"}}


def test_the_trail_is_in_the_readers_language(client: Client, world: World, auditor: Person) -> None:
    registration = world.register()
    client.force_login(auditor)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    body = client.get("/audit/").content.decode()
    assert f"Enregistré dans IMS-REG sous le numéro {registration.number}" in body
    assert "Registered in" not in body


def test_events_about_a_kind_of_target_no_domain_described_keep_their_details(
    world: World, auditor: Person, pdf_upload
) -> None:
    """Deny by default: an event about a version (no domain tells the trail about versions) could
    carry anything; it is listed without its details and no search reaches it."""
    version = world.register(level=Level.NU, upload=pdf_upload).document.versions.get()
    with transaction.atomic():
        audit.record(world.clerk, EventType.VERSION_VIEWED, version, summary="Operation TERN viewed")
    client = _as(auditor)
    (line,) = client.get(f"/audit/?event={EventType.VERSION_VIEWED.value}").context["lines"]
    assert line.withheld and "TERN" not in line.details and line.target == ""
    assert client.get("/audit/?q=TERN").context["lines"] == []
