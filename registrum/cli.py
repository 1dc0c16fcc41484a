"""`registrum`: the one command, over Django's management commands (init, serve, demo, import,
export, token, org, and Django's own such as migrate; those that would bypass the services, such
as createsuperuser, shell or flush, are refused with what to use instead).

Listing the commands (`registrum`, `registrum --help`, `registrum help [--commands]`) takes a fast
path that does not set Django up: `django.setup()` imports every installed app's models and,
through django-ninja, pydantic (about 0.7 s), and Django needs none of that to list commands,
since it finds them by file name in each app's `management/commands` folder. The fast path reads
the settings, finds the same folders without importing the apps, and prints what Django would print
(a test compares the two). Anything else, `registrum CMD --help` included, goes to Django as is.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from importlib.util import find_spec
from pathlib import Path

# The arguments for which Django prints only the list of commands, or its version.
LISTING_ARGS = {(), ("help",), ("--help",), ("-h",), ("help", "--commands"), ("--version",), ("version",)}

# Django's own commands that would change or reveal data around the services (no policy, no
# audit): `registrum` refuses them and says what to use instead. Refused here, at the entry
# point, not by overriding the commands: Django's test machinery calls `flush` itself.
REFUSED_COMMANDS: dict[str, str] = {
    "createsuperuser": "accounts are created through the audited services: "
    "registrum org [--as ADMIN] person USERNAME --first F --last L --nationality NAT --role administrator "
    "--password-stdin",
    "changepassword": "passwords are set under the password rule and audited: a person changes their own on "
    "their account page; an administrator uses registrum org --as ADMIN password USERNAME",
    "shell": "every change goes through a service that checks the policy and writes the audit trail: "
    "use the registrum commands (org, import, export, token, ...) or the API",
    "dbshell": "the database is changed only through Registrum's services, which audit every change: "
    "use the registrum commands or the API",
    "flush": "Registrum never erases its register or its audit trail: to start over, point "
    "REGISTRUM_HOME (or REGISTRUM_DATABASE_URL) at a new place and run registrum init",
    "loaddata": "data enters through checked, audited imports: registrum import (the register) and "
    "registrum org (the organisation)",
    "testserver": "it loads fixtures around the services: run registrum demo, then registrum serve",
    "dumpdata": "it would copy every row (password hashes, classified titles) without an audit event: "
    "use registrum export, which applies the access filter and is audited",
}


def refusal(args: tuple[str, ...]) -> str | None:
    """The message refusing a Django command that `registrum` does not run, or None."""
    if not args:
        return None
    reason = REFUSED_COMMANDS.get(args[0])
    if reason is None:
        return None
    return f"registrum {args[0]} is refused: {reason}."


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registrum.settings")
    args = tuple(sys.argv[1:])
    refused = refusal(args)
    if refused is not None:
        sys.stderr.write(refused + "\n")
        raise SystemExit(2)
    if args in LISTING_ARGS and "DJANGO_AUTO_COMPLETE" not in os.environ:
        text = listing_text(args)
        if text is not None:
            sys.stdout.write(text + "\n")
            return
    from django.core.management import execute_from_command_line

    from registrum.audit.context import cli_origin, set_default_origin

    # Events recorded by this process name the operating-system account that ran it (a web server
    # started here names each request's client instead: registrum.audit.middleware).
    set_default_origin(cli_origin())
    execute_from_command_line(["registrum", *args])


def listing_text(args: tuple[str, ...], prog_name: str = "registrum") -> str | None:
    """What Django's ManagementUtility prints for these arguments, or None when that cannot be known
    without setting Django up (settings that do not load, an app entry that is not a package)."""
    import django

    if args in {("--version",), ("version",)}:
        return django.get_version()
    commands = commands_without_setup()
    if commands is None:
        return None
    if args == ("help", "--commands"):
        return "\n".join(sorted(commands))

    from django.core.management.color import color_style

    # The same text as django.core.management.ManagementUtility.main_help_text().
    usage = [
        "",
        f"Type '{prog_name} help <subcommand>' for help on a specific subcommand.",
        "",
        "Available subcommands:",
    ]
    by_app: defaultdict[str, list[str]] = defaultdict(list)
    for name, app in commands.items():
        by_app["django" if app == "django.core" else app.rpartition(".")[-1]].append(name)
    style = color_style()
    for app in sorted(by_app):
        usage.append("")
        usage.append(style.NOTICE(f"[{app}]"))
        usage.extend(f"    {name}" for name in sorted(by_app[app]))
    return "\n".join(usage)


def commands_without_setup() -> dict[str, str] | None:
    """{command name: app name} as django.core.management.get_commands() returns it, found the same
    way (every module in django/core/management/commands, then in each installed app's
    management/commands, the first app listed winning) but without importing the apps."""
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        installed_apps = list(settings.INSTALLED_APPS)
    except (ImproperlyConfigured, ImportError):
        return None  # Django prints its own note about the settings
    commands = dict.fromkeys(_find_commands(Path(django.__file__).parent / "core" / "management"), "django.core")
    for entry in reversed(installed_apps):
        try:
            spec = find_spec(entry)  # imports the parent packages only, not the app itself
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None  # e.g. a dotted path to an AppConfig class: only Django knows its app
        locations = list(spec.submodule_search_locations)
        if len(locations) != 1:
            return None  # a namespace package: Django asks for an explicit path
        commands.update(dict.fromkeys(_find_commands(Path(locations[0]) / "management"), entry))
    return commands


def _find_commands(management_dir: Path) -> list[str]:
    """django.core.management.find_commands, which cannot be imported without most of Django."""
    import pkgutil

    return [
        name
        for _, name, is_pkg in pkgutil.iter_modules([str(management_dir / "commands")])
        if not is_pkg and not name.startswith("_")
    ]


if __name__ == "__main__":
    main()
