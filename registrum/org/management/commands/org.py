"""Set up the organisation from the command line, as the operator (system actor):

    registrum org unit CODE NAME [--parent CODE] [--kind division]
    registrum org person USERNAME --first F --last L --nationality DEU --unit CODE [--role clerk ...]
    registrum org clearance USERNAME --level NS --expires 2030-12-31 [--granted DATE] [--briefing ATOMAL ...]
    registrum org registry CODE NAME --kind sub --unit CODE --accreditation NS [--parent CODE] [--pattern P]
    registrum org staff REGISTRY USERNAME
    registrum org show

Every change goes through the org services, so it is checked and audited like any other.
"""

from __future__ import annotations

import getpass
import sys
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registrum.org import services
from registrum.org.models import Person, Registry, RegistryKind, Role, Unit, UnitKind
from registrum.org.services import SYSTEM
from registrum.policy import Level, active_policy

M = TypeVar("M", Unit, Registry)


def _by_code(model: type[M], code: str | None) -> M | None:
    if not code:
        return None
    found = model.objects.filter(code__iexact=code).first()
    if found is None:
        raise CommandError(f"unknown {model._meta.verbose_name} {code!r}")
    return found


def _unit(code: str | None) -> Unit | None:
    return _by_code(Unit, code)


def _person(username: str) -> Person:
    person = Person.objects.filter(username=username).first()
    if person is None:
        raise CommandError(f"unknown person {username!r}")
    return person


def _registry(code: str | None) -> Registry | None:
    return _by_code(Registry, code)


def _level(text: str) -> Level:
    try:
        return active_policy().level_from_text(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name}: {text!r} is not a date (use YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Set up units, people, clearances and registries (as the operator)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        unit = sub.add_parser("unit", help="add a unit")
        unit.add_argument("code")
        unit.add_argument("name")
        unit.add_argument("--parent")
        unit.add_argument("--kind", choices=UnitKind.values, default=UnitKind.BRANCH)
        person = sub.add_parser("person", help="add a person (asks for the password)")
        person.add_argument("username")
        person.add_argument("--first", required=True)
        person.add_argument("--last", required=True)
        person.add_argument("--nationality", required=True)
        person.add_argument("--unit")
        person.add_argument("--email", default="")
        person.add_argument("--position", default="")
        person.add_argument("--role", action="append", choices=Role.values, default=[])
        person.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        clearance = sub.add_parser("clearance", help="record a person's clearance")
        clearance.add_argument("username")
        clearance.add_argument("--level", required=True)
        clearance.add_argument("--expires", required=True)
        clearance.add_argument("--granted")
        clearance.add_argument("--briefing", action="append", default=[])
        registry = sub.add_parser("registry", help="add a registry, sub-registry or control point")
        registry.add_argument("code")
        registry.add_argument("name")
        registry.add_argument("--kind", choices=RegistryKind.values, required=True)
        registry.add_argument("--unit", required=True)
        registry.add_argument("--accreditation", required=True)
        registry.add_argument("--parent")
        registry.add_argument("--pattern")
        staff = sub.add_parser("staff", help="put a person on a registry's staff")
        staff.add_argument("registry")
        staff.add_argument("username")
        sub.add_parser("show", help="print units and registries")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems) from None

    def _unit(self, o: dict[str, Any]) -> None:
        unit = services.create_unit(SYSTEM, code=o["code"], name=o["name"], kind=o["kind"], parent=_unit(o["parent"]))
        self.stdout.write(f"unit {unit.code} added")

    def _person(self, o: dict[str, Any]) -> None:
        if o["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass(f"Password for {o['username']}: ")
        else:
            password = ""
        person = services.create_person(
            SYSTEM,
            username=o["username"],
            first_name=o["first"],
            last_name=o["last"],
            nationality=o["nationality"],
            unit=_unit(o["unit"]),
            email=o["email"],
            position=o["position"],
            password=password or None,
            roles=[Role(r) for r in o["role"]],
        )
        self.stdout.write(f"person {person.username} added" + ("" if password else " (no password: cannot log in)"))

    def _clearance(self, o: dict[str, Any]) -> None:
        person = _person(o["username"])
        expires = _date(o["expires"], "expires")
        granted = _date(o["granted"], "granted") or date.today()
        assert expires is not None  # required argument
        services.set_clearance(
            SYSTEM, person, level=_level(o["level"]), granted=granted, expires=expires, briefings=o["briefing"]
        )
        self.stdout.write(f"clearance of {person.username} set")

    def _registry(self, o: dict[str, Any]) -> None:
        extra = {"numbering_pattern": o["pattern"]} if o["pattern"] else {}
        unit = _unit(o["unit"])
        assert unit is not None  # required argument
        registry = services.create_registry(
            SYSTEM,
            code=o["code"],
            name=o["name"],
            kind=RegistryKind(o["kind"]),
            unit=unit,
            accreditation=_level(o["accreditation"]),
            parent=_registry(o["parent"]),
            **extra,
        )
        self.stdout.write(f"registry {registry.code} added")

    def _staff(self, o: dict[str, Any]) -> None:
        registry = _registry(o["registry"])
        assert registry is not None
        services.add_registry_staff(SYSTEM, registry, _person(o["username"]))
        self.stdout.write(f"{o['username']} is on the staff of {registry.code}")

    def _show(self, o: dict[str, Any]) -> None:
        for unit in Unit.objects.order_by("path"):
            self.stdout.write(f"{'  ' * unit.depth}{unit.code:<12} {unit.name}")
        self.stdout.write("")
        policy = active_policy()
        for registry in Registry.objects.order_by("code").prefetch_related("staff"):
            staff = ", ".join(p.username for p in registry.staff.all()) or "-"
            level = policy.levels[Level(registry.accreditation)].abbreviation
            self.stdout.write(f"{registry.code:<10} {registry.kind:<13} {level:<4} {registry.name} [{staff}]")
