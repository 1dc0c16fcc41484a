"""Changes to the organisation. Each checks who acts, runs in one transaction, and audits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext

from registrum import audit
from registrum.audit.events import EventType
from registrum.org.models import (
    DEFAULT_NUMBERING_PATTERN,
    REQUIRED_NUMBERING_FIELDS,
    Clearance,
    ClearanceRequest,
    Person,
    Registry,
    RegistryKind,
    RegistryStaff,
    RequestState,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from registrum.policy import (
    Action,
    ClearanceTarget,
    Decision,
    Level,
    PersonTarget,
    active_policy,
    clearance_ceiling,
    may,
    needs_second_person,
)

# Administration acts on the organisation as a whole, not on one account.
ORGANISATION: Final = PersonTarget(person_id=None, active=True)


class SystemActor:
    """The actor for commands run by the operator (init, demo, import without a person)."""

    pk = None
    username = "system"

    def __str__(self) -> str:
        return "system"


SYSTEM: Final = SystemActor()
Actor = Person | SystemActor


def decide(actor: Actor, action: Action, target: PersonTarget | ClearanceTarget = ORGANISATION) -> Decision:
    """The policy's answer for an administrative action; the operator (a command run on the server
    without --as) is the site's set-up and may do everything."""
    if isinstance(actor, SystemActor):
        return Decision(True, "operator")
    if not getattr(actor, "is_authenticated", False):
        return Decision(False, "not signed in")
    return may(active_policy(), actor.subject(), action, target, timezone.localdate())


def require(actor: Actor, action: Action, target: PersonTarget | ClearanceTarget = ORGANISATION) -> None:
    decision = decide(actor, action, target)
    if not decision:
        raise PermissionDenied(decision.render(gettext))


def _require_administrator(actor: Actor) -> None:
    """The operator (a command run on the server) or an administrator, as the policy says."""
    require(actor, Action.ADMINISTER)


def person_target(person: Person) -> PersonTarget:
    return PersonTarget(person_id=person.pk, active=person.is_active)


def _audit_actor(actor: Actor) -> Person | None:
    return None if isinstance(actor, SystemActor) else actor


def check_numbering_pattern(pattern: str) -> str:
    """Refuse a pattern that could give two registrations the same number: it must name the
    registry, the year and the sequence (a number without the year repeats every 1 January)."""
    import re
    import string

    usage = "use {registry}, {year}, {seq} (e.g. {seq:06d}) and optionally {direction}"
    pattern = _text(Registry, "numbering_pattern", pattern, required=True)
    try:
        fields = [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(pattern) if name is not None]
        names = {name for name, _ in fields}
        # A width such as {seq:099999999d} would build a huge number before its length is checked.
        if any(int(width) > 60 for _, spec in fields for width in re.findall(r"\d+", spec)):
            raise ValidationError({"numbering_pattern": "the pattern makes numbers longer than 60 characters"})
        sample = pattern.format(registry="REG", year=2026, seq=1, direction="IN")
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        # e.g. "{year[0]}" (TypeError) or "{seq.real.x}" (AttributeError): still a bad pattern.
        raise ValidationError({"numbering_pattern": f"invalid pattern {pattern!r}: {usage}"}) from exc
    missing = [name for name in REQUIRED_NUMBERING_FIELDS if name not in names]
    if missing:
        raise ValidationError(
            {
                "numbering_pattern": f"the pattern {pattern!r} lacks {{{missing[0]}}}: numbers must name the "
                f"registry, the year and the sequence to stay unique ({usage})"
            }
        )
    if len(sample) > 60:
        raise ValidationError({"numbering_pattern": "the pattern makes numbers longer than 60 characters"})
    return pattern


