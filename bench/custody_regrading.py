"""Regrading and retention at scale: `python -m bench.custody_regrading [--copies 10000] [--documents 100000]`.

On a fresh site (SQLite in a temporary folder):

- `regrade_10k_copies_s`: a downgrade of one document that has `--copies` numbered copies, applied
  in its one transaction (the document's, registrations' and copies' classification columns, a
  history line per copy, the audit event, the notices);
- `regrade_apply_due_100_s`: 100 scheduled regrades (of 100 documents with 3 copies each) applied
  by the daily run, each in its own transaction;
- `disposition_queue_100k_s`: the disposition queue of a control officer whose registry filed
  `--documents` documents (a tenth of them due, one in a hundred of those held), through the
  access filter;
- `disclosure_queue_100k_s`: the 30-year review queue over the same documents.

Prints `name value` lines; `measure()` returns them as a dict.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def _setup(home: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    os.environ["REGISTRUM_HOME"] = str(home)
    os.environ["REGISTRUM_LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("REGISTRUM_KEK", base64.b64encode(secrets.token_bytes(32)).decode())
    os.environ.pop("REGISTRUM_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _people() -> dict[str, Any]:
    from django.db import transaction

    from registrum.org import services as org
    from registrum.org.models import Person, RegistryKind, Role, UnitKind
    from registrum.org.services import SYSTEM
    from registrum.policy import Level

    with transaction.atomic():
        hq = org.create_unit(SYSTEM, code="HQ", name="Headquarters", kind=UnitKind.ORGANISATION)
        central = org.create_registry(
            SYSTEM, code="CR", name="Central Registry", kind=RegistryKind.CENTRAL, unit=hq, accreditation=Level.CTS
        )
        people = {}
        for username, role in (("officer", Role.CONTROL_OFFICER), ("clerk", Role.CLERK)):
            person = org.create_person(
                SYSTEM,
                username=username,
                first_name=username,
                last_name="Bench",
                nationality="BEL",
                unit=hq,
                roles=(role,),
                email=f"{username}@hq.example",
            )
            org.set_clearance(
                SYSTEM,
                person,
                level=Level.CTS,
                granted=date.today() - timedelta(days=10),
                expires=date.today() + timedelta(days=365),
                briefings=("COSMIC", "ATOMAL"),
            )
            org.add_registry_staff(SYSTEM, central, person)
            people[username] = Person.objects.select_related("clearance", "unit").get(pk=person.pk)
    return {"central": central, "hq": hq, **people}


def _register(site: dict[str, Any], subject: str, level: int = 3) -> Any:
    from registrum.policy import Level
    from registrum.records import services as records
    from registrum.records.registration import RegistrationData

    data = RegistrationData(
        registry=site["central"],
        direction="IN",
        originator="SHAPE",
        subject=subject,
        level=Level(level),
        subject_level=Level.NU,
        action_units=[site["hq"]],
    )
    return records.register_document(site["clerk"], data).document


def _regrade_many_copies(site: dict[str, Any], copies: int) -> float:
    from registrum.custody import copies as custody
    from registrum.custody import regrading

    document = _register(site, "Exercise copies", level=3)
    for start in range(0, copies, 500):
        custody.number_copies(
            site["clerk"], document.public_id, registry=site["central"], count=min(500, copies - start)
        )
    started = time.perf_counter()
    regrading.record_regrade(site["officer"], document.public_id, kind="downgrade", to_level="NC", authority="bench")
    return time.perf_counter() - started


def _apply_due(site: dict[str, Any], count: int) -> float:
    from registrum.custody import copies as custody
    from registrum.custody import regrading
    from registrum.org.services import SYSTEM

    on = date.today() + timedelta(days=10)
    for n in range(count):
        document = _register(site, f"Scheduled {n}", level=3)
        custody.number_copies(site["clerk"], document.public_id, registry=site["central"], count=3)
        regrading.record_regrade(
            site["officer"], document.public_id, kind="downgrade", to_level="NR", authority="bench", effective_on=on
        )
    started = time.perf_counter()
    result = regrading.apply_due_regrades(SYSTEM, on)
    elapsed = time.perf_counter() - started
    if len(result.applied) != count:
        raise RuntimeError(f"{len(result.applied)} of {count} scheduled regrades applied")
    return elapsed


def _fill_filed(site: dict[str, Any], documents: int) -> None:
    """Documents filed in the central registry, in bulk (as an import writes them): a tenth in a
    file closed long ago (due), the rest in an open file, dated recently; some of them held."""
    from django.db import transaction
    from django.utils import timezone

    from registrum.custody.models.retention import Hold
    from registrum.records.models import (
        Access,
        AccessReason,
        Disposition,
        Document,
        File,
        FilePlanClass,
        Registration,
        RetentionClass,
    )

    today, now = date.today(), timezone.now()
    five = RetentionClass.objects.create(code="T5", name="Five", years=5, disposition=Disposition.DESTROY)
    permanent = RetentionClass.objects.create(code="P", name="Permanent", years=25, disposition=Disposition.ARCHIVE)
    plan = FilePlanClass.objects.create(code="100", title="Operations")
    old = File.objects.create(
        plan_class=plan, code="OLD", title="Old", retention_class=five, opened=today.replace(year=today.year - 20),
        closed=today.replace(year=today.year - 10),
    )  # fmt: skip
    current = File.objects.create(plan_class=plan, code="NOW", title="Now", retention_class=five, opened=today)
    archive = File.objects.create(
        plan_class=plan, code="ARC", title="Archive", retention_class=permanent, opened=today.replace(year=1980)
    )
    central, clerk = site["central"], site["clerk"]
    batch = 10_000
    for start in range(0, documents, batch):
        with transaction.atomic():
            rows = [
                Document(
                    originator="SHAPE",
                    subject=f"Filed {n}",
                    subject_level=0,
                    level=3 if n % 3 else 2,
                    document_date=today.replace(year=today.year - (35 if n % 50 == 0 else 1)),
                    created_at=now,
                )
                for n in range(start, min(documents, start + batch))
            ]
            Document.objects.bulk_create(rows)
            made = list(Document.objects.filter(subject__startswith="Filed ").order_by("-id")[: len(rows)])
            registrations = [
                Registration(
                    document=d,
                    registry=central,
                    year=2000,
                    sequence=d.pk,
                    number=f"CR/2000/{d.pk:07d}",
                    direction="IN",
                    registered_at=now,
                    registered_by=clerk,
                    level=d.level,
                    category_mask=0,
                    file=(
                        archive
                        if d.document_date and d.document_date.year < today.year - 30
                        else old
                        if d.pk % 10 == 0
                        else current
                    ),
                )
                for d in made
            ]
            Registration.objects.bulk_create(registrations)
            Access.objects.bulk_create(
                [
                    Access(
                        document=d,
                        registry=central,
                        reason=AccessReason.REGISTRY,
                        source=f"bench:{d.pk}",
                        granted_at=now,
                    )
                    for d in made
                ]
            )
            Hold.objects.bulk_create(
                [
                    Hold(document=d, reason="bench", placed_at=now, placed_by=site["officer"])
                    for d in made
                    if d.pk % 1000 == 0
                ]
            )


def measure(copies: int = 10_000, documents: int = 100_000, scheduled: int = 100) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="registrum-bench-regrade-") as folder:
        _setup(Path(folder))
        from django.conf import settings

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        from registrum.custody import retention

        site = _people()
        figures = {
            "regrade_10k_copies_s": _regrade_many_copies(site, copies),
            "regrade_apply_due_100_s": _apply_due(site, scheduled),
        }
        _fill_filed(site, documents)
        officer = site["officer"]
        started = time.perf_counter()
        due = retention.disposition_queue(officer)
        figures["disposition_queue_100k_s"] = time.perf_counter() - started
        if not due:
            raise RuntimeError("the disposition queue is empty")
        started = time.perf_counter()
        review = retention.disclosure_queue(officer)
        figures["disclosure_queue_100k_s"] = time.perf_counter() - started
        if not review:
            raise RuntimeError("the disclosure queue is empty")
        return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.custody_regrading", description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--scheduled", type=int, default=100)
    args = parser.parse_args(argv)
    for name, value in measure(args.copies, args.documents, args.scheduled).items():
        print(f"{name} {value:.3f}")


if __name__ == "__main__":
    main()
