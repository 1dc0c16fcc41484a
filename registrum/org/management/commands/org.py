"""Administer the organisation from the command line, so a deployment can be provisioned by script:

    registrum org [--as USERNAME] unit CODE NAME [--parent CODE] [--kind division]
    registrum org change-unit CODE [--code NEW] [--name NAME] [--kind KIND]
    registrum org move-unit CODE (--under PARENT | --top)
    registrum org person USERNAME --first F --last L --nationality DEU --unit CODE [--role clerk ...]
    registrum org change-person USERNAME [--first F] [--last L] [--email E] [--nationality N] [--position P] [--unit U]
    registrum org password USERNAME [--password-stdin]
    registrum org deactivate USERNAME | reactivate USERNAME
    registrum org roles USERNAME [--add ROLE ...] [--remove ROLE ...]
    registrum org clearance USERNAME --level NS --expires 2030-12-31 [--granted DATE] [--briefing ATOMAL ...]
    registrum org clearance USERNAME --withdraw
    registrum org requests
    registrum org confirm REQUEST_ID [--note TEXT] | reject REQUEST_ID [--note TEXT]
    registrum org registry CODE NAME --kind sub --unit CODE --accreditation NS [--parent CODE] [--pattern P]
    registrum org change-registry CODE [--name N] [--accreditation L] [--pattern P] [--unit U]
    registrum org staff REGISTRY USERNAME [--remove]
    registrum org show

Who acts: `--as USERNAME` names the person the operator acts for; they prove it with their
password (asked in a terminal, or read from REGISTRUM_AS_PASSWORD in a script), and every change is
checked by the policy and audited as theirs. Without `--as`, the operator sets a new site up as the
system, which is allowed only while the organisation has no active administrator: after that,
separation of duties needs a person behind each change.
"""

from __future__ import annotations

import getpass
import os
import sys
from datetime import date
from typing import Any, TypeVar

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import HttpRequest

from registrum.org import services
from registrum.org.models import ClearanceRequest, Person, Registry, RegistryKind, Role, RoleAssignment, Unit, UnitKind
from registrum.org.services import SYSTEM, Actor
from registrum.policy import Level, active_policy

M = TypeVar("M", Unit, Registry)
AS_PASSWORD_ENV = "REGISTRUM_AS_PASSWORD"  # noqa: S105 - the variable's name, not its value
# Subcommands that change nothing: no acting person needed.
READ_ONLY = frozenset({"show", "requests"})


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


