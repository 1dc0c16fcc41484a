"""Every API operation, fed generated input by schemathesis from our own OpenAPI document, as
several personas: no input makes the server fail, what it answers matches the schema it
publishes, and nothing a persona may not see (a title, a reference) is ever in an answer."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from registrum.accounts.services import issue_token
from registrum.policy import Level
from registrum.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex="destruction|reproduction"
)


# Registered for the clerk's registry only (no addressee): the other personas may not see it.
SECRET_SUBJECT = "Withdrawal corridors DELTA-7781"
SECRET_REFERENCE = "SH/PLANS/7781"
PERSONAS = ["clerk", "reader", "nr_reader", "outsider", "admin"]


@pytest.fixture(params=PERSONAS)
def persona_token(request, world, pdf_upload):
    # As Django's test client does: the WSGI handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    world.register(level=Level.NS, upload=pdf_upload)
    world.register(
        level=Level.CTS,
        subject=SECRET_SUBJECT,
        originator_reference=SECRET_REFERENCE,
        action_units=[],
        upload=pdf_upload,
    )
    person = getattr(world, request.param)
    yield request.param, issue_token(person, person, name="schemathesis")
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_without_failing_or_leaking(case, persona_token):
    persona, token = persona_token
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    if persona != "clerk":
        body = response.text
        assert SECRET_SUBJECT not in body and SECRET_REFERENCE not in body, (persona, case.path)
