"""The lifecycle of a COSMIC TOP SECRET ATOMAL document through the REST API alone, each person
with their own token: registration in the central registry, three numbered copies and a cover
sheet, a transfer to the sub-registry and its receipt there, a charge-out and check-in, an
inventory that finds a copy missing and opens a loss report, a reproduction approved by the
control officer, a downgrade that tells the holders, and a witnessed destruction with its
certificate. Every PDF is opened and read."""

from __future__ import annotations

import pytest

from registrum.custody.models import Copy, CopyStatus
from registrum.records.models import Registration
from tests.api.custody_api import Api, reasons
from tests.pdfs import assert_marked_on_every_page, page_texts

pytestmark = pytest.mark.django_db


def unbroken(text: str) -> str:
    """A PDF's text with the line breaks of narrow cells taken out (a hyphen where a line broke
    is read as U+FFFE)."""
    return text.replace("\ufffe", "-").replace("\r", "").replace("\n", "")


CTS_ATOMAL = "COSMIC TOP SECRET ATOMAL"
NS_ATOMAL = "NATO SECRET ATOMAL"
CONSENT = "originator's consent: SHAPE J2 letter SH/J2/26-0412"


def test_a_cosmic_top_secret_atomal_document_from_registration_to_destruction(custody_world):
    cw = custody_world
    clerk, officer, witness = Api(cw.cr_clerk), Api(cw.officer), Api(cw.witness)
    sub_clerk, reader = Api(cw.sub_clerk), Api(cw.world.outsider)  # outsider: CTS ATOMAL, no need-to-know

    # Registration in the central registry.
    registered = clerk.post(
        "/registrations",
        {
            "registry": "CR",
            "direction": "IN",
            "originator": "SHAPE",
            "originator_reference": "SH/J5/26-0099",
            "subject": "Nuclear planning: annual review",
            "level": "CTS",
            "categories": ["ATOMAL"],
            "action": ["ESO"],
        },
    )
    assert registered.status_code == 201, registered.content
    document = registered.json()["document"]
    assert document["marking"] == CTS_ATOMAL
    doc = document["id"]
    assert reader.get(f"/documents/{doc}").status_code == 404  # cleared, but no need-to-know

    # Three numbered copies, in the central registry's safe.
    numbered = clerk.post(f"/custody/documents/{doc}/copies", {"registry": "CR", "count": 3, "container": "CR-SAFE-1"})
    assert numbered.status_code == 201, numbered.content
    copies = numbered.json()
    assert [(c["number"], c["of_total"], c["container"], c["status"]) for c in copies] == [
        (n, 3, "CR-SAFE-1", "held") for n in (1, 2, 3)
    ]
    first, second, third = copies

    # The cover sheet of copy 2: marked on every page, its number and code printed.
    cover = clerk.get(f"/custody/copies/{second['id']}/cover.pdf")
    assert cover.status_code == 200 and cover["Content-Type"] == "application/pdf"
    assert_marked_on_every_page(cover.content, CTS_ATOMAL)
    text = "".join(page_texts(cover.content))
    assert "Copy No. 2 of 3" in text and second["code"] in text and "Copy No. 1 of 3" not in text

    # Copy 1 dispatched to the sub-registry, into its safe, with a transmittal form.
    sent = clerk.post(
        "/custody/transfers", {"copies": [first["code"]], "to_registry": "IMS-REG", "to_container": "IMS-SAFE-1"}
    )
    assert sent.status_code == 201, sent.content
    transfer = sent.json()
    assert (transfer["state"], transfer["origin"], transfer["container"], transfer["pending"]) == (
        "in_transit",
        "CR",
        "IMS-SAFE-1",
        1,
    )
    assert [(i["number"], i["of"]) for i in transfer["items"]] == [(1, 3)]
    transmittal = clerk.get(f"/custody/transfers/{transfer['id']}/transmittal.pdf")
    assert transmittal.status_code == 200
    assert_marked_on_every_page(transmittal.content, CTS_ATOMAL)
    text = "".join(page_texts(transmittal.content))
    assert transfer["number"] in text and "Copy No. 1 of 3" in text and "To IMS-REG" in text
    assert first["code"] in unbroken(text)
    in_transit = clerk.get(f"/custody/documents/{doc}/copies").json()
    assert [c["status"] for c in in_transit] == ["in_transit", "held", "held"]
    inbound = sub_clerk.get("/custody/transfers", registry="IMS-REG").json()
    assert [t["id"] for t in inbound] == [transfer["id"]]

    # The sub-registry's clerk scans the copy's code: received, and registered in IMS-REG's register.
    received = sub_clerk.post(f"/custody/transfers/{transfer['id']}/receipt", {"codes": [first["code"]]})
    assert received.status_code == 200, received.content
    assert received.json()["received"] == [first["id"]] and received.json()["outstanding"] == 0
    assert received.json()["transfer"]["state"] == "received"
    detail = sub_clerk.get(f"/custody/transfers/{transfer['id']}").json()
    receipt_number = detail["items"][0]["registration"]
    assert receipt_number.startswith("IMS-REG")
    in_register = sub_clerk.get("/registrations", registry="IMS-REG").json()["items"]
    assert [(r["number"], r["document"]["id"]) for r in in_register if r["document"]["id"] == doc] == [
        (receipt_number, doc)
    ]
    assert Registration.objects.get(number=receipt_number).registry.code == "IMS-REG"
    now_held = clerk.get(f"/custody/documents/{doc}/copies").json()[0]
    assert (now_held["status"], now_held["registry"], now_held["container"]) == ("held", "IMS-REG", "IMS-SAFE-1")
    assert [e["kind"] for e in now_held["events"]][:3] == ["created", "dispatched", "received"]
    assert sub_clerk.get("/custody/transfers", registry="IMS-REG").json() == []

    # Copy 2 charged out to a cleared reader: they read the document while it is out, not after.
    lent = clerk.post("/custody/chargeouts", {"copy_code": second["code"], "reader": "outsider"})
    assert lent.status_code == 201, lent.content
    assert lent.json()["lent_copy"]["status"] == CopyStatus.CHARGED_OUT
    assert reader.get(f"/documents/{doc}").json()["subject"] == "Nuclear planning: annual review"
    assert [c["lent_copy"]["number"] for c in reader.get("/custody/chargeouts/mine").json()] == [2]
    back = clerk.post("/custody/chargeouts/checkin", {"copy_code": second["code"]})
    assert back.status_code == 200 and back.json()["checked_in_at"]
    assert reader.get(f"/documents/{doc}").status_code == 404
    assert reader.get("/custody/chargeouts/mine").json() == []

    # An inventory of the central registry's holdings: copy 3 cannot be found.
    started = clerk.post("/custody/inventories", {"registry": "CR"})
    assert started.status_code == 201, started.content
    inventory = started.json()
    fixture_copies = [c.code for c in cw.copies]  # the registry's other document, all present
    assert inventory["expected"] == 2 + len(fixture_copies)
    scans = clerk.post(
        f"/custody/inventories/{inventory['id']}/scans",
        {"codes": [second["code"], "RGC-NOT-A-COPY", first["code"], second["code"], *fixture_copies]},
    )
    assert scans.status_code == 200, scans.content
    outcomes = [(s["outcome"], s["message"]) for s in scans.json()]
    assert outcomes[:4] == [
        ("checked", f"Found: {second['code']}, copy No. 2 of 3 checked."),
        ("not_a_copy", "Not a copy: RGC-NOT-A-COPY is no copy's code."),
        # Held by IMS-REG now: said so, without saying which document or copy it is.
        ("other", f"Not a copy of this registry: {first['code']}."),
        ("already", f"Already checked: {second['code']}, copy No. 2 of 3 was scanned before."),
    ]
    progress = clerk.get(f"/custody/inventories/{inventory['id']}").json()
    assert (progress["found"], progress["missing"], progress["unexpected"]) == (4, 1, 2)
    closed = clerk.post(f"/custody/inventories/{inventory['id']}/close")
    assert closed.status_code == 200, closed.content
    assert (closed.json()["state"], closed.json()["missing"]) == ("closed", 1)
    assert len(closed.json()["report_sha256"]) == 64
    report = clerk.get(f"/custody/inventories/{inventory['id']}/report")
    assert report.status_code == 200
    assert_marked_on_every_page(report.content, CTS_ATOMAL)
    text = "".join(page_texts(report.content))
    assert third["code"] in text and "RGC-NOT-A-COPY" in text
    losses = clerk.get("/custody/losses", registry="CR").json()
    assert len(losses) == 1 and losses[0]["inventory"] == inventory["id"]
    assert [(c["number"], c["status"]) for c in losses[0]["copies"]] == [(3, "lost")]
    loss = clerk.get(f"/custody/losses/{losses[0]['id']}").json()
    assert loss["state"] == "open" and loss["kind"] == "loss"

    # A reproduction of copy 2: requested by the clerk, approved by the control officer.
    asked = clerk.post(
        f"/custody/copies/{second['id']}/reproductions", {"kind": "reproduction", "count": 1, "authority": CONSENT}
    )
    assert asked.status_code == 201, asked.content
    request = asked.json()["request"]
    assert request["state"] == "requested" and asked.json()["copies"] == []
    refused = clerk.post(f"/custody/reproductions/{request['id']}/approve")
    assert refused.status_code == 403 and "control officer" in reasons(refused)
    approved = officer.post(f"/custody/reproductions/{request['id']}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["request"]["state"] == "approved"
    made = approved.json()["copies"]
    assert [(c["number"], c["of"], c["kind"], c["made_from"]) for c in made] == [(4, 4, "reproduction", second["id"])]
    assert made[0]["authority"].startswith(f"{CONSENT}; approved by @officer")
    fourth = clerk.get(f"/custody/documents/{doc}/copies").json()[3]
    assert (fourth["number"], fourth["made_from"], fourth["registry"]) == (4, second["id"], "CR")

    # Downgraded to NATO SECRET ATOMAL by the control officer: the holders are told.
    downgraded = officer.post(
        f"/custody/documents/{doc}/regrades",
        {"kind": "downgrade", "to_level": "NS", "to_categories": ["ATOMAL"], "authority": "SHAPE J5 letter 26-0123"},
    )
    assert downgraded.status_code == 201, downgraded.content
    assert (downgraded.json()["from_marking"], downgraded.json()["to_marking"]) == (CTS_ATOMAL, NS_ATOMAL)
    assert downgraded.json()["applied_at"]
    assert clerk.get(f"/documents/{doc}").json()["marking"] == NS_ATOMAL
    for holder in (sub_clerk, clerk):  # IMS-REG holds copy 1; CR holds copies 2 and 4
        notices = [n for n in holder.get("/custody/notices").json() if n["document"] == doc]
        assert len(notices) == 1 and notices[0]["kind"] == "regrade" and NS_ATOMAL in notices[0]["text"]
        assert notices[0]["read_at"] is None
    assert not [n for n in reader.get("/custody/notices").json() if n["document"] == doc]  # checked in before
    regraded_cover = clerk.get(f"/custody/copies/{second['id']}/cover.pdf")
    assert_marked_on_every_page(regraded_cover.content, NS_ATOMAL)

    # A witnessed destruction of copies 2 and 4: proposed, approved, signed by the destroyer and a witness.
    proposed = clerk.post(
        "/custody/destructions",
        {"registry": "CR", "copies": [second["code"], fourth["id"]], "reason": "superseded", "method": "shredder"},
    )
    assert proposed.status_code == 201, proposed.content
    destruction = proposed.json()
    assert destruction["state"] == "proposed" and destruction["signatures_required"] == 2
    path = f"/custody/destructions/{destruction['id']}"
    assert clerk.post(f"{path}/approve").status_code == 403
    assert officer.post(f"{path}/approve").json()["state"] == "approved"
    assert clerk.post(f"{path}/sign").json()["state"] == "witnessing"
    self_witness = clerk.post(f"{path}/sign")
    assert self_witness.status_code == 403 and "nobody witnesses their own destruction" in reasons(self_witness)
    assert {c.status for c in Copy.objects.filter(public_id__in=[second["id"], fourth["id"]])} == {CopyStatus.HELD}
    done = witness.post(f"{path}/sign")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "completed" and done.json()["keep_until"]
    assert [(c["number"], c["status"]) for c in done.json()["copies"]] == [(2, "destroyed"), (4, "destroyed")]
    assert [(s["role"], s["person"]) for s in done.json()["signatures"]] == [
        ("destroyer", "crclerk"),
        ("witness", "witness"),
    ]
    certificate = officer.get(f"{path}/certificate")
    assert certificate.status_code == 200 and certificate["Content-Type"] == "application/pdf"
    assert_marked_on_every_page(certificate.content, NS_ATOMAL)
    text = "".join(page_texts(certificate.content))
    # Each copy as its own paper numbers it: copy 2 was made one of three, copy 4 one of four.
    assert "Copy No. 2 of 3" in text and "Copy No. 4 of 4" in text and "Copy No. 1 of" not in text
    assert second["code"] in unbroken(text) and fourth["code"] in unbroken(text)
    assert destruction["number"] in text and "witnessed by Witness Test (@witness)" in text
    assert "destroyed by Crclerk Test (@crclerk)" in text

    # At the end: copy 1 in the sub-registry's safe, copy 3 lost, copies 2 and 4 destroyed.
    final = clerk.get(f"/custody/documents/{doc}/copies").json()
    assert [(c["number"], c["status"], c["registry"]) for c in final] == [
        (1, "held", "IMS-REG"),
        (2, "destroyed", "CR"),
        (3, "lost", "CR"),
        (4, "destroyed", "CR"),
    ]


def test_a_downgrade_tells_the_reader_holding_a_charged_out_copy_and_they_mark_it_read(custody_world):
    cw = custody_world
    doc = cw.registration.document.public_id
    clerk, reader = Api(cw.cr_clerk), Api(cw.world.outsider)
    assert clerk.post("/custody/chargeouts", {"copy_code": cw.copies[1].code, "reader": "outsider"}).status_code == 201
    downgraded = Api(cw.officer).post(
        f"/custody/documents/{doc}/regrades",
        {"kind": "downgrade", "to_level": "NS", "to_categories": ["ATOMAL"], "authority": "SHAPE J5 letter 26-0123"},
    )
    assert downgraded.status_code == 201, downgraded.content
    notices = reader.get("/custody/notices").json()
    assert [(n["document"], n["kind"], n["read_at"]) for n in notices] == [(doc, "regrade", None)]
    assert notices[0]["text"] == f"Document {doc} was downgraded. Its marking is now {NS_ATOMAL}."
    assert reader.get("/custody/chargeouts/mine").json()[0]["lent_copy"]["marking"] == NS_ATOMAL
    assert reader.post("/custody/notices/read", {"notice": notices[0]["id"]}).json() == {"marked": 1}
    assert reader.get("/custody/notices").json()[0]["read_at"]
    assert not [n for n in Api(cw.world.reader).get("/custody/notices").json() if n["document"] == doc]
