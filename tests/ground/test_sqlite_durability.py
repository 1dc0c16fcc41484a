"""SQLite runs durable: an acknowledged registration survives a power cut."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_only]


def test_sqlite_commits_are_durable_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        # 2 is FULL: in WAL mode each commit syncs the log before it returns. NORMAL (1) may
        # lose the last commits on a power cut although they were acknowledged.
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2
