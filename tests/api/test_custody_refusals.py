"""Every refusal the custody policy demands, through the REST API, each with its status and its
reason: unaccredited places and containers, the central registry chain, readers not cleared,
missing and self witnesses, classifying above one's clearance; and bad input told apart (scanned
codes) or answered without a leak (a PDF of what the reader may not see)."""

from __future__ import annotations

import pytest

from registrum.custody import transfers
from registrum.custody.models import Copy, CopyStatus
from registrum.org import services as org
from registrum.org.models import Person, Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records.models import Document
from tests.api.custody_api import Api, fields, reasons
from tests.conftest import make_person
from tests.custody.conftest import Custody
from tests.pdfs import page_texts

pytestmark = pytest.mark.django_db

CTS_ATOMAL = "COSMIC TOP SECRET ATOMAL"
SUBJECT = "NUCLEAR PLANNING GROUP minutes"  # the fixture's document


def statuses(cw: Custody) -> list[str]:
    return [Copy.objects.get(pk=c.pk).status for c in cw.copies]


def ns_clerk(cw: Custody, *registries: str) -> Person:
    """A clerk cleared NATO SECRET only, on the staff of the given registries."""
    person = make_person("nsclerk", "DEU", cw.world.reg_unit, Level.NS, (), (Role.CLERK,))
    for registry in (cw.central, cw.sub, cw.control_point):
        if registry.code in registries:
            org.add_registry_staff(SYSTEM, registry, person)
    return Person.objects.select_related("clearance", "unit").get(pk=person.pk)


def in_sub_registry(cw: Custody) -> Copy:
    """Copy 1 of the fixture's document moved to IMS-REG and received there."""
    transfer = transfers.dispatch(cw.cr_clerk, [cw.copies[0].public_id], to_registry=cw.sub)
    transfers.acknowledge(cw.sub_clerk, transfer.public_id)
    return Copy.objects.get(pk=cw.copies[0].pk)


# Places and containers -------------------------------------------------------------------------


def test_a_dispatch_to_a_registry_not_accredited_for_the_copies_is_refused(custody_world):
    cw = custody_world
    refused = Api(cw.cr_clerk).post("/custody/transfers", {"copies": [cw.copies[0].code], "to_registry": "OPS-CP"})
    assert refused.status_code == 400
    assert "OPS-CP" in fields(refused)["destination"]
    assert "is not accredited for COSMIC TOP SECRET" in fields(refused)["destination"]
    assert statuses(cw) == ["held"] * 3
    assert Api(cw.sub_clerk).get("/custody/transfers", registry="OPS-CP").json() == []


def test_numbering_or_storing_into_a_container_not_accredited_or_not_approved_is_refused(custody_world):
    cw = custody_world
    clerk, officer = Api(cw.cr_clerk), Api(cw.officer)
    doc = cw.registration.document.public_id
    cabinet = clerk.post(f"/custody/documents/{doc}/copies", {"registry": "CR", "count": 1, "container": "CR-CAB-2"})
    assert cabinet.status_code == 400
    assert "CR-CAB-2" in reasons(cabinet) and "is not accredited for COSMIC TOP SECRET" in reasons(cabinet)
    # A COSMIC TOP SECRET safe not approved for ATOMAL.
    made = officer.post(
        "/custody/registries/CR/containers", {"code": "CR-SAFE-9", "name": "CTS", "accreditation": "CTS"}
    )
    assert made.status_code == 201, made.content
    unapproved = clerk.post(
        f"/custody/documents/{doc}/copies", {"registry": "CR", "count": 1, "container": "CR-SAFE-9"}
    )
    assert unapproved.status_code == 400
    assert "CR-SAFE-9" in reasons(unapproved) and "is not approved for ATOMAL" in reasons(unapproved)
    moved = clerk.post(f"/custody/copies/{cw.copies[0].public_id}/store", {"container": "CR-CAB-2"})
    assert moved.status_code == 400 and "is not accredited for COSMIC TOP SECRET" in reasons(moved)
    assert Copy.objects.filter(document__public_id=doc).count() == 3
    assert Copy.objects.get(pk=cw.copies[0].pk).container == cw.cr_safe


