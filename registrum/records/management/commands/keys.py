"""Encryption keys of the content store:

    registrum keys status                     where the key-encryption key comes from, and what it wraps
    registrum keys create                     create the keyring file if missing (`registrum init` does)
    registrum keys migrate                    seal content an earlier release stored in plain files
    registrum keys rotate [--settle-seconds]  new key-encryption key, every data key re-wrapped, old key retired

Key material is never printed. The start-up check (a missing or wrong key-encryption key) is not
run before these: they are how a site repairs what it would report.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from registrum import storage
from registrum.records import encryption
from registrum.records.models import Version
from registrum.storage.keyring import FileKeyring, KeyringError, KeyringMissing, keyring_path


def ensure_keyring() -> tuple[storage.KeyEncryptionKeyring, bool]:
    """The configured keyring, creating the keyring file when neither it nor REGISTRUM_KEK exists."""
    try:
        return storage.configured_keyring(), False
    except KeyringMissing:
        FileKeyring.create(keyring_path())
        storage.set_keyring(None)
        return storage.configured_keyring(), True


class Command(BaseCommand):
    help = "Encryption keys of the content store: status, create, migrate, rotate."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="where the key-encryption key comes from, and what it wraps")
        sub.add_parser("create", help="create the keyring file if missing")
        sub.add_parser("migrate", help="seal content stored in plain files by an earlier release")
        rotate = sub.add_parser("rotate", help="new key-encryption key; re-wrap every data key; retire the old")
        rotate.add_argument("--batch", type=int, default=encryption.BATCH, help="data keys per transaction")
        rotate.add_argument(
            "--settle-seconds",
            type=float,
            default=encryption.SETTLE_SECONDS,
            help="wait this long after the switch before retiring the old key (uploads in flight)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc

    def _status(self, options: dict[str, Any]) -> None:
        keyring = storage.configured_keyring()
        describe = getattr(keyring, "describe", None)
        self.stdout.write(f"key-encryption key: {describe() if describe else type(keyring).__name__}")
        counts = Version.objects.exclude(blob_id=None).values("kek_id").annotate(n=Count("pk")).order_by("kek_id")
        for row in counts:
            self.stdout.write(f"  {row['kek_id'] or '(destroyed)'}: {row['n']} data key(s)")
        unsealed = Version.objects.filter(blob_id=None).count()
        if unsealed:
            self.stdout.write(f"  not sealed yet: {unsealed} version(s) (run `registrum keys migrate`)")

    def _create(self, options: dict[str, Any]) -> None:
        _keyring, created = ensure_keyring()
        self.stdout.write(f"keyring created at {keyring_path()}" if created else "a key-encryption key is configured")

    def _migrate(self, options: dict[str, Any]) -> None:
        store = storage.get_store()
        if not isinstance(store, storage.LocalContentStore):
            raise CommandError("only a local content store holds plain files to seal")
        storage.configured_keyring()
        report = encryption.seal_plain_content(store)
        if not (report.sealed or report.plain_removed or report.missing or options["verbosity"] > 0):
            return
        self.stdout.write(
            f"sealed {report.sealed} version(s); removed {report.plain_removed} plain file(s); "
            f"missing {len(report.missing)}"
        )
        for version in report.missing:
            self.stdout.write(f"  missing: {version}")
        if report.missing:
            raise CommandError(f"{len(report.missing)} version(s) have no plain file to seal; restore from a backup")

    def _rotate(self, options: dict[str, Any]) -> None:
        keyring = storage.configured_keyring()
        if not isinstance(keyring, FileKeyring):
            raise CommandError(
                "the key-encryption key comes from REGISTRUM_KEK: rotate it where it is kept (it cannot be "
                "rewritten from here); `registrum keys rotate` rotates a keyring file"
            )
        if options["batch"] < 1 or options["settle_seconds"] < 0:
            raise CommandError("--batch must be at least 1 and --settle-seconds not negative")

        def progress(done: int) -> None:
            self.stdout.write(f"  {done} data key(s) re-wrapped")

        result = encryption.rotate_keys(
            storage.get_store(),
            keyring,
            batch=options["batch"],
            settle_seconds=options["settle_seconds"],
            between_batches=progress,
        )
        self.stdout.write(
            f"active key-encryption key: {result.new_kek_id}; {result.rewrapped} data key(s) re-wrapped; "
            f"retired: {', '.join(result.retired) or 'none'}"
        )
        if result.still_referenced:
            raise CommandError(f"still referenced, not retired: {', '.join(result.still_referenced)}; run again")
