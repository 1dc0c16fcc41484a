"""The demo shows custody at work: containers in every registry and numbered copies of every
accountable document, in a container accredited for them."""

from __future__ import annotations

from registrum.custody.models import Container, Copy
from registrum.demo import builder
from registrum.policy import Level
from registrum.records.models import Registration


def test_demo_accountable_documents_have_numbered_copies_in_accredited_containers(db):
    builder.build(registrations=60)
    assert Container.objects.count() == len(builder.CONTAINERS)
    accountable = Registration.objects.filter(received_from__isnull=True, level__gte=Level.NS)
    assert accountable.exists()
    for registration in accountable:
        copies = Copy.objects.filter(document=registration.document)
        assert copies.exists(), registration.number
        assert {c.registry_id for c in copies} == {registration.registry_id}
    for copy in Copy.objects.exclude(container=None).select_related("container"):
        assert copy.container.accreditation >= copy.level
        assert copy.category_mask & ~copy.container.category_mask == 0


def test_demo_shows_custody_at_work_on_the_dashboards(db):
    from registrum.custody.models import ChargeOut, Regrade, Transfer

    builder.build(registrations=120)
    assert Transfer.objects.filter(state="in_transit", from_registry__code="HQ-CR").count() == 1
    assert ChargeOut.objects.filter(checked_in_at__isnull=True, reader__username="ejohnson").count() == 1
    assert Regrade.objects.filter(applied_at__isnull=True, to_level=Level.NC).count() == 1
