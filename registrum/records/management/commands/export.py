from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registrum.org.models import Person
from registrum.records.exporting import export_register
from registrum.records.listing import RegisterFilters


class Command(BaseCommand):
    help = "Export the register as CSV or JSON: only what the named person may see."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True, help="whose view of the register to export")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
        parser.add_argument("--registry", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"], is_active=True).first()
        if person is None:
            raise CommandError(f"unknown or inactive person {options['username']!r}")
        filters = RegisterFilters(registry=options["registry"])
        if options["output"]:
            with options["output"].open("w", encoding="utf-8", newline="") as out:
                count = export_register(person, out, fmt=options["format"], filters=filters)
            self.stderr.write(f"{count} registration(s) written to {options['output']}")
        else:
            export_register(person, sys.stdout, fmt=options["format"], filters=filters)
