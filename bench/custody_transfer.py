"""A transfer of many copies: `python -m bench.custody_transfer [--copies 1000] [--per-document 10]`.

On a fresh site (SQLite in a temporary folder, or the PostgreSQL database given), the central
registry holds `copies` numbered copies (`per-document` copies of each COSMIC TOP SECRET ATOMAL
or NATO SECRET document, in its safe). Through the services, as the pages call them:

- `transfer_1000_s`: dispatch all of them to the sub-registry in one transfer (checks, transmittal
  number, copy and audit events, the receiver's need-to-know) and acknowledge them all (custodian
  and container, copy and audit events, the receipt of each document in the sub-registry's own
  register): the two transactions' wall time;
- `transfer_dispatch_s`, `transfer_receive_s`: each of the two;
- `transfer_dispatch_queries`, `transfer_receive_queries`: the SQL statements each ran (bulk
  statements for the copies; the receipt's registrations cost a few statements per document);
- `transmittal_pdf_p95_ms`: the transmittal and receipt form of a transfer of three copies,
  rendered 20 times (the issue's receipt PDF target is 300 ms p95).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.custody_transfer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1000, help="copies in the one transfer")
    parser.add_argument("--per-document", type=int, default=10, help="copies of each document")
    parser.add_argument("--database-url", help="a PostgreSQL database to use (default: SQLite in a temp folder)")
    parser.add_argument("--dir", type=Path, help="where the temporary SQLite site goes (default: the system's)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


def _setup(home: Path, database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    os.environ["REGISTRUM_HOME"] = str(home)
    os.environ["REGISTRUM_LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("REGISTRUM_KEK", base64.b64encode(os.urandom(32)).decode())
    if database_url:
        os.environ["REGISTRUM_DATABASE_URL"] = database_url
    else:
        os.environ.pop("REGISTRUM_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _person(username: str, unit: Any, registry: Any) -> Any:
    from registrum.org import services as org
    from registrum.org.models import Person, Role
    from registrum.org.services import SYSTEM
    from registrum.policy import Level

    person = org.create_person(
        SYSTEM,
        username=username,
        first_name=username.capitalize(),
        last_name="Bench",
        nationality="BEL",
        unit=unit,
        password="Correct-Horse-Battery-9",
        roles=(Role.CLERK, Role.CONTROL_OFFICER),
    )
    today = date.today()
    org.set_clearance(
        SYSTEM,
        person,
        level=Level.CTS,
        granted=today - timedelta(days=30),
        expires=today + timedelta(days=365),
        briefings=("COSMIC", "ATOMAL"),
    )
    org.add_registry_staff(SYSTEM, registry, person)
    return Person.objects.select_related("clearance", "unit").get(pk=person.pk)


def build(copies: int, per_document: int) -> dict[str, Any]:
    """The central registry and its sub-registry, a clerk of each, a safe each, and the copies."""
    from registrum.custody import copies as custody
    from registrum.org import services as org
    from registrum.org.models import RegistryKind, UnitKind
    from registrum.org.services import SYSTEM
    from registrum.policy import Level, active_policy
    from registrum.records import services as records
    from registrum.records.registration import RegistrationData

    hq = org.create_unit(SYSTEM, code="HQ", name="Headquarters", kind=UnitKind.ORGANISATION)
    sub_unit = org.create_unit(SYSTEM, code="SUB", name="Sub-registry unit", parent=hq)
    central = org.create_registry(
        SYSTEM, code="CR", name="Central Registry", kind=RegistryKind.CENTRAL, unit=hq, accreditation=Level.CTS
    )
    sub = org.create_registry(
        SYSTEM,
        code="IMS-REG",
        name="DGIMS Registry",
        kind=RegistryKind.SUB,
        unit=sub_unit,
        accreditation=Level.CTS,
        parent=central,
    )
    sender, receiver = _person("crclerk", hq, central), _person("subclerk", sub_unit, sub)
    cr_safe = custody.create_container(
        sender, registry=central, code="CR-SAFE", name="Safe", accreditation=Level.CTS, categories=["ATOMAL"]
    )
    sub_safe = custody.create_container(
        receiver, registry=sub, code="SUB-SAFE", name="Safe", accreditation=Level.CTS, categories=["ATOMAL"]
    )
    atomal = active_policy().category_mask(["ATOMAL"])
    made: list[str] = []
    for n in range((copies + per_document - 1) // per_document):
        strict = n % 2 == 0
        registration = records.register_document(
            sender,
            RegistrationData(
                registry=central,
                direction="IN",
                originator="SHAPE",
                subject=f"Nuclear planning paper {n}",
                level=Level.CTS if strict else Level.NS,
                subject_level=Level.NU,
                category_mask=atomal if strict else 0,
                action_units=[hq],
            ),
        )
        count = min(per_document, copies - len(made))
        numbered = custody.number_copies(
            sender, registration.document.public_id, registry=central, count=count, container=cr_safe
        )
        made.extend(c.public_id for c in numbered)
    return {"sender": sender, "receiver": receiver, "sub": sub, "sub_safe": sub_safe, "copies": made}


def measure(copies: int = 1000, per_document: int = 10) -> dict[str, float]:
    """Call after `_setup`: builds the site's data, then times one dispatch and its receipt."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registrum.custody import transfers
    from registrum.custody.models import Copy, CopyStatus, TransferState

    world = build(copies, per_document)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as sent_queries:
        transfer = transfers.dispatch(
            world["sender"], world["copies"], to_registry=world["sub"], to_container=world["sub_safe"]
        )
    dispatched = time.perf_counter()
    with CaptureQueriesContext(connection) as received_queries:
        receipt = transfers.acknowledge(world["receiver"], transfer.public_id)
    finished = time.perf_counter()
    transfer.refresh_from_db()
    assert transfer.state == TransferState.RECEIVED and receipt.outstanding == 0, transfer.state
    held = Copy.objects.filter(registry=world["sub"], status=CopyStatus.HELD, container=world["sub_safe"]).count()
    assert held == copies, held
    back = transfers.dispatch(world["receiver"], world["copies"][:3], to_registry=transfer.from_registry)
    transfers.transmittal_pdf(world["receiver"], back.public_id)  # warm-up: fonts, templates
    timings = []
    for _ in range(20):
        begun = time.perf_counter()
        transfers.transmittal_pdf(world["receiver"], back.public_id)
        timings.append(time.perf_counter() - begun)
    timings.sort()
    return {
        "transmittal_pdf_p95_ms": timings[int(len(timings) * 0.95) - 1] * 1000,
        "transfer_1000_s": finished - started,
        "transfer_dispatch_s": dispatched - started,
        "transfer_receive_s": finished - dispatched,
        "transfer_dispatch_queries": float(len(sent_queries.captured_queries)),
        "transfer_receive_queries": float(len(received_queries.captured_queries)),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="registrum-bench-transfer-", dir=args.dir) as home:
        _setup(Path(home), args.database_url)
        figures = measure(args.copies, args.per_document)
    for name, value in figures.items():
        print(f"{name} {value:.3f}" if not name.endswith("_queries") else f"{name} {int(value)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
