"""Registration numbers: per registry, per year, unique and gapless.

The sequence row is locked and incremented inside the registering transaction: a concurrent
registration waits for the lock, and a rollback hands the number back with everything else.
"""

from __future__ import annotations

from django.db import connection

from registrum.org.models import Registry, RegistrySequence

DIRECTION_LABELS = {"IN": "IN", "OUT": "OUT", "INT": "INT"}


def allocate(registry: Registry, year: int, count: int = 1) -> int:
    """Reserve `count` consecutive numbers and return the first. Call inside a transaction.

    One statement in the usual case: the UPDATE takes the row's lock (PostgreSQL) inside the
    write transaction (SQLite) and RETURNING hands back the new value (both engines)."""
    if not connection.in_atomic_block:
        raise RuntimeError("registration numbers are allocated inside the registering transaction")
    table = connection.ops.quote_name(RegistrySequence._meta.db_table)
    with connection.cursor() as cursor:
        for _attempt in range(2):
            cursor.execute(
                f"UPDATE {table} SET last_value = last_value + %s WHERE registry_id = %s AND year = %s "  # noqa: S608
                "RETURNING last_value",
                [count, registry.pk, year],
            )
            row = cursor.fetchone()
            if row is not None:
                return int(row[0]) - count + 1
            # The year's first number: create the row (ON CONFLICT DO NOTHING, so two first
            # registrations of a year cannot both create it), then take it as above.
            RegistrySequence.objects.bulk_create(
                [RegistrySequence(registry=registry, year=year, last_value=0)], ignore_conflicts=True
            )
    raise RuntimeError(f"no number sequence for {registry.code} in {year}")


def format_number(registry: Registry, year: int, seq: int, direction: str) -> str:
    return registry.numbering_pattern.format(
        registry=registry.code, year=year, seq=seq, direction=DIRECTION_LABELS.get(direction, direction)
    )
