"""The embedded default queues its writers on an operating-system lock: a writer waits for the
one writing and goes on the moment it is done, never failing however long the other writes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from registrum import audit
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.org.services import SYSTEM

pytestmark = [pytest.mark.sqlite_only, pytest.mark.django_db(transaction=True)]


def test_a_writer_waits_for_a_long_write_then_goes_on_at_once(world):
    if connection.vendor != "sqlite":
        pytest.skip("the writers' queue is the SQLite backend's")
    held = threading.Event()
    done: list[float] = []

    def second_writer() -> None:
        held.wait(timeout=30)
        started = time.monotonic()
        with transaction.atomic():
            audit.record(SYSTEM, EventType.STORAGE_REPAIRED, None, summary="second writer")
        done.append(time.monotonic() - started)
        connections.close_all()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with transaction.atomic():
        audit.record(SYSTEM, EventType.STORAGE_REPAIRED, None, summary="first writer")
        held.set()
        time.sleep(1.5)  # a long write (an import's writing pass)
    thread.join(timeout=30)
    assert len(done) == 1, "the second writer failed or never finished"
    # It waited for the first (about 1.5 s), queued on the lock beside the database.
    assert 1.2 < done[0] < 10
    assert Path(f"{connection.settings_dict['NAME']}-writers.lock").exists()
    assert list(AuditEvent.objects.filter(summary__endswith=" writer").values_list("summary", flat=True)) == [
        "first writer",
        "second writer",
    ]
