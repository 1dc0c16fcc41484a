"""The REST API: bearer tokens, the same visibility as the pages, registration, receipt,
correction, voiding, content and need-to-know."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registrum.accounts.services import issue_token, revoke_token
from registrum.audit.models import AuditEvent
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records.models import Document, Registration
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    class Api:
        def __init__(self):
            self.token = ""

        def as_(self, person):
            self.token = issue_token(person, person, name="test")
            return self

        def _headers(self, extra=None):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            return {**headers, **(extra or {})}

        def get(self, path, **params):
            return client.get(f"/api/v1{path}", params, headers=self._headers())

        def post(self, path, data=None, headers=None, **kw):
            return client.post(f"/api/v1{path}", data, headers=self._headers(headers), **kw)

        def patch(self, path, data):
            return client.patch(f"/api/v1{path}", data, content_type="application/json", headers=self._headers())

        def delete(self, path):
            return client.delete(f"/api/v1{path}", headers=self._headers())

    return Api()


def registration(**overrides):
    body = {
        "registry": "IMS-REG",
        "direction": "IN",
        "originator": "SHAPE",
        "originator_reference": "SH/J5/26-000777",
        "subject": "Force readiness report",
        "level": "NS",
        "releasable_to": ["AUS"],
        "action": ["ESO"],
        "info": ["@outsider"],
    }
    return {**body, **overrides}


def fields(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["detail"]}


def test_requests_without_a_valid_token_are_401(api, world):
    assert api.get("/registrations").status_code == 401
    api.token = "rgm_not-a-real-token"
    assert api.get("/registrations").status_code == 401
    token = issue_token(world.reader, world.reader, name="t")
    api.token = token
    assert api.get("/registrations").status_code == 200
    from registrum.accounts.models import ApiToken

    revoke_token(world.reader, ApiToken.objects.get(person=world.reader).prefix)
    assert api.get("/registrations").status_code == 401


def test_list_holds_and_counts_only_what_the_caller_may_see(api, world):
    world.register(level=Level.NS, subject="visible")
    world.register(level=Level.CTS, subject="too high")
    world.register(level=Level.NR, action_units=[world.ops], subject="not addressed")
    body = api.as_(world.reader).get("/registrations").json()
    assert body["count"] == 1
    assert [r["document"]["subject"] for r in body["items"]] == ["visible"]
    assert body["items"][0]["document"]["marking"] == "NATO SECRET"


def test_list_filters_and_pages(api, world):
    for i in range(5):
        world.register(level=Level.NR, subject=f"routine {i}")
    world.register(level=Level.NS, subject="the secret one")
    client = api.as_(world.clerk)
    assert client.get("/registrations", level="NS").json()["count"] == 1
    assert client.get("/registrations", q="routine").json()["count"] == 5
    page = client.get("/registrations", page_size=2, page=3).json()
    assert (page["count"], page["pages"], page["page"], len(page["items"])) == (6, 3, 3, 2)
    bad = client.get("/registrations", level="TOP")
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["field"] == "level"


def test_detail_is_404_alike_for_forbidden_and_missing(api, world):
    registered = world.register(level=Level.NS)
    document = registered.document
    client = api.as_(world.nr_reader)
    for forbidden, missing in (
        (f"/documents/{document.public_id}", "/documents/aaaaaaaaaaaaaaaa"),
        (f"/registrations/{registered.public_id}", "/registrations/aaaaaaaaaaaaaaaa"),
    ):
        refused, absent = client.get(forbidden), client.get(missing)
        assert refused.status_code == absent.status_code == 404
        assert refused.json() == absent.json()
    reader = api.as_(world.reader)
    detail = reader.get(f"/documents/{document.public_id}").json()
    assert [r["number"] for r in detail["registrations"]] == [registered.number]
    assert detail["action"] == ["ESO"]
    one = reader.get(f"/registrations/{registered.public_id}").json()
    assert one["number"] == registered.number and one["document"]["id"] == document.public_id


def test_ids_are_opaque_not_sequential(api, world):
    registered = world.register(level=Level.NS)
    client = api.as_(world.reader)
    assert client.get(f"/documents/{registered.document.pk}").status_code == 404
    assert client.get(f"/registrations/{registered.pk}").status_code == 404


def test_register_through_the_api(api, world):
    response = api.as_(world.clerk).post("/registrations", registration(), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["document"]["marking"] == "NATO SECRET RELEASABLE TO AUS"
    assert body["registry"] == "IMS-REG" and body["number"].startswith("IMS-REG/")
    assert body["void"] is False
    assert Registration.objects.get().number == body["number"]
    detail = api.get(f"/documents/{body['document']['id']}").json()
    assert detail["action"] == ["ESO"] and detail["info"] == ["@outsider"]


def test_an_idempotent_retry_returns_the_same_registration_and_registers_nothing_more(api, world):
    client = api.as_(world.clerk)
    key = {"Idempotency-Key": "client-7f3a"}
    first = client.post("/registrations", registration(), content_type="application/json", headers=key)
    assert first.status_code == 201, first.content
    retry = client.post("/registrations", registration(), content_type="application/json", headers=key)
    assert retry.status_code == 200, retry.content
    assert retry.json()["number"] == first.json()["number"]
    assert retry.json()["id"] == first.json()["id"]
    assert Registration.objects.count() == Document.objects.count() == 1

    other = client.post(
        "/registrations", registration(subject="Another report"), content_type="application/json", headers=key
    )
    assert other.status_code == 409
    assert "Idempotency-Key" in fields(other)
    assert Registration.objects.count() == 1

    # A new key registers again: the key names a request, not a document.
    fresh = client.post(
        "/registrations", registration(), content_type="application/json", headers={"Idempotency-Key": "client-7f3b"}
    )
    assert fresh.status_code == 201
    assert fresh.json()["number"] != first.json()["number"]
    assert Registration.objects.count() == 2


def test_bad_registration_names_every_field_and_registers_nothing(api, world):
    response = api.as_(world.clerk).post(
        "/registrations",
        registration(registry="NOPE", level="SECRETISSIME", releasable_to=["XYZ"]),
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = fields(response)
    assert errors["registry"] == "unknown registry 'NOPE'"
    assert "'SECRETISSIME'" in errors["level"]
    assert "'XYZ'" in errors["releasable_to"]
    assert not Document.objects.exists()


def test_releasable_to_a_member_nation_is_refused_naming_it(api, world):
    response = api.as_(world.clerk).post(
        "/registrations", registration(releasable_to=["AUS", "DEU"]), content_type="application/json"
    )
    assert response.status_code == 400
    assert "DEU" in fields(response)["releasable_to"]
    assert not Registration.objects.exists()


@pytest.mark.parametrize(("name", "value"), [("pages", 10**12), ("annexes", 32768), ("pages", 100_001)])
def test_absurd_counts_are_400_naming_the_field_not_a_server_error(api, world, name, value):
    response = api.as_(world.clerk).post(
        "/registrations", registration(**{name: value}), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert name in fields(response)
    assert not Registration.objects.exists()


def test_a_lone_surrogate_is_refused_by_name_not_a_server_error(api, world):
    body = json.dumps(registration(subject="PLACEHOLDER")).replace("PLACEHOLDER", "\\ud800")
    assert '"subject": "\\ud800"' in body
    response = api.as_(world.clerk).post("/registrations", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "surrogate" in fields(response)["subject"]
    assert not Registration.objects.exists()


def test_registering_is_refused_to_readers(api, world):
    response = api.as_(world.reader).post("/registrations", registration(), content_type="application/json")
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_lookup_finds_only_documents_the_caller_may_see(api, world):
    registered = world.register(level=Level.NS, originator_reference="SH/J5/26-000123")
    public_id = registered.document.public_id
    reader = api.as_(world.reader)
    for text in (registered.number, registered.number.lower(), "SH/J5/26-000123"):
        found = reader.get("/documents/lookup", q=text)
        assert found.status_code == 200
        assert [d["id"] for d in found.json()] == [public_id], text
    assert reader.get("/documents/lookup", q=registered.number[:-1]).json() == []  # exact, not a prefix
    for person in (world.outsider, world.nr_reader, world.partner):
        assert api.as_(person).get("/documents/lookup", q=registered.number).json() == [], person.username


@pytest.fixture
def cp_clerk(world):
    """A clerk of the OPS control point only: not an addressee, and not staff of IMS-REG."""
    person = make_person("cpclerk", "ITA", world.ops, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, world.control_point, person)
    return person


def test_another_registry_registers_the_receipt_after_a_grant_to_it(api, world, cp_clerk):
    registered = world.register(level=Level.NC, subject="Host nation support", originator_reference="SH/HNS/1")
    public_id = registered.document.public_id
    receipt = {"registry": "OPS-CP", "direction": "IN"}
    clerk = api.as_(cp_clerk)
    assert clerk.get("/documents/lookup", q=registered.number).json() == []
    refused = clerk.post(f"/documents/{public_id}/registrations", receipt, content_type="application/json")
    assert refused.status_code == 404  # no receipt of a document one cannot see
    assert Registration.objects.count() == 1

    granted = api.as_(world.clerk).post(
        f"/documents/{public_id}/grants", {"grantee": "OPS-CP", "note": "copy sent"}, content_type="application/json"
    )
    assert granted.status_code == 201, granted.content
    assert granted.json()["grantee"] == "OPS-CP"

    clerk = api.as_(cp_clerk)
    assert [d["id"] for d in clerk.get("/documents/lookup", q=registered.number).json()] == [public_id]
    response = clerk.post(f"/documents/{public_id}/registrations", receipt, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["registry"] == "OPS-CP" and body["number"].startswith("OPS-CP/")
    assert body["number"] != registered.number
    assert body["document"]["id"] == public_id
    detail = clerk.get(f"/documents/{public_id}").json()
    assert sorted(r["number"] for r in detail["registrations"]) == sorted([registered.number, body["number"]])
    assert Document.objects.count() == 1 and Registration.objects.count() == 2

    again = clerk.post(f"/documents/{public_id}/registrations", receipt, content_type="application/json")
    assert again.status_code == 400
    assert "OPS-CP" in fields(again)["registry"]
    assert Registration.objects.count() == 2


def test_a_correction_changes_the_subject_and_audits_before_and_after(api, world):
    registered = world.register(level=Level.NS, subject="Force readines report")
    url = f"/registrations/{registered.public_id}"
    response = api.as_(world.clerk).patch(url, {"subject": "Force readiness report"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["document"]["subject"] == "Force readiness report"
    assert body["number"] == registered.number
    event = AuditEvent.objects.get(event="records.registration_corrected")
    assert event.actor_id == world.clerk.pk
    assert event.data["before"] == {"subject": "Force readines report"}
    assert event.data["after"] == {"subject": "Force readiness report"}
    assert api.as_(world.reader).get(url).json()["document"]["subject"] == "Force readiness report"


def test_a_correction_is_refused_by_name_and_to_those_who_may_not(api, world):
    registered = world.register(level=Level.NS, subject="Original")
    url = f"/registrations/{registered.public_id}"
    bad = api.as_(world.clerk).patch(url, {"pages": 10**12, "document_date": "yesterday"})
    assert bad.status_code == 400
    assert {"pages", "document_date"} <= set(fields(bad))
    assert api.as_(world.reader).patch(url, {"subject": "Changed"}).status_code == 403  # sees it, may not correct
    assert api.as_(world.nr_reader).patch(url, {"subject": "Changed"}).status_code == 404  # does not see it
    assert Document.objects.get().subject == "Original"
    assert not AuditEvent.objects.filter(event="records.registration_corrected").exists()


def test_voiding_keeps_the_number_and_marks_it_void(api, world):
    registered = world.register(level=Level.NS)
    url = f"/registrations/{registered.public_id}/void"
    assert api.as_(world.reader).post(url, {"reason": "duplicate"}, content_type="application/json").status_code == 403
    assert api.as_(world.nr_reader).post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    client = api.as_(world.clerk)
    no_reason = client.post(url, {"reason": "  "}, content_type="application/json")
    assert no_reason.status_code == 400 and "reason" in fields(no_reason)
    response = client.post(url, {"reason": "registered twice"}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == registered.number
    assert body["void"] is True and body["void_reason"] == "registered twice" and body["voided_at"]
    listed = client.get("/registrations").json()
    assert [(r["number"], r["void"]) for r in listed["items"]] == [(registered.number, True)]
    event = AuditEvent.objects.get(event="records.registration_voided")
    assert event.data == {"number": registered.number, "reason": "registered twice"}


def test_upload_and_download_a_version(api, world, sample_pdf):
    public_id = world.register(level=Level.NS).document.public_id
    client = api.as_(world.clerk)
    response = client.post(f"/documents/{public_id}/versions", {"content": SimpleUploadedFile("a.pdf", sample_pdf)})
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 1
    download = api.as_(world.reader).get(f"/documents/{public_id}/versions/1/content")
    assert b"".join(download.streaming_content) == sample_pdf
    assert api.as_(world.nr_reader).get(f"/documents/{public_id}/versions/1/content").status_code == 404


def test_upload_over_the_limit_is_413_naming_it(api, world, max_upload):
    document = world.register(level=Level.NS).document
    client = api.as_(world.clerk)
    for size in (max_upload + 1, max_upload * 4):
        response = client.post(
            f"/documents/{document.public_id}/versions", {"content": SimpleUploadedFile("big.txt", b"x" * size)}
        )
        assert response.status_code == 413
        assert response.json()["limit_bytes"] == max_upload
        assert "64 KiB" in response.json()["detail"]
    assert not document.versions.exists()


def test_openapi_and_docs_are_served_locally(client, world):
    spec = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/registrations",
        "/api/v1/registrations/{public_id}",
        "/api/v1/registrations/{public_id}/void",
        "/api/v1/documents/lookup",
        "/api/v1/documents/{public_id}",
        "/api/v1/documents/{public_id}/registrations",
        "/api/v1/documents/{public_id}/grants",
    ):
        assert path in spec["paths"], path
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert "cdn." not in docs and "unpkg" not in docs


def test_nul_characters_are_refused_by_name_not_a_server_error(api, world):
    client = api.as_(world.clerk)
    response = client.post(
        "/registrations", registration(action=["ESO\x00"], subject="a\x00b"), content_type="application/json"
    )
    assert response.status_code == 400
    errors = fields(response)
    assert errors["action"] == errors["subject"] == "contains a NUL character"
    refused = client.get("/registrations", q="x\x00y")
    assert refused.status_code == 400
    assert fields(refused) == {"q": "contains a NUL character"}
    assert not Document.objects.exists()


def test_registry_staff_grant_and_revoke_need_to_know_through_the_api(api, world):
    public_id = world.register(level=Level.NC, action_units=[]).document.public_id
    assert api.as_(world.outsider).get(f"/documents/{public_id}").status_code == 404
    response = api.as_(world.clerk).post(
        f"/documents/{public_id}/grants", {"grantee": "@outsider", "note": "tasked"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["reason"] == "grant" and response.json()["still_refused"] == ""
    detail = api.as_(world.outsider).get(f"/documents/{public_id}").json()
    assert detail["granted_to"] == ["@outsider"]

    assert api.as_(world.outsider).delete(f"/documents/{public_id}/grants/@outsider").status_code == 403
    assert api.as_(world.clerk).delete(f"/documents/{public_id}/grants/@outsider").status_code == 204
    assert api.as_(world.outsider).get(f"/documents/{public_id}").status_code == 404
    revoked = AuditEvent.objects.filter(event="records.access_revoked")
    assert any(event.data.get("grantee") == "@outsider" for event in revoked)


def test_grants_are_refused_to_non_staff_and_unknown_grantees_are_named(api, world):
    public_id = world.register(level=Level.NS).document.public_id
    refused = api.as_(world.reader).post(
        f"/documents/{public_id}/grants", {"grantee": "@outsider"}, content_type="application/json"
    )
    assert refused.status_code == 403
    for grantee in ("@ghost", "NOWHERE"):
        unknown = api.as_(world.clerk).post(
            f"/documents/{public_id}/grants", {"grantee": grantee}, content_type="application/json"
        )
        assert unknown.status_code == 400
        [error] = unknown.json()["detail"]
        # The error names the field of the request body and what was typed.
        assert error["field"] == "grantee", error
        assert grantee in error["message"], error
    invisible = api.as_(world.nr_reader).post(
        f"/documents/{public_id}/grants", {"grantee": "@nrreader"}, content_type="application/json"
    )
    assert invisible.status_code == 404  # cannot grant oneself into a document one cannot see


@pytest.mark.parametrize(
    ("reason", "message"),
    [("\\ud800", "contains an invalid character (a lone surrogate)"), ("a\\u0000b", "contains a NUL character")],
)
def test_a_void_reason_that_cannot_be_stored_is_refused_by_name(api, world, reason, message):
    registered = world.register(level=Level.NS)
    response = api.as_(world.clerk).post(
        f"/registrations/{registered.public_id}/void", '{"reason": "' + reason + '"}', content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert fields(response) == {"reason": message}
    assert not Registration.objects.get().is_void
