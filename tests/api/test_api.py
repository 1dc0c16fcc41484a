"""The REST API: bearer tokens, the same visibility as the pages, registration, content."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registrum.accounts.services import issue_token, revoke_token
from registrum.policy import Level
from registrum.records.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    class Api:
        def __init__(self):
            self.token = ""

        def as_(self, person):
            self.token = issue_token(person, person, name="test")
            return self

        def _headers(self):
            return {"Authorization": f"Bearer {self.token}"} if self.token else {}

        def get(self, path, **params):
            return client.get(f"/api/v1{path}", params, headers=self._headers())

        def post(self, path, data=None, **kw):
            return client.post(f"/api/v1{path}", data, headers=self._headers(), **kw)

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


def test_requests_without_a_valid_token_are_401(api, world):
    assert api.get("/documents").status_code == 401
    api.token = "rgm_not-a-real-token"
    assert api.get("/documents").status_code == 401
    token = issue_token(world.reader, world.reader, name="t")
    api.token = token
    assert api.get("/documents").status_code == 200
    from registrum.accounts.models import ApiToken

    revoke_token(world.reader, ApiToken.objects.get(person=world.reader).prefix)
    assert api.get("/documents").status_code == 401


def test_list_holds_and_counts_only_what_the_caller_may_see(api, world):
    world.register(level=Level.NS, subject="visible")
    world.register(level=Level.CTS, subject="too high")
    world.register(level=Level.NR, action_units=[world.ops], subject="not addressed")
    body = api.as_(world.reader).get("/documents").json()
    assert body["count"] == 1
    assert [d["subject"] for d in body["items"]] == ["visible"]
    assert body["items"][0]["marking"] == "NATO SECRET"


def test_list_filters_and_pages(api, world):
    for i in range(5):
        world.register(level=Level.NR, subject=f"routine {i}")
    world.register(level=Level.NS, subject="the secret one")
    client = api.as_(world.clerk)
    assert client.get("/documents", level="NS").json()["count"] == 1
    assert client.get("/documents", q="routine").json()["count"] == 5
    page = client.get("/documents", page_size=2, page=3).json()
    assert (page["count"], page["pages"], page["page"], len(page["items"])) == (6, 3, 3, 2)
    bad = client.get("/documents", level="TOP")
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["field"] == "level"


def test_detail_is_404_alike_for_forbidden_and_missing(api, world):
    document = world.register(level=Level.NS)
    client = api.as_(world.nr_reader)
    forbidden = client.get(f"/documents/{document.pk}")
    missing = client.get("/documents/999999")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    detail = api.as_(world.reader).get(f"/documents/{document.pk}").json()
    assert detail["number"] == document.number and detail["action"] == ["ESO"]


def test_register_through_the_api(api, world):
    response = api.as_(world.clerk).post("/documents", registration(), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["marking"] == "NATO SECRET RELEASABLE TO AUS"
    assert body["action"] == ["ESO"] and body["info"] == ["@outsider"]
    assert Document.objects.get().number == body["number"]


def test_bad_registration_names_every_field_and_registers_nothing(api, world):
    response = api.as_(world.clerk).post(
        "/documents",
        registration(registry="NOPE", level="SECRETISSIME", releasable_to=["XYZ"]),
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["detail"]}
    assert errors["registry"] == "unknown registry 'NOPE'"
    assert "'SECRETISSIME'" in errors["level"]
    assert "'XYZ'" in errors["releasable_to"]
    assert not Document.objects.exists()


def test_registering_is_refused_to_readers(api, world):
    response = api.as_(world.reader).post("/documents", registration(), content_type="application/json")
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_upload_and_download_a_version(api, world, sample_pdf):
    document = world.register(level=Level.NS)
    client = api.as_(world.clerk)
    response = client.post(f"/documents/{document.pk}/versions", {"content": SimpleUploadedFile("a.pdf", sample_pdf)})
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 1
    download = api.as_(world.reader).get(f"/documents/{document.pk}/versions/1/content")
    assert b"".join(download.streaming_content) == sample_pdf
    assert api.as_(world.nr_reader).get(f"/documents/{document.pk}/versions/1/content").status_code == 404


def test_upload_over_the_limit_is_413_naming_it(api, world, max_upload):
    document = world.register(level=Level.NS)
    client = api.as_(world.clerk)
    for size in (max_upload + 1, max_upload * 4):
        response = client.post(
            f"/documents/{document.pk}/versions", {"content": SimpleUploadedFile("big.txt", b"x" * size)}
        )
        assert response.status_code == 413
        assert response.json()["limit_bytes"] == max_upload
        assert "64 KiB" in response.json()["detail"]
    assert not document.versions.exists()


def test_openapi_and_docs_are_served_locally(client, world):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/documents" in spec["paths"]
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert "cdn." not in docs and "unpkg" not in docs


def test_nul_characters_are_refused_by_name_not_a_server_error(api, world):
    client = api.as_(world.clerk)
    response = client.post(
        "/documents", registration(action=["ESO\x00"], subject="a\x00b"), content_type="application/json"
    )
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["detail"]}
    assert errors["action"] == errors["subject"] == "contains a NUL character"
    assert client.get("/documents", q="x\x00y").status_code == 422
    assert not Document.objects.exists()


def test_registry_staff_grant_need_to_know_through_the_api(api, world):
    document = world.register(level=Level.NC, action_units=[])
    assert api.as_(world.outsider).get(f"/documents/{document.pk}").status_code == 404
    response = api.as_(world.clerk).post(
        f"/documents/{document.pk}/grants", {"username": "outsider", "note": "tasked"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["reason"] == "grant"
    detail = api.as_(world.outsider).get(f"/documents/{document.pk}").json()
    assert detail["granted_to"] == ["@outsider"]


def test_grants_are_refused_to_non_staff_and_unknown_people_are_named(api, world):
    document = world.register(level=Level.NS)
    refused = api.as_(world.reader).post(
        f"/documents/{document.pk}/grants", {"username": "outsider"}, content_type="application/json"
    )
    assert refused.status_code == 403
    unknown = api.as_(world.clerk).post(
        f"/documents/{document.pk}/grants", {"username": "ghost"}, content_type="application/json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == [{"field": "username", "message": "no active account 'ghost'"}]
    invisible = api.as_(world.nr_reader).post(
        f"/documents/{document.pk}/grants", {"username": "nrreader"}, content_type="application/json"
    )
    assert invisible.status_code == 404  # cannot grant oneself into a document one cannot see