@transaction.atomic
def create_unit(actor: Actor, *, code: str, name: str, kind: str = UnitKind.BRANCH, parent: Unit | None = None) -> Unit:
    _require_administrator(actor)
    code = _text(Unit, "code", code, required=True)
    name = _text(Unit, "name", name, required=True)
    if kind not in UnitKind.values:
        raise ValidationError({"kind": f"unknown kind {kind!r} (known: {', '.join(UnitKind.values)})"})
    if Unit.objects.filter(code__iexact=code).exists():
        raise ValidationError({"code": f"a unit with code {code!r} already exists"})
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, path="")
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit.record(actor, EventType.UNIT_CREATED, unit, summary=f"unit {code} created")
    return unit


def _check_password(password: str, person: Person) -> None:
    """The organisation's password rule, whatever face sets the password (settings list it)."""
    try:
        validate_password(password, person)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def _nation(nationality: str) -> str:
    try:
        return active_policy().check_nation(nationality)
    except ValueError as exc:
        raise ValidationError({"nationality": str(exc)}) from exc


def _check_email(email: str) -> str:
    from django.core.validators import validate_email

    email = _text(Person, "email", email)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                {"email": gettext("%(email)s is not an e-mail address") % {"email": repr(email)}}
            ) from None
    return email


def _text(model: type[Model], name: str, value: str, *, required: bool = False) -> str:
    """A text field as stored: trimmed, present if required, within the column's length (PostgreSQL
    refuses a longer one) and the field's own validators, storable (no NUL, no lone surrogate)."""
    value = value.strip()
    if required and not value:
        raise ValidationError({name: gettext("this field is required")})
    if "\x00" in value:
        raise ValidationError({name: gettext("contains a NUL character")})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError({name: gettext("contains an invalid character (a lone surrogate)")}) from None
    try:
        model._meta.get_field(name).run_validators(value)  # type: ignore[union-attr]
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None
    return value


# People --------------------------------------------------------------------------------------


@transaction.atomic
def create_person(
    actor: Actor,
    *,
    username: str,
    first_name: str,
    last_name: str,
    nationality: str,
    unit: Unit | None,
    email: str = "",
    position: str = "",
    password: str | None = None,
    roles: Iterable[Role] = (),
) -> Person:
    _require_administrator(actor)
    username = _text(Person, "username", username, required=True)
    nation = _nation(nationality)
    if Person.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"the username {username!r} is taken"})
    person = Person(
        username=username,
        first_name=_text(Person, "first_name", first_name),
        last_name=_text(Person, "last_name", last_name),
        nationality=nation,
        unit=unit,
        email=_check_email(email),
        position=_text(Person, "position", position),
    )
    if password:
        _check_password(password, person)
        person.set_password(password)
        # Set by a person for someone else: a one-time password (the operator setting a site up,
        # or the demo, has no person who would know it).
        person.must_change_password = isinstance(actor, Person)
    else:
        person.set_unusable_password()
    person.save()
    roles = sorted({Role(role) for role in roles})
    RoleAssignment.objects.bulk_create(RoleAssignment(person=person, role=role) for role in roles)
    audit.record(
        actor, EventType.PERSON_CREATED, person, summary=f"account {username} created", data={"roles": list(roles)}
    )
    return person


PERSON_FIELDS: Final = ("first_name", "last_name", "email", "nationality", "position", "unit")
# The fields need-to-know and releasability follow: nobody changes their own.
AFFILIATION_FIELDS: Final = frozenset({"nationality", "unit"})


def _fresh(person: Person) -> Person:
    """The person's row, locked for this transaction: decisions and changes on current facts."""
    return Person.objects.select_for_update().get(pk=person.pk)


