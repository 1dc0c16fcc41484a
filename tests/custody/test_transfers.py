"""Transfers and receipts: the COSMIC TOP SECRET ATOMAL copies go from the central registry to
IMS-REG and are received there; every refusal the policy demands; bad scanned codes; a dispatch
interrupted half-way moves nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from registrum.audit.models import AuditEvent
from registrum.audit.refusals import Refused
from registrum.custody import copies as custody
from registrum.custody import transfers
from registrum.custody.models import Copy, CopyEvent, CopyStatus, Transfer, TransferState
from registrum.org.models import Person
from registrum.policy import Level
from registrum.records.models import Access, Document, Registration
from tests.custody.conftest import Custody


def ids(copies: list[Copy]) -> list[str]:
    return [c.public_id for c in copies]


def fresh(copy: Copy) -> Copy:
    return Copy.objects.select_related("registry", "person", "container").get(pk=copy.pk)


def sees(person: Person, document: Document) -> bool:
    return Document.objects.visible_to(person).filter(pk=document.pk).exists()


def to_sub(cw: Custody, copies: list[Copy] | None = None) -> Transfer:
    return transfers.dispatch(cw.cr_clerk, ids(copies or cw.copies[:2]), to_registry=cw.sub, to_container=cw.sub_safe)


def test_cts_atomal_copies_go_to_the_sub_registry_and_are_received_in_its_register(custody_world: Custody) -> None:
    cw = custody_world
    document = cw.registration.document
    assert not sees(cw.sub_clerk, document)
    transfer = to_sub(cw)
    year = timezone.localdate().year
    assert re.fullmatch(rf"CR/TR/{year}/000001", transfer.number)
    assert transfer.suspense == timezone.localdate() + timedelta(days=10)
    for copy in cw.copies[:2]:
        copy = fresh(copy)
        assert (copy.status, copy.registry, copy.container) == (CopyStatus.IN_TRANSIT, cw.central, cw.cr_safe)
    assert fresh(cw.copies[2]).status == CopyStatus.HELD
    # The receiver sees what is coming; the sender's staff cannot acknowledge for it.
    assert sees(cw.sub_clerk, document)
    with pytest.raises(Refused):
        transfers.acknowledge(cw.cr_clerk, transfer.public_id)

    receipt = transfers.acknowledge(cw.sub_clerk, transfer.public_id)
    assert (len(receipt.received), receipt.outstanding) == (2, 0)
    for copy in cw.copies[:2]:
        copy = fresh(copy)
        assert (copy.status, copy.registry, copy.container) == (CopyStatus.HELD, cw.sub, cw.sub_safe)
        kinds = list(CopyEvent.objects.filter(copy=copy).values_list("kind", flat=True))
        assert kinds == ["created", "dispatched", "received"]
        assert CopyEvent.objects.get(copy=copy, kind="received").custodian == "IMS-REG"
    registration = Registration.objects.get(document=document, registry=cw.sub)
    assert registration.received_from == cw.registration
    assert registration.number.startswith("IMS-REG")
    assert {i.registration_id for i in transfer.items.all()} == {registration.pk}
    transfer.refresh_from_db()
    assert (transfer.state, transfer.received_by) == (TransferState.RECEIVED, cw.sub_clerk)
    assert not Access.objects.filter(source=f"transfer:{transfer.pk}").exists()
    assert sees(cw.sub_clerk, document)  # now through IMS-REG's own registration
    trail = AuditEvent.objects.filter(target_type="document", target_id=document.pk)
    assert trail.filter(event="custody.transfer_dispatched").count() == 2
    assert trail.filter(event="custody.transfer_received").count() == 2
    assert trail.filter(event="records.receipt_registered").count() == 1
    assert transfers.dispatch(cw.cr_clerk, ids(cw.copies[2:]), to_registry=cw.sub).number.endswith("/000002")


def test_receipt_by_scanning_codes_one_after_another(custody_world: Custody) -> None:
    cw = custody_world
    transfer = to_sub(cw)
    first = transfers.acknowledge(cw.sub_clerk, transfer.public_id, [cw.copies[0].code + "\n"])
    assert (len(first.received), first.outstanding) == (1, 1)
    assert transfer.state == TransferState.IN_TRANSIT
    assert Access.objects.filter(source=f"transfer:{transfer.pk}").exists()
    # Bad codes are told apart, and then nothing is received.
    with pytest.raises(ValidationError) as bad:
        transfers.acknowledge(
            cw.sub_clerk,
            transfer.public_id,
            [cw.copies[1].code, "HELLO WORLD", cw.copies[2].code, cw.copies[0].code],
        )
    messages = bad.value.message_dict["codes"]
    assert messages == [
        "HELLO WORLD: not a copy code",
        f"{cw.copies[2].code}: not in this transfer",
        f"{cw.copies[0].code}: already received",
    ]
    assert fresh(cw.copies[1]).status == CopyStatus.IN_TRANSIT
    last = transfers.acknowledge(cw.sub_clerk, transfer.public_id, [cw.copies[1].public_id])
    assert last.outstanding == 0
    transfer.refresh_from_db()
    assert transfer.state == TransferState.RECEIVED
    assert Registration.objects.filter(document=cw.registration.document, registry=cw.sub).count() == 1
    with pytest.raises(ValidationError, match="received"):
        transfers.acknowledge(cw.sub_clerk, transfer.public_id)


def test_an_unaccredited_registry_is_refused_with_the_reason(custody_world: Custody) -> None:
    cw = custody_world
    with pytest.raises(ValidationError) as refused:
        transfers.dispatch(cw.cr_clerk, ids(cw.copies), to_registry=cw.control_point)
    assert "OPS-CP is not accredited for COSMIC TOP SECRET" in refused.value.message_dict["destination"][0]
    assert all(fresh(c).status == CopyStatus.HELD for c in cw.copies)
    assert not Transfer.objects.exists()


def test_an_unapproved_container_or_another_registrys_is_refused(custody_world: Custody) -> None:
    cw = custody_world
    plain = custody.create_container(
        cw.officer, registry=cw.sub, code="IMS-CAB-1", name="Cabinet", accreditation=Level.CTS
    )
    with pytest.raises(ValidationError) as refused:
        transfers.dispatch(cw.cr_clerk, ids(cw.copies), to_registry=cw.sub, to_container=plain)
    assert "IMS-CAB-1 is not approved for ATOMAL" in refused.value.message_dict["container"][0]
    with pytest.raises(ValidationError) as elsewhere:
        transfers.dispatch(cw.cr_clerk, ids(cw.copies), to_registry=cw.sub, to_container=cw.cr_cabinet)
    assert "CR-CAB-2 belongs to CR" in elsewhere.value.message_dict["container"][0]


def ns_copies(cw: Custody, count: int = 2) -> list[Copy]:
    registration = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk, subject="Exercise plan")
    return custody.number_copies(cw.cr_clerk, registration.document.public_id, registry=cw.central, count=count)


def test_a_person_not_cleared_is_refused_and_a_cleared_one_holds_on_a_hand_receipt(custody_world: Custody) -> None:
    cw = custody_world
    copies = ns_copies(cw)
    with pytest.raises(ValidationError) as refused:
        transfers.dispatch(cw.cr_clerk, ids(copies), to_person=cw.world.nr_reader)
    assert "@nrreader cannot hold it" in refused.value.message_dict["destination"][0]
    reader = cw.world.reader
    transfer = transfers.dispatch(cw.cr_clerk, ids(copies[:1]), to_person=reader)
    assert sees(reader, copies[0].document)
    with pytest.raises(Refused):
        transfers.acknowledge(cw.cr_clerk, transfer.public_id)
    transfers.acknowledge(reader, transfer.public_id)
    copy = fresh(copies[0])
    assert (copy.person, copy.registry, copy.status) == (reader, None, CopyStatus.HELD)
    assert Access.objects.filter(source=f"copy:{copy.pk}", person=reader).exists()
    assert not Access.objects.filter(source=f"transfer:{transfer.pk}").exists()
    # Back to the registry from the hand receipt (numbered in CR's sequence), received there.
    with pytest.raises(ValidationError, match="back to a registry"):
        transfers.dispatch(reader, [copy.public_id], to_person=cw.cr_clerk)
    back = transfers.dispatch(reader, [copy.public_id], to_registry=cw.central, to_container=cw.cr_cabinet)
    assert back.number.startswith("CR/TR/")
    transfers.acknowledge(cw.cr_clerk, back.public_id)
    assert (fresh(copy).registry, fresh(copy).container, fresh(copy).person) == (cw.central, cw.cr_cabinet, None)
    # The hand receipt's need-to-know ended with it.
    assert not Access.objects.filter(source=f"copy:{copy.pk}").exists()


def test_cts_to_a_person_or_sideways_or_outside_from_a_sub_registry_is_off_the_chain(custody_world: Custody) -> None:
    cw = custody_world
    with pytest.raises(ValidationError) as to_person:
        transfers.dispatch(cw.cr_clerk, ids(cw.copies), to_person=cw.world.outsider)
    assert "moves only along the central registry chain" in to_person.value.message_dict["destination"][0]
    transfers.acknowledge(cw.sub_clerk, to_sub(cw).public_id)
    at_sub = cw.copies[:2]
    with pytest.raises(ValidationError) as sideways:
        transfers.dispatch(cw.sub_clerk, ids(at_sub), to_registry=cw.control_point)
    assert "moves only along the central registry chain" in sideways.value.message_dict["destination"][0]
    with pytest.raises(ValidationError) as outside:
        transfers.dispatch(cw.sub_clerk, ids(at_sub), to_external="Ministry of Defence, The Hague")
    assert "leaves the organisation only through the central registry" in outside.value.message_dict["destination"][0]
    # Up the chain is fine; CR's staff cannot dispatch IMS-REG's copies.
    with pytest.raises(Refused):
        transfers.dispatch(cw.cr_clerk, ids(at_sub), to_registry=cw.central)
    up = transfers.dispatch(cw.sub_clerk, ids(at_sub), to_registry=cw.central, to_container=cw.cr_safe)
    assert up.number.startswith("IMS-REG/TR/")
    transfers.acknowledge(cw.cr_clerk, up.public_id)
    assert fresh(at_sub[0]).registry == cw.central
    # CR already had the document in its register: no second registration.
    assert Registration.objects.filter(document=cw.registration.document, registry=cw.central).count() == 1


def test_outside_the_organisation_the_copies_leave_when_the_signed_receipt_is_recorded(
    custody_world: Custody,
) -> None:
    cw = custody_world
    transfer = transfers.dispatch(cw.cr_clerk, ids(cw.copies[:1]), to_external="Ministry of Defence, The Hague")
    assert fresh(cw.copies[0]).status == CopyStatus.IN_TRANSIT
    with pytest.raises(Http404):  # not a party to it: no such transfer
        transfers.acknowledge(cw.sub_clerk, transfer.public_id)
    transfers.acknowledge(cw.cr_clerk, transfer.public_id)
    copy = fresh(cw.copies[0])
    assert (copy.status, copy.registry, copy.external) == (
        CopyStatus.DISPATCHED,
        None,
        "Ministry of Defence, The Hague",
    )


def test_copies_not_held_or_of_two_custodians_are_refused(custody_world: Custody) -> None:
    cw = custody_world
    to_sub(cw, cw.copies[:1])
    with pytest.raises(ValidationError, match="in transit, not held"):
        transfers.dispatch(cw.cr_clerk, ids(cw.copies), to_registry=cw.sub)
    with pytest.raises(ValidationError, match="no such copy"):
        transfers.dispatch(cw.world.reader, ids(cw.copies[1:]), to_registry=cw.sub)
    with pytest.raises(ValidationError, match="one destination"):
        transfers.dispatch(cw.cr_clerk, ids(cw.copies[1:]))


def test_cancel_before_any_receipt_puts_every_copy_back(custody_world: Custody) -> None:
    cw = custody_world
    transfer = to_sub(cw)
    with pytest.raises(Refused):
        transfers.cancel(cw.sub_clerk, transfer.public_id)
    transfers.cancel(cw.cr_clerk, transfer.public_id)
    for copy in cw.copies[:2]:
        copy = fresh(copy)
        assert (copy.status, copy.registry, copy.container) == (CopyStatus.HELD, cw.central, cw.cr_safe)
    assert not sees(cw.sub_clerk, cw.registration.document)
    with pytest.raises(ValidationError, match="cancelled"):
        transfers.acknowledge(cw.sub_clerk, transfer.public_id)
    partly = to_sub(cw)
    transfers.acknowledge(cw.sub_clerk, partly.public_id, [cw.copies[0].code])
    with pytest.raises(ValidationError, match="no longer be cancelled"):
        transfers.cancel(cw.cr_clerk, partly.public_id)


def test_outstanding_receipts_are_flagged_past_suspense_on_both_sides(custody_world: Custody) -> None:
    cw = custody_world
    today = timezone.localdate()
    transfer = transfers.dispatch(cw.cr_clerk, ids(cw.copies[:2]), to_registry=cw.sub, suspense=today)
    (inbound,) = transfers.outstanding(cw.sub_clerk, registry=cw.sub, today=today)
    assert (inbound.transfer, inbound.copies, inbound.pending, inbound.overdue) == (transfer, 2, 2, False)
    (outbound,) = transfers.outstanding(
        cw.cr_clerk, registry=cw.central, direction="outbound", today=today + timedelta(1)
    )
    assert outbound.overdue
    assert transfers.outstanding(cw.cr_clerk, registry=cw.central, today=today) == []
    with pytest.raises(Refused):
        transfers.outstanding(cw.cr_clerk, registry=cw.sub)
    with pytest.raises(ValidationError, match="before today"):
        transfers.dispatch(cw.cr_clerk, ids(cw.copies[2:]), to_registry=cw.sub, suspense=today - timedelta(1))


def test_no_receipt_asked_and_nothing_to_register_means_received_on_dispatch(custody_world: Custody) -> None:
    cw = custody_world
    registration = cw.world.register(level=Level.NC, registry=cw.central, actor=cw.cr_clerk, subject="Minutes")
    (copy,) = custody.number_copies(cw.cr_clerk, registration.document.public_id, registry=cw.central, count=1)
    transfer = transfers.dispatch(cw.cr_clerk, [copy.public_id], to_person=cw.world.reader)
    assert transfer.state == TransferState.RECEIVED
    assert (fresh(copy).person, fresh(copy).status) == (cw.world.reader, CopyStatus.HELD)
    assert CopyEvent.objects.get(copy=copy, kind="received").note.startswith("received on dispatch")


def test_an_interrupted_dispatch_leaves_every_copy_where_it_was(custody_world: Custody, monkeypatch) -> None:
    cw = custody_world

    def fail(*args: object) -> bool:
        raise RuntimeError("the line went down")

    # The last step of the dispatch fails after every copy was moved to in transit.
    monkeypatch.setattr(transfers, "_received_on_dispatch", fail)
    with pytest.raises(RuntimeError):
        to_sub(cw, cw.copies)
    for copy in cw.copies:
        copy = fresh(copy)
        assert (copy.status, copy.registry, copy.container) == (CopyStatus.HELD, cw.central, cw.cr_safe)
    assert not Transfer.objects.exists()
    assert not CopyEvent.objects.filter(kind="dispatched").exists()
    assert not Access.objects.filter(source__startswith="transfer:").exists()
    monkeypatch.undo()
    assert to_sub(cw, cw.copies).number.endswith("/000001")  # the number went back too


def test_the_trail_tells_the_transfer_in_the_readers_language(custody_world: Custody) -> None:
    from registrum.audit.reading import describe

    cw = custody_world
    transfer = to_sub(cw, cw.copies[:1])
    transfers.acknowledge(cw.sub_clerk, transfer.public_id)
    whole = AuditEvent.objects.get(target_type="transfer", target_id=transfer.pk)
    assert describe(whole) == f"transfer {transfer.number} received in full"
    copy_event = AuditEvent.objects.filter(event="custody.transfer_dispatched").get()
    assert describe(copy_event) == "copy No. 1 of 3 dispatched"


def test_a_receiver_not_cleared_for_some_copies_receives_only_the_others(custody_world: Custody) -> None:
    from registrum.org import services as org
    from registrum.org.models import Role
    from registrum.org.services import SYSTEM
    from tests.conftest import make_person

    cw = custody_world
    ns_clerk = make_person("nsclerk", "DNK", cw.world.reg_unit, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, cw.sub, ns_clerk)
    ns_clerk = cw.fresh(ns_clerk)
    (ns_copy,) = ns_copies(cw, 1)
    transfer = transfers.dispatch(cw.cr_clerk, [cw.copies[0].public_id, ns_copy.public_id], to_registry=cw.sub)
    with pytest.raises(ValidationError) as hidden:
        transfers.acknowledge(ns_clerk, transfer.public_id, [cw.copies[0].code])
    assert hidden.value.message_dict["codes"] == [f"{cw.copies[0].code}: not in this transfer"]
    receipt = transfers.acknowledge(ns_clerk, transfer.public_id)
    assert ([c.pk for c in receipt.received], receipt.outstanding) == ([ns_copy.pk], 0)
    assert fresh(cw.copies[0]).status == CopyStatus.IN_TRANSIT
    with pytest.raises(ValidationError, match="no copy of this transfer"):
        transfers.acknowledge(ns_clerk, transfer.public_id)
    transfers.acknowledge(cw.sub_clerk, transfer.public_id)
    transfer.refresh_from_db()
    assert transfer.state == TransferState.RECEIVED
