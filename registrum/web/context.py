"""What the menu offers: only what the person may use, as the policy says (faces never decide)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from registrum.audit.reading import may_read_trail
from registrum.org import services as org
from registrum.org.models import Role
from registrum.policy import Action
from registrum.records import services as records


def menu(request: HttpRequest) -> dict[str, Any]:
    person = getattr(request, "user", None)
    if person is None or not person.is_authenticated:
        return {"menu": {"register": False, "audit": False, "administer": False, "clearance_requests": False}}
    administer = bool(org.decide(person, Action.ADMINISTER))
    return {
        "menu": {
            "register": bool(records.registries_for(person)),
            "audit": bool(may_read_trail(person)),
            "administer": administer,
            # From the person's facts, read once per request with the policy's.
            "clearance_requests": administer or (person.is_active and Role.CONTROL_OFFICER in person.subject().roles),
        }
    }
