from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from registrum.demo import builder


class Command(BaseCommand):
    help = "Load the demo organisation, people and registrations (once), and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--registrations", type=int, default=300)

    def handle(self, *args: Any, **options: Any) -> None:
        if builder.is_loaded():
            self.stdout.write("The demo is already loaded.")
        else:
            builder.build(registrations=options["registrations"])
            self.stdout.write(f"Demo loaded: {options['registrations'] + 2} registrations.")
        self.stdout.write(f"\nDemo logins (password for all: {builder.DEMO_PASSWORD})")
        for p in builder.PEOPLE:
            clearance = p.level.name if p.level is not None else "none"
            if p.expired:
                clearance += " (expired)"
            briefed = "+".join(p.briefings) or "-"
            roles = ", ".join(r.value for r in p.roles)
            self.stdout.write(
                f"  {p.username:<14} {p.nationality}  {clearance:<14} {briefed:<22} {roles:<28} {p.position}"
            )
