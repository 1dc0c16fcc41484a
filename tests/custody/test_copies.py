"""Numbered copies and containers: the foundation every other custody part stands on."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody
from registrum.custody.models import Copy, CopyEvent, CopyStatus
from registrum.policy import Level


def test_copies_are_numbered_n_of_total_in_the_registry_and_container(custody_world):
    copies = custody_world.copies
    assert [(c.number, c.of_total) for c in copies] == [(1, 3), (2, 3), (3, 3)]
    assert {c.registry_id for c in copies} == {custody_world.central.pk}
    assert {c.container_id for c in copies} == {custody_world.cr_safe.pk}
    assert {c.status for c in copies} == {CopyStatus.HELD}
    assert all(c.marking == "COSMIC TOP SECRET ATOMAL" for c in copies)
    assert CopyEvent.objects.filter(copy__in=copies, kind="created").count() == 3
    assert AuditEvent.objects.filter(event="custody.copies_numbered").count() == 3


def test_a_later_issue_continues_the_numbers(custody_world):
    more = custody.number_copies(
        custody_world.cr_clerk,
        custody_world.registration.document.public_id,
        registry=custody_world.central,
        count=2,
        container=custody_world.cr_safe,
    )
    assert [(c.number, c.of_total) for c in more] == [(4, 5), (5, 5)]


def test_a_container_not_approved_for_atomal_is_refused_with_the_reason(custody_world):
    with pytest.raises(ValidationError) as refused:
        custody.number_copies(
            custody_world.cr_clerk,
            custody_world.registration.document.public_id,
            registry=custody_world.central,
            count=1,
            container=custody_world.cr_cabinet,
        )
    assert "CR-CAB-2 is not accredited for COSMIC TOP SECRET" in str(refused.value)
    assert Copy.objects.count() == 3


def test_restricted_documents_are_not_copy_numbered(custody_world):
    registration = custody_world.world.register(
        level=Level.NR, registry=custody_world.central, actor=custody_world.cr_clerk
    )
    with pytest.raises(ValidationError, match="not copy-numbered"):
        custody.number_copies(
            custody_world.cr_clerk, registration.document.public_id, registry=custody_world.central, count=1
        )


def test_only_staff_of_the_registry_number_copies(custody_world):
    # A clerk of another registry does not even see the document.
    with pytest.raises(Http404):
        custody.number_copies(
            custody_world.sub_clerk,
            custody_world.registration.document.public_id,
            registry=custody_world.central,
            count=1,
        )
    # Staff of the central registry who may read it, numbering in a registry they do not staff.
    with pytest.raises(PermissionDenied):
        custody.number_copies(
            custody_world.cr_clerk,
            custody_world.registration.document.public_id,
            registry=custody_world.sub,
            count=1,
        )


def test_copies_follow_the_access_filter(custody_world):
    world = custody_world.world
    assert Copy.objects.visible_to(custody_world.cr_clerk).count() == 3
    # Cleared CTS ATOMAL but without need-to-know, and a reader without the clearance: nothing.
    assert Copy.objects.visible_to(world.outsider).count() == 0
    assert Copy.objects.visible_to(world.reader).count() == 0
