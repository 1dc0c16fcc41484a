from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from registrum.audit import checkpoints


class Command(BaseCommand):
    help = "Create the data folder and the database schema (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        settings.HOME.mkdir(parents=True, exist_ok=True)
        settings.REGISTRUM_CONTENT_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("check", verbosity=0)
        if checkpoints.ensure_signing_key():
            self.stdout.write(f"Audit checkpoint signing key created: {checkpoints.signing_key_path()}")
        db = settings.DATABASES["default"]
        engine = str(db["ENGINE"]).rsplit(".", 1)[-1]
        self.stdout.write(f"Registrum is ready: data in {settings.HOME}, database {engine} {db['NAME']}")
