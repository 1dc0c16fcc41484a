"""`registrum token USER`: an operator issues a token on behalf of a person, who proves who they
are with their password first. The token is issued by that person, never by the system."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import HttpRequest

from registrum.accounts.services import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, check_token_days, issue_token
from registrum.org.models import Person


def _problem(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


class Command(BaseCommand):
    help = "Issue an API bearer token for a person, who gives their password (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_TOKEN_DAYS,
            help=f"days until it expires, 1 to {MAX_TOKEN_DAYS} (default {DEFAULT_TOKEN_DAYS})",
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the person's password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        try:
            check_token_days(options["days"])
        except ValidationError as exc:
            raise CommandError(f"--days: {_problem(exc)}") from None
        person = Person.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"unknown person {username!r}")
        if not person.is_active:
            raise CommandError(f"the account {username} is deactivated: no token is issued")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass(f"Password for {username}: ")
        else:
            raise CommandError("the person's password is needed: give it with --password-stdin, or run in a terminal")
        # The same lockout as the sign-in page (django-axes needs a request): the operator's
        # attempts count against the account and against the server's own address.
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        holder = authenticate(request, username=username, password=password)
        if not isinstance(holder, Person):
            raise CommandError(f"authentication failed for {username}: no token is issued")
        try:
            token = issue_token(holder, holder, name=options["name"], days=options["days"])
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(_problem(exc)) from None
        self.stdout.write(token)
