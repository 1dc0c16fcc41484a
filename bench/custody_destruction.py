"""Witnessed destruction and reproduction: `python -m bench.custody_destruction [--copies 1000]`.

On a fresh site (SQLite in a temporary folder) with the demo organisation: the central registry's
clerk (jsmith) numbers copies of a NATO SECRET document, proposes destroying them all on one
certificate, the control officer (agarcia) approves, jsmith signs as destroyer and agarcia as
witness; the last signature destroys every copy in one transaction.

- destruction_1000_s: propose, approve and both signatures for 1,000 copies (the whole workflow);
- destruction_certificate_60_p95_ms: the certificate PDF of a 60-copy destruction, p95 of 10;
- reproduction_approve_p95_ms: a COSMIC TOP SECRET reproduction request approved (one copy made),
  p95 of 20.

Prints `name value` lines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def _setup(home: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    os.environ["REGISTRUM_HOME"] = str(home)
    os.environ["REGISTRUM_LOG_LEVEL"] = "ERROR"
    os.environ.pop("REGISTRUM_DATABASE_URL", None)
    if "REGISTRUM_KEK" not in os.environ:
        import base64

        os.environ["REGISTRUM_KEK"] = base64.b64encode(os.urandom(32)).decode()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def measure(copies: int = 1000) -> dict[str, float]:
    from registrum.custody import copies as custody
    from registrum.custody import destruction, reproduction
    from registrum.demo.builder import _organisation
    from registrum.org.models import Person, Registry, Unit
    from registrum.policy import Level
    from registrum.records import services as records
    from registrum.records.registration import RegistrationData

    people = _organisation()
    clerk = Person.objects.select_related("clearance", "unit").get(pk=people["jsmith"].pk)
    officer = Person.objects.select_related("clearance", "unit").get(pk=people["agarcia"].pk)
    registry = Registry.objects.get(code="HQ-CR")

    def document(level: Level, mask: int = 0) -> str:
        data = RegistrationData(
            registry=registry,
            direction="IN",
            originator="SHAPE",
            subject="Exercise STEADFAST planning conference",
            level=level,
            subject_level=Level.NU,
            category_mask=mask,
            action_units=list(Unit.objects.filter(code="HQ")),
            document_date=date(2026, 6, 1),
        )
        return records.register_document(clerk, data).document.public_id

    def numbered(public_id: str, count: int) -> list[str]:
        ids: list[str] = []
        while count > 0:
            batch = min(count, custody.MAX_COPIES_AT_ONCE)
            ids += [c.public_id for c in custody.number_copies(clerk, public_id, registry=registry, count=batch)]
            count -= batch
        return ids

    def destroyed(ids: list[str]) -> str:
        made = destruction.propose_destruction(clerk, registry, ids, "superseded")
        destruction.approve_destruction(officer, made.public_id)
        destruction.sign_destruction(clerk, made.public_id)
        destruction.sign_destruction(officer, made.public_id)
        return made.public_id

    figures: dict[str, float] = {}
    ids = numbered(document(Level.NS), copies)
    started = time.perf_counter()
    destroyed(ids)
    figures["destruction_1000_s" if copies == 1000 else f"destruction_{copies}_s"] = time.perf_counter() - started

    certificate = destroyed(numbered(document(Level.NS), 60))
    destruction.certificate_pdf(officer, certificate)  # warm-up: fonts, templates
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        destruction.certificate_pdf(officer, certificate)
        samples.append((time.perf_counter() - started) * 1000)
    figures["destruction_certificate_60_p95_ms"] = _p95(samples)

    source = numbered(document(Level.CTS), 1)[0]
    samples = []
    for _ in range(20):
        asked = reproduction.request_reproduction(clerk, source, count=1, authority="originator's consent")
        started = time.perf_counter()
        reproduction.approve_reproduction(officer, asked.public_id)
        samples.append((time.perf_counter() - started) * 1000)
    figures["reproduction_approve_p95_ms"] = _p95(samples)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.custody_destruction", description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1000, help="copies on the timed certificate")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="registrum-bench-destruction-") as home:
        _setup(Path(home))
        for name, value in measure(args.copies).items():
            print(f"{name} {value:.3f}")


if __name__ == "__main__":
    main()
