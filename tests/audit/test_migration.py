"""Migrating an existing trail: every event's data rewritten as canonical JSON text (what the chain
hashes), the new columns empty, and the tables append-only afterwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from registrum.audit import chain

BEFORE = [("audit", "0002_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_events_get_canonical_data_and_become_append_only():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        event_model = old.get_model("audit", "AuditEvent")
        at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
        data = {"zeta": 1, "alpha": "café", "list": [3, {"b": 2, "a": 1}]}
        first = event_model.objects.create(at=at, event="records.version_downloaded", target_type="version", data=data)
        empty = event_model.objects.create(at=at, event="records.version_viewed", target_type="version", data={})

        _migrate(latest)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, data, origin, on_behalf_of_id FROM audit_auditevent ORDER BY id")
            rows = cursor.fetchall()
        assert rows == [
            (first.pk, '{"alpha":"café","list":[3,{"a":1,"b":2}],"zeta":1}', "", None),
            (empty.pk, "{}", "", None),
        ]
        assert json.loads(rows[0][1]) == data
        assert chain.chain_pending(stragglers=True, checkpoint=False) == 2
        assert chain.walk().broken is None
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET data = '{}'")
    finally:
        _migrate(latest)
