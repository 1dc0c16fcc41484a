"""Changes to the organisation. Each checks who acts, runs in one transaction, and audits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from registrum import audit
from registrum.audit.events import EventType
from registrum.org.models import (
    DEFAULT_NUMBERING_PATTERN,
    REQUIRED_NUMBERING_FIELDS,
    Clearance,
    Person,
    Registry,
    RegistryKind,
    RegistryStaff,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from registrum.policy import Action, Level, PersonTarget, active_policy, may

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


def _require_administrator(actor: Actor) -> None:
    """The operator (a command run on the server) or an administrator, as the policy says."""
    if isinstance(actor, SystemActor):
        return
    decision = may(active_policy(), actor.subject(), Action.ADMINISTER, ORGANISATION, timezone.localdate())
    if not decision:
        raise PermissionDenied(decision.render(gettext))


def check_numbering_pattern(pattern: str) -> str:
    """Refuse a pattern that could give two registrations the same number: it must name the
    registry, the year and the sequence (a number without the year repeats every 1 January)."""
    import string

    usage = "use {registry}, {year}, {seq} (e.g. {seq:06d}) and optionally {direction}"
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
        sample = pattern.format(registry="REG", year=2026, seq=1, direction="IN")
    except (KeyError, IndexError, ValueError) as exc:
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
    if Unit.objects.filter(code=code).exists():
        raise ValidationError({"code": f"a unit with code {code!r} already exists"})
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, path="")
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit.record(actor, EventType.UNIT_CREATED, unit, summary=f"unit {code} created")
    return unit


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
    try:
        nation = active_policy().check_nation(nationality)
    except ValueError as exc:
        raise ValidationError({"nationality": str(exc)}) from exc
    if Person.objects.filter(username=username).exists():
        raise ValidationError({"username": f"the username {username!r} is taken"})
    person = Person(
        username=username,
        first_name=first_name,
        last_name=last_name,
        nationality=nation,
        unit=unit,
        email=email,
        position=position,
    )
    if password:
        # The rule of settings.AUTH_PASSWORD_VALIDATORS (registrum.accounts.passwords), every part named.
        try:
            validate_password(password, person)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.save()
    RoleAssignment.objects.bulk_create(RoleAssignment(person=person, role=role) for role in set(roles))
    audit.record(
        actor, EventType.PERSON_CREATED, person, summary=f"account {username} created", data={"roles": sorted(roles)}
    )
    return person


@transaction.atomic
def set_clearance(
    actor: Actor, person: Person, *, level: Level, granted: date, expires: date, briefings: Iterable[str] = ()
) -> Clearance:
    _require_administrator(actor)
    policy = active_policy()
    held = sorted({b.strip().upper() for b in briefings})
    unknown = [b for b in held if b not in policy.briefings]
    if unknown:
        raise ValidationError({"briefings": f"unknown briefing {unknown[0]!r} (known: {', '.join(policy.briefings)})"})
    if expires < granted:
        raise ValidationError({"expires": "a clearance cannot expire before it is granted"})
    before = Clearance.objects.filter(person=person).first()
    clearance, _ = Clearance.objects.update_or_create(
        person=person, defaults={"level": level, "granted": granted, "expires": expires, "briefings": held}
    )
    audit.record(
        actor,
        EventType.CLEARANCE_SET,
        person,
        summary=f"clearance of {person.username} set to {Level(level).name} until {expires}",
        data={
            "before": {"level": before.level, "expires": str(before.expires), "briefings": before.briefings}
            if before
            else None,
            "after": {"level": int(level), "expires": str(expires), "briefings": held},
        },
    )
    return clearance


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
    check_numbering_pattern(numbering_pattern)
    if Registry.objects.filter(code=code).exists():
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
def add_registry_staff(actor: Actor, registry: Registry, person: Person) -> None:
    _require_administrator(actor)
    _, created = RegistryStaff.objects.get_or_create(registry=registry, person=person)
    if created:
        audit.record(
            actor, EventType.REGISTRY_STAFF_ADDED, registry, summary=f"{person.username} joined {registry.code}"
        )