# The central registry chain --------------------------------------------------------------------


def test_a_sideways_transfer_between_sub_registries_is_refused_by_the_chain_rule(custody_world):
    cw = custody_world
    copy = in_sub_registry(cw)
    refused = Api(cw.sub_clerk).post("/custody/transfers", {"copies": [copy.code], "to_registry": "OPS-CP"})
    assert refused.status_code == 400
    assert fields(refused)["destination"] == (
        f"copy No. 1 of 3: {CTS_ATOMAL} moves only along the central registry chain"
        " (registry to parent or child registry)"
    )
    outside = Api(cw.sub_clerk).post("/custody/transfers", {"copies": [copy.code], "to_external": "SHAPE"})
    assert outside.status_code == 400
    assert fields(outside)["destination"] == (
        f"copy No. 1 of 3: {CTS_ATOMAL} leaves the organisation only through the central registry"
    )
    assert Copy.objects.get(pk=copy.pk).status == CopyStatus.HELD and Copy.objects.get(pk=copy.pk).registry == cw.sub


def test_cosmic_top_secret_is_not_handed_to_a_person(custody_world):
    cw = custody_world
    refused = Api(cw.cr_clerk).post("/custody/transfers", {"copies": [cw.copies[1].code], "to_person": "witness"})
    assert refused.status_code == 400
    assert "moves only along the central registry chain" in fields(refused)["destination"]
    assert statuses(cw) == ["held"] * 3


# Readers ---------------------------------------------------------------------------------------


def test_a_charge_out_to_a_reader_not_cleared_for_the_copy_is_refused(custody_world):
    cw = custody_world
    clerk = Api(cw.cr_clerk)
    refused = clerk.post("/custody/chargeouts", {"copy_code": cw.copies[0].code, "reader": "reader"})
    assert refused.status_code == 400
    assert fields(refused)["reader"] == "copy No. 1 of 3: @reader cannot hold it: no valid clearance at this level"
    not_briefed = make_person("cosmiconly", "NLD", cw.world.eso, Level.CTS, ("COSMIC",), (Role.READER,))
    refused = clerk.post("/custody/chargeouts", {"copy_code": cw.copies[0].code, "reader": not_briefed.username})
    assert refused.status_code == 400
    assert fields(refused)["reader"].endswith("cannot hold it: a required special-category briefing is missing")
    expired = make_person("lapsed", "NOR", cw.world.eso, Level.CTS, ("COSMIC", "ATOMAL"), (Role.READER,), expired=True)
    refused = clerk.post("/custody/chargeouts", {"copy_code": cw.copies[0].code, "reader": expired.username})
    assert refused.status_code == 400 and "cannot hold it" in fields(refused)["reader"]
    assert statuses(cw) == ["held"] * 3
    assert Api(cw.world.reader).get(f"/documents/{cw.registration.document.public_id}").status_code == 404


# Destruction -----------------------------------------------------------------------------------


def proposed_and_signed_by_the_destroyer(cw: Custody) -> str:
    clerk = Api(cw.cr_clerk)
    made = clerk.post(
        "/custody/destructions", {"registry": "CR", "copies": [c.code for c in cw.copies[:2]], "reason": "superseded"}
    )
    assert made.status_code == 201, made.content
    path = f"/custody/destructions/{made.json()['id']}"
    assert Api(cw.officer).post(f"{path}/approve").status_code == 200
    assert clerk.post(f"{path}/sign").json()["state"] == "witnessing"
    return path


def test_without_its_witness_a_destruction_stays_incomplete_and_the_copies_held(custody_world):
    cw = custody_world
    path = proposed_and_signed_by_the_destroyer(cw)
    waiting = Api(cw.officer).get(path).json()
    assert (waiting["state"], waiting["completed_at"], waiting["signatures_required"]) == ("witnessing", None, 2)
    assert [s["role"] for s in waiting["signatures"]] == ["destroyer"]
    assert [c["status"] for c in waiting["copies"]] == ["held", "held"]
    assert statuses(cw) == ["held"] * 3
    held = Api(cw.cr_clerk).get("/custody/registries/CR/holdings").json()
    assert held["count"] == 3


