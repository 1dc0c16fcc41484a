"""Custody of copies from the command line, always as a person who proves it:

    registrum custody --as USERNAME COMMAND ...   (`registrum custody --help` lists the commands)

The password comes from a terminal or REGISTRUM_AS_PASSWORD (as for `registrum org --as`); every
command goes through the same services as the pages, so the policy decides and the trail records.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from registrum.custody.cli import Handler, parts
from registrum.org.management.commands.org import acting_person


class Command(BaseCommand):
    help = "Copies, containers, transfers, charge-outs, inventories, regrading, retention and destruction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="acting", metavar="USERNAME", required=True, help="the person acting")
        commands = parser.add_subparsers(dest="command", required=True)
        self.handlers: dict[str, Handler] = {}
        for part in parts():
            self.handlers.update(part.add_commands(commands))

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_person(options["acting"])
        handler = self.handlers[options["command"]]
        try:
            handler(actor, options, self.stdout.write)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())
            else:
                problems = "; ".join(exc.messages)
            raise CommandError(problems) from None
        except PermissionDenied as exc:
            raise CommandError(f"refused: {exc}") from None
        except Http404 as exc:
            raise CommandError(str(exc) or "not found") from None
