"""Import of registrations from CSV: all or nothing per file, every bad row reported.

Two passes, so the database's write lock is held only while writing. The first pass streams the
file, checks every row (one run reports them all) and spools the checked rows to a temporary
file, taking no lock: on SQLite every other writer (a login, an audited download, a
registration) goes on meanwhile. Only a file with no bad row gets the second pass, which writes
the spooled rows in batches inside one transaction: numbers are allocated there, so a failure
rolls everything back and no number is used. Memory stays flat in both passes.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from registrum import audit
from registrum.audit.events import EventType
from registrum.dbkit import insert_many
from registrum.org.models import Person, Registry, RegistrySequence
from registrum.policy import Level
from registrum.records.csvcells import restore
from registrum.records.models import Access, AccessReason, Document, Registration
from registrum.records.registration import (
    FIELDS,
    REQUIRED,
    InvalidRegistration,
    RegistrationData,
    Resolver,
    parse_registration,
)
from registrum.records.services import (
    check_may_enter,
    check_may_register,
    classification_of,
    document_fields,
    need_to_know_grants,
    registration_fields,
    registration_source,
)

BATCH = 2000
ANALYZE_AFTER = 5000
ACCESS_COLUMNS = (
    "document_id",
    "person_id",
    "unit_id",
    "registry_id",
    "reason",
    "source",
    "granted_at",
    "granted_by_id",
)
MAX_REPORTED_ERRORS = 1000


class CheckedRow(NamedTuple):
    """A row that passed every check, as spooled between the two passes (a tuple: quick to
    pickle)."""

    registry_id: int
    direction: str
    document: dict[str, Any]
    file_id: int | None
    external_addressees: str
    grants: list[tuple[str, str, int]]


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
    with tempfile.TemporaryFile(prefix="registrum-import-") as spool:
        registries = _check(actor, stream, report, spool, on_progress)
        if report.error_count:
            raise ImportFailed(report)
        if dry_run:
            return report
        spool.seek(0)
        with transaction.atomic(durable=True):
            _write(actor, spool, registries, report, source_name)
    return report


def _check(
    actor: Person,
    stream: BinaryIO,
    report: ImportReport,
    spool: BinaryIO,
    on_progress: Callable[[int, int], None] | None,
) -> dict[int, Registry]:
    """The first pass: every row checked and reported; good rows spooled in batches. Returns
    the registries the rows name."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    registries: dict[int, Registry] = {}

    def fail(line: int, name: str, message: str) -> None:
        report.error_count += 1
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append(RowError(line, name, message))

    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        fail(1, "", "the file is empty (a header line is expected)")
        return registries
    except UnicodeDecodeError:
        fail(1, "", "the file is not UTF-8 text (save it as CSV UTF-8)")
        return registries
    except csv.Error as exc:
        fail(1, "", f"unreadable header: {exc}")
        return registries
    unknown = [h for h in header if h not in FIELDS]
    for name in unknown:
        fail(1, name, f"unknown column {name!r} (known: {', '.join(FIELDS)})")
    for name in sorted({h for h in header if header.count(h) > 1}):
        fail(1, name, f"column {name!r} appears {header.count(name)} times")
    for name in REQUIRED:
        if name not in header:
            fail(1, name, "required column is missing")
    if report.error_count:
        return registries

    now = timezone.now()
    resolver = Resolver()
    # (registry, level, mask) -> why the actor may not register such a row; [] when allowed
    refusals: dict[tuple[int, int, int], list[tuple[str, str]]] = {}
    batch: list[CheckedRow] = []
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
            raw = {h: restore(v) if v[:1] == "'" else v for h, v in zip(header, values, strict=True)}
            data = parse_registration(raw, resolver)
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
            continue  # keep checking, stop spooling: nothing will be written
        registries[data.registry.pk] = data.registry
        batch.append(_checked(data, now))
        report.registered += 1
        if len(batch) >= BATCH:
            pickle.dump(batch, spool, protocol=pickle.HIGHEST_PROTOCOL)
            batch = []
        if on_progress and report.rows % 500 == 0:
            on_progress(report.rows, stream.tell() if stream.seekable() else 0)
    if batch and not report.error_count:
        pickle.dump(batch, spool, protocol=pickle.HIGHEST_PROTOCOL)
    if on_progress:
        on_progress(report.rows, stream.tell() if stream.seekable() else 0)
    return registries


def _checked(data: RegistrationData, now: datetime) -> CheckedRow:
    return CheckedRow(
        registry_id=data.registry.pk,
        direction=data.direction,
        document=document_fields(data, now=now),
        file_id=data.file.pk if data.file else None,
        external_addressees=data.external_addressees,
        grants=need_to_know_grants(data),
    )


def _write(actor: Person, spool: BinaryIO, registries: dict[int, Registry], report: ImportReport, source: str) -> None:
    """The second pass, inside the importing transaction: permissions checked again (they may
    have changed since the first pass), numbers allocated, rows written batch by batch."""
    for registry in registries.values():
        registry.refresh_from_db()
    now = timezone.now()
    numbers = _Numbers(timezone.localdate(now).year)
    writer = _BatchWriter(actor, now, numbers, registries)
    checked: set[tuple[int, int, int]] = set()
    written = 0
    while True:
        try:
            batch: list[CheckedRow] = pickle.load(spool)  # noqa: S301 - our own spool file, written above
        except EOFError:
            break
        for row in batch:
            key = (row.registry_id, row.document["level"], row.document["category_mask"])
            if key not in checked:
                check_may_register_again(actor, registries[row.registry_id], row)
                checked.add(key)
        written += writer.write(batch, report)
    numbers.save()
    if written >= ANALYZE_AFTER:
        # Fresh statistics, so the planner keeps choosing the access filter's index paths.
        with connection.cursor() as cursor:
            for model in (Document, Registration, Access):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    audit.record(
        actor,
        EventType.IMPORT_COMPLETED,
        None,
        summary=f"{written} registrations imported from {source}",
        data={"rows": report.rows, "registered": written, "source": source},
    )


