"""Commands: loss and compromise reports."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from registrum.custody import losses
from registrum.custody.cli import Handler
from registrum.custody.cli.chargeouts import _registry
from registrum.custody.models.losses import LossKind, LossState
from registrum.org.models import Person


def report(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    made = losses.report_loss(
        actor,
        _registry(options["registry"]),
        options["copies"],
        kind=options["kind"],
        circumstances=options["circumstances"],
    )
    write(f"{made.public_id}\t{made.kind}\t{made.copies.count()} copies")


def update(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    made = losses.update_report(
        actor, options["report"], state=options["state"], outcome=options["outcome"], people_told=options["told"]
    )
    write(f"{made.public_id}\t{made.state}")


def found(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    copy = losses.copy_found(actor, options["report"], options["copy"])
    write(f"{copy.code} copy {copy.number} of {copy.of_total} held again")


def listing(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    for row in losses.reports_of(actor, _registry(options["registry"])):
        write(f"{row.public_id}\t{row.kind}\t{row.state}\t{row.reported_at:%Y-%m-%d}")


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    new = commands.add_parser("loss-report", help="report copies lost or compromised")
    new.add_argument("registry")
    new.add_argument("copies", nargs="+", help="the copies' codes")
    new.add_argument("--kind", choices=LossKind.values, default=LossKind.LOSS)
    new.add_argument("--circumstances", required=True)
    change = commands.add_parser("loss-update", help="record the investigation (control officer)")
    change.add_argument("report")
    change.add_argument("state", choices=LossState.values)
    change.add_argument("--outcome", default="")
    change.add_argument("--told", default="", help="the people told")
    back = commands.add_parser("loss-found", help="a lost copy found again")
    back.add_argument("report")
    back.add_argument("copy")
    reports = commands.add_parser("loss-reports", help="a registry's loss and compromise reports")
    reports.add_argument("registry")
    return {"loss-report": report, "loss-update": update, "loss-found": found, "loss-reports": listing}
