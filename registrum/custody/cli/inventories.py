"""Commands: inventories (start, scan, status, close, report) and when the next one is due."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from registrum.custody import inventories
from registrum.custody.cli import Handler
from registrum.custody.cli.chargeouts import _registry
from registrum.custody.models import Container
from registrum.org.models import Person
from registrum.policy import active_policy


def start(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    registry = _registry(options["registry"])
    container = None
    if options.get("container"):
        container = Container.objects.filter(code=options["container"].upper(), registry=registry).first()
        if container is None:
            raise ValidationError({"container": f"no container {options['container']!r} in {registry.code}"})
    level = None
    if options.get("level"):
        try:
            level = active_policy().level_from_text(options["level"])
        except ValueError as exc:
            raise ValidationError({"level": str(exc)}) from None
    inventory = inventories.start_inventory(actor, registry, container=container, level=level)
    write(f"{inventory.public_id}\t{inventories.scope_label(inventory)}\t{inventory.expected} copies expected")


def scan(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    codes = list(options["codes"])
    if options.get("file"):
        source = sys.stdin if options["file"] == "-" else Path(options["file"]).open(encoding="utf-8")  # noqa: SIM115
        with source:
            codes += source.read().splitlines()
    for result in inventories.check_list(actor, options["inventory"], codes):
        write(f"{result.outcome}\t{result.message}")


def status(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    inventory = inventories.get_inventory(actor, options["inventory"])
    counts = inventories.progress(inventory)
    write(
        f"{inventory.public_id}\t{inventory.state}\texpected {counts.expected}\tfound {counts.found}\t"
        f"missing {counts.missing}\tunexpected scans {counts.unexpected}"
    )
    for copy in inventories.missing_copies(inventory, limit=options["missing"]):
        write(f"missing\t{copy.code}\tcopy {copy.number} of {copy.of_total}")


def close(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    inventory = inventories.close_inventory(actor, options["inventory"])
    write(
        f"{inventory.public_id} closed: {inventory.found} of {inventory.expected} found, {inventory.missing} missing; "
        f"report SHA-256 {inventory.report_sha256}"
    )


def report(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    pdf = inventories.report_pdf(actor, options["inventory"])
    Path(options["output"]).write_bytes(pdf)
    write(f"{options['output']}: {len(pdf)} bytes")


def due(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    for row in inventories.inventories_due(actor, within_days=options["within"]):
        flag = " OVERDUE" if row.overdue else ""
        write(f"{row.registry.code}\tdue {row.due}{flag}\t{row.reason}")


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    begin = commands.add_parser("inventory-start", help="start an inventory of a registry (or container, level)")
    begin.add_argument("registry")
    begin.add_argument("--container")
    begin.add_argument("--level", help="only copies at this level (e.g. NS)")
    check = commands.add_parser("inventory-scan", help="check copies' codes (arguments, or --file, - for stdin)")
    check.add_argument("inventory")
    check.add_argument("codes", nargs="*")
    check.add_argument("--file")
    state = commands.add_parser("inventory-status", help="counts so far and the copies still missing")
    state.add_argument("inventory")
    state.add_argument("--missing", type=int, default=50, help="missing copies listed (default 50)")
    end = commands.add_parser("inventory-close", help="close: missing copies lost, a loss report, the signed report")
    end.add_argument("inventory")
    pdf = commands.add_parser("inventory-report", help="write the report PDF of a closed inventory")
    pdf.add_argument("inventory")
    pdf.add_argument("output")
    upcoming = commands.add_parser("inventories-due", help="my registries' inventories due or overdue")
    upcoming.add_argument("--within", type=int, default=30, help="days ahead (default 30)")
    return {
        "inventory-start": start,
        "inventory-scan": scan,
        "inventory-status": status,
        "inventory-close": close,
        "inventory-report": report,
        "inventories-due": due,
    }
