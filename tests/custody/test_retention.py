"""Retention and disposition: the queue of what is due, holds that stop it, decisions, and the
30-year public-disclosure review of records of permanent value."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from registrum.accounts.services import issue_token
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.audit.refusals import Refused
from registrum.custody import retention
from registrum.custody.models.retention import DispositionDecision, Hold
from registrum.policy import Level
from registrum.records.models import Disposition, Document, File, FilePlanClass, RetentionClass
from tests.conftest import PASSWORD
from tests.custody.conftest import Custody

pytestmark = pytest.mark.django_db

TODAY = date.today()


def years_ago(years: int, days: int = 0) -> date:
    return retention.years_before(TODAY, years) - timedelta(days=days)


@dataclass
class Plan:
    closed: File  # five years, destroy; closed six years ago
    open: File  # five years, destroy; still open
    permanent: File  # 25 years, then archives


@pytest.fixture
def plan(custody_world: Custody) -> Plan:
    five = RetentionClass.objects.create(code="T5", name="Five years", years=5, disposition=Disposition.DESTROY)
    archive = RetentionClass.objects.create(code="P", name="Permanent", years=25, disposition=Disposition.ARCHIVE)
    plan_class = FilePlanClass.objects.create(code="100", title="Operations")
    return Plan(
        closed=File.objects.create(
            plan_class=plan_class,
            code="OPS-1",
            title="Exercises",
            retention_class=five,
            opened=years_ago(9),
            closed=years_ago(6),
        ),
        open=File.objects.create(
            plan_class=plan_class, code="OPS-2", title="Visits", retention_class=five, opened=years_ago(9)
        ),
        permanent=File.objects.create(
            plan_class=plan_class,
            code="POL-1",
            title="Nuclear policy",
            retention_class=archive,
            opened=years_ago(40),
            closed=years_ago(31),
        ),
    )


def _register(c: Custody, subject: str, file: File, dated: date, level: Level = Level.NS) -> Document:
    registration = c.world.register(
        level=level, registry=c.central, actor=c.cr_clerk, subject=subject, file=file, document_date=dated
    )
    return registration.document


def _queue(c: Custody, today: date = TODAY) -> list[str]:
    return [item.document.subject for item in retention.disposition_queue(c.officer, today)]


def test_the_queue_lists_what_has_run_out_and_honours_holds(custody_world: Custody, plan: Plan):
    c = custody_world
    exercise = _register(c, "Exercise ALPHA report", plan.closed, years_ago(8))
    held = _register(c, "Exercise BRAVO report", plan.closed, years_ago(8))
    old_visit = _register(c, "Visit CHARLIE programme", plan.open, years_ago(7))
    _register(c, "Visit DELTA programme", plan.open, years_ago(1))
    hold = retention.place_hold(c.officer, document_public_id=held.public_id, reason="Board of inquiry 2026/3")

    items = retention.disposition_queue(c.officer)
    # Oldest due first: the visit (dated seven years ago, its file still open), then the exercise
    # (its file closed six years ago).
    assert [i.document.subject for i in items] == ["Visit CHARLIE programme", "Exercise ALPHA report"]
    assert items[1].due_on == retention.years_after(years_ago(6), 5)
    assert items[1].disposition == Disposition.DESTROY and items[1].files == ["OPS-1"]

    # Nothing is decided under a hold; lifting it brings the document back.
    with pytest.raises(ValidationError, match="under a hold"):
        retention.decide_disposition(c.officer, held.public_id, action="destroy")
    retention.lift_hold(c.officer, hold.public_id, "inquiry closed")
    assert "Exercise BRAVO report" in _queue(c)

    # A hold on the file stops every document filed in it.
    file_hold = retention.place_hold(c.officer, file_code="OPS-1", reason="Access to information request 88")
    assert _queue(c) == ["Visit CHARLIE programme"]
    retention.lift_hold(c.officer, file_hold.public_id, "request answered")
    assert AuditEvent.objects.filter(event=EventType.HOLD_PLACED).count() == 2
    assert AuditEvent.objects.filter(event=EventType.HOLD_LIFTED, target_type="file").count() == 1

    # Decisions: destroy leaves the queue for good; review leaves it until its date.
    retention.decide_disposition(c.officer, exercise.public_id, action="destroy", note="routine")
    review_on = TODAY + timedelta(days=365)
    retention.decide_disposition(c.officer, old_visit.public_id, action="review", review_on=review_on)
    assert _queue(c) == ["Exercise BRAVO report"]
    assert "Visit CHARLIE programme" in _queue(c, review_on)
    assert "Exercise ALPHA report" not in _queue(c, review_on)
    event = AuditEvent.objects.filter(event=EventType.DISPOSITION_DECIDED, target_id=exercise.pk).get()
    assert event.data["action"] == "destroy"
    with pytest.raises(ValidationError, match="not due"):
        retention.decide_disposition(c.officer, exercise.public_id, action="archive")


def test_the_queue_is_for_registry_staff_and_through_the_access_filter(custody_world: Custody, plan: Plan):
    c = custody_world
    doc = _register(c, "Exercise ECHO report", plan.closed, years_ago(8))
    with pytest.raises(Refused):
        retention.disposition_queue(c.world.reader)
    # The sub-registry's clerk is staff elsewhere: they see nothing of the central registry's.
    assert retention.disposition_queue(c.sub_clerk) == []
    # Only a control officer of a holding registry decides or holds.
    with pytest.raises(Refused):
        retention.decide_disposition(c.cr_clerk, doc.public_id, action="destroy")
    with pytest.raises(Refused):
        retention.place_hold(c.cr_clerk, document_public_id=doc.public_id, reason="x")
    with pytest.raises(ValidationError, match="date of the next review"):
        retention.decide_disposition(c.officer, doc.public_id, action="review")


def test_the_thirty_year_review_discloses_or_keeps(custody_world: Custody, plan: Plan):
    c = custody_world
    disclosed = _register(c, "Nuclear policy GOLF", plan.permanent, years_ago(31), level=Level.NS)
    kept = _register(c, "Nuclear policy HOTEL", plan.permanent, years_ago(32), level=Level.NC)
    _register(c, "Nuclear policy INDIA", plan.permanent, years_ago(29))
    _register(c, "Exercise JULIET report", plan.closed, years_ago(40))  # not of permanent value

    queue = retention.disclosure_queue(c.officer)
    assert [d.subject for d in queue] == ["Nuclear policy HOTEL", "Nuclear policy GOLF"]
    # Due for disposition: JULIET (its file closed six years ago), and the three filed in a file
    # of permanent value closed 31 years ago (due for transfer to archives).
    assert retention.due_counts(c.cr_clerk) == (4, 2)
    assert retention.due_counts(c.world.reader) == (0, 0)

    decision = retention.decide_disclosure(
        c.officer, disclosed.public_id, disclose=True, authority="Archives committee AC/2026/12"
    )
    assert decision.action == DispositionDecision.Action.DISCLOSE
    assert "DECLASSIFIED - PUBLIC DISCLOSED" in decision.note
    disclosed.refresh_from_db()
    assert disclosed.level == Level.NU and disclosed.marking == "NATO UNCLASSIFIED"

    retention.decide_disclosure(c.officer, kept.public_id, disclose=False, authority="AC/2026/13", review_in_years=10)
    assert retention.disclosure_queue(c.officer) == []
    later = retention.years_after(TODAY, 10) + timedelta(days=1)
    assert [d.subject for d in retention.disclosure_queue(c.officer, later)] == [
        "Nuclear policy HOTEL",
        "Nuclear policy INDIA",
    ]
    with pytest.raises(Refused):
        retention.decide_disclosure(c.cr_clerk, kept.public_id, disclose=True, authority="x")


# Pages, API and command line --------------------------------------------------------------------


def test_the_pages_decide_hold_and_review(custody_world: Custody, plan: Plan, client):
    c = custody_world
    due = _register(c, "Exercise KILO report", plan.closed, years_ago(8))
    old = _register(c, "Nuclear policy LIMA", plan.permanent, years_ago(33))
    client.force_login(c.officer)
    page = client.get(reverse("custody:disposition")).content.decode()
    assert "Exercise KILO report" in page
    placed = client.post(reverse("custody:holds"), {"document": due.public_id, "reason": "Inquiry 7"})
    assert placed.status_code == 302
    assert "Exercise KILO report" not in client.get(reverse("custody:disposition")).content.decode()
    hold = Hold.objects.get(document=due)
    assert "Inquiry 7" in client.get(reverse("custody:holds")).content.decode()
    client.post(reverse("custody:hold_lift", args=[hold.public_id]), {"reason": "closed"})
    client.post(reverse("custody:disposition_decide", args=[due.public_id]), {"action": "archive"})
    assert DispositionDecision.objects.get(document=due).action == "archive"
    assert "Nuclear policy LIMA" in client.get(reverse("custody:disclosure")).content.decode()
    retained = client.post(
        reverse("custody:disclosure_decide", args=[old.public_id]),
        {"decision": "retain", "authority": "AC/2026/19", "review_in_years": "0"},
    )
    assert retained.status_code == 302 and not DispositionDecision.objects.filter(document=old).exists()
    client.post(
        reverse("custody:disclosure_decide", args=[old.public_id]),
        {"decision": "disclose", "authority": "AC/2026/20"},
    )
    old.refresh_from_db()
    assert old.level == Level.NU
    client.force_login(c.world.reader)
    assert client.get(reverse("custody:disposition")).status_code == 403


def test_the_api_and_the_command_line(custody_world: Custody, plan: Plan, client, monkeypatch):
    c = custody_world
    due = _register(c, "Exercise MIKE report", plan.closed, years_ago(8))
    token = issue_token(c.officer, c.officer, name="retention")
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/custody/disposition", headers=auth).json()
    assert [i["document"] for i in listed] == [due.public_id]
    held = client.post(
        "/api/v1/custody/holds", {"file": "OPS-1", "reason": "Request 9"}, content_type="application/json", headers=auth
    )
    assert held.status_code == 201 and held.json()["file"] == "OPS-1"
    assert client.get("/api/v1/custody/disposition", headers=auth).json() == []
    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("custody", "--as", "officer", "lift", held.json()["id"], "--reason", "answered", stdout=out)
    call_command("custody", "--as", "officer", "disposition", stdout=out)
    assert due.public_id in out.getvalue()
    call_command("custody", "--as", "officer", "decide", due.public_id, "--action", "destroy", stdout=out)
    assert f"{due.public_id}: destroy" in out.getvalue()
    decided = client.post(
        f"/api/v1/custody/documents/{due.public_id}/disposition",
        {"action": "archive"},
        content_type="application/json",
        headers=auth,
    )
    assert decided.status_code == 400 and "not due" in decided.content.decode()
    kept = _register(c, "Nuclear policy NOVEMBER", plan.permanent, years_ago(31))
    out = io.StringIO()
    call_command("custody", "--as", "officer", "disclosure", stdout=out)
    assert kept.public_id in out.getvalue()
    call_command(
        "custody", "--as", "officer", "disclose", kept.public_id, "--retain", "5", "--authority", "AC/1", stdout=out
    )
    assert f"{kept.public_id}: retain, review again on {retention.years_after(TODAY, 5)}" in out.getvalue()