@transaction.atomic
def change_person(actor: Actor, person: Person, **changes: Any) -> Person:
    """Change name, e-mail, nationality, position or unit. Unknown fields are a programming error."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"not a person field: {sorted(unknown)}")
    person = _fresh(person)
    require(actor, Action.CHANGE_PERSON, person_target(person))
    if "nationality" in changes:
        changes["nationality"] = _nation(changes["nationality"])
    if "email" in changes:
        changes["email"] = _check_email(changes["email"])
    for name in ("first_name", "last_name", "position"):
        if name in changes:
            changes[name] = _text(Person, name, changes[name])
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(person, name)
        if old != value:
            before[name] = str(old.code) if isinstance(old, Unit) else old
            after[name] = str(value.code) if isinstance(value, Unit) else value
            setattr(person, name, value)
    if not after:
        return person
    if after.keys() & AFFILIATION_FIELDS:
        require(actor, Action.CHANGE_AFFILIATION, person_target(person))
    person.save(update_fields=list(after))
    audit.record(
        actor,
        EventType.PERSON_CHANGED,
        person,
        summary=f"{person.username}: {', '.join(after)} changed",
        data={"before": before, "after": after},
    )
    return person


@transaction.atomic
def set_password(actor: Actor, person: Person, password: str) -> None:
    """An administrator (or the operator) sets another person's password, under the rule."""
    person = _fresh(person)
    require(actor, Action.SET_PASSWORD, reach_of(person))
    _check_password(password, person)
    person.set_password(password)
    person.must_change_password = isinstance(actor, Person) and actor.pk != person.pk
    person.save(update_fields=["password", "must_change_password"])
    audit.record(actor, EventType.PASSWORD_CHANGED, person, summary=f"password of {person.username} set")


@transaction.atomic
def set_active(actor: Actor, person: Person, active: bool) -> Person:
    """Deactivate (or reactivate) an account. From the next request on, an inactive person's
    sessions are anonymous and their API tokens answer 401: nothing else needs to end."""
    person = _fresh(person)
    require(actor, Action.DEACTIVATE, person_target(person))
    if person.is_active == active:
        return person
    person.is_active = active
    person.save(update_fields=["is_active"])
    event = EventType.PERSON_REACTIVATED if active else EventType.PERSON_DEACTIVATED
    verb = "reactivated" if active else "deactivated"
    audit.record(actor, event, person, summary=f"account {person.username} {verb}")
    return person


def deactivate_person(actor: Actor, person: Person) -> Person:
    return set_active(actor, person, False)


def reactivate_person(actor: Actor, person: Person) -> Person:
    return set_active(actor, person, True)


@transaction.atomic
def set_roles(actor: Actor, person: Person, roles: Iterable[Role | str]) -> list[str]:
    """Give the person exactly these roles. Nobody changes their own."""
    person = _fresh(person)
    require(actor, Action.CHANGE_ROLES, person_target(person))
    wanted: set[str] = set()
    for role in roles:
        try:
            wanted.add(Role(role).value)
        except ValueError:
            raise ValidationError({"roles": f"unknown role {role!r} (known: {', '.join(Role.values)})"}) from None
    held = set(RoleAssignment.objects.filter(person=person).values_list("role", flat=True))
    if held == wanted:
        return sorted(held)
    RoleAssignment.objects.filter(person=person, role__in=held - wanted).delete()
    RoleAssignment.objects.bulk_create(RoleAssignment(person=person, role=role) for role in sorted(wanted - held))
    audit.record(
        actor,
        EventType.ROLES_CHANGED,
        person,
        summary=f"roles of {person.username}: {', '.join(sorted(wanted)) or 'none'}",
        data={"before": sorted(held), "after": sorted(wanted)},
    )
    return sorted(wanted)


def assign_role(actor: Actor, person: Person, role: Role) -> list[str]:
    held = set(RoleAssignment.objects.filter(person=person).values_list("role", flat=True))
    return set_roles(actor, person, held | {Role(role).value})


def remove_role(actor: Actor, person: Person, role: Role) -> list[str]:
    held = set(RoleAssignment.objects.filter(person=person).values_list("role", flat=True))
    return set_roles(actor, person, held - {Role(role).value})


# Clearances ----------------------------------------------------------------------------------


