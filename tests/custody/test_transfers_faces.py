"""Transfers through the pages (dispatch form, scanning receipt, cancel, outstanding list, the
PDF), the API and the command line."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registrum.accounts.services import issue_token
from registrum.custody import transfers
from registrum.custody.models import Copy, CopyStatus, Transfer, TransferState
from tests.conftest import PASSWORD
from tests.custody.conftest import Custody


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_dispatch_form_then_scan_codes_one_after_another(custody_world: Custody) -> None:
    cw = custody_world
    sender = logged_in(cw.cr_clerk)
    page = sender.get(reverse("custody:transfer_new"))
    assert page.status_code == 200
    assert b"NUCLEAR PLANNING GROUP minutes" in page.content
    assert b"Copy No. 3 of 3" in page.content
    # A refusal re-renders the form with the policy's reason.
    refused = sender.post(
        reverse("custody:transfer_new"),
        {"source": "CR", "copy": [c.public_id for c in cw.copies], "to_registry": "OPS-CP"},
    )
    assert refused.status_code == 400
    assert b"OPS-CP is not accredited for COSMIC TOP SECRET" in refused.content
    sent = sender.post(
        reverse("custody:transfer_new"),
        {
            "source": "CR",
            "copy": [c.public_id for c in cw.copies[:2]],
            "to_registry": "IMS-REG",
            "container": "IMS-SAFE-1",
            "note": "by courier",
        },
    )
    assert sent.status_code == 302
    transfer = Transfer.objects.get()
    assert sent["Location"] == reverse("custody:transfer", args=[transfer.public_id])
    detail = sender.get(sent["Location"])
    assert detail.status_code == 200
    assert transfer.number.encode() in detail.content
    assert b'name="code"' not in detail.content  # the sender does not acknowledge
    assert reverse("custody:transfer_pdf", args=[transfer.public_id]).encode() in detail.content

    receiver = logged_in(cw.sub_clerk)
    page = receiver.get(reverse("custody:transfer", args=[transfer.public_id]))
    assert b"autofocus" in page.content and b'name="code"' in page.content
    receive = reverse("custody:transfer_receive", args=[transfer.public_id])
    bad = receiver.post(receive, {"code": "NOT-A-CODE"})
    assert bad.status_code == 400
    assert b"NOT-A-CODE: not a copy code" in bad.content
    other = receiver.post(receive, {"code": cw.copies[2].code})
    assert b"not in this transfer" in other.content
    first = receiver.post(receive, {"code": cw.copies[0].code.lower() + "\r\n"}, follow=True)
    assert b"Copy No. 1 of 3 received." in first.content
    again = receiver.post(receive, {"code": cw.copies[0].code})
    assert b"already received" in again.content
    receiver.post(receive, {"code": cw.copies[1].code})
    transfer.refresh_from_db()
    assert transfer.state == TransferState.RECEIVED
    assert Copy.objects.get(pk=cw.copies[1].pk).registry == cw.sub

    pdf = receiver.get(reverse("custody:transfer_pdf", args=[transfer.public_id]))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdfium.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "COSMIC TOP SECRET ATOMAL" in text and transfer.number in text
    # Not a party: no such transfer.
    assert logged_in(cw.world.outsider).get(reverse("custody:transfer", args=[transfer.public_id])).status_code == 404


def test_outstanding_list_flags_past_suspense_and_cancel(custody_world: Custody) -> None:
    cw = custody_world
    transfer = transfers.dispatch(
        cw.cr_clerk, [cw.copies[0].public_id], to_registry=cw.sub, suspense=timezone.localdate()
    )
    Transfer.objects.filter(pk=transfer.pk).update(suspense=timezone.localdate() - timedelta(days=1))
    for person in (cw.cr_clerk, cw.sub_clerk):
        page = logged_in(person).get(reverse("custody:transfers"))
        assert page.status_code == 200
        assert transfer.number.encode() in page.content
        assert b"overdue" in page.content
    assert transfer.number.encode() not in logged_in(cw.world.reader).get(reverse("custody:transfers")).content
    cancel = reverse("custody:transfer_cancel", args=[transfer.public_id])
    assert logged_in(cw.sub_clerk).post(cancel).status_code == 403
    assert logged_in(cw.cr_clerk).post(cancel).status_code == 302
    assert Copy.objects.get(pk=cw.copies[0].pk).status == CopyStatus.HELD
    assert logged_in(cw.world.reader).get(reverse("custody:transfer_new")).status_code == 403


def test_the_api_dispatches_receives_and_lists(custody_world: Custody, client: Client) -> None:
    cw = custody_world

    def headers(person) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(person, person, name='t')}"}

    sender, receiver = headers(cw.cr_clerk), headers(cw.sub_clerk)
    body = {"copies": [c.code for c in cw.copies], "to_registry": "OPS-CP"}
    refused = client.post("/api/v1/custody/transfers", body, "application/json", headers=sender)
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["field"] == "destination"
    body = {
        "copies": [cw.copies[0].public_id, cw.copies[1].public_id],
        "to_registry": "IMS-REG",
        "to_container": "IMS-SAFE-1",
    }
    made = client.post("/api/v1/custody/transfers", body, "application/json", headers=sender)
    assert made.status_code == 201, made.content
    out = made.json()
    assert (out["state"], out["destination"], out["container"], out["pending"]) == (
        "in_transit",
        "IMS-REG",
        "IMS-SAFE-1",
        2,
    )
    assert [i["number"] for i in out["items"]] == [1, 2]
    listed = client.get("/api/v1/custody/transfers", {"registry": "IMS-REG"}, headers=receiver)
    assert [t["number"] for t in listed.json()] == [out["number"]]
    assert client.get("/api/v1/custody/transfers", {"registry": "IMS-REG"}, headers=sender).status_code == 403
    url = f"/api/v1/custody/transfers/{out['id']}/receipt"
    assert client.post(url, {}, "application/json", headers=sender).status_code == 403
    bad = client.post(url, {"codes": ["RGC-NOPE"]}, "application/json", headers=receiver)
    assert bad.status_code == 400 and "not a copy code" in bad.json()["detail"][0]["message"]
    got = client.post(url, {"codes": [cw.copies[0].code]}, "application/json", headers=receiver)
    assert (got.json()["received"], got.json()["outstanding"]) == ([cw.copies[0].public_id], 1)
    done = client.post(url, {}, "application/json", headers=receiver).json()
    assert done["transfer"]["state"] == "received"
    pdf = client.get(f"/api/v1/custody/transfers/{out['id']}/transmittal.pdf", headers=receiver)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/custody/transfers/{out['id']}", headers=headers(cw.world.reader)).status_code == 404
    cancel = client.post(f"/api/v1/custody/transfers/{out['id']}/cancel", headers=sender)
    assert cancel.status_code == 400


def test_the_command_line_dispatches_receives_cancels_and_lists(custody_world: Custody, monkeypatch) -> None:
    cw = custody_world
    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)

    def run(username: str, *args: str) -> str:
        out = io.StringIO()
        call_command("custody", "--as", username, *args, stdout=out)
        return out.getvalue()

    with pytest.raises(CommandError, match="not accredited"):
        run("crclerk", "dispatch", cw.copies[0].code, "--to-registry", "OPS-CP")
    line = run(
        "crclerk",
        "dispatch",
        cw.copies[0].code,
        cw.copies[1].code,
        "--to-registry",
        "IMS-REG",
        "--container",
        "IMS-SAFE-1",
    )
    number, public_id = line.split()[:2]
    assert number.startswith("CR/TR/") and "2 copies to IMS-REG" in line
    assert number in run("clerk", "outstanding", "--registry", "IMS-REG")
    assert number in run("crclerk", "outstanding", "--registry", "CR", "--outbound")
    with pytest.raises(CommandError, match="refused"):
        run("crclerk", "receive", public_id)
    assert "1 received, 1 outstanding" in run("clerk", "receive", public_id, cw.copies[0].code)
    assert "received: 1 received, 0 outstanding" in run("clerk", "receive", public_id)
    other = run("crclerk", "dispatch", cw.copies[2].code, "--to-registry", "IMS-REG").split()[1]
    assert "cancelled" in run("crclerk", "cancel", other)
