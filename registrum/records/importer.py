"""Import of registrations from CSV: all or nothing per file, every bad row reported.

The file is streamed (memory stays flat as it grows) and written in batches inside one
transaction. After the first bad row nothing more is written but every row is still checked,
so one run reports them all; then the transaction rolls back and no number is used.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from registrum import audit
from registrum.dbkit import insert_many
from registrum.org.models import Person, Registry, RegistrySequence
from registrum.records.models import Access, Document
from registrum.records.registration import (
    FIELDS,
    REQUIRED,
    InvalidRegistration,
    RegistrationData,
    Resolver,
    parse_registration,
)
from registrum.records.services import check_may_register, document_fields, need_to_know_grants

BATCH = 2000
ANALYZE_AFTER = 5000
ACCESS_COLUMNS = ("document_id", "person_id", "unit_id", "reason", "granted_at", "granted_by_id")
MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    registered: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    first_number: str = ""
    last_number: str = ""

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class ImportFailed(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(f"{report.error_count} bad row(s); nothing was registered")


class _Rollback(Exception):
    """Raised to end a dry run's transaction after everything was checked and written."""


class _Numbers:
    """Each registry's sequence row, locked on first use; numbers handed out in memory and
    written back once, still inside the importing transaction."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.rows: dict[int, RegistrySequence] = {}

    def next(self, registry: Registry) -> int:
        row = self.rows.get(registry.pk)
        if row is None:
            RegistrySequence.objects.bulk_create(
                [RegistrySequence(registry=registry, year=self.year, last_value=0)], ignore_conflicts=True
            )
            row = RegistrySequence.objects.select_for_update().get(registry=registry, year=self.year)
            self.rows[registry.pk] = row
        row.last_value += 1
        return row.last_value

    def save(self) -> None:
        for row in self.rows.values():
            row.save(update_fields=["last_value"])


def import_registrations(
    actor: Person,
    stream: BinaryIO,
    *,
    source_name: str = "import.csv",
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Register every row of a CSV file as `actor`, or none of them (raises ImportFailed)."""
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic(durable=True):
            _run(actor, stream, report, source_name, on_progress)
            if report.error_count:
                raise ImportFailed(report)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def _run(
    actor: Person,
    stream: BinaryIO,
    report: ImportReport,
    source_name: str,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)

    def fail(line: int, name: str, message: str) -> None:
        report.error_count += 1
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append(RowError(line, name, message))

    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        fail(1, "", "the file is empty (a header line is expected)")
        return
    except UnicodeDecodeError:
        fail(1, "", "the file is not UTF-8 text (save it as CSV UTF-8)")
        return
    except csv.Error as exc:
        fail(1, "", f"unreadable header: {exc}")
        return
    unknown = [h for h in header if h not in FIELDS]
    for name in unknown:
        fail(1, name, f"unknown column {name!r} (known: {', '.join(FIELDS)})")
    for name in REQUIRED:
        if name not in header:
            fail(1, name, "required column is missing")
    if report.error_count:
        return

    now = timezone.now()
    numbers = _Numbers(timezone.localdate(now).year)
    resolver = Resolver()
    # (registry, level, mask) -> why the actor may not register such a row; [] when allowed
    refusals: dict[tuple[int, int, int], list[tuple[str, str]]] = {}
    writer = _BatchWriter(actor, now)
    batch: list[tuple[dict[str, Any], RegistrationData]] = []
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except UnicodeDecodeError:
            fail(reader.line_num + 1, "", "the file is not UTF-8 text (save it as CSV UTF-8)")
            break
        except csv.Error as exc:
            fail(reader.line_num, "", f"malformed CSV: {exc}")
            break
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        report.rows += 1
        if len(values) != len(header):
            fail(line, "", f"{len(values)} values for {len(header)} columns")
            continue
        try:
            data = parse_registration(dict(zip(header, values, strict=True)), resolver)
        except InvalidRegistration as exc:
            for name, message in exc.errors:
                fail(line, name, message)
            continue
        key = (data.registry.pk, int(data.level), data.category_mask)
        if key not in refusals:
            refusals[key] = _refusal(actor, data)
        if refusals[key]:
            for name, message in refusals[key]:
                fail(line, name, message)
            continue
        if report.error_count:
            continue  # keep checking, stop writing: the transaction will roll back anyway
        sequence = numbers.next(data.registry)
        batch.append((document_fields(actor, data, sequence=sequence, year=numbers.year, now=now), data))
        if len(batch) >= BATCH:
            writer.write(batch, report)
        if on_progress and report.rows % 500 == 0:
            on_progress(report.rows, stream.tell() if stream.seekable() else 0)
    if report.error_count:
        return
    writer.write(batch, report)
    numbers.save()
    if report.registered >= ANALYZE_AFTER:
        # Fresh statistics, so the planner keeps choosing the access filter's index paths.
        with connection.cursor() as cursor:
            for model in (Document, Access):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    audit.record(
        actor,
        "records.import_completed",
        None,
        summary=f"{report.registered} registrations imported from {source_name}",
        data={"rows": report.rows, "dry_run": report.dry_run},
    )
    if on_progress:
        on_progress(report.rows, stream.tell() if stream.seekable() else 0)