def _check_briefings(briefings: Iterable[str]) -> list[str]:
    policy = active_policy()
    held = sorted({b.strip().upper() for b in briefings if b.strip()})
    unknown = [b for b in held if b not in policy.briefings]
    if unknown:
        raise ValidationError({"briefings": f"unknown briefing {unknown[0]!r} (known: {', '.join(policy.briefings)})"})
    return held


def clearance_target(
    person: Person, *, level: Level, briefings: Iterable[str], expires: date, requested_by: int | None = None
) -> ClearanceTarget:
    held = Clearance.objects.filter(person=person).first()
    return ClearanceTarget(
        person_id=person.pk,
        active=person.is_active,
        level=Level(level),
        briefings=frozenset(briefings),
        expires=expires,
        held_level=Level(held.level) if held else None,
        held_briefings=frozenset(held.briefings) if held else frozenset(),
        held_expires=held.expires if held else None,
        requested_by=requested_by,
    )


def reach_of(person: Person) -> ClearanceTarget:
    """What a person may read now (their valid clearance, its level reduced without the level's own
    briefing, and their briefings), as a target for decisions about who may act on them."""
    policy = active_policy()
    subject = Person.objects.select_related("clearance").get(pk=person.pk).subject()
    today = timezone.localdate()
    valid = subject.clearance_expires is not None and subject.clearance_expires >= today
    return ClearanceTarget(
        person_id=person.pk,
        active=person.is_active,
        level=clearance_ceiling(policy, subject, today),
        briefings=subject.briefings if valid else frozenset(),
        expires=subject.clearance_expires or today,
    )


def _clearance_data(level: int, expires: date, briefings: list[str]) -> dict[str, Any]:
    return {"level": int(level), "expires": str(expires), "briefings": briefings}


def _apply_clearance(
    actor: Actor, person: Person, *, level: Level, granted: date, expires: date, briefings: list[str], **extra: Any
) -> Clearance:
    before = Clearance.objects.filter(person=person).first()
    clearance, _ = Clearance.objects.update_or_create(
        person=person, defaults={"level": level, "granted": granted, "expires": expires, "briefings": briefings}
    )
    audit.record(
        actor,
        EventType.CLEARANCE_SET,
        person,
        summary=f"clearance of {person.username} set to {Level(level).name} until {expires}",
        data={
            "before": _clearance_data(before.level, before.expires, before.briefings) if before else None,
            "after": _clearance_data(level, expires, briefings),
            **extra,
        },
    )
    person.forget_subject()
    return clearance


@transaction.atomic
def set_clearance(
    actor: Actor, person: Person, *, level: Level, granted: date, expires: date, briefings: Iterable[str] = ()
) -> Clearance | ClearanceRequest:
    """Record a person's clearance. It takes effect at once, unless the policy says it takes a
    second person (COSMIC TOP SECRET, a special briefing, above the recorder's own clearance):
    then it waits as a pending request for a control officer, replacing any earlier one."""
    person = _fresh(person)
    held = _check_briefings(briefings)
    if expires < granted:
        raise ValidationError({"expires": "a clearance cannot expire before it is granted"})
    level = Level(level)
    target = clearance_target(person, level=level, briefings=held, expires=expires)
    require(actor, Action.CHANGE_CLEARANCE, target)
    recorder = None if isinstance(actor, SystemActor) else actor.subject()
    second = needs_second_person(active_policy(), recorder, target, timezone.localdate())
    if not second:
        return _apply_clearance(actor, person, level=level, granted=granted, expires=expires, briefings=held)
    earlier = ClearanceRequest.objects.filter(person=person, state=RequestState.PENDING)
    superseded = list(earlier.values_list("pk", flat=True))
    earlier.update(state=RequestState.SUPERSEDED, decided_by=_audit_actor(actor), decided_at=timezone.now())
    request = ClearanceRequest.objects.create(
        person=person,
        level=level,
        granted=granted,
        expires=expires,
        briefings=held,
        reason=second.reason,
        requested_by=_audit_actor(actor),
        requested_at=timezone.now(),
    )
    audit.record(
        actor,
        EventType.CLEARANCE_REQUESTED,
        person,
        summary=f"clearance of {person.username} to {level.name} until {expires} awaits a control officer",
        data={
            "request": request.pk,
            "after": _clearance_data(level, expires, held),
            "why": second.reason,
            "supersedes": superseded,
        },
    )
    return request


