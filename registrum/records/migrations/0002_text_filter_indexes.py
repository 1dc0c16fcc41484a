"""Trigram indexes for the register's text filters on PostgreSQL.

The filters are substring matches (Django's icontains: UPPER(column) LIKE UPPER('%text%')), which
no B-tree can answer; pg_trgm's GIN indexes on the same expressions can. pg_trgm is a trusted
extension (PostgreSQL 13+), so the database owner may create it. SQLite scans, fast enough there.
"""

from django.db import migrations

COLUMNS = ("number", "originator_reference", "subject", "originator")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS doc_{column}_trgm_idx ON records_document "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS doc_{column}_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
