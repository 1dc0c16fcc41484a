"""A person's own bearer token and the REST API under /api/v1, for the custody API tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from registrum.accounts.services import issue_token
from registrum.org.models import Person

API = "/api/v1"


class Api:
    """Requests with one person's own token, as their client program makes them."""

    def __init__(self, person: Person) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {issue_token(person, person, name='custody tests')}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"{API}{path}", params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"{API}{path}", json.dumps(body or {}), content_type="application/json", headers=self.headers
        )


def reasons(response: Any) -> str:
    """Every message of an error answer, in one string (a 403's detail, or a 400's fields)."""
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return detail
    return " | ".join(f"{e['field']}: {e['message']}" for e in detail)


def fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["detail"]}
