"""The register reshaped, step 2 of 3: each document's register entry becomes its one
registration (same number, registry, registering person and time), each document and
registration gets an opaque public id, the addressees' need-to-know rows name the registration
as their source, grants get the source "grant", and each registry gets its holding row."""

import base64
import os

from django.db import migrations

CHUNK = 2000


def _public_id():
    return base64.b32encode(os.urandom(10)).decode("ascii").lower()


def forward(apps, schema_editor):
    Document = apps.get_model("records", "Document")
    Registration = apps.get_model("records", "Registration")
    Access = apps.get_model("records", "Access")
    last = 0
    while True:
        documents = list(Document.objects.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not documents:
            break
        last = documents[-1].pk
        for document in documents:
            document.public_id = _public_id()
            document.created_at = document.registered_at
        Document.objects.bulk_update(documents, ["public_id", "created_at"])
        Registration.objects.bulk_create(
            Registration(
                public_id=_public_id(),
                document_id=d.pk,
                registry_id=d.registry_id,
                year=d.year,
                sequence=d.sequence,
                number=d.number,
                direction=d.direction,
                registered_at=d.registered_at,
                registered_by_id=d.registered_by_id,
                file_id=d.file_id,
                external_addressees=d.external_addressees,
                level=d.level,
                category_mask=d.category_mask,
                releasable_to=d.releasable_to,
            )
            for d in documents
        )
        registrations = {
            r.document_id: r for r in Registration.objects.filter(document_id__in=[d.pk for d in documents])
        }
        rows = list(Access.objects.filter(document_id__in=registrations))
        for row in rows:
            row.source = "grant" if row.reason == "grant" else f"registration:{registrations[row.document_id].pk}"
        Access.objects.bulk_update(rows, ["source"])
        Access.objects.bulk_create(
            Access(
                document_id=r.document_id,
                registry_id=r.registry_id,
                reason="registry",
                source=f"registration:{r.pk}",
                granted_at=r.registered_at,
                granted_by_id=r.registered_by_id,
            )
            for r in registrations.values()
        )


class Migration(migrations.Migration):
    dependencies = [("records", "0003_registrations")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
