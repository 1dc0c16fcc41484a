"""The database's own refusal to rewrite the trail: triggers on both audit tables that abort any
UPDATE or DELETE (and, on PostgreSQL, TRUNCATE), whoever sends it. Created by migration 0005.

They stop mistakes and anyone who reaches the database through the application's code paths; a
database owner can drop them, which is why the chain and its signed checkpoints exist: what such
an attacker changes, `registrum audit verify` finds.
"""

from __future__ import annotations

from typing import Any

TABLES = ("audit_auditevent", "audit_auditlink")
MESSAGE = "audit trail is append-only"


def create_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {verb} refused on {table}'); END"
            for table in TABLES
            for verb in ("UPDATE", "DELETE")
        ]
    if vendor == "postgresql":
        statements = [
            "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}: % refused on %', TG_OP, TG_TABLE_NAME; END $$"
        ]
        for table in TABLES:
            statements += [
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
            ]
        return statements
    raise NotImplementedError(f"no audit triggers for the {vendor} database")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{verb.lower()}" for table in TABLES for verb in ("update", "delete")
        ]
    if vendor == "postgresql":
        return [
            *(
                f"DROP TRIGGER IF EXISTS {table}_no_{kind} ON {table}"
                for table in TABLES
                for kind in ("change", "truncate")
            ),
            "DROP FUNCTION IF EXISTS audit_refuse_change()",
        ]
    raise NotImplementedError(f"no audit triggers for the {vendor} database")


def create(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in create_sql(connection.vendor):
            cursor.execute(statement)


def drop(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in drop_sql(connection.vendor):
            cursor.execute(statement)
