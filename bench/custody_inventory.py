"""Inventories at scale: `python -m bench.custody_inventory [--copies 100000] [--scans 500]`.

On a fresh SQLite site in a temporary folder, a registry holding N accountable copies (NATO
SECRET, 1,000 copies per document; the documents registered once through the service, then
their rows and the copies written in bulk, as an import would), then:

- `inventory_100k_s`: the wall time of `start_inventory` over the whole registry (the expected
  copies listed in one INSERT ... SELECT, the audit event, the commit) plus `progress`, the
  counts the report and the scanning page show (expected, found, missing, scans by outcome);
- `inventory_scan_p95_ms`: `check_copy` of random expected copies, each its own transaction
  (lookup by code, the item checked, the scan, the copy's history line and audit event, the
  commit and the audit chaining after it): the 95th percentile over S scans.

Prints `name value` lines; `measure(copies, scans)` returns the figures.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COPIES_PER_DOCUMENT = 1000


def _setup(home: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    os.environ["REGISTRUM_HOME"] = str(home)
    os.environ["REGISTRUM_LOG_LEVEL"] = "ERROR"
    os.environ.pop("REGISTRUM_DATABASE_URL", None)
    os.environ.setdefault("REGISTRUM_KEK", base64.b64encode(secrets.token_bytes(32)).decode())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _build(copies: int) -> tuple[Any, Any]:
    """A central registry, its clerk, and `copies` NATO SECRET copies it holds."""
    from datetime import date, timedelta

    from django.db import transaction
    from django.utils import timezone

    from registrum.custody.models import Copy, CopyStatus
    from registrum.org import services as org
    from registrum.org.models import Person, RegistryKind, Role, UnitKind
    from registrum.org.services import SYSTEM
    from registrum.policy import Level
    from registrum.records import services as records
    from registrum.records.models import Document, Registration, new_public_id
    from registrum.records.registration import RegistrationData

    hq = org.create_unit(SYSTEM, code="HQ", name="Headquarters", kind=UnitKind.ORGANISATION)
    registry = org.create_registry(
        SYSTEM, code="CR", name="Central Registry", kind=RegistryKind.CENTRAL, unit=hq, accreditation=Level.NS
    )
    clerk = org.create_person(
        SYSTEM, username="clerk", first_name="Bench", last_name="Clerk", nationality="BEL", unit=hq, roles=[Role.CLERK]
    )
    today = date.today()
    org.set_clearance(
        SYSTEM, clerk, level=Level.NS, granted=today - timedelta(days=10), expires=today + timedelta(days=365)
    )
    org.add_registry_staff(SYSTEM, registry, clerk)
    clerk = Person.objects.select_related("clearance", "unit").get(pk=clerk.pk)
    first = records.register_document(
        clerk,
        RegistrationData(
            registry=registry,
            direction="IN",
            originator="SHAPE",
            subject="Exercise STEADFAST force list",
            level=Level.NS,
            subject_level=Level.NU,
            action_units=[hq],
        ),
    )
    documents = max(1, copies // COPIES_PER_DOCUMENT)
    now = timezone.now()
    with transaction.atomic():
        template = Document.objects.get(pk=first.document_id)
        clones = []
        for _n in range(documents - 1):
            template.pk = None
            template.public_id = new_public_id()
            clones.append(Document(**{f.attname: getattr(template, f.attname) for f in Document._meta.concrete_fields}))
        Document.objects.bulk_create(clones, batch_size=1000)
        registration = Registration.objects.get(pk=first.pk)
        registrations = []
        for n, document in enumerate(Document.objects.exclude(pk=first.document_id).order_by("pk"), start=2):
            values = {f.attname: getattr(registration, f.attname) for f in Registration._meta.concrete_fields}
            values.update(
                id=None, public_id=new_public_id(), document_id=document.pk, number=f"CR/BENCH/{n:06d}", sequence=n
            )
            registrations.append(Registration(**values))
        Registration.objects.bulk_create(registrations, batch_size=1000)
        document_ids = list(Document.objects.order_by("pk").values_list("pk", flat=True))
        rows = []
        for index in range(copies):
            document_id = document_ids[index // COPIES_PER_DOCUMENT % len(document_ids)]
            number = (
                index % COPIES_PER_DOCUMENT
                + 1
                + (index // (COPIES_PER_DOCUMENT * len(document_ids))) * COPIES_PER_DOCUMENT
            )
            rows.append(
                Copy(
                    document_id=document_id,
                    number=number,
                    of_total=COPIES_PER_DOCUMENT,
                    level=int(Level.NS),
                    category_mask=0,
                    releasable_to=template.releasable_to,
                    registry=registry,
                    status=CopyStatus.HELD,
                    since=now,
                    created_at=now,
                    created_by=clerk,
                )
            )
        Copy.objects.bulk_create(rows, batch_size=5000)
    return registry, clerk


def measure(copies: int = 100_000, scans: int = 500) -> dict[str, float]:
    from registrum.custody import inventories
    from registrum.custody.models import Copy

    registry, clerk = _build(copies)
    started = time.perf_counter()
    inventory = inventories.start_inventory(clerk, registry)
    counts = inventories.progress(inventory)
    start_s = time.perf_counter() - started
    if counts.expected != copies or counts.missing != copies:
        raise AssertionError(f"expected {copies} copies, the inventory lists {counts.expected}")

    codes = [f"RGC-{p.upper()}" for p in Copy.objects.values_list("public_id", flat=True)]
    rng = random.Random(12)
    sample = rng.sample(codes, min(scans, len(codes)))
    inventories.check_copy(clerk, inventory.public_id, sample[0])  # warm-up: imports, statement cache
    timings = []
    for code in sample[1:]:
        began = time.perf_counter()
        result = inventories.check_copy(clerk, inventory.public_id, code)
        timings.append((time.perf_counter() - began) * 1000)
        if result.outcome != "checked":
            raise AssertionError(f"{code}: {result.outcome}")
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else timings[0]
    return {"inventory_100k_s": round(start_s, 3), "inventory_scan_p95_ms": round(p95, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.custody_inventory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=500)
    parser.add_argument("--dir", type=Path, help="where the temporary SQLite site goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="registrum-bench-inventory-", dir=args.dir) as home:
        _setup(Path(home))
        figures = measure(args.copies, args.scans)
    for name, value in figures.items():
        print(f"{name} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
