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
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from model metadata)
        quote(model._meta.db_table),
        ", ".join(quote(str(columns[name])) for name in attnames),
        ", ".join(["%s"] * len(attnames)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
