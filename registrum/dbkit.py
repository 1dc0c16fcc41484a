"""Database helpers with no domain knowledge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

__all__ = ["insert_many"]


def insert_many(model: type[Model], attnames: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """One INSERT executed for many rows, values already adapted for the database.

    For bulk paths (imports) where building a model instance per row would cost more than the
    database work itself. Table and column names come from the model, never from input.
    """
    if not rows:
        return
    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(str(columns[name])) for name in attnames)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams every row in one round trip; executemany would send one INSERT each.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(attnames))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608
