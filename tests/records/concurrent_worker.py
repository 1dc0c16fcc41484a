"""A registering process for the concurrency test (started with multiprocessing's spawn)."""

from __future__ import annotations

import os
from typing import Any


def register_many(db_url: str, count: int, fail_every: int, barrier: Any, results: Any) -> None:
    os.environ["REGISTRUM_DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    import django

    django.setup()
    from django.db import DatabaseError

    from registrum.org.models import Person, Registry
    from registrum.policy import Level
    from registrum.records import services
    from registrum.records.registration import RegistrationData

    clerk = Person.objects.select_related("clearance", "unit").get(username="clerk")
    registry = Registry.objects.get(code="IMS-REG")
    numbers: list[str] = []
    failed = 0
    barrier.wait(timeout=60)
    for i in range(count):
        doomed = fail_every and i % fail_every == fail_every - 1
        data = RegistrationData(
            registry=registry,
            direction="IN",
            originator="SHAPE",
            subject=f"concurrent registration {os.getpid()}-{i}",
            level=Level.NR,
            # A subject classified above its document is refused by the database after the
            # number was allocated: the failure half-way that must hand the number back.
            subject_level=Level.NS if doomed else Level.NU,
        )
        try:
            numbers.append(services.register_document(clerk, data).number)
        except DatabaseError:
            failed += 1
    results.put((numbers, failed))
