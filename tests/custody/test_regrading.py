"""Regrading: a downgrade of the COSMIC TOP SECRET ATOMAL document tells its holders (notices,
and e-mails read from a real SMTP server on loopback) and changes what readers see; refusals;
scheduled regrades applied when due and not before."""

from __future__ import annotations

import email
import io
import queue
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.audit.refusals import Refused
from registrum.custody import regrading
from registrum.custody.models import Copy, CopyEvent, CopyEventKind, Notice
from registrum.custody.models.regrading import Regrade
from registrum.custody.notices import mark_read, notices_for_page
from registrum.org.models import Person
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records import services as records
from registrum.records.models import Document, Registration
from tests.custody.conftest import Custody

pytestmark = pytest.mark.django_db


@dataclass
class Mailbox:
    received: queue.Queue[Message] = field(default_factory=queue.Queue)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.put(email.message_from_bytes(envelope.content))
        return "250 OK"

    def messages(self, count: int) -> list[Message]:
        return [self.received.get(timeout=10) for _ in range(count)]


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:
    box = Mailbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEFAULT_FROM_EMAIL = "registrum@hq.example"
    try:
        yield box
    finally:
        controller.stop()


def _with_email(person: Person) -> Person:
    person.email = f"{person.username}@hq.example"
    person.save(update_fields=["email"])
    return person


def _document(c: Custody) -> Document:
    return Document.objects.get(pk=c.registration.document_id)


