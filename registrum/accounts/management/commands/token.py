from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registrum.accounts.services import issue_token
from registrum.org.models import Person
from registrum.org.services import SYSTEM


class Command(BaseCommand):
    help = "Issue an API bearer token for a person (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(f"unknown person {options['username']!r}")
        self.stdout.write(issue_token(SYSTEM, person, name=options["name"], days=options["days"] or None))
