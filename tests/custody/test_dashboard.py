"""The clerk's dashboard: each section counts and lists only what the person may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registrum.custody import copies as custody
from registrum.custody.dashboard import dashboard
from registrum.custody.models import (
    ChargeOut,
    Container,
    CopyStatus,
    Inventory,
    InventoryState,
    Notice,
    Regrade,
    RegradeKind,
    Transfer,
    TransferItem,
    TransferState,
)
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records.models import Access, AccessReason
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ns_clerk(custody_world):
    """A clerk of the central registry cleared only up to NATO SECRET."""
    person = make_person("nsclerk", "DEU", custody_world.world.hq, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, custody_world.central, person)
    return custody_world.fresh(person)


def _transfer(cw, copies, *, suspense_days: int, number: str) -> Transfer:
    now = timezone.now()
    transfer = Transfer.objects.create(
        number=number,
        from_registry=cw.central,
        to_registry=cw.sub,
        state=TransferState.IN_TRANSIT,
        dispatched_at=now,
        dispatched_by=cw.cr_clerk,
        suspense=timezone.localdate() + timedelta(days=suspense_days),
    )
    TransferItem.objects.bulk_create([TransferItem(transfer=transfer, copy=c) for c in copies])
    # The receiving registry's need-to-know during the transfer, as the transfer service gives it.
    Access.objects.create(
        document=copies[0].document,
        registry=cw.sub,
        reason=AccessReason.COPY_HOLDER,
        source=f"transfer:{transfer.pk}",
        granted_at=now,
        granted_by=cw.cr_clerk,
    )
    return transfer


def test_receipts_outstanding_show_on_both_sides_past_suspense_flagged(custody_world, ns_clerk):
    cw = custody_world
    _transfer(cw, cw.copies[:2], suspense_days=-1, number="TR-CTS-1")
    cr = dashboard(cw.cr_clerk)["receipts"]
    assert cr.count == 1 and cr.flagged == 1
    assert cr.lines[0].side == "sending" and cr.lines[0].copies == 2
    sub = dashboard(cw.sub_clerk)["receipts"]  # receiving side, and cleared for the copies
    assert sub.count == 1 and sub.lines[0].side == "receiving"
    # A clerk of the sending registry who may not see the copies: nothing.
    assert dashboard(ns_clerk)["receipts"].count == 0
    # Received transfers are not outstanding.
    Transfer.objects.update(state=TransferState.RECEIVED)
    assert dashboard(cw.cr_clerk)["receipts"].count == 0


def test_charge_outs_due_and_overdue(custody_world, ns_clerk):
    cw = custody_world
    today = timezone.localdate()
    for copy, due in ((cw.copies[0], today - timedelta(days=2)), (cw.copies[1], today)):
        ChargeOut.objects.create(
            copy=copy,
            registry=cw.central,
            reader=cw.witness,
            charged_at=timezone.now(),
            charged_by=cw.cr_clerk,
            due=due,
        )
    section = dashboard(cw.cr_clerk)["charge_outs"]
    assert section.count == 2 and section.flagged == 1
    assert [(line.overdue, line.due_today) for line in section.lines] == [(True, False), (False, True)]
    assert dashboard(cw.witness)["charge_outs"].count == 2  # the reader's own, and a CR clerk
    assert dashboard(ns_clerk)["charge_outs"].count == 0
    page = _as(cw.cr_clerk).get(reverse("custody:dashboard")).content.decode()
    assert "1 overdue" in page and "due today" in page


def test_an_inventory_is_due_for_holdings_never_inventoried_or_inventoried_too_long_ago(custody_world, ns_clerk):
    cw = custody_world
    assert [line.registry.code for line in dashboard(cw.cr_clerk)["inventories"].lines] == ["CR"]
    # The NS-only clerk sees no accountable holdings in CR: no inventory due for them.
    assert dashboard(ns_clerk)["inventories"].count == 0
    inventory = Inventory.objects.create(
        registry=cw.central,
        state=InventoryState.CLOSED,
        started_at=timezone.now() - timedelta(days=400),
        started_by=cw.cr_clerk,
        closed_at=timezone.now() - timedelta(days=400),
        closed_by=cw.cr_clerk,
    )
    assert dashboard(cw.cr_clerk)["inventories"].count == 1
    Inventory.objects.filter(pk=inventory.pk).update(closed_at=timezone.now() - timedelta(days=30))
    assert dashboard(cw.cr_clerk)["inventories"].count == 0


def test_regrades_due_are_those_of_documents_the_clerk_may_see(custody_world, ns_clerk):
    cw = custody_world
    document = cw.registration.document
    Regrade.objects.create(
        document=document,
        kind=RegradeKind.DOWNGRADE,
        from_level=Level.CTS,
        from_category_mask=1,
        to_level=Level.NS,
        to_category_mask=1,
        authority="originator's letter",
        effective_on=timezone.localdate() - timedelta(days=1),
        decided_at=timezone.now(),
        decided_by=cw.officer,
    )
    Regrade.objects.create(
        document=document,
        kind=RegradeKind.DOWNGRADE,
        from_level=Level.CTS,
        to_level=Level.NC,
        authority="schedule",
        effective_on=timezone.localdate() + timedelta(days=100),
        decided_at=timezone.now(),
        decided_by=cw.officer,
    )
    assert dashboard(cw.cr_clerk)["regrades"].count == 1
    assert dashboard(ns_clerk)["regrades"].count == 0
    Regrade.objects.update(cancelled_at=timezone.now())
    assert dashboard(cw.cr_clerk)["regrades"].count == 0


def test_containers_due_a_combination_change(custody_world):
    cw = custody_world
    assert dashboard(cw.cr_clerk)["combinations"].count == 0
    Container.objects.filter(pk=cw.cr_cabinet.pk).update(
        combination_changed_on=timezone.localdate() - timedelta(days=370)
    )
    section = dashboard(cw.cr_clerk)["combinations"]
    assert [c.code for c in section.lines] == ["CR-CAB-2"]
    assert dashboard(cw.sub_clerk)["combinations"].count == 0  # not their registry's


def test_accountable_documents_without_copies_are_listed_as_the_clerk_sees_them(custody_world, ns_clerk):
    cw = custody_world
    assert dashboard(cw.cr_clerk)["uncopied"].count == 0  # the CTS ATOMAL one has its copies
    ns_doc = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk)
    cw.world.register(level=Level.NC, registry=cw.central, actor=cw.cr_clerk)  # copies optional
    cts_doc = cw.world.register(level=Level.CTS, registry=cw.central, actor=cw.cr_clerk)
    atomal_nc = cw.world.register(level=Level.NC, category_mask=1, registry=cw.central, actor=cw.cr_clerk)
    mine = dashboard(cw.cr_clerk)["uncopied"]
    assert {line.registration.pk for line in mine.lines} == {ns_doc.pk, cts_doc.pk, atomal_nc.pk}
    theirs = dashboard(ns_clerk)["uncopied"]
    assert {line.registration.pk for line in theirs.lines} == {ns_doc.pk}
    custody.number_copies(cw.cr_clerk, ns_doc.document.public_id, registry=cw.central, count=1)
    assert dashboard(ns_clerk)["uncopied"].count == 0


def test_unread_notices_link_a_document_only_when_it_may_still_be_seen(custody_world):
    cw = custody_world
    now = timezone.now()
    Notice.objects.create(
        person=cw.cr_clerk, document=cw.registration.document, kind="regrade", text="Downgraded", created_at=now
    )
    Notice.objects.create(person=cw.cr_clerk, kind="regrade", text="Read already", created_at=now, read_at=now)
    Notice.objects.create(
        person=cw.world.reader, document=cw.registration.document, kind="regrade", text="Upgraded", created_at=now
    )
    mine = dashboard(cw.cr_clerk)["notices"]
    assert mine.count == 1 and mine.lines[0].visible_document == cw.registration.document
    theirs = dashboard(cw.world.reader)["notices"]
    assert theirs.count == 1 and theirs.lines[0].visible_document is None
    page = _as(cw.world.reader).get(reverse("custody:dashboard")).content.decode()
    assert "Upgraded" in page and cw.registration.document.public_id not in page


def test_the_dashboard_page_shows_every_section_and_hides_what_the_clerk_may_not_see(custody_world, ns_clerk):
    cw = custody_world
    _transfer(cw, cw.copies, suspense_days=3, number="TR-CTS-2")
    cts_doc = cw.world.register(level=Level.CTS, registry=cw.central, actor=cw.cr_clerk, subject="SECRET SQUIRREL")
    page = _as(cw.cr_clerk).get(reverse("custody:dashboard"))
    assert page.status_code == 200
    text = page.content.decode()
    for heading in (
        "Receipts outstanding",
        "Charge-outs",
        "Inventories due",
        "Regrades due",
        "Combination changes due",
        "Accountable documents without copies",
        "Notices",
    ):
        assert heading in text
    assert "TR-CTS-2" in text and cts_doc.number in text
    limited = _as(ns_clerk).get(reverse("custody:dashboard")).content.decode()
    assert "TR-CTS-2" not in limited and cts_doc.number not in limited
    assert cw.registration.number not in limited
    assert CopyStatus.HELD  # the copies stayed where they were: the dashboard only reads


def _as(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_an_inventory_of_one_level_answers_for_that_level_only(custody_world):
    cw = custody_world
    ns_doc = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk)
    custody.number_copies(cw.cr_clerk, ns_doc.document.public_id, registry=cw.central, count=1, container=cw.cr_cabinet)
    (line,) = dashboard(cw.cr_clerk)["inventories"].lines
    assert line.levels == [Level.CTS, Level.NS] and line.last_closed is None and line.months == 12
    now = timezone.now()
    Inventory.objects.create(
        registry=cw.central,
        level=Level.NS,
        state=InventoryState.CLOSED,
        started_at=now,
        started_by=cw.cr_clerk,
        closed_at=now,
        closed_by=cw.cr_clerk,
    )
    (line,) = dashboard(cw.cr_clerk)["inventories"].lines
    assert line.levels == [Level.CTS]
    # An inventory of one container does not answer for the registry.
    Inventory.objects.create(
        registry=cw.central,
        container=cw.cr_safe,
        state=InventoryState.CLOSED,
        started_at=now,
        started_by=cw.cr_clerk,
        closed_at=now,
        closed_by=cw.cr_clerk,
    )
    assert dashboard(cw.cr_clerk)["inventories"].count == 1
    page = _as(cw.cr_clerk).get(reverse("custody:dashboard")).content.decode()
    assert "never inventoried" in page and "every 12 months" in page


def test_the_approvals_queue_shows_each_person_what_waits_for_them(custody_world):
    """A control officer sees the destruction and the reproduction waiting for their approval; the
    proposing clerk sees the destruction only once it awaits signatures; a reader nothing."""
    from django.test import Client

    from registrum.custody import destruction, reproduction
    from registrum.custody.dashboard import dashboard

    cw = custody_world
    copy1, copy2 = cw.copies[0], cw.copies[1]
    proposal = destruction.propose_destruction(cw.cr_clerk, cw.central, [copy1.public_id], "superseded")
    request = reproduction.request_reproduction(
        cw.cr_clerk, copy2.public_id, count=1, authority="Originator's consent, letter NPG/2026/12"
    )
    officer_lines = dashboard(cw.fresh(cw.officer))["awaiting"].lines
    assert {(line.what, line.public_id) for line in officer_lines} == {
        ("destruction_approval", proposal.public_id),
        ("reproduction_approval", request.public_id),
    }
    assert dashboard(cw.fresh(cw.cr_clerk))["awaiting"].count == 0
    destruction.approve_destruction(cw.fresh(cw.officer), proposal.public_id)
    clerk_lines = dashboard(cw.fresh(cw.cr_clerk))["awaiting"].lines
    assert [(line.what, line.public_id) for line in clerk_lines] == [("destruction_signatures", proposal.public_id)]
    assert dashboard(cw.world.reader)["awaiting"].count == 0
    client = Client()
    client.force_login(cw.officer)
    page = client.get("/custody/").content.decode()
    assert f"/custody/reproductions/{request.public_id}/" in page
