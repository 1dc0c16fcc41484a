"""The REST API under /api/v1: bearer tokens, OpenAPI at /api/v1/openapi.json, docs served locally."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import HttpBearer

from registrum.accounts.services import person_for_token
from registrum.audit.refusals import Unseen, record_refusal
from registrum.custody.api import router as custody_router
from registrum.httpkit import too_large_response
from registrum.org.api import router as org_router
from registrum.records.api import router as records_router
from registrum.records.registration import InvalidRegistration
from registrum.records.services import IdempotencyConflict
from registrum.storage import ContentTooLarge


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        person = person_for_token(token)
        if person is not None:
            request.user = person
        return person


api = NinjaAPI(
    title="Registrum API",
    version="1",
    description="Register, find, read and export official correspondence. Authenticate with "
    "`Authorization: Bearer <token>`; create tokens on the API tokens page or with `registrum token`.",
    auth=BearerToken(),
    urls_namespace="api",
)
api.add_router("/", records_router)
api.add_router("/org/", org_router)
api.add_router("/custody/", custody_router)


def _operation(request: HttpRequest) -> str:
    return f"{request.method} {request.path}"[:200]


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, Unseen):
        record_refusal(request.user, exc, where=_operation(request))
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    """The refusal is written to the audit trail after the refused transaction rolled back."""
    record_refusal(request.user, exc, where=_operation(request))
    return api.create_response(request, {"detail": str(exc) or "Permission denied."}, status=403)


@api.exception_handler(InvalidRegistration)
def invalid_registration(request: HttpRequest, exc: InvalidRegistration) -> HttpResponse:
    errors = [{"field": name, "message": message} for name, message in exc.errors]
    return api.create_response(request, {"detail": errors}, status=400)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [{"field": name, "message": m} for name, messages in exc.message_dict.items() for m in messages]
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    return api.create_response(request, {"detail": errors}, status=400)


@api.exception_handler(ContentTooLarge)
def too_large(request: HttpRequest, exc: ContentTooLarge) -> HttpResponse:
    return too_large_response(request, exc.limit)


@api.exception_handler(IdempotencyConflict)
def idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return api.create_response(request, {"detail": [{"field": "Idempotency-Key", "message": str(exc)}]}, status=409)


@api.exception_handler(SchemaValidationError)
def invalid_request(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    """A body or query the schema refuses: 400 like every other refusal, each error by field."""
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "query", "filters")]
        message = str(error.get("msg", "invalid"))
        errors.append({"field": ".".join(location), "message": message.removeprefix("Value error, ")})
    return api.create_response(request, {"detail": errors}, status=400)
