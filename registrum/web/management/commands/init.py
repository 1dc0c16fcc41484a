from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from registrum.audit import checkpoints


def restrict_to_owner(home: Path) -> None:
    """Make the data folder readable by the service account only. New files already are (the
    settings set the umask); this also closes up a folder made by an older version or by hand. The
    folder itself at 0700 shuts everything below it; its direct entries are fixed too (not every
    content file: a million stat calls at each start would buy nothing more)."""
    for path in [home, *home.iterdir()]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(stat.S_IMODE(mode) & 0o700)


class Command(BaseCommand):
    help = "Create the data folder, the key-encryption keyring and the database schema (safe to run again)."
    # The start-up checks would refuse a site without its keyring: creating it is this command's work.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        settings.HOME.mkdir(parents=True, exist_ok=True)
        settings.REGISTRUM_CONTENT_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        restrict_to_owner(settings.HOME)
        call_command("keys", "create", stdout=self.stdout)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("keys", "migrate", stdout=self.stdout, verbosity=0)
        call_command("check", verbosity=0)
        if checkpoints.ensure_signing_key():
            self.stdout.write(f"Audit checkpoint signing key created: {checkpoints.signing_key_path()}")
        db = settings.DATABASES["default"]
        engine = str(db["ENGINE"]).rsplit(".", 1)[-1]
        self.stdout.write(f"Registrum is ready: data in {settings.HOME}, database {engine} {db['NAME']}")