def test_nobody_witnesses_their_own_destruction(custody_world):
    cw = custody_world
    path = proposed_and_signed_by_the_destroyer(cw)
    refused = Api(cw.cr_clerk).post(f"{path}/sign")
    assert refused.status_code == 403 and reasons(refused) == "nobody witnesses their own destruction"
    assert Api(cw.officer).get(path).json()["state"] == "witnessing"
    assert statuses(cw) == ["held"] * 3


def test_a_witness_not_cleared_for_the_copies_is_refused(custody_world):
    cw = custody_world
    path = proposed_and_signed_by_the_destroyer(cw)
    # Staff not cleared for the copies do not even learn the destruction exists: the same 404 as
    # for a certificate number that does not exist.
    refused = Api(ns_clerk(cw, "CR")).post(f"{path}/sign")
    assert refused.status_code == 404
    assert statuses(cw) == ["held"] * 3


# Classifying above one's clearance -------------------------------------------------------------


def test_nobody_classifies_above_their_own_clearance(custody_world):
    cw = custody_world
    clerk = ns_clerk(cw, "IMS-REG")
    registered = cw.world.register(level=Level.NS, subject="Readiness report")
    api = Api(clerk)
    doc = registered.document.public_id
    upgrade = api.post(
        f"/custody/documents/{doc}/regrades",
        {"kind": "upgrade", "to_level": "CTS", "authority": "SHAPE J5 letter 26-0200"},
    )
    assert upgrade.status_code == 403 and reasons(upgrade) == "your clearance does not reach COSMIC TOP SECRET"
    assert Document.objects.get(public_id=doc).level == Level.NS
    registering = api.post(
        "/registrations",
        {"registry": "IMS-REG", "direction": "IN", "originator": "SHAPE", "subject": "x", "level": "CTS"},
    )
    assert registering.status_code == 400
    assert fields(registering)["level"] == "IMS-REG: your clearance does not reach COSMIC TOP SECRET"
    # A clerk cleared for it may.
    upgraded = Api(cw.sub_clerk).post(
        f"/custody/documents/{doc}/regrades",
        {"kind": "upgrade", "to_level": "CTS", "authority": "SHAPE J5 letter 26-0200"},
    )
    assert upgraded.status_code == 201 and upgraded.json()["to_marking"] == "COSMIC TOP SECRET"


# Bad input -------------------------------------------------------------------------------------


def test_scanned_codes_are_told_apart_in_the_answers_and_the_report(custody_world):
    cw = custody_world
    elsewhere = in_sub_registry(cw)
    clerk = Api(cw.cr_clerk)
    inventory = clerk.post("/custody/inventories", {"registry": "CR"}).json()
    codes = [cw.copies[1].code, "RGC-NOSUCHCOPY0000", "hello", elsewhere.code, cw.copies[1].code.lower()]
    scans = clerk.post(f"/custody/inventories/{inventory['id']}/scans", {"codes": codes})
    assert scans.status_code == 200, scans.content
    assert [s["outcome"] for s in scans.json()] == ["checked", "not_a_copy", "not_a_copy", "other", "already"]
    messages = [s["message"] for s in scans.json()]
    assert messages[1] == "Not a copy: RGC-NOSUCHCOPY0000 is no copy's code."
    assert messages[3] == f"Not a copy of this registry: {elsewhere.code}." and "copy No." not in messages[3]
    assert messages[4].startswith("Already checked:")
    closed = clerk.post(f"/custody/inventories/{inventory['id']}/close").json()
    assert (closed["found"], closed["missing"]) == (1, 1)
    text = " ".join("".join(page_texts(clerk.get(f"/custody/inventories/{inventory['id']}/report").content)).split())
    assert "Copies missing 1 Scanned twice 1" in text
    assert f"A copy held by another custodian {elsewhere.code} " in text
    assert "Not a copy's code RGC-NOSUCHCOPY0000, hello " in text
    assert f"Scanned twice {cw.copies[1].code.lower()} " in text
    # A closed inventory takes no more scans.
    late = clerk.post(f"/custody/inventories/{inventory['id']}/scans", {"codes": [cw.copies[2].code]})
    assert late.status_code == 400 and "the inventory is closed" in reasons(late)


