"""What the trail records beyond changes: every download (pages and API), every export with what
was exported, every refused access with the policy's reason; and a document's history, which
shows readers what happened to it but who else had it only to its registry's staff and auditors."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from registrum.accounts.services import issue_token
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.org.models import Person, Role
from registrum.policy import Level
from registrum.records import services
from registrum.records.exporting import export_register
from registrum.records.listing import RegisterFilters
from registrum.records.models import Access
from tests.conftest import World, make_person

pytestmark = pytest.mark.django_db


def _streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _as(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _api(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(person, person, name='t')}"}


def _events(kind: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=kind).order_by("id"))


def test_downloads_are_recorded_on_the_pages_and_the_api(world: World, pdf_upload) -> None:
    document = world.register(upload=pdf_upload).document
    page = _as(world.reader).get(f"/register/d/{document.public_id}/versions/1/download/")
    assert page.status_code == 200 and _streamed(page).startswith(b"%PDF")
    api = Client().get(f"/api/v1/documents/{document.public_id}/versions/1/content", headers=_api(world.clerk))
    assert api.status_code == 200 and _streamed(api).startswith(b"%PDF")
    downloads = _events(EventType.VERSION_DOWNLOADED)
    assert [(e.actor_id, e.target_id, e.data["version"]) for e in downloads] == [
        (world.reader.pk, document.pk, 1),
        (world.clerk.pk, document.pk, 1),
    ]


def test_a_register_export_records_its_filters_and_row_count(world: World) -> None:
    world.register(subject="Readiness report")
    world.register(subject="Readiness review", level=Level.NC)
    world.register(subject="Something else")
    out = io.StringIO()
    count = export_register(world.clerk, out, filters=RegisterFilters(q="Readiness", registry="IMS-REG"))
    assert count == 2 and len(list(csv.DictReader(io.StringIO(out.getvalue())))) == 2
    (event,) = _events(EventType.REGISTER_EXPORTED)
    assert event.data["count"] == 2
    assert event.data["filters"] == {"q": "Readiness", "registry": "IMS-REG"}
    assert event.data["highest_level"] == Level.NS


def test_a_refused_grant_writes_one_access_refused_with_the_reason(world: World) -> None:
    """The reader may read the document but is not registry staff: 403, nothing granted, and one
    event with the policy's reason, on the pages and on the API alike."""
    document = world.register().document
    web = _as(world.reader).post(f"/register/d/{document.public_id}/grants/", {"grantee": "@outsider"})
    assert web.status_code == 403
    api = Client().post(
        f"/api/v1/documents/{document.public_id}/grants",
        {"grantee": "@outsider"},
        content_type="application/json",
        headers=_api(world.reader),
    )
    assert api.status_code == 403
    assert not Access.objects.filter(document=document, person=world.outsider).exists()
    assert not _events(EventType.ACCESS_GRANTED)
    refusals = _events(EventType.ACCESS_REFUSED)
    assert len(refusals) == 2
    for event in refusals:
        assert event.actor_id == world.reader.pk
        assert (event.target_type, event.target_id) == ("document", document.pk)
        assert event.data["action"] == "grant"
        assert event.data["reason"] == "only registry clerks and control officers do this"
    assert refusals[0].data["where"] == "records:grant"


def test_asking_for_a_document_one_may_not_read_is_a_404_and_recorded(world: World) -> None:
    document = world.register(level=Level.NS, action_units=[world.eso]).document
    client = _as(world.outsider)
    assert client.get(f"/register/d/{document.public_id}/").status_code == 404
    assert client.get(f"/register/d/{document.public_id}/versions/1/download/").status_code == 404
    assert client.get("/register/d/aaaaaaaaaaaaaaaa/").status_code == 404  # absent: nothing to record
    refusals = _events(EventType.ACCESS_REFUSED)
    assert [(e.actor_id, e.target_id, e.data["action"], e.data["reason"]) for e in refusals] == [
        (world.outsider.pk, document.pk, "read", "no need-to-know"),
        (world.outsider.pk, document.pk, "read", "no need-to-know"),
    ]
    nr = Client().get(f"/api/v1/documents/{document.public_id}", headers=_api(world.nr_reader))
    assert nr.status_code == 404 and nr.json() == {"detail": "Not found."}
    assert _events(EventType.ACCESS_REFUSED)[-1].data["reason"] == "no valid clearance at this level"


def test_a_readers_history_shows_what_happened_but_not_who_else_had_it(world: World, pdf_upload) -> None:
    registration = world.register(upload=pdf_upload)
    doc_id = registration.document.public_id
    services.open_version(world.reader, doc_id, 1)[1].close()
    services.grant_access(world.clerk, doc_id, person=world.outsider)
    services.correct_registration(world.clerk, registration.public_id, {"subject": "Corrected subject"})
    auditor = make_person("auditor", "DNK", world.eso, Level.NS, (), (Role.AUDITOR,))
    colleague = make_person("colleague", "BEL", world.eso, Level.NS, (), (Role.READER,))

    page = _as(colleague).get(f"/register/d/{doc_id}/").content.decode()
    assert f"Registered in IMS-REG as {registration.number}" in page
    assert "Version 1 added" in page and "corrected: subject" in page
    for hidden in ("Version 1 downloaded", "Reader Test", "@outsider", "Need-to-know granted"):
        assert hidden not in page, hidden

    for insider in (world.clerk, auditor):
        page = _as(insider).get(f"/register/d/{doc_id}/").content.decode()
        assert "Version 1 downloaded" in page and "Need-to-know granted to @outsider" in page
        assert "Reader Test" in page

    # The grantee sees their own grant, not anyone else's.
    outsider = Client().get(f"/api/v1/documents/{doc_id}", headers=_api(world.outsider)).json()
    assert outsider["granted_to"] == ["@outsider"]
    services.grant_access(world.clerk, doc_id, person=world.expired)
    reader = Client().get(f"/api/v1/documents/{doc_id}", headers=_api(world.reader)).json()
    assert reader["granted_to"] == []
