from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registrum.accounts import second_factor
from registrum.demo import builder
from registrum.org.models import Person


class Command(BaseCommand):
    help = (
        "Load the demo organisation, people and registrations (once), and print the demo logins; "
        "`registrum demo code USERNAME` prints a demo person's current second-factor code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["code"], help="code: print a demo person's current code")
        parser.add_argument("username", nargs="?")
        parser.add_argument("--registrations", type=int, default=300)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "code":
            self._code(options["username"])
            return
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
        threshold = second_factor.required_from()
        if threshold is None:
            self.stdout.write("\nNo second factor is required on this site (REGISTRUM_OTP_REQUIRED_FROM_LEVEL=never).")
            return
        self.stdout.write(
            f"\nFrom {threshold.name} clearance up a second factor is required. Each demo person has an "
            "authenticator with a known secret (add it to an app, or run `registrum demo code USERNAME` "
            "for the current code):"
        )
        for p in builder.PEOPLE:
            secret = b32encode(unhexlify(builder.demo_totp_key(p.username))).decode()
            self.stdout.write(f"  {p.username:<14} {secret}")

    def _code(self, username: str | None) -> None:
        if not username:
            raise CommandError("give the demo person's username: registrum demo code USERNAME")
        if username not in {p.username for p in builder.PEOPLE}:
            raise CommandError(f"{username!r} is not one of the demo's people: only they have known secrets")
        key = builder.demo_totp_key(username)
        person = Person.objects.filter(username=username).first()
        if person is None or not second_factor.has_secret(person, key):
            # Never the code of an authenticator somebody enrolled: only the demo's known secrets.
            raise CommandError(f"{username} has no demo authenticator on this site (is the demo loaded?)")
        self.stdout.write(second_factor.totp_code(key))
