"""Who sees what: a grid of personas by documents, through the queryset and the decision."""

from __future__ import annotations

import pytest

from registrum.policy import Level
from registrum.records import services
from registrum.records.models import Document, Registration

pytestmark = pytest.mark.django_db


def visible_ids(person):
    return set(Document.objects.visible_to(person).values_list("pk", flat=True))


def test_visibility_grid(world):
    ns = world.register(level=Level.NS, subject="NS to ESO").document
    nr = world.register(level=Level.NR, subject="NR to ESO").document
    rel_aus = world.register(level=Level.NS, releasable_to=("AUS",), subject="NS releasable to AUS").document
    atomal = world.register(level=Level.NS, category_mask=1, subject="NS ATOMAL to ESO").document
    not_addressed = world.register(level=Level.NU, action_units=[], subject="held by the registry only").document
    to_ops = world.register(level=Level.NC, action_units=[world.ops], subject="NC to OPS").document

    expected = {
        world.clerk: {ns, nr, rel_aus, atomal, not_addressed, to_ops},  # staff of the holding registry
        world.reader: {ns, nr, rel_aus},  # no ATOMAL briefing
        world.nr_reader: {nr},
        world.partner: {rel_aus},  # AUS: only what is releasable to AUS
        world.expired: {nr},  # expired NS clearance: only what needs none
        world.outsider: {to_ops},  # cleared for all, need-to-know for one
        world.admin: set(),  # administrators read nothing by virtue of their role
    }
    for person, documents in expected.items():
        assert visible_ids(person) == {d.pk for d in documents}, person.username
        # The register (registrations) shows exactly the visible documents' entries.
        registrations = Registration.objects.visible_to(person).values_list("document_id", flat=True)
        assert set(registrations) == {d.pk for d in documents}, person.username
        for document in Document.objects.all():
            assert services.may_read(person, document).allowed == (document in documents), (person, document)


def test_addressee_unit_includes_its_sub_units(world):
    """Addressed to the IMS as a whole: a member of the ESO, inside the IMS, is an addressee."""
    ims = world.eso.parent
    document = world.register(level=Level.NR, action_units=[ims]).document
    assert document.pk in visible_ids(world.reader)
    assert document.pk not in visible_ids(world.outsider)  # OPS is not in the IMS


def test_explicit_grant_gives_need_to_know_but_not_clearance(world):
    document = world.register(level=Level.NC, action_units=[]).document
    assert document.pk not in visible_ids(world.outsider)
    services.grant_access(world.clerk, document.public_id, person=world.outsider)
    services.grant_access(world.clerk, document.public_id, person=world.nr_reader)
    assert document.pk in visible_ids(world.outsider)
    assert document.pk not in visible_ids(world.nr_reader)  # NC needs a clearance the grant does not give


def test_inactive_account_sees_nothing(world):
    world.register(level=Level.NU)
    world.reader.is_active = False
    assert visible_ids(world.reader) == set()


def test_get_document_for_gives_the_same_404_for_missing_and_forbidden(world):
    from django.http import Http404

    document = world.register(level=Level.CTS).document
    with pytest.raises(Http404) as forbidden:
        services.get_document_for(world.reader, document.public_id)
    with pytest.raises(Http404) as missing:
        services.get_document_for(world.reader, "a" * 16)
    assert str(forbidden.value) == str(missing.value)
