"""The register reshaped, step 3 of 3: the document loses its register-entry columns, the new
columns become required and unique, and the constraints and indexes take their final form."""

import django.db.models.deletion
import django.db.models.functions.comparison
import registrum.records.models
from django.conf import settings
from django.db import migrations, models


def trigram_indexes(apps, schema_editor):
    """The search box's substring filters on PostgreSQL (see 0002): the number moved to the
    registration."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS doc_number_trgm_idx")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS reg_number_trgm_idx ON records_registration "
        "USING gin (UPPER(number::text) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("records", "0004_registrations_data"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.RunPython(trigram_indexes, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="document", name="unique_registry_year_seq"),
        migrations.RemoveIndex(model_name="document", name="doc_register_order_idx"),
        migrations.RemoveIndex(model_name="document", name="doc_registry_order_idx"),
        migrations.RemoveIndex(model_name="document", name="doc_level_order_idx"),
        migrations.RemoveIndex(model_name="document", name="doc_visibility_idx"),
        migrations.AlterField(
            model_name="access",
            name="document",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="access_rows", to="records.document"),
        ),
        migrations.AlterField(
            model_name="access",
            name="granted_by",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RemoveField(model_name="document", name="direction"),
        migrations.RemoveField(model_name="document", name="external_addressees"),
        migrations.RemoveField(model_name="document", name="file"),
        migrations.RemoveField(model_name="document", name="number"),
        migrations.RemoveField(model_name="document", name="registered_at"),
        migrations.RemoveField(model_name="document", name="registered_by"),
        migrations.RemoveField(model_name="document", name="registry"),
        migrations.RemoveField(model_name="document", name="sequence"),
        migrations.RemoveField(model_name="document", name="year"),
        migrations.AlterModelOptions(name="document", options={"ordering": ["-created_at", "-id"]}),
        migrations.AlterField(model_name="document", name="created_at", field=models.DateTimeField(verbose_name="created")),
        migrations.AlterField(
            model_name="document",
            name="public_id",
            field=models.CharField(default=registrum.records.models.new_public_id, editable=False, max_length=16, unique=True),
        ),
        migrations.AlterField(model_name="access", name="source", field=models.CharField(max_length=40)),
        migrations.AddIndex(
            model_name="access",
            index=models.Index(fields=["document", "person", "unit", "registry"], name="access_grantee_idx"),
        ),
        migrations.AddConstraint(
            model_name="access",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("person__isnull", False), ("registry__isnull", True), ("unit__isnull", True)), models.Q(("person__isnull", True), ("registry__isnull", True), ("unit__isnull", False)), models.Q(("person__isnull", True), ("registry__isnull", False), ("unit__isnull", True)), _connector="OR"), name="access_one_grantee"),
        ),
        migrations.AddConstraint(
            model_name="access",
            constraint=models.UniqueConstraint(models.F("source"), models.F("document"), django.db.models.functions.comparison.Coalesce("person", models.Value(0)), django.db.models.functions.comparison.Coalesce("unit", models.Value(0)), django.db.models.functions.comparison.Coalesce("registry", models.Value(0)), models.F("reason"), name="unique_access_source"),
        ),
        migrations.AddIndex(model_name="registration", index=models.Index(fields=["-registered_at", "-id"], name="reg_register_order_idx")),
        migrations.AddIndex(model_name="registration", index=models.Index(fields=["registry", "-registered_at", "-id"], name="reg_registry_order_idx")),
        migrations.AddIndex(model_name="registration", index=models.Index(fields=["level", "-registered_at", "-id"], name="reg_level_order_idx")),
        migrations.AddIndex(model_name="registration", index=models.Index(fields=["level", "category_mask"], name="reg_visibility_idx")),
        migrations.AddConstraint(model_name="registration", constraint=models.UniqueConstraint(fields=("registry", "year", "sequence"), name="unique_registry_year_seq")),
        migrations.AddConstraint(model_name="registration", constraint=models.UniqueConstraint(fields=("number", "registry"), name="unique_registry_number")),
        migrations.AddConstraint(model_name="idempotencykey", constraint=models.UniqueConstraint(fields=("person", "key"), name="unique_idempotency_key")),
    ]