def test_a_downgrade_of_the_atomal_document_tells_every_holder_and_opens_it_to_readers(
    custody_world: Custody, smtp: Mailbox, django_capture_on_commit_callbacks
):
    c = custody_world
    reader = _with_email(c.world.reader)  # NATO SECRET, no ATOMAL briefing
    for person in (c.cr_clerk, c.witness):
        _with_email(person)
    public_id = c.registration.document.public_id
    records.grant_access(c.cr_clerk, public_id, person=reader)
    assert not Document.objects.visible_to(reader).filter(public_id=public_id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        regrade = regrading.record_regrade(
            c.officer,
            public_id,
            kind="downgrade",
            to_level="NS",
            to_categories=[],
            authority="NPG Staff Group, letter NPG/SG/2026/114",
        )

    assert regrade.applied_at is not None and regrade.applied_by == c.officer
    document = _document(c)
    assert document.marking == "NATO SECRET"
    assert {r.marking for r in Registration.objects.filter(document=document)} == {"NATO SECRET"}
    assert {copy.marking for copy in Copy.objects.filter(document=document)} == {"NATO SECRET"}
    assert CopyEvent.objects.filter(copy__document=document, kind=CopyEventKind.REGRADED).count() == 3
    # The reader with a grant now sees it, through the one filter, and the copies too.
    assert Document.objects.visible_to(reader).filter(public_id=public_id).exists()
    assert Copy.objects.visible_to(reader).filter(document=document).count() == 3

    # Holders are told: staff of the central registry (not the officer who recorded it) and the
    # person the grant names. The notice names the document by id and its new marking only.
    told = set(Notice.objects.filter(document=document).values_list("person__username", flat=True))
    assert told == {"crclerk", "witness", "reader"}
    notice = Notice.objects.get(person=reader, document=document)
    assert public_id in notice.text and "NATO SECRET" in notice.text
    assert "NUCLEAR" not in notice.text
    messages = smtp.messages(3)
    assert sorted(m["To"] for m in messages) == ["crclerk@hq.example", "reader@hq.example", "witness@hq.example"]
    for message in messages:
        body = message.get_payload(decode=True)
        assert isinstance(body, bytes)
        assert public_id.encode() in body and b"NATO SECRET" in body and b"NUCLEAR" not in body

    # Every reader of the document sees the regrading in its history.
    history = records.history_for(reader, document)
    assert not history.complete
    assert EventType.DOCUMENT_REGRADED in {e.event for e in history.events}
    event = AuditEvent.objects.get(event=EventType.DOCUMENT_REGRADED, target_id=document.pk)
    assert event.data["from"] == "COSMIC TOP SECRET ATOMAL" and event.data["to"] == "NATO SECRET"
    assert event.actor == c.officer and "NPG/SG/2026/114" in event.data["authority"]


def test_the_document_page_shows_the_new_marking(custody_world: Custody, client):
    c = custody_world
    public_id = c.registration.document.public_id
    regrading.record_regrade(
        c.officer, public_id, kind="downgrade", to_level="NATO CONFIDENTIAL", authority="SHAPE J2 memo 44"
    )
    client.force_login(c.cr_clerk)
    page = client.get(reverse("records:detail", args=[public_id])).content.decode()
    assert 'data-level="NC"' in page and 'data-level="CTS"' not in page
    # Its history tells every reader what it was.
    assert "Downgrade from COSMIC TOP SECRET ATOMAL to NATO CONFIDENTIAL (authority: SHAPE J2 memo 44)" in page


def test_nobody_classifies_above_their_own_clearance(custody_world: Custody):
    c = custody_world
    public_id = c.registration.document.public_id
    # The clerk of the sub-registry does not hold it; an NS clerk of the central registry cannot
    # regrade what is above their clearance at either end.
    from registrum.org import services as org
    from registrum.org.models import Role
    from tests.conftest import make_person

    ns_clerk = make_person("nsclerk", "ESP", c.world.hq, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, c.central, ns_clerk)
    ns_clerk = c.fresh(ns_clerk)
    records.grant_access(c.cr_clerk, public_id, person=ns_clerk)
    regrading.record_regrade(c.officer, public_id, kind="downgrade", to_level="NC", authority="originator letter 7")
    with pytest.raises(Refused) as refused:
        regrading.record_regrade(ns_clerk, public_id, kind="upgrade", to_level="CTS", authority="originator letter 8")
    assert "your clearance does not reach COSMIC TOP SECRET" in str(refused.value)
    assert _document(c).level == Level.NC
    # A clerk of a registry that does not hold it does not even see it.
    with pytest.raises(Http404):
        regrading.record_regrade(c.sub_clerk, public_id, kind="downgrade", to_level="NR", authority="x")
    # A reader who sees it (an addressee) is not registry staff.
    records.grant_access(c.cr_clerk, public_id, person=c.world.reader)
    with pytest.raises(Refused) as refused:
        regrading.record_regrade(c.fresh(c.world.reader), public_id, kind="downgrade", to_level="NR", authority="x")
    assert "only registry clerks and control officers" in str(refused.value)


def test_a_downgrade_never_reaches_unclassified_and_authority_is_required(custody_world: Custody):
    c = custody_world
    public_id = c.registration.document.public_id
    with pytest.raises(ValidationError) as caught:
        regrading.record_regrade(c.officer, public_id, kind="downgrade", to_level="NU", authority="letter 9")
    assert "that is a declassification" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        regrading.record_regrade(c.officer, public_id, kind="downgrade", to_level="NS", authority="  ")
    assert "authority" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        regrading.record_regrade(
            c.officer, public_id, kind="downgrade", to_level="CTS", to_categories=["ATOMAL"], authority="x"
        )
    assert "the same as the current one" in str(caught.value)
    assert _document(c).level == Level.CTS
    declassified = regrading.record_regrade(c.officer, public_id, kind="declassify", authority="originator letter 10")
    assert declassified.kind == "declassify"
    assert _document(c).marking == "NATO UNCLASSIFIED"
    assert _document(c).subject_level == Level.NU


def test_an_upgrade_is_refused_naming_the_place_that_cannot_hold_it(custody_world: Custody):
    c = custody_world
    public_id = c.registration.document.public_id
    regrading.record_regrade(c.officer, public_id, kind="downgrade", to_level="NC", authority="letter 11")
    # The OPS control point (accredited to NATO CONFIDENTIAL) registers its receipt.
    records.grant_access(c.cr_clerk, public_id, person=c.sub_clerk)
    records.register_receipt(c.sub_clerk, public_id, registry=c.control_point)
    with pytest.raises(ValidationError) as caught:
        regrading.record_regrade(c.officer, public_id, kind="upgrade", to_level="NS", authority="letter 12")
    assert "OPS-CP is not accredited for NATO SECRET" in str(caught.value)
    assert _document(c).marking == "NATO CONFIDENTIAL"


def test_a_scheduled_downgrade_is_applied_when_due_and_not_before(
    custody_world: Custody, django_capture_on_commit_callbacks
):
    c = custody_world
    public_id = c.registration.document.public_id
    on = timezone.localdate() + timedelta(days=30)
    regrade = regrading.record_regrade(
        c.officer, public_id, kind="downgrade", to_level="NC", authority="declassification guide 3", effective_on=on
    )
    assert regrade.applied_at is None
    assert [r.pk for r in regrading.pending_for(c.cr_clerk)] == [regrade.pk]
    assert regrading.pending_for(c.world.reader).count() == 0
    assert regrading.apply_due_regrades(SYSTEM, on - timedelta(days=1)).applied == []
    assert regrading.due_count(c.cr_clerk, on - timedelta(days=1)) == 0
    assert regrading.due_count(c.cr_clerk, on) == 1
    assert _document(c).level == Level.CTS
    with django_capture_on_commit_callbacks(execute=True):
        result = regrading.apply_due_regrades(c.cr_clerk, on)
    assert [r.pk for r in result.applied] == [regrade.pk]
    assert _document(c).marking == "NATO CONFIDENTIAL"
    assert Regrade.objects.get(pk=regrade.pk).applied_by == c.cr_clerk
    assert regrading.apply_due_regrades(SYSTEM, on).applied == []
    assert Notice.objects.filter(person=c.officer, document__public_id=public_id).count() == 1
    assert mark_read(c.officer) == 1


def test_a_scheduled_regrade_can_be_withdrawn(custody_world: Custody):
    c = custody_world
    public_id = c.registration.document.public_id
    on = timezone.localdate() + timedelta(days=3)
    regrade = regrading.record_regrade(
        c.officer, public_id, kind="downgrade", to_level="NS", authority="letter 13", effective_on=on
    )
    regrading.cancel_regrade(c.officer, regrade.public_id, "recorded against the wrong document")
    assert regrading.apply_due_regrades(SYSTEM, on).applied == []
    assert _document(c).level == Level.CTS


# Pages, API and command line --------------------------------------------------------------------


def test_the_regrade_page_records_and_refuses_with_the_reason(custody_world: Custody, client):
    c = custody_world
    public_id = c.registration.document.public_id
    url = reverse("custody:regrade", args=[public_id])
    client.force_login(c.world.reader)
    assert client.get(url).status_code == 404  # cannot see it: not even that it exists
    client.force_login(c.officer)
    page = client.get(url)
    assert page.status_code == 200 and "COSMIC TOP SECRET ATOMAL" in page.content.decode()
    refused = client.post(url, {"kind": "downgrade", "to_level": "NU", "authority": "letter 20"})
    assert refused.status_code == 400 and "that is a declassification" in refused.content.decode()
    done = client.post(url, {"kind": "downgrade", "to_level": "NS", "authority": "letter 21"})
    assert done.status_code == 302
    assert _document(c).marking == "NATO SECRET"
    later = (timezone.localdate() + timedelta(days=40)).isoformat()
    client.post(url, {"kind": "downgrade", "to_level": "NC", "authority": "guide 4", "effective_on": later})
    page = client.get(url).content.decode()
    assert "letter 21" in page and "guide 4" in page and "scheduled" in page


def test_the_due_queue_applies_with_a_button_and_notices_are_marked_read(custody_world: Custody, client):
    c = custody_world
    public_id = c.registration.document.public_id
    regrade = regrading.record_regrade(
        c.officer,
        public_id,
        kind="downgrade",
        to_level="NS",
        authority="guide 5",
        effective_on=timezone.localdate() + timedelta(days=2),
    )
    client.force_login(c.cr_clerk)
    queue_page = client.get(reverse("custody:regrades_due")).content.decode()
    assert public_id in queue_page and "Apply" not in queue_page  # not due yet
    Regrade.objects.filter(pk=regrade.pk).update(effective_on=timezone.localdate())  # the day comes
    assert "Apply 1 due regrade" in client.get(reverse("custody:regrades_due")).content.decode()
    assert client.post(reverse("custody:regrades_apply")).status_code == 302
    assert _document(c).marking == "NATO SECRET"
    client.force_login(c.witness)
    notices_page = client.get(reverse("custody:notices")).content.decode()
    # The witness still reads it: the page names it, through the access filter.
    assert f"Document {public_id} was downgraded" in notices_page and "NUCLEAR PLANNING GROUP" in notices_page
    client.post(reverse("custody:notices_read"))
    assert not Notice.objects.filter(person=c.witness, read_at__isnull=True).exists()
    client.force_login(c.world.reader)
    assert client.get(reverse("custody:regrades_due")).status_code == 403


def test_the_api_and_the_command_line_regrade(custody_world: Custody, client, monkeypatch):
    from django.core.management import call_command

    from registrum.accounts.services import issue_token
    from tests.conftest import PASSWORD

    c = custody_world
    public_id = c.registration.document.public_id
    token = issue_token(c.officer, c.officer, name="regrade")
    answer = client.post(
        f"/api/v1/custody/documents/{public_id}/regrades",
        {"kind": "downgrade", "to_level": "NS", "authority": "letter 30"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["to_marking"] == "NATO SECRET"
    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)
    out = io.StringIO()
    on = (timezone.localdate() + timedelta(days=5)).isoformat()
    call_command(
        "custody", "--as", "officer", "regrade", public_id, "--kind", "downgrade", "--to", "NC",
        "--authority", "letter 31", "--on", on, stdout=out,
    )  # fmt: skip
    assert f"scheduled for {on}" in out.getvalue()
    out = io.StringIO()
    call_command("custody", "--as", "crclerk", "apply-due", "--today", on, stdout=out)
    assert "1 applied" in out.getvalue()
    assert _document(c).marking == "NATO CONFIDENTIAL"


def test_the_daily_run_applies_as_the_system_and_names_the_decider_in_the_copy_history(
    custody_world: Custody, django_capture_on_commit_callbacks
):
    c = custody_world
    public_id = c.registration.document.public_id
    on = timezone.localdate() + timedelta(days=1)
    # Not briefed for BOHEMIA: nobody marks what they could not hold.
    with pytest.raises(Refused, match="not briefed for every special category"):
        regrading.record_regrade(
            c.officer, public_id, kind="upgrade", to_level="CTS", to_categories=["ATOMAL", "BOHEMIA"],
            authority="letter 40", effective_on=on,
        )  # fmt: skip
    regrading.record_regrade(c.officer, public_id, kind="downgrade", to_level="NS", authority="letter 41")
    reader = c.world.reader  # NATO SECRET, given need-to-know while the document is NATO SECRET
    records.grant_access(c.cr_clerk, public_id, person=reader)
    assert Document.objects.visible_to(reader).filter(public_id=public_id).exists()
    regrading.record_regrade(
        c.officer, public_id, kind="upgrade", to_level="CTS", to_categories=["ATOMAL"],
        authority="letter 42", effective_on=on,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = regrading.apply_due_regrades(SYSTEM, on)
    assert len(result.applied) == 1 and result.refused == []
    assert _document(c).marking == "COSMIC TOP SECRET ATOMAL"
    event = AuditEvent.objects.filter(event=EventType.DOCUMENT_REGRADED).order_by("-id").first()
    assert event is not None and event.actor is None and event.data["authority"] == "letter 42"
    regraded = CopyEvent.objects.filter(kind=CopyEventKind.REGRADED, reference=f"regrade:{result.applied[0].public_id}")
    assert regraded.count() == 3 and {e.by_id for e in regraded} == {c.officer.pk}
    # The reader no longer sees it, but is told (by its id and marking, never its subject).
    assert not Document.objects.visible_to(reader).filter(public_id=public_id).exists()
    assert not Copy.objects.visible_to(reader).filter(document__public_id=public_id).exists()
    notice = Notice.objects.filter(person=reader, text__contains="upgraded").get()
    assert public_id in notice.text and "COSMIC TOP SECRET ATOMAL" in notice.text and "NUCLEAR" not in notice.text
    page = notices_for_page(reader)
    assert [s.readable for s in page if "upgraded" in s.notice.text] == [None]


def test_a_marked_pdf_of_a_regraded_copy_carries_the_new_marking_on_every_page(custody_world: Custody):
    import pypdfium2 as pdfium

    from registrum.reports import render_pdf

    c = custody_world
    regrading.record_regrade(
        c.officer, c.registration.document.public_id, kind="downgrade", to_level="NS", authority="letter 50"
    )
    copy = Copy.objects.get(pk=c.copies[1].pk)
    pdf = pdfium.PdfDocument(render_pdf("reports/base.html", {}, marking=copy.marking, title="Copy"))
    texts = [page.get_textpage().get_text_range() for page in pdf]
    assert texts and all("NATO SECRET" in t and "COSMIC" not in t and "ATOMAL" not in t for t in texts)
