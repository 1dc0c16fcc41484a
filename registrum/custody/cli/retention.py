"""Commands: the disposition queue, holds, and disposition decisions."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any

from registrum.custody import retention
from registrum.custody.cli import Handler
from registrum.org.models import Person


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    queue = commands.add_parser("disposition", help="what is due for disposition in my registries")
    queue.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    hold = commands.add_parser("hold", help="stop disposition of a document or a file")
    target = hold.add_mutually_exclusive_group(required=True)
    target.add_argument("--document", help="the document's id")
    target.add_argument("--file", help="the file's code")
    hold.add_argument("--reason", required=True)
    lift = commands.add_parser("lift", help="lift a hold")
    lift.add_argument("hold", help="the hold's id")
    lift.add_argument("--reason", required=True)
    decide = commands.add_parser("decide", help="decide a document due for disposition")
    decide.add_argument("document", help="the document's id")
    decide.add_argument("--action", required=True, choices=["destroy", "archive", "review"])
    decide.add_argument("--review-on", type=date.fromisoformat, help="YYYY-MM-DD, for review")
    decide.add_argument("--note", default="")
    review = commands.add_parser("disclosure", help="the 30-year public-disclosure review queue")
    review.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    disclose = commands.add_parser("disclose", help="decide a record at its 30-year review")
    disclose.add_argument("document", help="the document's id")
    choice = disclose.add_mutually_exclusive_group(required=True)
    choice.add_argument("--disclose", action="store_true", help="declassify and disclose it to the public")
    choice.add_argument("--retain", type=int, metavar="YEARS", help="keep it classified, review again in YEARS")
    disclose.add_argument("--authority", required=True, help="who decided it, and their reference")
    return {
        "disposition": _queue,
        "hold": _hold,
        "lift": _lift,
        "decide": _decide,
        "disclosure": _review_queue,
        "disclose": _disclose,
    }


def _queue(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    for item in retention.disposition_queue(actor, options["today"]):
        files = ",".join(item.files)
        write(f"{item.due_on}\t{item.document.public_id}\t{item.document.marking}\t{files}\t{item.disposition}")


def _hold(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    hold = retention.place_hold(
        actor, reason=options["reason"], document_public_id=options["document"], file_code=options["file"]
    )
    write(f"hold {hold.public_id} placed")


def _lift(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    hold = retention.lift_hold(actor, options["hold"], options["reason"])
    write(f"hold {hold.public_id} lifted")


def _decide(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    decision = retention.decide_disposition(
        actor, options["document"], action=options["action"], review_on=options["review_on"], note=options["note"]
    )
    when = f" on {decision.review_on}" if decision.review_on else ""
    write(f"{decision.document.public_id}: {decision.action}{when}")


def _review_queue(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    for document in retention.disclosure_queue(actor, options["today"]):
        write(f"{document.document_date}\t{document.public_id}\t{document.marking}")


def _disclose(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    decision = retention.decide_disclosure(
        actor,
        options["document"],
        disclose=bool(options["disclose"]),
        authority=options["authority"],
        review_in_years=options["retain"],
    )
    when = f", review again on {decision.review_on}" if decision.review_on else ""
    write(f"{decision.document.public_id}: {decision.action}{when}")
