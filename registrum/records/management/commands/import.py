from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from registrum.org.models import Person
from registrum.records.importer import ImportFailed, import_registrations


class Command(BaseCommand):
    help = "Register every row of a CSV file, or none of them (see the README for the format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="the registry clerk who registers")
        parser.add_argument("--dry-run", action="store_true", help="check and report; register nothing")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = Person.objects.filter(username=options["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"unknown or inactive person {options['username']!r}")
        console = Console(stderr=True)
        size = path.stat().st_size
        started = time.monotonic()
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
            TimeRemainingColumn(),
            console=console,
            disable=options["no_progress"],
            transient=False,
        )
        with progress, path.open("rb") as stream:
            task = progress.add_task(path.name, total=size, rows=0, rate=0.0)

            def on_progress(rows: int, position: int) -> None:
                elapsed = max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=position, rows=rows, rate=rows / elapsed)

            try:
                report = import_registrations(
                    actor, stream, source_name=path.name, dry_run=options["dry_run"], on_progress=on_progress
                )
            except ImportFailed as exc:
                report = exc.report
                progress.stop()
                for error in report.errors:
                    self.stderr.write(f"{path.name}: {error}")
                if report.error_count > len(report.errors):
                    self.stderr.write(f"... and {report.error_count - len(report.errors)} more")
                raise CommandError(
                    f"{path.name}: {report.error_count} error(s) in {report.rows} row(s); nothing was registered"
                ) from None
        elapsed = time.monotonic() - started
        verb = "would register" if report.dry_run else "registered"
        span = f" ({report.first_number} to {report.last_number})" if report.registered and not report.dry_run else ""
        self.stdout.write(
            f"{path.name}: {verb} {report.registered} of {report.rows} row(s){span} in {elapsed:.1f} s"
            f" ({report.registered / max(elapsed, 1e-6):,.0f}/s)"
        )
