"""Destruction and reproduction through the pages (each signer in their own session), the API
(each signer with their own token) and the command line (each signer as --as themselves)."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from registrum.accounts.services import issue_token
from registrum.custody import destruction as service
from registrum.custody.models import Copy, CopyStatus, ReproductionRequest
from registrum.custody.models.destruction import Destruction, DestructionState
from registrum.org.models import Person
from tests.conftest import PASSWORD

API = "/api/v1/custody"
CONSENT = "originator's consent: SHAPE J2 letter 2026-11-20"


def session(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def token(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(person, person, name='t')}"}


def pdf_text(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_a_witnessed_destruction_in_the_browser_each_signer_in_their_own_session(custody_world):
    cw = custody_world
    clerk, officer, witness = session(cw.cr_clerk), session(cw.officer), session(cw.witness)
    page = clerk.get(reverse("custody:destruction_new", args=["CR"]))
    assert page.status_code == 200 and cw.copies[0].code.encode() in page.content
    answer = clerk.post(
        reverse("custody:destruction_new", args=["CR"]),
        {"copies": [c.public_id for c in cw.copies], "reason": "superseded", "method": "shredder"},
    )
    destruction = Destruction.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "custody:destruction_detail", args=[destruction.public_id]
    )
    detail = reverse("custody:destruction_detail", args=[destruction.public_id])
    assert b"/approve/" in officer.get(detail).content and b"/approve/" not in clerk.get(detail).content
    assert clerk.post(reverse("custody:destruction_approve", args=[destruction.public_id])).status_code == 403
    officer.post(reverse("custody:destruction_approve", args=[destruction.public_id]))
    assert b"Sign as destroyer" in clerk.get(detail).content
    clerk.post(reverse("custody:destruction_sign", args=[destruction.public_id]))
    assert b"Sign as witness" in witness.get(detail).content
    assert b"Sign as" not in clerk.get(detail).content  # the destroyer signed: no second signature
    # The destroyer posting again is refused: nobody witnesses their own destruction.
    assert clerk.post(reverse("custody:destruction_sign", args=[destruction.public_id])).status_code == 403
    assert {c.status for c in Copy.objects.filter(pk__in=[c.pk for c in cw.copies])} == {CopyStatus.HELD}
    witness.post(reverse("custody:destruction_sign", args=[destruction.public_id]))
    assert Destruction.objects.get().state == DestructionState.COMPLETED
    assert {c.status for c in Copy.objects.filter(pk__in=[c.pk for c in cw.copies])} == {CopyStatus.DESTROYED}
    pdf = officer.get(reverse("custody:destruction_certificate", args=[destruction.public_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    pages = pdf_text(pdf.content)
    assert all("COSMIC TOP SECRET ATOMAL" in page for page in pages)
    assert "Copy No. 3 of 3" in "".join(pages) and "@witness" in "".join(pages)
    listing = clerk.get(reverse("custody:destruction_list", args=["CR"]))
    assert destruction.number.encode() in listing.content
    assert session(cw.sub_clerk).get(reverse("custody:destruction_list", args=["CR"])).status_code == 403
    assert session(cw.world.reader).get(detail).status_code == 404


def test_a_proposal_with_no_copies_is_answered_on_the_page(custody_world):
    clerk = session(custody_world.cr_clerk)
    answer = clerk.post(reverse("custody:destruction_new", args=["CR"]), {"reason": ""})
    assert answer.status_code == 400
    assert b"choose at least one copy" in answer.content and b"give a reason" in answer.content


def test_a_witnessed_destruction_through_the_api_each_with_their_own_token(custody_world):
    cw = custody_world
    client = Client()
    created = client.post(
        f"{API}/destructions",
        {"registry": "CR", "copies": [c.public_id for c in cw.copies[:2]], "reason": "superseded"},
        content_type="application/json",
        headers=token(cw.cr_clerk),
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["signatures_required"] == 2 and [c["number"] for c in body["copies"]] == [1, 2]
    path = f"{API}/destructions/{body['id']}"
    assert client.post(f"{path}/sign", headers=token(cw.cr_clerk)).status_code == 400  # not approved
    assert client.post(f"{path}/approve", headers=token(cw.officer)).json()["state"] == "approved"
    assert client.post(f"{path}/sign", headers=token(cw.cr_clerk)).json()["state"] == "witnessing"
    assert client.post(f"{path}/sign", headers=token(cw.cr_clerk)).status_code == 403
    done = client.post(f"{path}/sign", headers=token(cw.witness)).json()
    assert done["state"] == "completed" and {c["status"] for c in done["copies"]} == {"destroyed"}
    assert [s["person"] for s in done["signatures"]] == ["crclerk", "witness"]
    certificate = client.get(f"{path}/certificate", headers=token(cw.officer))
    assert certificate.status_code == 200 and "Copy No. 2 of 3" in "".join(pdf_text(certificate.content))
    listing = client.get(f"{API}/registries/CR/destructions", headers=token(cw.cr_clerk)).json()
    assert [d["number"] for d in listing] == [body["number"]]


def test_reproduction_through_the_api_request_then_approval(custody_world):
    cw = custody_world
    client = Client()
    asked = client.post(
        f"{API}/copies/{cw.copies[0].public_id}/reproductions",
        {"kind": "translation", "count": 1, "authority": CONSENT},
        content_type="application/json",
        headers=token(cw.cr_clerk),
    )
    assert asked.status_code == 201 and asked.json()["request"]["state"] == "requested"
    request_id = asked.json()["request"]["id"]
    own = client.post(f"{API}/reproductions/{request_id}/approve", headers=token(cw.cr_clerk))
    assert own.status_code == 403
    approved = client.post(f"{API}/reproductions/{request_id}/approve", headers=token(cw.officer)).json()
    assert [(c["number"], c["of"], c["kind"], c["made_from"]) for c in approved["copies"]] == [
        (4, 4, "translation", cw.copies[0].public_id)
    ]
    refused = client.post(
        f"{API}/copies/{cw.copies[0].public_id}/reproductions",
        {"count": 1, "authority": ""},
        content_type="application/json",
        headers=token(cw.cr_clerk),
    )
    assert refused.status_code == 400 and "originator's consent" in refused.content.decode()


def test_reproduction_in_the_browser(custody_world):
    cw = custody_world
    clerk, officer = session(cw.cr_clerk), session(cw.officer)
    url = reverse("custody:reproduction_new", args=[cw.copies[1].public_id])
    assert b"Originator's consent" in clerk.get(url).content
    answer = clerk.post(url, {"kind": "extract", "count": "2", "authority": CONSENT})
    request = ReproductionRequest.objects.get()
    assert answer.status_code == 302
    detail = reverse("custody:reproduction_detail", args=[request.public_id])
    assert b"/approve/" not in clerk.get(detail).content and b"/approve/" in officer.get(detail).content
    officer.post(reverse("custody:reproduction_approve", args=[request.public_id]))
    assert b"Copy No. 4-5" in officer.get(detail).content
    assert clerk.post(url, {"kind": "extract", "count": "x", "authority": CONSENT}).status_code == 400


def cli(person: Person, *args: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("custody", "--as", person.username, *args, stdout=out)
    return out.getvalue()


def test_the_command_line_each_signer_as_themselves(custody_world, tmp_path, monkeypatch):
    cw = custody_world
    codes = [c.code for c in cw.copies]
    out = cli(cw.cr_clerk, "destruction", "propose", "CR", *codes, "--reason", "superseded", monkeypatch=monkeypatch)
    number = out.split("\t")[0]
    with pytest.raises(CommandError, match="refused"):
        cli(cw.cr_clerk, "destruction", "approve", number, monkeypatch=monkeypatch)
    cli(cw.officer, "destruction", "approve", number, monkeypatch=monkeypatch)
    assert "awaiting witnesses" in cli(cw.cr_clerk, "destruction", "sign", number, monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="nobody witnesses their own destruction"):
        cli(cw.cr_clerk, "destruction", "sign", number, monkeypatch=monkeypatch)
    assert "destroyed" in cli(cw.witness, "destruction", "sign", number, monkeypatch=monkeypatch)
    target = tmp_path / "certificate.pdf"
    cli(cw.officer, "destruction", "certificate", number, "-o", str(target), monkeypatch=monkeypatch)
    assert "Copy No. 1 of 3" in "".join(pdf_text(target.read_bytes()))
    assert number in cli(cw.cr_clerk, "destruction", "list", "CR", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="kept until"):
        cli(cw.officer, "destruction", "dispose", number, monkeypatch=monkeypatch)
    assert service.get_destruction(cw.officer, Destruction.objects.get().public_id).state == "completed"


def test_reproduction_on_the_command_line(custody_world, monkeypatch):
    cw = custody_world
    code = cw.copies[0].code
    with pytest.raises(CommandError, match="only on a request"):
        cli(cw.officer, "reproduction", "make", code, "--authority", CONSENT, monkeypatch=monkeypatch)
    request_id = cli(cw.cr_clerk, "reproduction", "request", code, "--authority", CONSENT, monkeypatch=monkeypatch)
    out = cli(cw.officer, "reproduction", "approve", request_id.split("\t")[0], monkeypatch=monkeypatch)
    assert "copy No. 4" in out