def check_may_register_again(actor: Person, registry: Registry, row: CheckedRow) -> None:
    check_may_enter(actor, registry, Level(row.document["level"]), row.document["category_mask"])


def _refusal(actor: Person, data: RegistrationData) -> list[tuple[str, str]]:
    try:
        check_may_register(actor, data)
    except PermissionDenied as exc:
        return [("registry", str(exc))]
    except ValidationError as exc:
        return [(name, message) for name, messages in exc.message_dict.items() for message in messages]
    return []


def _public_ids(count: int) -> list[str]:
    """`count` opaque ids as `new_public_id` makes them: 10 random bytes are exactly 16 base32
    characters, so one encoding of 10 * count bytes cuts into the ids."""
    text = base64.b32encode(os.urandom(10 * count)).decode("ascii").lower()
    return [text[i : i + 16] for i in range(0, 16 * count, 16)]


class _BatchWriter:
    """Writes a batch of registrations with one multi-row statement per table. The ORM's
    bulk_create spends most of an import building model instances; the rows here come from the
    same `document_fields`, `registration_fields` and `need_to_know_grants` as a single
    registration's."""

    def __init__(self, actor: Person, now: datetime, numbers: _Numbers, registries: dict[int, Registry]) -> None:
        self.actor = actor
        self.now = now
        self.numbers = numbers
        self.registries = registries
        self.at = connection.ops.adapt_datetimefield_value(now)
        self.document_attnames = [f.attname for f in Document._meta.concrete_fields if not f.primary_key]
        self.registration_attnames = [f.attname for f in Registration._meta.concrete_fields if not f.primary_key]

    def _adapt(self, fields: dict[str, Any]) -> dict[str, Any]:
        adapted = dict(fields)
        for name in ("created_at", "registered_at"):
            if name in adapted:
                adapted[name] = self.at
        if "document_date" in adapted:
            adapted["document_date"] = connection.ops.adapt_datefield_value(adapted["document_date"])
        return adapted

    def write(self, batch: list[CheckedRow], report: ImportReport) -> int:
        if not batch:
            return 0
        public_ids = _public_ids(len(batch))
        registration_ids = iter(_public_ids(len(batch)))
        documents = [
            {**self._adapt(row.document), "public_id": pid} for row, pid in zip(batch, public_ids, strict=True)
        ]
        insert_many(Document, self.document_attnames, [tuple(d[n] for n in self.document_attnames) for d in documents])
        document_ids = dict(Document.objects.filter(public_id__in=public_ids).values_list("public_id", "id"))
        registrations = []
        for row, pid in zip(batch, public_ids, strict=True):
            registry = self.registries[row.registry_id]
            fields = registration_fields(
                self.actor,
                registry,
                direction=row.direction,
                classification=classification_of(row.document),
                sequence=self.numbers.next(registry),
                year=self.numbers.year,
                now=self.now,
                external_addressees=row.external_addressees,
            )
            fields.update(
                file_id=row.file_id,
                document_id=document_ids[pid],
                public_id=next(registration_ids),
                received_from_id=None,
                voided_at=None,
                voided_by_id=None,
                void_reason="",
            )
            registrations.append(self._adapt(fields))
        insert_many(
            Registration,
            self.registration_attnames,
            [tuple(r[n] for n in self.registration_attnames) for r in registrations],
        )
        ids = self._registration_ids(registrations)
        access: list[tuple[Any, ...]] = []
        for row, registration in zip(batch, registrations, strict=True):
            registration_id = ids[(registration["registry_id"], registration["sequence"])]
            source = registration_source(registration_id)
            document_id = registration["document_id"]
            access.append(
                (
                    document_id,
                    None,
                    None,
                    registration["registry_id"],
                    AccessReason.REGISTRY.value,
                    source,
                    self.at,
                    self.actor.pk,
                )
            )
            for reason, column, pk in row.grants:
                grantee = {"person_id": None, "unit_id": None, column: pk}
                access.append(
                    (
                        document_id,
                        grantee["person_id"],
                        grantee["unit_id"],
                        None,
                        reason,
                        source,
                        self.at,
                        self.actor.pk,
                    )
                )
        insert_many(Access, ACCESS_COLUMNS, access)
        audit.record_many(
            self.actor,
            EventType.DOCUMENT_REGISTERED,
            "document",
            [
                (r["document_id"], f"{r['number']} registered in {self.registries[r['registry_id']].code} (import)")
                for r in registrations
            ],
        )
        if not report.first_number:
            report.first_number = registrations[0]["number"]
        report.last_number = registrations[-1]["number"]
        return len(batch)

    def _registration_ids(self, registrations: list[dict[str, Any]]) -> dict[tuple[int, int], int]:
        """The new rows' ids, by (registry, sequence): one range query per registry in the batch."""
        spans: dict[int, list[int]] = {}
        for fields in registrations:
            spans.setdefault(fields["registry_id"], []).append(fields["sequence"])
        ids: dict[tuple[int, int], int] = {}
        for registry_id, sequences in spans.items():
            rows = Registration.objects.filter(
                registry_id=registry_id,
                year=self.numbers.year,
                sequence__gte=min(sequences),
                sequence__lte=max(sequences),
            ).values_list("sequence", "id")
            ids.update(((registry_id, sequence), pk) for sequence, pk in rows)
        return ids
