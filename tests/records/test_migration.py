"""The reshaping migration: a register of one-entry documents becomes documents with one
registration each, numbers, people and need-to-know kept, and nothing visible changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("records", "0002_text_filter_indexes")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_document_becomes_one_registration_with_its_number_and_need_to_know():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        Unit = old.get_model("org", "Unit")
        Registry = old.get_model("org", "Registry")
        Person = old.get_model("org", "Person")
        Document = old.get_model("records", "Document")
        Access = old.get_model("records", "Access")
        unit = Unit.objects.create(code="ESO", name="ESO", kind="branch", path="/1/")
        registry = Registry.objects.create(code="REG", name="Registry", kind="central", unit=unit, accreditation=4)
        clerk = Person.objects.create(username="clerk", nationality="FRA")
        reader = Person.objects.create(username="reader", nationality="DEU")
        at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        documents = [
            Document.objects.create(
                registry=registry,
                year=2026,
                sequence=n,
                number=f"REG/2026/{n:06d}",
                direction="IN" if n % 2 else "OUT",
                registered_at=at,
                registered_by=clerk,
                originator="SHAPE",
                subject=f"Subject {n}",
                subject_level=0,
                level=3,
                category_mask=1 if n == 2 else 0,
                releasable_to="/AUS/" if n == 3 else "",
                external_addressees="PermReps" if n == 1 else "",
            )
            for n in (1, 2, 3)
        ]
        Access.objects.create(document=documents[0], unit=unit, reason="action", granted_at=at, granted_by=clerk)
        Access.objects.create(document=documents[1], person=reader, reason="grant", granted_at=at, granted_by=clerk)

        new = _migrate(latest)
        Document = new.get_model("records", "Document")
        Registration = new.get_model("records", "Registration")
        Access = new.get_model("records", "Access")
        assert Document.objects.count() == 3
        registrations = {r.number: r for r in Registration.objects.all()}
        assert sorted(registrations) == ["REG/2026/000001", "REG/2026/000002", "REG/2026/000003"]
        for document in Document.objects.all():
            (registration,) = Registration.objects.filter(document=document)
            # The register entry moved whole, and its classification copy is the document's own.
            assert (registration.registry_id, registration.registered_by_id, registration.registered_at) == (
                registry.pk,
                clerk.pk,
                at,
            )
            assert (registration.level, registration.category_mask, registration.releasable_to) == (
                document.level,
                document.category_mask,
                document.releasable_to,
            )
            assert document.created_at == at
            assert len(document.public_id) == 16 and len(registration.public_id) == 16
        assert registrations["REG/2026/000001"].external_addressees == "PermReps"
        assert registrations["REG/2026/000002"].direction == "OUT"
        first = registrations["REG/2026/000001"]
        rows = {
            (r.document_id, r.reason, r.source, r.unit_id, r.person_id, r.registry_id) for r in Access.objects.all()
        }
        assert (first.document_id, "action", f"registration:{first.pk}", unit.pk, None, None) in rows
        assert (documents[1].pk, "grant", "grant", None, reader.pk, None) in rows
        for registration in registrations.values():  # each registry holds what it registered
            assert (
                registration.document_id,
                "registry",
                f"registration:{registration.pk}",
                None,
                None,
                registry.pk,
            ) in rows
        assert len({d.public_id for d in Document.objects.all()}) == 3
    finally:
        _migrate(latest)