@transaction.atomic
def withdraw_clearance(actor: Actor, person: Person) -> None:
    """End a person's clearance record now (a reduction: no second person needed)."""
    person = _fresh(person)
    held = Clearance.objects.filter(person=person).first()
    if held is None:
        return
    target = ClearanceTarget(
        person_id=person.pk,
        active=person.is_active,
        level=Level(min(active_policy().levels)),
        briefings=frozenset(),
        expires=held.expires,
        held_level=Level(held.level),
        held_briefings=frozenset(held.briefings),
        held_expires=held.expires,
    )
    require(actor, Action.CHANGE_CLEARANCE, target)
    held.delete()
    audit.record(
        actor,
        EventType.CLEARANCE_SET,
        person,
        summary=f"clearance of {person.username} withdrawn",
        data={"before": _clearance_data(held.level, held.expires, held.briefings), "after": None},
    )


def _pending(request_id: int) -> ClearanceRequest:
    request = (
        ClearanceRequest.objects.select_for_update(of=("self",))
        .select_related("person", "requested_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise ClearanceRequest.DoesNotExist(f"no clearance request {request_id}")
    if request.state != RequestState.PENDING:
        raise ValidationError(
            {"request": gettext("request %(id)s is %(state)s already") % {"id": request_id, "state": request.state}}
        )
    return request


def _request_target(request: ClearanceRequest) -> ClearanceTarget:
    return clearance_target(
        request.person,
        level=Level(request.level),
        briefings=request.briefings,
        expires=request.expires,
        requested_by=request.requested_by_id,
    )


def _decide(actor: Person, request_id: int, action: Action, state: RequestState, note: str) -> ClearanceRequest:
    """A pending request, decided by `actor` if the policy lets them (the caller's transaction)."""
    request = _pending(request_id)
    require(actor, action, _request_target(request))
    request.state = state
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.note = note.strip()[:500]
    request.save(update_fields=["state", "decided_by", "decided_at", "note"])
    return request


@transaction.atomic
def confirm_clearance_request(actor: Person, request_id: int, note: str = "") -> Clearance:
    """A second person, a control officer other than the requester, puts the request into effect."""
    request = _decide(actor, request_id, Action.CONFIRM_CLEARANCE, RequestState.CONFIRMED, note)
    audit.record(
        actor,
        EventType.CLEARANCE_CONFIRMED,
        request.person,
        summary=f"clearance request {request.pk} for {request.person.username} confirmed",
        data={"request": request.pk, "requested_by": request.requested_by_id},
    )
    return _apply_clearance(
        actor,
        request.person,
        level=Level(request.level),
        granted=request.granted,
        expires=request.expires,
        briefings=list(request.briefings),
        request=request.pk,
    )


@transaction.atomic
def reject_clearance_request(actor: Person, request_id: int, note: str = "") -> ClearanceRequest:
    request = _decide(actor, request_id, Action.REJECT_CLEARANCE, RequestState.REJECTED, note)
    audit.record(
        actor,
        EventType.CLEARANCE_REJECTED,
        request.person,
        summary=f"clearance request {request.pk} for {request.person.username} rejected",
        data={"request": request.pk, "requested_by": request.requested_by_id, "note": request.note},
    )
    return request


@dataclass(frozen=True)
class QueueEntry:
    request: ClearanceRequest
    may_confirm: Decision
    may_reject: Decision


def pending_requests(actor: Person) -> list[QueueEntry]:
    """The control officer's queue (administrators see it too, to follow their requests), with
    what the viewer may do on each."""
    if not (decide(actor, Action.ADMINISTER) or actor.has_role(Role.CONTROL_OFFICER)):
        raise PermissionDenied(gettext("only administrators and control officers see clearance requests"))
    rows = ClearanceRequest.objects.filter(state=RequestState.PENDING).select_related("person", "requested_by")
    entries = []
    for request in rows.order_by("requested_at", "id"):
        target = _request_target(request)
        entries.append(
            QueueEntry(
                request,
                decide(actor, Action.CONFIRM_CLEARANCE, target),
                decide(actor, Action.REJECT_CLEARANCE, target),
            )
        )
    return entries


# Units ---------------------------------------------------------------------------------------


@transaction.atomic
def change_unit(
    actor: Actor, unit: Unit, *, code: str | None = None, name: str | None = None, kind: str | None = None
) -> Unit:
    _require_administrator(actor)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = {"code": unit.code, "name": unit.name, "kind": unit.kind}
    if code is not None:
        code = _text(Unit, "code", code, required=True)
        if Unit.objects.filter(code__iexact=code).exclude(pk=unit.pk).exists():
            raise ValidationError({"code": f"a unit with code {code!r} already exists"})
        unit.code = code
    if name is not None:
        unit.name = _text(Unit, "name", name, required=True)
    if kind is not None:
        if kind not in UnitKind.values:
            raise ValidationError({"kind": f"unknown kind {kind!r} (known: {', '.join(UnitKind.values)})"})
        unit.kind = kind
    after = {"code": unit.code, "name": unit.name, "kind": unit.kind}
    if after == before:
        return unit
    unit.save(update_fields=["code", "name", "kind"])
    audit.record(
        actor,
        EventType.UNIT_CHANGED,
        unit,
        summary=f"unit {before['code']} changed",
        data={"before": before, "after": after},
    )
    return unit


MAX_PATH = Unit._meta.get_field("path").max_length or 400


@transaction.atomic
def move_unit(actor: Actor, unit: Unit, parent: Unit | None) -> Unit:
    """Put a unit (and everything under it) under another parent. The materialised paths of the
    unit and all its descendants change in this one transaction, so need-to-know through units
    (a member counts for every unit above theirs) follows at once."""
    _require_administrator(actor)
    # Every unit row is locked: two concurrent moves cannot build a cycle between them.
    locked = {u.pk: u for u in Unit.objects.select_for_update().order_by("pk")}
    unit = locked[unit.pk]
    new_parent = locked[parent.pk] if parent is not None else None
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ValidationError(
            {"parent": f"{new_parent.code} is {unit.code} itself or under it: a unit cannot move under itself"}
        )
    old_prefix = unit.path
    new_prefix = f"{new_parent.path if new_parent else '/'}{unit.pk}/"
    if new_prefix == old_prefix:
        return unit
    subtree = [u for u in locked.values() if u.path.startswith(old_prefix)]
    for member in subtree:
        member.path = new_prefix + member.path[len(old_prefix) :]
        if len(member.path) > MAX_PATH:
            raise ValidationError({"parent": f"the unit tree would be too deep under {new_parent}"})
    old_parent = unit.parent.code if unit.parent_id and unit.parent else None
    unit.parent = new_parent
    unit.save(update_fields=["parent"])
    Unit.objects.bulk_update(subtree, ["path"])
    audit.record(
        actor,
        EventType.UNIT_MOVED,
        unit,
        summary=f"unit {unit.code} moved under {new_parent.code if new_parent else 'the top'}",
        data={"before": old_parent, "after": new_parent.code if new_parent else None, "units": len(subtree)},
    )
    return unit


# Registries ----------------------------------------------------------------------------------


@transaction.atomic
def create_registry(
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: RegistryKind,
    unit: Unit,
    accreditation: Level,
    parent: Registry | None = None,
    numbering_pattern: str = DEFAULT_NUMBERING_PATTERN,
) -> Registry:
    _require_administrator(actor)
    code = _text(Registry, "code", code, required=True)
    name = _text(Registry, "name", name, required=True)
    check_numbering_pattern(numbering_pattern)
    if kind not in RegistryKind.values:
        raise ValidationError({"kind": f"unknown kind {kind!r} (known: {', '.join(RegistryKind.values)})"})
    if Registry.objects.filter(code__iexact=code).exists():
        raise ValidationError({"code": f"a registry with code {code!r} already exists"})
    if kind != RegistryKind.CENTRAL and parent is None:
        raise ValidationError({"parent": "a sub-registry or control point needs a parent registry"})
    if parent is not None and accreditation > parent.accreditation:
        raise ValidationError({"accreditation": "a registry cannot be accredited above its parent"})
    registry = Registry.objects.create(
        code=code,
        name=name,
        kind=kind,
        unit=unit,
        accreditation=accreditation,
        parent=parent,
        numbering_pattern=numbering_pattern,
    )
    audit.record(actor, EventType.REGISTRY_CREATED, registry, summary=f"registry {code} created")
    return registry


@transaction.atomic
def change_registry(
    actor: Actor,
    registry: Registry,
    *,
    name: str | None = None,
    accreditation: Level | None = None,
    numbering_pattern: str | None = None,
    unit: Unit | None = None,
) -> Registry:
    """Rename, re-accredit, renumber or re-home a registry. Accreditation stays within the
    parent's and above every child's; a new numbering pattern applies to the next number."""
    _require_administrator(actor)
    registry = Registry.objects.select_for_update(of=("self",)).select_related("parent", "unit").get(pk=registry.pk)
    before = _registry_facts(registry)
    if name is not None:
        registry.name = _text(Registry, "name", name, required=True)
    if accreditation is not None:
        accreditation = Level(accreditation)
        if registry.parent is not None and accreditation > registry.parent.accreditation:
            raise ValidationError({"accreditation": "a registry cannot be accredited above its parent"})
        above = registry.children.filter(accreditation__gt=accreditation).order_by("code").first()
        if above is not None:
            raise ValidationError(
                {"accreditation": f"{above.code} under it is accredited higher: lower that one first"}
            )
        registry.accreditation = accreditation
    if numbering_pattern is not None:
        registry.numbering_pattern = check_numbering_pattern(numbering_pattern)
    if unit is not None:
        registry.unit = unit
    after = _registry_facts(registry)
    if after == before:
        return registry
    registry.save(update_fields=["name", "accreditation", "numbering_pattern", "unit"])
    audit.record(
        actor,
        EventType.REGISTRY_CHANGED,
        registry,
        summary=f"registry {registry.code} changed",
        data={"before": before, "after": after},
    )
    return registry


def _registry_facts(registry: Registry) -> dict[str, Any]:
    return {
        "name": registry.name,
        "accreditation": int(registry.accreditation),
        "numbering_pattern": registry.numbering_pattern,
        "unit": registry.unit.code,
    }


@transaction.atomic
def remove_registry_staff(actor: Actor, registry: Registry, person: Person) -> None:
    require(actor, Action.CHANGE_AFFILIATION, person_target(person))
    deleted, _ = RegistryStaff.objects.filter(registry=registry, person=person).delete()
    if deleted:
        audit.record(
            actor, EventType.REGISTRY_STAFF_REMOVED, registry, summary=f"{person.username} left {registry.code}"
        )


@transaction.atomic
def add_registry_staff(actor: Actor, registry: Registry, person: Person) -> None:
    """Staff of a registry know of what it holds: nobody puts themselves on a staff."""
    require(actor, Action.CHANGE_AFFILIATION, person_target(person))
    _, created = RegistryStaff.objects.get_or_create(registry=registry, person=person)
    if created:
        audit.record(
            actor, EventType.REGISTRY_STAFF_ADDED, registry, summary=f"{person.username} joined {registry.code}"
        )