def test_a_pdf_of_what_the_reader_may_not_see_is_a_404_like_a_missing_one(custody_world):
    cw = custody_world
    copy = cw.copies[2]
    transfer = transfers.dispatch(cw.cr_clerk, [copy.public_id], to_registry=cw.sub)
    path = proposed_and_signed_by_the_destroyer(cw)
    for person in (cw.world.reader, cw.world.outsider):  # not cleared; cleared without need-to-know
        api = Api(person)
        for seen, missing in (
            (f"/custody/copies/{copy.public_id}/cover.pdf", "/custody/copies/aaaaaaaaaaaaaaaa/cover.pdf"),
            (
                f"/custody/transfers/{transfer.public_id}/transmittal.pdf",
                "/custody/transfers/aaaaaaaaaaaaaaaa/transmittal.pdf",
            ),
            (f"{path}/certificate", "/custody/destructions/aaaaaaaaaaaaaaaa/certificate"),
        ):
            refused, absent = api.get(seen), api.get(missing)
            assert refused.status_code == absent.status_code == 404, (person.username, seen)
            assert refused.content == absent.content
            assert SUBJECT.encode() not in refused.content and b"COSMIC" not in refused.content
    # The registry's inventory report: not theirs to read (403), and no title in the answer.
    clerk = Api(cw.cr_clerk)
    inventory = clerk.post("/custody/inventories", {"registry": "CR", "container": "CR-CAB-2"}).json()
    clerk.post(f"/custody/inventories/{inventory['id']}/close")
    refused = Api(cw.world.outsider).get(f"/custody/inventories/{inventory['id']}/report")
    assert refused.status_code == 403 and SUBJECT.encode() not in refused.content


def test_an_inventory_is_refused_to_staff_not_cleared_for_what_it_lists(custody_world):
    cw = custody_world
    clerk, uncleared = Api(cw.cr_clerk), Api(ns_clerk(cw, "CR"))
    # Starting one over COSMIC TOP SECRET holdings: refused, and nothing is left open.
    refused = uncleared.post("/custody/inventories", {"registry": "CR"})
    assert refused.status_code == 403
    assert reasons(refused).startswith("the inventory lists copies you are not cleared for")
    assert "copy No." not in refused.text and SUBJECT not in refused.text
    assert clerk.get("/custody/inventories", registry="CR").json() == []
    # One a cleared clerk started: its counts, its scans, its close and its report are refused too.
    inventory = clerk.post("/custody/inventories", {"registry": "CR"}).json()
    path = f"/custody/inventories/{inventory['id']}"
    for answer in (
        uncleared.get(path),
        uncleared.post(f"{path}/scans", {"codes": [cw.copies[0].code]}),
        uncleared.post(f"{path}/close"),
    ):
        assert answer.status_code == 403, answer.content
        assert "copy No." not in answer.text and '"expected"' not in answer.text
    assert statuses(cw) == ["held"] * 3  # nobody declared COSMIC TOP SECRET copies lost unseen
    assert clerk.get(path).json()["found"] == 0
    clerk.post(f"{path}/close")
    assert uncleared.get(f"{path}/report").status_code == 403
    # An inventory of what they are cleared for (a level) is theirs to take; the list shows them
    # that one only.
    mine = uncleared.post("/custody/inventories", {"registry": "CR", "level": "NS"})
    assert mine.status_code == 201
    assert [i["id"] for i in uncleared.get("/custody/inventories", registry="CR").json()] == [mine.json()["id"]]
    assert len(clerk.get("/custody/inventories", registry="CR").json()) == 2
