"""Commands: charge-out, check-in, the registry's copies out on charge."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from registrum.custody import chargeouts
from registrum.custody.cli import Handler
from registrum.org.models import Person, Registry


def _registry(code: str) -> Registry:
    registry = Registry.objects.filter(code=code).first()
    if registry is None:
        raise ValidationError({"registry": f"no registry {code!r}"})
    return registry


def charge_out(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    reader = Person.objects.filter(username=options["reader"].lstrip("@"), is_active=True).first()
    if reader is None:
        raise ValidationError({"reader": f"no reader {options['reader']!r}"})
    due = date.fromisoformat(options["due"]) if options.get("due") else None
    loan = chargeouts.charge_out(actor, options["copy"], reader, due=due, note=options.get("note") or "")
    write(
        f"{loan.copy.code} copy {loan.copy.number} of {loan.copy.of_total} "
        f"charged out to {reader.username} until {loan.due}"
    )


def check_in(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    loan = chargeouts.check_in(actor, options["copy"])
    write(f"{loan.copy.code} copy {loan.copy.number} of {loan.copy.of_total} checked in from {loan.reader.username}")


def list_charge_outs(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    for loan in chargeouts.open_charge_outs(actor, _registry(options["registry"])):
        c = loan.charge_out
        flag = " OVERDUE" if loan.overdue else (" due today" if loan.due_today else "")
        write(f"{c.copy.code}\tcopy {c.copy.number} of {c.copy.of_total}\t{c.reader.username}\tdue {c.due}{flag}")


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    out = commands.add_parser("charge-out", help="lend a held copy to a reader")
    out.add_argument("copy", help="the copy's code (RGC-...) or id")
    out.add_argument("reader", help="the reader's user name")
    out.add_argument("--due", help="due back (YYYY-MM-DD; default: the policy's term)")
    out.add_argument("--note", default="")
    back = commands.add_parser("check-in", help="a charged-out copy is back")
    back.add_argument("copy")
    listing = commands.add_parser("charge-outs", help="a registry's copies out on charge, overdue flagged")
    listing.add_argument("registry", help="the registry's code")
    return {"charge-out": charge_out, "check-in": check_in, "charge-outs": list_charge_outs}
