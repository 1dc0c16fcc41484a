"""Commands: dispatch copies, acknowledge their receipt, cancel a transfer, list what is
outstanding.

    registrum custody --as clerk dispatch RGC-... RGC-... --to-registry IMS-REG --container IMS-SAFE-1
    registrum custody --as clerk receive TRANSFER_ID [RGC-... ...]   (no code: every copy)
    registrum custody --as clerk cancel TRANSFER_ID
    registrum custody --as clerk outstanding [--registry CR] [--outbound]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from registrum.custody import transfers
from registrum.custody.cli import Handler
from registrum.custody.common import parse_copy_code
from registrum.org.models import Person, Registry


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    send = commands.add_parser("dispatch", help="dispatch copies (codes or ids; '-' reads them from stdin)")
    send.add_argument("copies", nargs="+", metavar="CODE")
    send.add_argument("--to-registry", default="", metavar="CODE")
    send.add_argument("--to-person", default="", metavar="USERNAME")
    send.add_argument("--to-external", default="", metavar="ADDRESSEE")
    send.add_argument("--container", default="", metavar="CODE", help="a container of the receiving registry")
    send.add_argument("--suspense", default="", metavar="YYYY-MM-DD", help="receipt due by")
    send.add_argument("--note", default="")
    receive = commands.add_parser("receive", help="acknowledge the receipt of a transfer's copies")
    receive.add_argument("transfer", metavar="TRANSFER_ID")
    receive.add_argument("codes", nargs="*", metavar="CODE", help="scanned codes; none: every copy")
    cancel = commands.add_parser("cancel", help="cancel a transfer none of whose copies was received")
    cancel.add_argument("transfer", metavar="TRANSFER_ID")
    listing = commands.add_parser("outstanding", help="transfers in transit, flagged past their suspense")
    listing.add_argument("--registry", default="", metavar="CODE", help="a registry you staff (default: your own)")
    listing.add_argument("--outbound", action="store_true", help="sent, not received (default: to receive)")
    return {"dispatch": _dispatch, "receive": _receive, "cancel": _cancel, "outstanding": _outstanding}


def _codes(values: list[str]) -> list[str]:
    if values == ["-"]:
        values = [line for line in sys.stdin.read().split() if line]
    ids = []
    for value in values:
        public_id = parse_copy_code(value)
        if public_id is None:
            raise ValidationError({"copies": _("%(code)s: not a copy code") % {"code": value[:40]}})
        ids.append(public_id)
    return ids


def _dispatch(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    suspense = None
    if options["suspense"]:
        try:
            suspense = date.fromisoformat(options["suspense"])
        except ValueError:
            raise ValidationError({"suspense": _("a date YYYY-MM-DD")}) from None
    where = transfers.find_destination(
        registry=options["to_registry"],
        person=options["to_person"],
        external=options["to_external"],
        container=options["container"],
    )
    transfer = transfers.dispatch(
        actor,
        _codes(options["copies"]),
        to_registry=where.to_registry,
        to_person=where.to_person,
        to_external=where.to_external,
        to_container=where.to_container,
        suspense=suspense,
        note=options["note"],
    )
    count = transfer.items.count()
    write(
        f"{transfer.number} {transfer.public_id} {transfer.state} {count} copies to {transfer.destination_label}"
        f" due {transfer.suspense.isoformat()}"
    )


def _receive(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    codes = options["codes"] or None
    if codes == ["-"]:
        codes = [line for line in sys.stdin.read().split() if line]
    receipt = transfers.acknowledge(actor, options["transfer"], codes)
    write(
        f"{receipt.transfer.number} {receipt.transfer.state}: {len(receipt.received)} received,"
        f" {receipt.outstanding} outstanding"
    )


def _cancel(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    transfer = transfers.cancel(actor, options["transfer"])
    write(f"{transfer.number} {transfer.state}")


def _outstanding(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    registry = None
    if options["registry"]:
        registry = Registry.objects.filter(code__iexact=options["registry"]).first()
        if registry is None:
            raise ValidationError({"registry": _("unknown registry %(code)s") % {"code": repr(options["registry"])}})
    direction = "outbound" if options["outbound"] else "inbound"
    for line in transfers.outstanding(actor, registry=registry, direction=direction):
        t = line.transfer
        flag = "  OVERDUE" if line.overdue else ""
        origin = t.from_registry.code if t.from_registry else f"@{t.from_person.username}" if t.from_person else ""
        write(
            f"{t.number}\t{t.public_id}\t{origin} -> {t.destination_label}\t{line.pending}/{line.copies} pending"
            f"\tdue {t.suspense.isoformat()}{flag}"
        )
