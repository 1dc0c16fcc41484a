"""A NUL character in the query or a form is refused with a 400 that names the field,
before any view looks a code up with it (PostgreSQL refuses NUL in text and answered a server error:
found by the generated API requests on GET /api/v1/custody/chargeouts?registry=%00)."""

from __future__ import annotations

from django.test import Client

from registrum.accounts.services import issue_token


def test_a_nul_in_the_query_of_an_api_request_is_a_400_naming_the_field(world):
    api = Client(headers={"Authorization": f"Bearer {issue_token(world.clerk, world.clerk, name='nul')}"})
    for path in ("/api/v1/custody/chargeouts", "/api/v1/custody/inventories", "/api/v1/custody/losses"):
        answer = api.get(path, {"registry": "IMS\x00REG"})
        assert answer.status_code == 400, path
        assert answer.json() == {"detail": [{"field": "registry", "message": "contains a NUL character"}]}


def test_a_nul_in_a_page_query_or_a_form_is_a_400(world):
    web = Client()
    web.force_login(world.clerk)
    assert web.get("/custody/chargeouts/", {"registry": "\x00"}).status_code == 400
    refused = web.post("/custody/chargeouts/", {"copy": "RGC-\x00", "reader": "reader"})
    assert refused.status_code == 400
    assert refused.content.decode() == "copy: contains a NUL character"
    # The same pages answer normally without it.
    assert web.get("/custody/chargeouts/", {"registry": world.registry.code}).status_code == 200
