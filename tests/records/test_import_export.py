"""CSV import (all or nothing, every bad row named) and export (only what the person may see)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from registrum.audit.models import AuditEvent
from registrum.org.models import RegistrySequence
from registrum.policy import Level
from registrum.records.exporting import EXPORT_COLUMNS
from registrum.records.importer import ImportFailed, import_registrations
from registrum.records.models import Access, Document, Registration

pytestmark = pytest.mark.django_db

HEADER = (
    "registry,direction,document_date,originator,originator_reference,subject,level,categories,releasable_to,"
    "action,info\n"
)
GOOD = (
    HEADER
    + "IMS-REG,IN,2026-10-01,SHAPE,SH/J5/26-000123,Exercise planning,NS,,AUS/NZL,ESO,@outsider\n"
    + 'IMS-REG,OUT,2026-10-02,IMS,IMSM-0456-2026,"Reply, with annex",NATO RESTRICTED,,,,ESO\n'
    + "ims-reg,internal,,DGIMS,,Read File,CTS,ATOMAL,,,\n"
)


def run(world, text, **kw):
    return import_registrations(world.clerk, io.BytesIO(text.encode("utf-8")), **kw)


def test_good_file_registers_every_row_with_its_addressees(world):
    report = run(world, GOOD)
    assert (report.rows, report.registered, report.error_count) == (3, 3, 0)
    registrations = list(Registration.objects.select_related("document").order_by("sequence"))
    assert [r.sequence for r in registrations] == [1, 2, 3]
    docs = [r.document for r in registrations]
    assert docs[0].marking == registrations[0].marking == "NATO SECRET RELEASABLE TO AUS/NZL"
    assert docs[1].subject == "Reply, with annex" and docs[1].level == Level.NR
    assert docs[2].marking == "COSMIC TOP SECRET ATOMAL" and registrations[2].direction == "INT"
    source = f"registration:{registrations[0].pk}"
    assert Access.objects.filter(document=docs[0], person=world.outsider, reason="info", source=source).exists()
    assert Access.objects.filter(document=docs[0], registry=world.registry, reason="registry", source=source).exists()
    assert AuditEvent.objects.filter(event="records.document_registered").count() == 3
    assert AuditEvent.objects.filter(event="records.import_completed").count() == 1
    assert report.first_number == registrations[0].number and report.last_number == registrations[2].number


def test_bad_rows_register_nothing_and_each_is_named_by_line_and_field(world):
    bad = (
        HEADER
        + "IMS-REG,IN,2026-10-01,SHAPE,,fine row,NS,,,ESO,\n"
        + "NOPE-REG,IN,2026-10-01,SHAPE,,unknown registry,NS,,,,\n"
        + "IMS-REG,IN,2026-13-45,SHAPE,,bad date and level,TOP SECRET,,,,\n"
        + "IMS-REG,IN,,SHAPE,,bad nation,NS,,XYZ,,\n"
        + "IMS-REG,IN,,,,,NS,NOFORN,,NOUNIT,@ghost\n"
    )
    with pytest.raises(ImportFailed) as failed:
        run(world, bad)
    errors = {(e.line, e.field): e.message for e in failed.value.report.errors}
    assert errors[(3, "registry")] == "unknown registry 'NOPE-REG'"
    assert "'2026-13-45' is not a date" in errors[(4, "document_date")]
    assert "unknown classification level 'TOP SECRET'" in errors[(4, "level")]
    assert "unknown nation 'XYZ'" in errors[(5, "releasable_to")]
    assert errors[(6, "originator")] == "is required"
    assert errors[(6, "subject")] == "is required"
    assert "'NOFORN'" in errors[(6, "categories")]
    assert "'NOUNIT'" in errors[(6, "action")]
    assert "'@ghost'" in errors[(6, "info")]
    assert not Document.objects.exists()
    assert not RegistrySequence.objects.filter(last_value__gt=0).exists()  # no number used
    assert not AuditEvent.objects.filter(event__startswith="records.").exists()


def test_rows_the_importer_may_not_register_are_reported(world):
    text = HEADER + "OPS-CP,IN,,SHAPE,,too high for a control point,NS,,,,\n"
    with pytest.raises(ImportFailed) as failed:
        run(world, text)
    (error,) = failed.value.report.errors
    assert (error.line, error.field) == (2, "level")
    assert "OPS-CP: the registry is accredited only up to NATO CONFIDENTIAL" in error.message


def test_unknown_and_missing_columns_are_reported_on_the_header_line(world):
    with pytest.raises(ImportFailed) as failed:
        run(world, "registry,direction,subjekt,level\nIMS-REG,IN,x,NS\n")
    errors = {(e.line, e.field) for e in failed.value.report.errors}
    assert {(1, "subjekt"), (1, "originator"), (1, "subject")} <= errors


def test_file_that_is_not_utf8_is_refused(world):
    data = (HEADER + "IMS-REG,IN,,Société,,été,NS,,,,\n").encode("latin-1")
    with pytest.raises(ImportFailed, match="nothing was registered") as failed:
        import_registrations(world.clerk, io.BytesIO(data))
    assert "not UTF-8" in failed.value.report.errors[0].message


def test_dry_run_checks_everything_and_registers_nothing(world):
    report = run(world, GOOD, dry_run=True)
    assert (report.registered, report.dry_run) == (3, True)
    assert not Document.objects.exists()
    assert not RegistrySequence.objects.filter(last_value__gt=0).exists()


def test_import_command_reports_bad_rows_and_fails(world, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "IMS-REG,IN,,SHAPE,,x,COSMIC,,,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import", str(path), "--as", "clerk", "--no-progress")
    assert "line 2, level: unknown classification level 'COSMIC'" in capsys.readouterr().err
    assert not Document.objects.exists()


def test_import_command_registers_and_reports_the_numbers(world, tmp_path, capsys):
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("import", str(path), "--as", "clerk", "--no-progress")
    out = capsys.readouterr().out
    assert "registered 3 of 3 row(s)" in out
    assert Document.objects.count() == 3


def test_export_holds_only_what_the_person_may_see_and_reimports(world, tmp_path, capsys):
    run(world, GOOD)
    call_command("export", "--as", "reader", "--format", "json")
    exported = json.loads(capsys.readouterr().out)
    # The reader (NS, no ATOMAL) sees the NS and NR rows addressed to ESO, never the CTS ATOMAL one.
    assert sorted(row["subject"] for row in exported) == ["Exercise planning", "Reply, with annex"]
    out = tmp_path / "register.csv"
    call_command("export", "--as", "clerk", "--output", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert tuple(rows[0].keys()) == EXPORT_COLUMNS
    assert len(rows) == 3
    # The export is the import format plus the registration columns: it goes back in.
    reimport = io.StringIO()
    registration_only = ("number", "registered_at", "void")
    writer = csv.DictWriter(reimport, fieldnames=[c for c in EXPORT_COLUMNS if c not in registration_only])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: v for k, v in row.items() if k not in registration_only})
    report = import_registrations(world.clerk, io.BytesIO(reimport.getvalue().encode()))
    assert report.registered == 3


def test_export_for_a_person_without_need_to_know_is_empty(world, capsys):
    run(world, GOOD)
    call_command("export", "--as", "nrreader", "--format", "csv")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2  # header and the one NR document addressed to ESO
    assert "Reply, with annex" in lines[1]


def test_export_is_audited(world, capsys):
    run(world, GOOD)
    call_command("export", "--as", "reader", "--format", "csv")
    event = AuditEvent.objects.get(event="records.register_exported")
    assert event.actor == world.reader
    assert event.data["count"] == 2


def test_formula_cells_are_neutralised_on_export_and_imported_back_unchanged(world, tmp_path):
    """Found from outside: cells beginning with =, +, -, @, tab or CR were exported as they are,
    and a spreadsheet runs them (formula injection). OWASP: prefix a quote; the import removes it."""
    subjects = ['=HYPERLINK("http://x")', "+1", "-2 degrees", "@SUM(A1)", "'=quoted", "it's plain"]
    for subject in subjects:
        world.register(level=Level.NR, subject=subject, external_addressees="\tTabbed")
    out = tmp_path / "register.csv"
    call_command("export", "--as", "clerk", "--output", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {row["subject"] for row in rows} == {
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2 degrees",
        "'@SUM(A1)",
        "''=quoted",
        "it's plain",
    }
    assert {row["external_addressees"] for row in rows} == {"'\tTabbed"}
    reimport = io.StringIO()
    columns = [c for c in EXPORT_COLUMNS if c not in ("number", "registered_at", "void")]
    writer = csv.DictWriter(reimport, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row[k] for k in columns})
    import_registrations(world.clerk, io.BytesIO(reimport.getvalue().encode()))
    assert sorted(Document.objects.values_list("subject", flat=True)) == sorted(subjects * 2)


def test_duplicate_columns_are_refused_on_the_header_line(world):
    with pytest.raises(ImportFailed) as failed:
        run(world, "registry,direction,originator,subject,level,subject\nIMS-REG,IN,SHAPE,a,NS,b\n")
    (error,) = failed.value.report.errors
    assert (error.line, error.field, error.message) == (1, "subject", "column 'subject' appears 2 times")
    assert not Document.objects.exists()


def test_releasable_to_naming_only_member_nations_is_refused_not_made_nato_releasable(world):
    with pytest.raises(ImportFailed) as failed:
        run(world, HEADER + "IMS-REG,IN,,SHAPE,,x,NS,,DEU/FRA,,\n")
    messages = [e.message for e in failed.value.report.errors if e.field == "releasable_to"]
    assert messages and "DEU is a member nation and always has access" in messages[0]
    assert not Document.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_first_pass_of_an_import_takes_no_write_lock(world, tmp_path):
    """Found from outside: a 100,000-row import held SQLite's write lock for its whole run, so
    every other write waited and failed after 30 s. Checking is now done outside the writing
    transaction: while rows are being checked, another writer commits at once."""
    import threading

    from django.db import connection

    from registrum.records import importer

    committed = threading.Event()
    tried = threading.Event()
    original = importer._checked

    def write_elsewhere():
        try:
            world.register(level=Level.NR)
            committed.set()
        finally:
            connection.close()

    def checked_while_another_writes(data, now):
        if not tried.is_set():
            tried.set()
            thread = threading.Thread(target=write_elsewhere)
            thread.start()
            thread.join(timeout=10)
        return original(data, now)

    importer._checked = checked_while_another_writes
    try:
        report = run(world, GOOD)
    finally:
        importer._checked = original
    assert committed.is_set(), "another writer had to wait for the import"
    assert report.registered == 3
    assert Registration.objects.count() == 4
