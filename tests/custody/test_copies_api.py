"""The copies endpoints: opaque ids, the access filter, every refusal."""

from __future__ import annotations

import json
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.test import Client

from registrum.accounts.services import issue_token
from registrum.custody import copies as custody
from registrum.custody.models import Container, Copy
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from tests.conftest import make_person

pytestmark = pytest.mark.django_db
API = "/api/v1/custody"


class Api:
    def __init__(self, person) -> None:
        self.client = Client()
        self.token = issue_token(person, person, name="t")

    def get(self, url: str) -> Any:
        return self.client.get(API + url, headers={"Authorization": f"Bearer {self.token}"})

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            API + url,
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}"},
        )


def test_list_copies_with_their_events_and_number_more(custody_world):
    cw = custody_world
    api = Api(cw.cr_clerk)
    doc = cw.registration.document.public_id
    listed = api.get(f"/documents/{doc}/copies")
    assert listed.status_code == 200
    body = listed.json()
    assert [(c["number"], c["of_total"]) for c in body] == [(1, 3), (2, 3), (3, 3)]
    assert body[0]["code"].startswith("RGC-") and body[0]["container"] == "CR-SAFE-1"
    assert body[0]["marking"] == "COSMIC TOP SECRET ATOMAL" and body[0]["events"][0]["kind"] == "created"
    assert all(isinstance(c["id"], str) and len(c["id"]) == 16 for c in body)
    made = api.post(f"/documents/{doc}/copies", {"registry": "CR", "count": 2, "container": "CR-SAFE-1"})
    assert made.status_code == 201
    assert [(c["number"], c["of_total"]) for c in made.json()] == [(4, 5), (5, 5)]


def test_numbering_refusals(custody_world):
    cw = custody_world
    doc = cw.registration.document.public_id
    api = Api(cw.cr_clerk)
    bad = api.post(f"/documents/{doc}/copies", {"registry": "CR", "count": 1, "container": "CR-CAB-2"})
    assert bad.status_code == 400 and "not accredited for COSMIC TOP SECRET" in bad.text
    assert api.post(f"/documents/{doc}/copies", {"registry": "NOPE", "count": 1}).status_code == 400
    assert api.post(f"/documents/{doc}/copies", {"registry": "CR", "count": 0}).status_code == 400
    assert api.post(f"/documents/{doc}/copies", {"registry": "IMS-REG", "count": 1}).status_code == 403
    # Without need-to-know: the document is not there.
    outsider = Api(cw.world.outsider)
    assert outsider.get(f"/documents/{doc}/copies").status_code == 404
    assert outsider.post(f"/documents/{doc}/copies", {"registry": "CR", "count": 1}).status_code == 404
    assert outsider.get(f"/copies/{cw.copies[0].public_id}/cover.pdf").status_code == 404
    assert Copy.objects.count() == 3


def test_the_cover_sheet_over_the_api_is_a_marked_pdf(custody_world):
    cw = custody_world
    response = Api(cw.cr_clerk).get(f"/copies/{cw.copies[2].public_id}/cover.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    page = pdfium.PdfDocument(response.content)[0]
    text = page.get_textpage().get_text_range()
    assert "Copy No. 3 of 3" in text and text.count("COSMIC TOP SECRET ATOMAL") >= 3


def test_containers_listed_created_and_their_combination_changed(custody_world):
    cw = custody_world
    clerk, officer = Api(cw.cr_clerk), Api(cw.officer)
    listed = clerk.get("/registries/CR/containers")
    assert listed.status_code == 200
    assert [c["code"] for c in listed.json()] == ["CR-CAB-2", "CR-SAFE-1"]
    assert listed.json()[1]["categories"] == ["ATOMAL"]
    body = {"code": "CR-VAULT-7", "name": "Vault", "accreditation": "CTS", "kind": "vault", "categories": ["ATOMAL"]}
    assert clerk.post("/registries/CR/containers", body).status_code == 403
    made = officer.post("/registries/CR/containers", body)
    assert made.status_code == 201 and made.json()["accreditation"] == "CTS"
    assert officer.post("/registries/CR/containers", {**body, "code": "X2", "accreditation": "ZZ"}).status_code == 400
    assert officer.post("/registries/NOPE/containers", body).status_code == 404
    vault = made.json()["id"]
    change = clerk.post(f"/containers/{vault}/combination-changes", {"changed_on": "2026-01-02", "reason": "routine"})
    assert change.status_code == 201 and change.json()["recorded_by"] == "crclerk"
    assert (
        clerk.post(
            f"/containers/{vault}/combination-changes", {"changed_on": "2026-01-02", "reason": "whim"}
        ).status_code
        == 400
    )
    # Not the staff of CR.
    other = Api(cw.sub_clerk)
    assert other.get("/registries/CR/containers").status_code == 403
    assert (
        other.post(
            f"/containers/{vault}/combination-changes", {"changed_on": "2026-01-02", "reason": "routine"}
        ).status_code
        == 403
    )
    assert (
        other.post(
            "/containers/aaaaaaaaaaaaaaaa/combination-changes", {"changed_on": "2026-01-02", "reason": "routine"}
        ).status_code
        == 404
    )


def test_holdings_are_paged_filtered_and_hide_what_the_clerk_may_not_see(custody_world):
    cw = custody_world
    ns_doc = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk)
    custody.number_copies(cw.cr_clerk, ns_doc.document.public_id, registry=cw.central, count=4, container=cw.cr_cabinet)
    api = Api(cw.cr_clerk)
    first = api.get("/registries/CR/holdings?page_size=5").json()
    assert first["count"] == 7 and first["pages"] == 2 and first["next"] is True and len(first["items"]) == 5
    assert api.get("/registries/CR/holdings?level=CTS").json()["count"] == 3
    assert api.get("/registries/CR/holdings?container=CR-CAB-2").json()["count"] == 4
    assert api.get("/registries/CR/holdings?level=HUGE").status_code == 400
    assert api.get("/registries/CR/holdings?container=NOPE").status_code == 400
    ns_clerk = make_person("nsclerk", "DEU", cw.world.hq, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, cw.central, ns_clerk)
    limited = Api(ns_clerk).get("/registries/CR/holdings").json()
    assert limited["count"] == 4 and {c["level"] for c in limited["items"]} == {"NS"}
    assert Api(cw.sub_clerk).get("/registries/CR/holdings").status_code == 403


def test_storing_a_copy(custody_world):
    cw = custody_world
    copy = cw.copies[0]
    api = Api(cw.cr_clerk)
    moved = api.post(f"/copies/{copy.public_id}/store", {"container": ""})
    assert moved.status_code == 200 and moved.json()["container"] is None
    refused = api.post(f"/copies/{copy.public_id}/store", {"container": "CR-CAB-2"})
    assert refused.status_code == 400 and "not accredited" in refused.text
    assert api.post(f"/copies/{copy.public_id}/store", {"container": "NOPE"}).status_code == 400
    back = api.post(f"/copies/{copy.public_id}/store", {"container": "CR-SAFE-1"})
    assert back.status_code == 200 and back.json()["container"] == "CR-SAFE-1"
    assert Copy.objects.get(pk=copy.pk).container_id == Container.objects.get(code="CR-SAFE-1").pk
    assert Api(cw.world.outsider).post(f"/copies/{copy.public_id}/store", {"container": ""}).status_code == 404
    assert Api(cw.world.outsider).post("/copies/aaaaaaaaaaaaaaaa/store", {"container": ""}).status_code == 404
