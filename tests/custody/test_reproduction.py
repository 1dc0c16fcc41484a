"""Reproductions, extracts and translations: new numbered copies with their provenance, made on
the authority the policy requires."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody
from registrum.custody.models import Copy, CopyEvent, CopyStatus
from registrum.custody.reproduction import reproduce
from registrum.policy import Level

CONSENT = "originator's consent: SHAPE J2 letter 2026-11-20; approved by the CR control officer"


def test_a_cts_atomal_copy_is_reproduced_with_the_originators_consent_by_a_control_officer(custody_world):
    cw = custody_world
    source = cw.copies[0]
    (made,) = reproduce(cw.officer, source.public_id, kind="reproduction", count=1, authority=CONSENT)
    made = Copy.objects.select_related("made_from").get(pk=made.pk)
    assert (made.number, made.of_total) == (4, 4)
    assert made.kind == "reproduction" and made.made_from == source and made.authority == CONSENT
    assert made.registry == cw.central and made.container == cw.cr_safe and made.status == CopyStatus.HELD
    assert made.marking == "COSMIC TOP SECRET ATOMAL"
    assert CopyEvent.objects.get(copy=made).kind == "reproduced"
    assert "copy No. 4 made from it" in CopyEvent.objects.get(copy=source, kind="reproduced").note
    assert AuditEvent.objects.filter(event="custody.copy_reproduced").count() == 2
    # The numbers continue: an extract then a translation.
    extracts = reproduce(cw.officer, made.public_id, kind="extract", count=2, authority=CONSENT)
    assert [(c.number, c.of_total, c.kind) for c in extracts] == [(5, 6, "extract"), (6, 6, "extract")]


def test_reproduction_without_consent_or_by_a_clerk_is_refused(custody_world):
    cw = custody_world
    with pytest.raises(ValidationError, match="originator's consent") as refused:
        reproduce(cw.officer, cw.copies[0].public_id, count=1, authority="  ")
    assert "authority" in refused.value.message_dict
    with pytest.raises(PermissionDenied, match="control officer"):
        reproduce(cw.cr_clerk, cw.copies[0].public_id, count=1, authority=CONSENT)
    with pytest.raises(Http404):  # not staff of CR, no need-to-know: the copy is not there for them
        reproduce(cw.fresh(cw.sub_clerk), cw.copies[0].public_id, count=1, authority=CONSENT)
    assert Copy.objects.count() == 3


def test_a_nato_secret_copy_is_reproduced_by_a_clerk_on_a_recorded_authority(custody_world):
    cw = custody_world
    registration = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk)
    (source,) = custody.number_copies(cw.cr_clerk, registration.document.public_id, registry=cw.central, count=1)
    with pytest.raises(ValidationError, match="recorded authority"):
        reproduce(cw.cr_clerk, source.public_id, count=1, authority="")
    (translation,) = reproduce(
        cw.cr_clerk, source.public_id, kind="translation", count=1, authority="J3 request, French edition"
    )
    assert (translation.number, translation.of_total, translation.kind) == (2, 2, "translation")


def test_bad_requests_name_the_field(custody_world):
    cw = custody_world
    with pytest.raises(ValidationError) as bad:
        reproduce(cw.officer, cw.copies[0].public_id, kind="photocopy", count=0, authority=CONSENT)
    assert set(bad.value.message_dict) == {"kind", "count"}


def test_a_copy_not_held_is_not_reproduced(custody_world):
    cw = custody_world
    Copy.objects.filter(pk=cw.copies[0].pk).update(status=CopyStatus.CHARGED_OUT)
    with pytest.raises(ValidationError, match="not held"):
        reproduce(cw.officer, cw.copies[0].public_id, count=1, authority=CONSENT)
