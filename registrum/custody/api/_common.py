"""What the charge-out, inventory and loss endpoints share: the error schema, a registry by code
for its staff, a copy as an API reader sees it."""

from __future__ import annotations

from django.http import Http404
from ninja import Schema

from registrum.custody.common import require_staff
from registrum.custody.models import Copy
from registrum.org.models import Person, Registry
from registrum.records.registration import text_problem


class ErrorOut(Schema):
    detail: object


def clean_text(value: str) -> str:
    """A pydantic validator: text that names what is wrong with it (control characters...)."""
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class CopyOut(Schema):
    id: str
    code: str
    number: int
    of_total: int
    document: str
    marking: str
    status: str


def copy_out(copy: Copy) -> dict[str, object]:
    return {
        "id": copy.public_id,
        "code": copy.code,
        "number": copy.number,
        "of_total": copy.of_total,
        "document": copy.document.public_id,
        "marking": copy.marking,
        "status": copy.status,
    }


def staffed(person: Person, code: str, action: str) -> Registry:
    registry = Registry.objects.filter(code=code.strip()).first() if code.strip() else None
    if registry is None:
        raise Http404("no such registry")
    require_staff(person, registry, action)
    return registry