def _new_password(username: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {username}: ")
    return ""


def acting_person(username: str) -> Person:
    """The person named by --as, once they proved it with their password."""
    person = Person.objects.filter(username=username).first()
    password = os.environ.get(AS_PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise CommandError(f"--as {username}: give their password in {AS_PASSWORD_ENV}, or run in a terminal")
        password = getpass.getpass(f"Password of {username} (acting): ")
    # The same lockout as the sign-in page (django-axes needs a request): the operator's attempts
    # count against the account and against the server's own address.
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    holder = authenticate(request, username=username, password=password)
    if person is None or not isinstance(holder, Person) or holder.pk != person.pk:
        raise CommandError(f"--as {username}: authentication failed")
    return Person.objects.select_related("clearance", "unit").get(pk=person.pk)


def operator_allowed() -> bool:
    """The system acts only while no active administrator exists (setting a site up, or
    recovering one whose administrators are all gone)."""
    return not RoleAssignment.objects.filter(role=Role.ADMINISTRATOR, person__is_active=True).exists()


class Command(BaseCommand):
    help = "Administer units, people, roles, clearances and registries (as --as USERNAME, or as the set-up operator)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="acting", metavar="USERNAME", help="the person the operator acts for")
        sub = parser.add_subparsers(dest="action", required=True)

        def command(name: str, help: str) -> CommandParser:
            p: CommandParser = sub.add_parser(name, help=help)
            # --as is accepted after the subcommand too (default: keep what came before it).
            p.add_argument("--as", dest="acting_after", metavar="USERNAME", help="the person the operator acts for")
            return p

        unit = command("unit", "add a unit")
        unit.add_argument("code")
        unit.add_argument("name")
        unit.add_argument("--parent")
        unit.add_argument("--kind", choices=UnitKind.values, default=UnitKind.BRANCH)
        change_unit = command("change-unit", "rename a unit or change its code or kind")
        change_unit.add_argument("code")
        change_unit.add_argument("--code", dest="new_code")
        change_unit.add_argument("--name")
        change_unit.add_argument("--kind", choices=UnitKind.values)
        move = command("move-unit", "move a unit, with everything under it, under another unit")
        move.add_argument("code")
        where = move.add_mutually_exclusive_group(required=True)
        where.add_argument("--under", metavar="PARENT")
        where.add_argument("--top", action="store_true", help="make it a top-level unit")

        person = command("person", "add a person (asks for the password)")
        person.add_argument("username")
        person.add_argument("--first", required=True)
        person.add_argument("--last", required=True)
        person.add_argument("--nationality", required=True)
        person.add_argument("--unit")
        person.add_argument("--email", default="")
        person.add_argument("--position", default="")
        person.add_argument("--role", action="append", choices=Role.values, default=[])
        person.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        change = command("change-person", "change a person's name, e-mail, nationality, position or unit")
        change.add_argument("username")
        change.add_argument("--first")
        change.add_argument("--last")
        change.add_argument("--email")
        change.add_argument("--nationality")
        change.add_argument("--position")
        change.add_argument("--unit")
        password = command("password", "set another person's password (under the password rule)")
        password.add_argument("username")
        password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        for name, text in (("deactivate", "deactivate an account"), ("reactivate", "reactivate an account")):
            command(name, text).add_argument("username")
        roles = command("roles", "add or remove roles (nobody changes their own)")
        roles.add_argument("username")
        roles.add_argument("--add", action="append", choices=Role.values, default=[])
        roles.add_argument("--remove", action="append", choices=Role.values, default=[])

        clearance = command("clearance", "record a person's clearance (CTS and briefings wait for a control officer)")
        clearance.add_argument("username")
        clearance.add_argument("--level")
        clearance.add_argument("--expires")
        clearance.add_argument("--granted")
        clearance.add_argument("--briefing", action="append", default=[])
        clearance.add_argument("--withdraw", action="store_true", help="end the person's clearance now")
        command("requests", "list clearance requests awaiting a control officer")
        for name, text in (("confirm", "confirm a clearance request"), ("reject", "reject a clearance request")):
            decide = command(name, text + " (as a control officer other than the requester)")
            decide.add_argument("request", type=int)
            decide.add_argument("--note", default="")

        registry = command("registry", "add a registry, sub-registry or control point")
        registry.add_argument("code")
        registry.add_argument("name")
        registry.add_argument("--kind", choices=RegistryKind.values, required=True)
        registry.add_argument("--unit", required=True)
        registry.add_argument("--accreditation", required=True)
        registry.add_argument("--parent")
        registry.add_argument("--pattern")
        change_registry = command("change-registry", "rename, re-accredit, renumber or re-home a registry")
        change_registry.add_argument("code")
        change_registry.add_argument("--name")
        change_registry.add_argument("--accreditation")
        change_registry.add_argument("--pattern")
        change_registry.add_argument("--unit")
        staff = command("staff", "put a person on a registry's staff (or take them off)")
        staff.add_argument("registry")
        staff.add_argument("username")
        staff.add_argument("--remove", action="store_true")
        command("show", "print units and registries")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        acting = options.get("acting_after") or options.get("acting")
        if acting:
            actor: Actor = acting_person(acting)
        elif action in READ_ONLY or operator_allowed():
            actor = SYSTEM
        else:
            raise CommandError(
                "the organisation has an administrator now: act as a person with --as USERNAME "
                "(separation of duties needs a person behind each change)"
            )
        self.actor = actor
        try:
            getattr(self, "_" + action.replace("-", "_"))(options)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())
            else:
                problems = "; ".join(exc.messages)
            raise CommandError(problems) from None
        except PermissionDenied as exc:
            raise CommandError(f"refused: {exc}") from None

    def _person_actor(self, what: str) -> Person:
        if not isinstance(self.actor, Person):
            raise CommandError(f"{what} needs a person: give --as USERNAME (a control officer)")
        return self.actor

    # Units

    def _unit(self, o: dict[str, Any]) -> None:
        unit = services.create_unit(
            self.actor, code=o["code"], name=o["name"], kind=o["kind"], parent=_unit(o["parent"])
        )
        self.stdout.write(f"unit {unit.code} added")

    def _change_unit(self, o: dict[str, Any]) -> None:
        unit = _unit(o["code"])
        if not (unit is not None):
            raise RuntimeError("internal check failed: unit is not None")
        unit = services.change_unit(self.actor, unit, code=o["new_code"], name=o["name"], kind=o["kind"])
        self.stdout.write(f"unit {unit.code} changed")

    def _move_unit(self, o: dict[str, Any]) -> None:
        unit = _unit(o["code"])
        if not (unit is not None):
            raise RuntimeError("internal check failed: unit is not None")
        parent = None if o["top"] else _unit(o["under"])
        services.move_unit(self.actor, unit, parent)
        self.stdout.write(f"unit {unit.code} moved under {parent.code if parent else 'the top'}")

    # People

    def _person(self, o: dict[str, Any]) -> None:
        password = _new_password(o["username"], o["password_stdin"])
        person = services.create_person(
            self.actor,
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

    def _change_person(self, o: dict[str, Any]) -> None:
        person = _person(o["username"])
        names = {"first": "first_name", "last": "last_name", "email": "email", "nationality": "nationality"}
        changes: dict[str, Any] = {field: o[option] for option, field in names.items() if o[option] is not None}
        if o["position"] is not None:
            changes["position"] = o["position"]
        if o["unit"] is not None:
            changes["unit"] = _unit(o["unit"]) if o["unit"] else None
        if not changes:
            raise CommandError("nothing to change: give --first, --last, --email, --nationality, --position or --unit")
        services.change_person(self.actor, person, **changes)
        self.stdout.write(f"person {person.username} changed")

    def _password(self, o: dict[str, Any]) -> None:
        password = _new_password(o["username"], o["password_stdin"])
        if not password:
            raise CommandError("no password given: use --password-stdin, or run in a terminal")
        services.set_password(self.actor, _person(o["username"]), password)
        self.stdout.write(f"password of {o['username']} set")

    def _deactivate(self, o: dict[str, Any]) -> None:
        services.deactivate_person(self.actor, _person(o["username"]))
        self.stdout.write(f"{o['username']} deactivated: their sessions and tokens no longer work")

    def _reactivate(self, o: dict[str, Any]) -> None:
        services.reactivate_person(self.actor, _person(o["username"]))
        self.stdout.write(f"{o['username']} reactivated")

    def _roles(self, o: dict[str, Any]) -> None:
        person = _person(o["username"])
        held = set(person.roles.values_list("role", flat=True))
        roles = services.set_roles(self.actor, person, (held | set(o["add"])) - set(o["remove"]))
        self.stdout.write(f"roles of {person.username}: {', '.join(roles) or 'none'}")

    # Clearances

    def _clearance(self, o: dict[str, Any]) -> None:
        person = _person(o["username"])
        if o["withdraw"]:
            services.withdraw_clearance(self.actor, person)
            self.stdout.write(f"clearance of {person.username} withdrawn")
            return
        if not o["level"] or not o["expires"]:
            raise CommandError("--level and --expires are required (or --withdraw)")
        expires = _date(o["expires"], "expires")
        granted = _date(o["granted"], "granted") or date.today()
        if not (expires is not None):
            raise RuntimeError("internal check failed: expires is not None")
        result = services.set_clearance(
            self.actor, person, level=_level(o["level"]), granted=granted, expires=expires, briefings=o["briefing"]
        )
        if isinstance(result, ClearanceRequest):
            self.stdout.write(
                f"clearance of {person.username} awaits a control officer: request {result.pk} ({result.reason})"
            )
        else:
            self.stdout.write(f"clearance of {person.username} set")

    def _requests(self, o: dict[str, Any]) -> None:
        policy = active_policy()
        pending = ClearanceRequest.objects.filter(state="pending").select_related("person", "requested_by")
        for r in pending.order_by("requested_at", "id"):
            level = policy.levels[Level(r.level)].abbreviation
            briefings = "+".join(r.briefings) or "-"
            by = r.requested_by.username if r.requested_by else "system"
            self.stdout.write(
                f"{r.pk:<6} {r.person.username:<16} {level:<4} {briefings:<20} until {r.expires}  by {by}: {r.reason}"
            )

    def _confirm(self, o: dict[str, Any]) -> None:
        try:
            services.confirm_clearance_request(self._person_actor("confirming"), o["request"], o["note"])
        except ClearanceRequest.DoesNotExist:
            raise CommandError(f"unknown clearance request {o['request']}") from None
        self.stdout.write(f"request {o['request']} confirmed: the clearance is in effect")

    def _reject(self, o: dict[str, Any]) -> None:
        try:
            services.reject_clearance_request(self._person_actor("rejecting"), o["request"], o["note"])
        except ClearanceRequest.DoesNotExist:
            raise CommandError(f"unknown clearance request {o['request']}") from None
        self.stdout.write(f"request {o['request']} rejected")

    # Registries

    def _registry(self, o: dict[str, Any]) -> None:
        extra = {"numbering_pattern": o["pattern"]} if o["pattern"] else {}
        unit = _unit(o["unit"])
        if not (unit is not None):  # required argument
            raise RuntimeError("internal check failed: unit is not None")
        registry = services.create_registry(
            self.actor,
            code=o["code"],
            name=o["name"],
            kind=RegistryKind(o["kind"]),
            unit=unit,
            accreditation=_level(o["accreditation"]),
            parent=_registry(o["parent"]),
            **extra,
        )
        self.stdout.write(f"registry {registry.code} added")

    def _change_registry(self, o: dict[str, Any]) -> None:
        registry = _registry(o["code"])
        if not (registry is not None):
            raise RuntimeError("internal check failed: registry is not None")
        services.change_registry(
            self.actor,
            registry,
            name=o["name"],
            accreditation=_level(o["accreditation"]) if o["accreditation"] else None,
            numbering_pattern=o["pattern"],
            unit=_unit(o["unit"]),
        )
        self.stdout.write(f"registry {registry.code} changed")

    def _staff(self, o: dict[str, Any]) -> None:
        registry = _registry(o["registry"])
        if not (registry is not None):
            raise RuntimeError("internal check failed: registry is not None")
        person = _person(o["username"])
        if o["remove"]:
            services.remove_registry_staff(self.actor, registry, person)
            self.stdout.write(f"{person.username} is off the staff of {registry.code}")
        else:
            services.add_registry_staff(self.actor, registry, person)
            self.stdout.write(f"{person.username} is on the staff of {registry.code}")

    def _show(self, o: dict[str, Any]) -> None:
        for unit in Unit.objects.order_by("path"):
            self.stdout.write(f"{'  ' * unit.depth}{unit.code:<12} {unit.name}")
        self.stdout.write("")
        policy = active_policy()
        for registry in Registry.objects.order_by("code").prefetch_related("staff"):
            staff = ", ".join(p.username for p in registry.staff.all()) or "-"
            level = policy.levels[Level(registry.accreditation)].abbreviation
            self.stdout.write(f"{registry.code:<10} {registry.kind:<13} {level:<4} {registry.name} [{staff}]")
