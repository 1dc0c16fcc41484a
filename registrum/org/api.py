"""Administration endpoints under /api/v1/org. Thin: schemas in, one org service call, schemas out.

People are addressed by username, units and registries by code, clearance requests by number.
Who may do what is the policy's (through the services): a refusal is a 403 with its reason.
Units and registries are the organisation every signed-in person sees on the Organisation page;
people, their clearances and the requests are for administrators (and control officers, for the
requests).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import field_validator

from registrum.org import services
from registrum.org.models import (
    Clearance,
    ClearanceRequest,
    Person,
    Registry,
    RegistryKind,
    RequestState,
    Role,
    Unit,
    UnitKind,
)
from registrum.org.requests import PersonRequest, path_key
from registrum.policy import Action, Level, active_policy

router = Router(tags=["organisation"])


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an invalid character (a lone surrogate)") from None
    return value


def _level_name(value: str) -> str:
    return active_policy().level_from_text(_storable(value)).name


class ErrorOut(Schema):
    detail: object


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    depth: int


class UnitIn(Schema):
    code: str
    name: str
    kind: UnitKind = UnitKind.BRANCH
    parent: str | None = None

    _text = field_validator("code", "name", "parent")(lambda v: v if v is None else _storable(v))


class UnitChangeIn(Schema):
    code: str | None = None
    name: str | None = None
    kind: UnitKind | None = None

    _text = field_validator("code", "name")(lambda v: v if v is None else _storable(v))


class MoveIn(Schema):
    parent: str | None  # the new parent unit's code, or null for the top

    _text = field_validator("parent")(lambda v: v if v is None else _storable(v))


class ClearanceOut(Schema):
    level: str
    granted: date
    expires: date
    briefings: list[str]
    valid: bool


class RequestOut(Schema):
    id: int
    person: str
    level: str
    granted: date
    expires: date
    briefings: list[str]
    reason: str
    requested_by: str | None
    requested_at: datetime
    state: str
    decided_by: str | None
    decided_at: datetime | None
    note: str


class QueueEntryOut(RequestOut):
    may_confirm: bool
    may_reject: bool
    why_not: str


class PersonOut(Schema):
    username: str
    first_name: str
    last_name: str
    email: str
    nationality: str
    position: str
    unit: str | None
    active: bool
    roles: list[str]
    clearance: ClearanceOut | None
    pending_request: RequestOut | None


class PersonIn(Schema):
    username: str
    first_name: str
    last_name: str
    nationality: str
    unit: str | None = None
    email: str = ""
    position: str = ""
    password: str | None = None
    roles: list[Role] = []

    _text = field_validator("username", "first_name", "last_name", "nationality", "unit", "email", "position")(
        lambda v: v if v is None else _storable(v)
    )


class PersonChangeIn(Schema):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    nationality: str | None = None
    position: str | None = None
    unit: str | None = None  # a unit code; "" for none

    _text = field_validator("first_name", "last_name", "email", "nationality", "position", "unit")(
        lambda v: v if v is None else _storable(v)
    )


class PasswordIn(Schema):
    password: str

    _text = field_validator("password")(_storable)


class RolesIn(Schema):
    roles: list[Role]


class ClearanceIn(Schema):
    level: str
    expires: date
    granted: date | None = None
    briefings: list[str] = []

    _level = field_validator("level")(_level_name)
    _text = field_validator("briefings")(lambda v: [_storable(b) for b in v])


class ClearanceResultOut(Schema):
    in_effect: bool
    clearance: ClearanceOut | None
    request: RequestOut | None


class DecisionIn(Schema):
    note: str = ""

    _text = field_validator("note")(_storable)


class RegistryDetailOut(Schema):
    code: str
    name: str
    kind: str
    unit: str
    parent: str | None
    accreditation: str
    numbering_pattern: str
    staff: list[str]


class RegistryIn(Schema):
    code: str
    name: str
    kind: RegistryKind
    unit: str
    accreditation: str
    parent: str | None = None
    numbering_pattern: str | None = None

    _level = field_validator("accreditation")(_level_name)
    _text = field_validator("code", "name", "unit", "parent", "numbering_pattern")(
        lambda v: v if v is None else _storable(v)
    )


class RegistryChangeIn(Schema):
    name: str | None = None
    accreditation: str | None = None
    numbering_pattern: str | None = None
    unit: str | None = None

    _level = field_validator("accreditation")(lambda v: v if v is None else _level_name(v))
    _text = field_validator("name", "numbering_pattern", "unit")(lambda v: v if v is None else _storable(v))


# Lookups: an unknown code or name in the path is a 404, in a body a 400 naming the field.


def _unit_in_body(field: str, code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code__iexact=code).first()
    if unit is None:
        raise ValidationError({field: _("unknown unit %(code)s") % {"code": repr(code)}})
    return unit


def _registry_in_body(field: str, code: str | None) -> Registry | None:
    if not code:
        return None
    registry = Registry.objects.filter(code__iexact=code).first()
    if registry is None:
        raise ValidationError({field: _("unknown registry %(code)s") % {"code": repr(code)}})
    return registry


def _administrator(request: PersonRequest) -> None:
    services.require(request.user, Action.ADMINISTER)


def _person(username: str) -> Person:
    return get_object_or_404(Person, username=path_key(username))


def _unit(code: str) -> Unit:
    return get_object_or_404(Unit, code__iexact=path_key(code))


def _registry(code: str) -> Registry:
    return get_object_or_404(Registry, code__iexact=path_key(code))


def _clearance_out(clearance: Clearance | None) -> dict[str, Any] | None:
    if clearance is None:
        return None
    return {
        "level": Level(clearance.level).name,
        "granted": clearance.granted,
        "expires": clearance.expires,
        "briefings": clearance.briefings,
        "valid": clearance.is_valid(timezone.localdate()),
    }


def request_out(row: ClearanceRequest) -> dict[str, Any]:
    return {
        "id": row.pk,
        "person": row.person.username,
        "level": Level(row.level).name,
        "granted": row.granted,
        "expires": row.expires,
        "briefings": row.briefings,
        "reason": _(row.reason),
        "requested_by": row.requested_by.username if row.requested_by else None,
        "requested_at": row.requested_at,
        "state": row.state,
        "decided_by": row.decided_by.username if row.decided_by else None,
        "decided_at": row.decided_at,
        "note": row.note,
    }


def _people() -> QuerySet[Person]:
    """People with everything `person_out` shows, in a fixed number of queries however many."""
    pending = ClearanceRequest.objects.filter(state=RequestState.PENDING).select_related(
        "person", "requested_by", "decided_by"
    )
    return (
        Person.objects.select_related("unit", "clearance")
        .prefetch_related("roles", Prefetch("clearance_requests", queryset=pending, to_attr="pending"))
        .order_by("username")
    )


def person_out(person: Person) -> dict[str, Any]:
    pending = next(iter(getattr(person, "pending", [])), None)
    try:
        clearance: Clearance | None = person.clearance
    except Clearance.DoesNotExist:
        clearance = None
    return {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "nationality": person.nationality,
        "position": person.position,
        "unit": person.unit.code if person.unit else None,
        "active": person.is_active,
        "roles": sorted(r.role for r in person.roles.all()),
        "clearance": _clearance_out(clearance),
        "pending_request": request_out(pending) if pending else None,
    }


def _unit_out(unit: Unit, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": codes.get(unit.parent_id) if unit.parent_id else None,
        "depth": unit.depth,
    }


def _registry_out(registry: Registry) -> dict[str, Any]:
    return {
        "code": registry.code,
        "name": registry.name,
        "kind": registry.kind,
        "unit": registry.unit.code,
        "parent": registry.parent.code if registry.parent else None,
        "accreditation": Level(registry.accreditation).name,
        "numbering_pattern": registry.numbering_pattern,
        "staff": sorted(p.username for p in registry.staff.all()),
    }


ADMIN = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


# People


@router.get("/people", response={200: list[PersonOut], 403: ErrorOut}, summary="People (administrators)")
def list_people(request: PersonRequest) -> list[dict[str, Any]]:
    _administrator(request)
    return [person_out(p) for p in _people()]


@router.post("/people", response={201: PersonOut, **ADMIN}, summary="Create a person")
def create_person(request: PersonRequest, payload: PersonIn) -> Status[dict[str, Any]]:
    _administrator(request)
    person = services.create_person(
        request.user,
        username=payload.username,
        first_name=payload.first_name,
        last_name=payload.last_name,
        nationality=payload.nationality,
        unit=_unit_in_body("unit", payload.unit),
        email=payload.email,
        position=payload.position,
        password=payload.password,
        roles=payload.roles,
    )
    return Status(201, person_out(_people().get(pk=person.pk)))


@router.get("/people/{username}", response={200: PersonOut, 403: ErrorOut, 404: ErrorOut}, summary="A person")
def get_person(request: PersonRequest, username: str) -> dict[str, Any]:
    _administrator(request)
    return person_out(get_object_or_404(_people(), username=path_key(username)))


@router.patch("/people/{username}", response={200: PersonOut, **ADMIN}, summary="Change a person's details")
def change_person(request: PersonRequest, username: str, payload: PersonChangeIn) -> dict[str, Any]:
    _administrator(request)
    person = _person(username)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    if "unit" in changes:
        changes["unit"] = _unit_in_body("unit", changes["unit"])
    for name in ("first_name", "last_name", "email", "nationality", "position"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    services.change_person(request.user, person, **changes)
    return person_out(_people().get(pk=person.pk))


@router.put("/people/{username}/password", response={204: None, **ADMIN}, summary="Set a person's password")
def set_password(request: PersonRequest, username: str, payload: PasswordIn) -> Status[None]:
    _administrator(request)
    services.set_password(request.user, _person(username), payload.password)
    return Status(204, None)


@router.post("/people/{username}/deactivate", response={200: PersonOut, **ADMIN}, summary="Deactivate")
def deactivate(request: PersonRequest, username: str) -> dict[str, Any]:
    _administrator(request)
    person = services.deactivate_person(request.user, _person(username))
    return person_out(_people().get(pk=person.pk))


@router.post("/people/{username}/reactivate", response={200: PersonOut, **ADMIN}, summary="Reactivate")
def reactivate(request: PersonRequest, username: str) -> dict[str, Any]:
    _administrator(request)
    person = services.reactivate_person(request.user, _person(username))
    return person_out(_people().get(pk=person.pk))


@router.put("/people/{username}/roles", response={200: PersonOut, **ADMIN}, summary="Set a person's roles")
def set_roles(request: PersonRequest, username: str, payload: RolesIn) -> dict[str, Any]:
    _administrator(request)
    person = _person(username)
    services.set_roles(request.user, person, payload.roles)
    return person_out(_people().get(pk=person.pk))


@router.put(
    "/people/{username}/clearance",
    response={200: ClearanceResultOut, 202: ClearanceResultOut, **ADMIN},
    summary="Record a clearance (202: it awaits a control officer's confirmation)",
)
def set_clearance(request: PersonRequest, username: str, payload: ClearanceIn) -> Status[dict[str, Any]]:
    _administrator(request)
    person = _person(username)
    result = services.set_clearance(
        request.user,
        person,
        level=Level[payload.level],
        granted=payload.granted or timezone.localdate(),
        expires=payload.expires,
        briefings=payload.briefings,
    )
    if isinstance(result, ClearanceRequest):
        return Status(202, {"in_effect": False, "clearance": None, "request": request_out(result)})
    return Status(200, {"in_effect": True, "clearance": _clearance_out(result), "request": None})


@router.delete("/people/{username}/clearance", response={204: None, **ADMIN}, summary="Withdraw a clearance")
def withdraw_clearance(request: PersonRequest, username: str) -> Status[None]:
    _administrator(request)
    services.withdraw_clearance(request.user, _person(username))
    return Status(204, None)


# Clearance requests


@router.get(
    "/clearance-requests",
    response={200: list[QueueEntryOut], 403: ErrorOut},
    summary="Clearance requests awaiting a control officer",
)
def list_requests(request: PersonRequest) -> list[dict[str, Any]]:
    return [
        {
            **request_out(entry.request),
            "may_confirm": bool(entry.may_confirm),
            "may_reject": bool(entry.may_reject),
            "why_not": "" if entry.may_confirm else entry.may_confirm.render(_),
        }
        for entry in services.pending_requests(request.user)
    ]


def _decide(request: PersonRequest, request_id: int, confirm: bool, note: str) -> ClearanceRequest:
    if not (services.decide(request.user, Action.ADMINISTER) or request.user.has_role(Role.CONTROL_OFFICER)):
        raise PermissionDenied(_("only administrators and control officers see clearance requests"))
    try:
        if confirm:
            services.confirm_clearance_request(request.user, request_id, note)
        else:
            services.reject_clearance_request(request.user, request_id, note)
    except ClearanceRequest.DoesNotExist:
        raise Http404("no such request") from None
    return ClearanceRequest.objects.select_related("person", "requested_by", "decided_by").get(pk=request_id)


@router.post(
    "/clearance-requests/{int:request_id}/confirm",
    response={200: RequestOut, **ADMIN},
    summary="Confirm a clearance request (a control officer other than the requester)",
)
def confirm_request(request: PersonRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    return request_out(_decide(request, request_id, True, payload.note))


@router.post(
    "/clearance-requests/{int:request_id}/reject",
    response={200: RequestOut, **ADMIN},
    summary="Reject a clearance request (a control officer other than the requester)",
)
def reject_request(request: PersonRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    return request_out(_decide(request, request_id, False, payload.note))


# Units


@router.get("/units", response=list[UnitOut], summary="Units, as a tree (parents first)")
def list_units(request: PersonRequest) -> list[dict[str, Any]]:
    units = list(Unit.objects.order_by("path"))
    codes = {u.pk: u.code for u in units}
    return [_unit_out(u, codes) for u in units]


def _one_unit(unit: Unit) -> dict[str, Any]:
    unit = Unit.objects.select_related("parent").get(pk=unit.pk)
    return _unit_out(unit, {unit.parent_id: unit.parent.code} if unit.parent_id and unit.parent else {})


@router.post("/units", response={201: UnitOut, **ADMIN}, summary="Create a unit")
def create_unit(request: PersonRequest, payload: UnitIn) -> Status[dict[str, Any]]:
    _administrator(request)
    unit = services.create_unit(
        request.user,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        parent=_unit_in_body("parent", payload.parent),
    )
    return Status(201, _one_unit(unit))


@router.patch("/units/{code}", response={200: UnitOut, **ADMIN}, summary="Rename a unit, change its code or kind")
def change_unit(request: PersonRequest, code: str, payload: UnitChangeIn) -> dict[str, Any]:
    _administrator(request)
    unit = services.change_unit(request.user, _unit(code), code=payload.code, name=payload.name, kind=payload.kind)
    return _one_unit(unit)


@router.post(
    "/units/{code}/move",
    response={200: UnitOut, **ADMIN},
    summary="Move a unit, with everything under it, under another unit (parent null: the top)",
)
def move_unit(request: PersonRequest, code: str, payload: MoveIn) -> dict[str, Any]:
    _administrator(request)
    unit = services.move_unit(request.user, _unit(code), _unit_in_body("parent", payload.parent))
    return _one_unit(unit)


# Registries


def _registries() -> QuerySet[Registry]:
    return Registry.objects.select_related("unit", "parent").prefetch_related("staff").order_by("code")


@router.get("/registries", response=list[RegistryDetailOut], summary="Every registry, with its staff")
def list_registries(request: PersonRequest) -> list[dict[str, Any]]:
    return [_registry_out(r) for r in _registries()]


@router.post("/registries", response={201: RegistryDetailOut, **ADMIN}, summary="Create a registry")
def create_registry(request: PersonRequest, payload: RegistryIn) -> Status[dict[str, Any]]:
    _administrator(request)
    unit = _unit_in_body("unit", payload.unit)
    if unit is None:
        raise ValidationError({"unit": _("this field is required")})
    extra = {"numbering_pattern": payload.numbering_pattern} if payload.numbering_pattern is not None else {}
    registry = services.create_registry(
        request.user,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        unit=unit,
        accreditation=Level[payload.accreditation],
        parent=_registry_in_body("parent", payload.parent),
        **extra,
    )
    return Status(201, _registry_out(_registries().get(pk=registry.pk)))


@router.patch("/registries/{code}", response={200: RegistryDetailOut, **ADMIN}, summary="Change a registry")
def change_registry(request: PersonRequest, code: str, payload: RegistryChangeIn) -> dict[str, Any]:
    _administrator(request)
    registry = services.change_registry(
        request.user,
        _registry(code),
        name=payload.name,
        accreditation=Level[payload.accreditation] if payload.accreditation else None,
        numbering_pattern=payload.numbering_pattern,
        unit=_unit_in_body("unit", payload.unit),
    )
    return _registry_out(_registries().get(pk=registry.pk))


@router.put(
    "/registries/{code}/staff/{username}",
    response={200: RegistryDetailOut, **ADMIN},
    summary="Put a person on a registry's staff",
)
def add_staff(request: PersonRequest, code: str, username: str) -> dict[str, Any]:
    _administrator(request)
    registry = _registry(code)
    services.add_registry_staff(request.user, registry, _person(username))
    return _registry_out(_registries().get(pk=registry.pk))


@router.delete(
    "/registries/{code}/staff/{username}",
    response={200: RegistryDetailOut, **ADMIN},
    summary="Take a person off a registry's staff",
)
def remove_staff(request: PersonRequest, code: str, username: str) -> dict[str, Any]:
    _administrator(request)
    registry = _registry(code)
    services.remove_registry_staff(request.user, registry, _person(username))
    return _registry_out(_registries().get(pk=registry.pk))