def _refusal(actor: Person, data: RegistrationData) -> list[tuple[str, str]]:
    try:
        check_may_register(actor, data)
    except PermissionDenied as exc:
        return [("registry", str(exc))]
    except ValidationError as exc:
        return [(name, message) for name, messages in exc.message_dict.items() for message in messages]
    return []


class _BatchWriter:
    """Writes a batch of registrations with one multi-row statement per table. The ORM's
    bulk_create spends most of an import building model instances; the rows here come from the
    same `document_fields` and `need_to_know_grants` as a single registration's."""

    def __init__(self, actor: Person, now: datetime) -> None:
        self.actor = actor
        self.granted_at = connection.ops.adapt_datetimefield_value(now)
        self.document_attnames = [f.attname for f in Document._meta.concrete_fields if not f.primary_key]

    def _document_row(self, fields: dict[str, Any]) -> tuple[Any, ...]:
        fields = {
            **fields,
            "registered_at": self.granted_at,
            "document_date": connection.ops.adapt_datefield_value(fields["document_date"]),
        }
        return tuple(fields[name] for name in self.document_attnames)

    def write(self, batch: list[tuple[dict[str, Any], RegistrationData]], report: ImportReport) -> None:
        if not batch:
            return
        insert_many(Document, self.document_attnames, [self._document_row(fields) for fields, _ in batch])
        ids = self._ids(batch)
        access = []
        for fields, data in batch:
            document_id = ids[(fields["registry_id"], fields["sequence"])]
            for reason, column, pk in need_to_know_grants(data):
                grantee = {"person_id": None, "unit_id": None, column: pk}
                access.append(
                    (
                        document_id,
                        grantee["person_id"],
                        grantee["unit_id"],
                        reason,
                        self.granted_at,
                        self.actor.pk,
                    )
                )
        insert_many(Access, ACCESS_COLUMNS, access)
        audit.record_many(
            self.actor,
            "records.document_registered",
            "document",
            [
                (ids[(f["registry_id"], f["sequence"])], f"{f['number']} registered in {d.registry.code} (import)")
                for f, d in batch
            ],
        )
        if not report.first_number:
            report.first_number = batch[0][0]["number"]
        report.last_number = batch[-1][0]["number"]
        report.registered += len(batch)
        batch.clear()

    @staticmethod
    def _ids(batch: list[tuple[dict[str, Any], RegistrationData]]) -> dict[tuple[int, int], int]:
        """The new rows' ids, by (registry, sequence): one range query per registry in the batch."""
        spans: dict[tuple[int, int], list[int]] = {}
        for fields, _ in batch:
            spans.setdefault((fields["registry_id"], fields["year"]), []).append(fields["sequence"])
        ids: dict[tuple[int, int], int] = {}
        for (registry_id, year), sequences in spans.items():
            rows = Document.objects.filter(
                registry_id=registry_id, year=year, sequence__gte=min(sequences), sequence__lte=max(sequences)
            ).values_list("sequence", "id")
            ids.update(((registry_id, sequence), pk) for sequence, pk in rows)
        return ids
