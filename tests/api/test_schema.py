"""Every API operation, fed generated input by schemathesis from our own OpenAPI document:
no input makes the server fail, and what it answers matches the schema it publishes."""

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

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def clerk_token(world, pdf_upload):
    # As Django's test client does: the WSGI handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    world.register(level=Level.NS, upload=pdf_upload)
    yield issue_token(world.clerk, world.clerk, name="schemathesis")
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_without_failing(case, clerk_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {clerk_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
