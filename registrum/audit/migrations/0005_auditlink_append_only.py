"""The chain's table, and triggers that refuse UPDATE, DELETE and TRUNCATE on both audit tables
(the SQL per database is in registrum/audit/triggers.py)."""

import django.db.models.deletion
from django.db import migrations, models

from registrum.audit import triggers


def create_triggers(apps, schema_editor):
    triggers.create(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_canonical_data_rows")]

    operations = [
        migrations.CreateModel(
            name="AuditLink",
            fields=[
                ("position", models.BigIntegerField(primary_key=True, serialize=False)),
                ("hash", models.CharField(max_length=64)),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="link", to="audit.auditevent"
                    ),
                ),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
