"""Rewrite every event's data as canonical JSON text (sorted keys, no spaces), the form the chain
hashes. On PostgreSQL the column was jsonb, whose text form has spaces; on SQLite it was Django's
json.dumps, in insertion order. Runs before the tables become append-only (0005)."""

import json

from django.db import migrations


def canonical(text):
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, data FROM audit_auditevent WHERE id > %s ORDER BY id LIMIT 5000", [last]
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            changed = [(canonical(data), pk) for pk, data in rows if data is not None and canonical(data) != data]
            if changed:
                cursor.executemany("UPDATE audit_auditevent SET data = %s WHERE id = %s", changed)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_event_origin_canonical_data")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
