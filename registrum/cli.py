"""`registrum`: the one command, over Django's management commands (init, serve, demo, import,
export, token, and Django's own such as migrate)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registrum.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["registrum", *sys.argv[1:]])


if __name__ == "__main__":
    main()
