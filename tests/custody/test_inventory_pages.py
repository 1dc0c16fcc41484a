"""The pages of charge-out, inventories and loss reports, through the Django test client."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from django.test import Client

from registrum.custody import inventories
from registrum.custody.models import ChargeOut, Copy, CopyStatus, Inventory, LossReport
from registrum.custody.models.losses import LossState

pytestmark = pytest.mark.django_db


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_scanning_page_tells_the_outcomes_apart_and_closes_with_a_report(custody_world):
    w = custody_world
    client = _client(w.cr_clerk)
    page = client.get("/custody/inventories/?registry=CR")
    assert page.status_code == 200
    started = client.post("/custody/inventories/?registry=CR", {"container": "", "level": ""})
    assert started.status_code == 302
    inventory = Inventory.objects.get()
    url = f"/custody/inventories/{inventory.public_id}/"
    scan = client.get(url)
    assert b"autofocus" in scan.content and b'name="code"' in scan.content
    found = client.post(url, {"code": w.copies[0].code})
    assert b"outcome-found" in found.content and b"Found:" in found.content
    assert b'id="count-found">1<' in found.content
    again = client.post(url, {"code": w.copies[0].code})
    assert b"outcome-already" in again.content
    nothing = client.post(url, {"code": "GARBAGE-123"})
    assert b"outcome-not-a-copy" in nothing.content
    listed = client.post(url, {"codes": f"{w.copies[1].code}\nNOPE\n"})
    assert b"outcome-found" in listed.content and b"outcome-not-a-copy" in listed.content
    assert w.copies[2].code.encode() in listed.content  # still missing
    closed = client.post(f"{url}close/")
    assert closed.status_code == 302
    assert Copy.objects.get(pk=w.copies[2].pk).status == CopyStatus.LOST
    after = client.get(url)
    assert b"report.pdf" in after.content
    report = LossReport.objects.get()
    assert report.public_id.encode() in after.content
    pdf = client.get(f"{url}report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    document = pdfium.PdfDocument(pdf.content)
    text = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Copy No. 3 of 3" in " ".join(text.split())


def test_another_registrys_copy_is_named_by_its_code_only(custody_world):
    w = custody_world
    from registrum.custody import copies as custody
    from registrum.policy import Level

    registration = w.world.register(level=Level.NS, registry=w.sub, actor=w.sub_clerk, subject="FALCON logistics")
    other = custody.number_copies(w.sub_clerk, registration.document.public_id, registry=w.sub, count=1)[0]
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    response = _client(w.cr_clerk).post(f"/custody/inventories/{inventory.public_id}/", {"code": other.code})
    assert b"outcome-other" in response.content
    assert b"Not a copy of this registry" in response.content
    assert b"FALCON" not in response.content


def test_inventory_pages_are_for_the_registrys_staff(custody_world):
    w = custody_world
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    outsider = _client(w.world.outsider)
    assert outsider.get("/custody/inventories/?registry=CR").status_code == 403
    assert outsider.get(f"/custody/inventories/{inventory.public_id}/").status_code == 403
    assert outsider.post(f"/custody/inventories/{inventory.public_id}/close/").status_code == 403
    assert _client(w.sub_clerk).get("/custody/inventories/?registry=CR").status_code == 403
    assert Inventory.objects.get().state == "open"


def test_charge_out_and_check_in_pages(custody_world):
    w = custody_world
    client = _client(w.cr_clerk)
    refused = client.post(
        "/custody/chargeouts/?registry=CR", {"copy": w.copies[0].code, "reader": w.world.reader.username}
    )
    assert refused.status_code == 400 and b"cannot hold it" in refused.content
    done = client.post(
        "/custody/chargeouts/?registry=CR", {"copy": w.copies[0].code, "reader": w.world.outsider.username}
    )
    assert done.status_code == 302
    listing = client.get("/custody/chargeouts/?registry=CR")
    assert w.copies[0].code.encode() in listing.content
    mine = _client(w.world.outsider).get("/custody/chargeouts/mine/")
    assert w.copies[0].code.encode() in mine.content
    client.post("/custody/chargeouts/checkin/?registry=CR", {"copy": w.copies[0].code})
    assert ChargeOut.objects.get().checked_in_at is not None
    assert w.copies[0].code.encode() not in _client(w.world.outsider).get("/custody/chargeouts/mine/").content


def test_loss_pages(custody_world):
    w = custody_world
    client = _client(w.cr_clerk)
    made = client.post(
        "/custody/losses/?registry=CR", {"copies": w.copies[0].code, "kind": "loss", "circumstances": "Gone."}
    )
    assert made.status_code == 302
    report = LossReport.objects.get()
    page = client.get(f"/custody/losses/{report.public_id}/")
    assert page.status_code == 200 and b"Found again" in page.content
    assert client.post(f"/custody/losses/{report.public_id}/update/", {"state": "investigating"}).status_code == 403
    officer = _client(w.officer)
    officer.post(f"/custody/losses/{report.public_id}/update/", {"state": "investigating", "people_told": "NOS"})
    assert LossReport.objects.get().state == LossState.INVESTIGATING
    client.post(f"/custody/losses/{report.public_id}/found/", {"copy": w.copies[0].code})
    assert Copy.objects.get(pk=w.copies[0].pk).status == CopyStatus.HELD
    assert _client(w.world.outsider).get(f"/custody/losses/{report.public_id}/").status_code == 403


def test_an_htmx_scan_answers_with_the_panel_the_page_swaps(custody_world):
    w = custody_world
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    response = _client(w.cr_clerk).post(
        f"/custody/inventories/{inventory.public_id}/", {"code": w.copies[1].code}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b'id="scan-panel"' in response.content and b"outcome-found" in response.content
    assert b'id="count-found">1<' in response.content
    assert b'name="code" autofocus' in response.content  # the swapped input takes the next scan
