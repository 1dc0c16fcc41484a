"""The register reshaped, step 1 of 3: registrations and need-to-know sources beside the old
columns (the data moves in 0004, the old columns go in 0005)."""

import django.db.models.deletion
import registrum.org.models
import registrum.records.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("records", "0002_text_filter_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Registration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("level", registrum.org.models.LevelField(choices=[(0, "NU"), (1, "NR"), (2, "NC"), (3, "NS"), (4, "CTS")], verbose_name="classification")),
                ("category_mask", models.PositiveSmallIntegerField(default=0, verbose_name="special categories")),
                ("releasable_to", models.CharField(blank=True, default="", max_length=200, verbose_name="releasable to")),
                ("public_id", models.CharField(default=registrum.records.models.new_public_id, editable=False, max_length=16, unique=True)),
                ("year", models.PositiveSmallIntegerField()),
                ("sequence", models.PositiveIntegerField()),
                ("number", models.CharField(max_length=60, verbose_name="registration number")),
                ("direction", models.CharField(choices=[("IN", "incoming"), ("OUT", "outgoing"), ("INT", "internal")], max_length=3, verbose_name="direction")),
                ("registered_at", models.DateTimeField(verbose_name="registered")),
                ("external_addressees", models.CharField(blank=True, max_length=500, verbose_name="external addressees")),
                ("voided_at", models.DateTimeField(blank=True, null=True, verbose_name="voided")),
                ("void_reason", models.CharField(blank=True, max_length=300, verbose_name="reason for voiding")),
                ("document", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="registrations", to="records.document")),
                ("file", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="registrations", to="records.file", verbose_name="file")),
                ("received_from", models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="receipts", to="records.registration")),
                ("registered_by", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("registry", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="registrations", to="org.registry")),
                ("voided_by", models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["-registered_at", "-id"]},
        ),
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=100)),
                ("fingerprint", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("person", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("registration", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="records.registration")),
            ],
        ),
        migrations.RemoveConstraint(model_name="access", name="access_one_grantee"),
        migrations.RemoveIndex(model_name="access", name="access_grantee_idx"),
        migrations.AddField(
            model_name="access",
            name="registry",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="org.registry"),
        ),
        migrations.AddField(model_name="access", name="source", field=models.CharField(default="", max_length=40)),
        migrations.AlterField(
            model_name="access",
            name="reason",
            field=models.CharField(choices=[("action", "addressee for action"), ("info", "addressee for information"), ("registry", "holding registry"), ("grant", "explicit grant"), ("distribution", "distribution"), ("copy_holder", "copy holder"), ("tasker", "tasker")], max_length=12),
        ),
        migrations.AddField(model_name="document", name="created_at", field=models.DateTimeField(null=True, verbose_name="created")),
        migrations.AddField(model_name="document", name="public_id", field=models.CharField(editable=False, max_length=16, null=True)),
    ]
