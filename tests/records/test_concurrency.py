"""Eight processes registering at once get unique, gapless numbers, failures included."""

from __future__ import annotations

import multiprocessing

import pytest

from registrum.org.models import RegistrySequence
from registrum.records.models import Registration
from tests.conftest import database_url
from tests.records.concurrent_worker import register_many

PROCESSES = 8
PER_PROCESS = 12
FAIL_EVERY = 4


@pytest.mark.django_db(transaction=True)
def test_eight_processes_get_unique_gapless_numbers(world):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=register_many, args=(database_url(), PER_PROCESS, FAIL_EVERY, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    numbers = [n for got, _ in outcomes for n in got]
    failed = sum(f for _, f in outcomes)
    expected = PROCESSES * PER_PROCESS * (FAIL_EVERY - 1) // FAIL_EVERY
    assert failed == PROCESSES * PER_PROCESS // FAIL_EVERY
    assert len(numbers) == expected
    assert len(set(numbers)) == expected  # unique
    sequences = sorted(Registration.objects.filter(registry=world.registry).values_list("sequence", flat=True))
    assert sequences == list(range(1, expected + 1))  # gapless: the failures used no number
    assert RegistrySequence.objects.get(registry=world.registry).last_value == expected
