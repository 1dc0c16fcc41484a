"""Registration numbers: per registry, per year, unique and gapless.

The sequence row is locked and incremented inside the registering transaction: a concurrent
registration waits for the lock, and a rollback hands the number back with everything else.
"""

from __future__ import annotations

from django.db import connection

from registrum.org.models import Registry, RegistrySequence

DIRECTION_LABELS = {"IN": "IN", "OUT": "OUT", "INT": "INT"}


def allocate(registry: Registry, year: int, count: int = 1) -> int:
    """Reserve `count` consecutive numbers and return the first. Call inside a transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("registration numbers are allocated inside the registering transaction")
    # ON CONFLICT DO NOTHING: two first registrations of a year cannot both create the row.
    RegistrySequence.objects.bulk_create(
        [RegistrySequence(registry=registry, year=year, last_value=0)], ignore_conflicts=True
    )
    sequence = RegistrySequence.objects.select_for_update().get(registry=registry, year=year)
    first = sequence.last_value + 1
    sequence.last_value += count
    sequence.save(update_fields=["last_value"])
    return first


def format_number(registry: Registry, year: int, seq: int, direction: str) -> str:
    return registry.numbering_pattern.format(
        registry=registry.code, year=year, seq=seq, direction=DIRECTION_LABELS.get(direction, direction)
    )
