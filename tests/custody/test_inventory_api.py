"""The API of charge-outs, inventories and loss reports, with bearer tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from registrum.accounts.services import issue_token
from registrum.custody.models import CopyStatus

pytestmark = pytest.mark.django_db
API = "/api/v1/custody"


class Api:
    def __init__(self, person) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {issue_token(person, person, name='test')}"}

    def get(self, path, **params):
        return self.client.get(f"{API}{path}", params, headers=self.headers)

    def post(self, path, data=None):
        return self.client.post(f"{API}{path}", data or {}, content_type="application/json", headers=self.headers)


def test_charge_out_and_check_in_through_the_api(custody_world):
    w = custody_world
    clerk = Api(w.cr_clerk)
    made = clerk.post("/chargeouts", {"copy_code": w.copies[0].code, "reader": w.world.outsider.username})
    assert made.status_code == 201, made.content
    assert made.json()["lent_copy"]["status"] == CopyStatus.CHARGED_OUT
    assert [c["id"] for c in clerk.get("/chargeouts", registry="CR").json()] == [made.json()["id"]]
    reader = Api(w.world.outsider)
    assert len(reader.get("/chargeouts/mine").json()) == 1
    assert reader.post("/chargeouts/checkin", {"copy_code": w.copies[0].code}).status_code == 403
    back = clerk.post("/chargeouts/checkin", {"copy_code": w.copies[0].code})
    assert back.status_code == 200 and back.json()["checked_in_at"]
    refused = clerk.post("/chargeouts", {"copy_code": w.copies[0].code, "reader": w.world.reader.username})
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["field"] == "reader"


def test_an_inventory_through_the_api(custody_world):
    w = custody_world
    clerk = Api(w.cr_clerk)
    started = clerk.post("/inventories", {"registry": "CR", "container": "CR-SAFE-1"})
    assert started.status_code == 201, started.content
    inventory = started.json()
    assert inventory["expected"] == 3
    scans = clerk.post(
        f"/inventories/{inventory['id']}/scans", {"codes": [w.copies[0].code, w.copies[0].code, "NOT-A-CODE"]}
    ).json()
    assert [s["outcome"] for s in scans] == ["checked", "already", "not_a_copy"]
    progress = clerk.get(f"/inventories/{inventory['id']}").json()
    assert (progress["found"], progress["missing"], progress["unexpected"]) == (1, 2, 1)
    assert clerk.get(f"/inventories/{inventory['id']}/report").status_code == 400  # not closed yet
    closed = clerk.post(f"/inventories/{inventory['id']}/close").json()
    assert (closed["state"], closed["missing"]) == ("closed", 2)
    pdf = clerk.get(f"/inventories/{inventory['id']}/report")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert clerk.get("/inventories/due", registry="CR").json()["overdue"] is False
    losses = clerk.get("/losses", registry="CR").json()
    assert len(losses) == 1 and len(losses[0]["copies"]) == 2 and losses[0]["inventory"] == inventory["id"]
    outsider = Api(w.world.outsider)
    assert outsider.get(f"/inventories/{inventory['id']}").status_code == 403
    assert outsider.get("/inventories", registry="CR").status_code == 403


def test_loss_reports_through_the_api(custody_world):
    w = custody_world
    clerk = Api(w.cr_clerk)
    made = clerk.post("/losses", {"registry": "CR", "copies": [w.copies[1].code], "circumstances": "Not in the safe."})
    assert made.status_code == 201, made.content
    report = made.json()
    assert report["copies"][0]["status"] == "lost"
    assert clerk.post(f"/losses/{report['id']}/update", {"state": "investigating"}).status_code == 403
    officer = Api(w.officer)
    updated = officer.post(f"/losses/{report['id']}/update", {"state": "closed", "outcome": "Misfiled."})
    assert updated.status_code == 200 and updated.json()["state"] == "closed"
    found = clerk.post(f"/losses/{report['id']}/found", {"copy_code": w.copies[1].code})
    assert found.status_code == 200 and found.json()["status"] == "held"
    assert clerk.get(f"/losses/{report['id']}").json()["state"] == "closed"
