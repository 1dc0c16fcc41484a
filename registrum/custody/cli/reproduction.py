"""Commands: `reproduction make|request|approve|reject`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from registrum.custody import reproduction as service
from registrum.custody.cli import Handler
from registrum.custody.common import parse_copy_code
from registrum.custody.models import ReproductionRequest
from registrum.org.models import Person


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    parser = commands.add_parser("reproduction", help="reproductions, extracts and translations of a copy")
    sub = parser.add_subparsers(dest="reproduction_command", required=True)
    for name, text in (
        ("make", "reproduce at once (where no approval is needed)"),
        ("request", "request a reproduction a control officer approves (COSMIC TOP SECRET, ATOMAL)"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("copy", help="copy id or label code (RGC-...)")
        command.add_argument("--kind", default="reproduction", choices=["reproduction", "extract", "translation"])
        command.add_argument("--count", type=int, default=1)
        command.add_argument("--authority", required=True, help="the authority (the originator's consent)")
    sub.add_parser("approve", help="approve a request (a control officer)").add_argument("request")
    reject = sub.add_parser("reject", help="reject a request (a control officer)")
    reject.add_argument("request")
    reject.add_argument("--note", default="")
    return {"reproduction": _run}


def _copy(code: str) -> str:
    parsed = parse_copy_code(code)
    if parsed is None:
        raise ValidationError({"copy": f"{code!r} is not a copy code"})
    return parsed


def _show(request: ReproductionRequest, write: Callable[[str], None]) -> None:
    made = f"\tcopy No. {request.made_numbers}" if request.made_numbers else ""
    write(f"{request.public_id}\t{request.get_state_display()}{made}")


def _run(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    command = options["reproduction_command"]
    if command in ("make", "request"):
        arguments = {"kind": options["kind"], "count": options["count"], "authority": options["authority"]}
        if command == "make":
            for copy in service.reproduce(actor, _copy(options["copy"]), **arguments):
                write(f"{copy.public_id}\tcopy No. {copy.number} of {copy.of_total}\t{copy.kind}")
        else:
            _show(service.request_reproduction(actor, _copy(options["copy"]), **arguments), write)
    elif command == "approve":
        _show(service.approve_reproduction(actor, options["request"]), write)
    else:
        _show(service.reject_reproduction(actor, options["request"], options["note"]), write)
