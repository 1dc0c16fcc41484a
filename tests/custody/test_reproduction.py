"""Reproductions, extracts and translations: new numbered copies with their provenance, made on
the authority the policy requires."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody
from registrum.custody.models import Copy, CopyEvent, CopyStatus, ReproductionRequest, ReproductionState
from registrum.custody.reproduction import (
    approve_reproduction,
    reject_reproduction,
    reproduce,
    request_reproduction,
)
from registrum.policy import Level

CONSENT = "originator's consent: SHAPE J2 letter 2026-11-20; approved by the CR control officer"


def test_a_cts_atomal_copy_is_reproduced_on_a_clerks_request_a_control_officer_approves(custody_world):
    cw = custody_world
    source = cw.copies[0]
    request = request_reproduction(cw.cr_clerk, source.public_id, kind="reproduction", count=1, authority=CONSENT)
    assert request.state == ReproductionState.REQUESTED and Copy.objects.count() == 3
    approved = approve_reproduction(cw.officer, request.public_id)
    assert approved.state == ReproductionState.APPROVED and approved.made_numbers == "4"
    made = Copy.objects.select_related("made_from").get(document=source.document, number=4)
    assert (made.number, made.of_total) == (4, 4)
    assert made.kind == "reproduction" and made.made_from == source
    assert made.authority.startswith(CONSENT) and "approved by @officer" in made.authority
    assert made.registry == cw.central and made.container == cw.cr_safe and made.status == CopyStatus.HELD
    assert made.marking == "COSMIC TOP SECRET ATOMAL"
    assert CopyEvent.objects.get(copy=made).kind == "reproduced"
    assert "copy No. 4 made from it" in CopyEvent.objects.get(copy=source, kind="reproduced").note
    assert AuditEvent.objects.filter(event="custody.copy_reproduced").count() == 2
    assert AuditEvent.objects.filter(event="custody.reproduction_requested").count() == 1
    # The numbers continue: two extracts of the reproduction.
    second = request_reproduction(cw.cr_clerk, made.public_id, kind="extract", count=2, authority=CONSENT)
    approve_reproduction(cw.officer, second.public_id)
    extracts = Copy.objects.filter(made_from=made).order_by("number")
    assert [(c.number, c.of_total, c.kind) for c in extracts] == [(5, 6, "extract"), (6, 6, "extract")]


def test_cts_is_never_reproduced_at_once_nor_approved_by_the_requester(custody_world):
    cw = custody_world
    with pytest.raises(ValidationError, match="only on a request a control officer"):
        reproduce(cw.officer, cw.copies[0].public_id, count=1, authority=CONSENT)
    own = request_reproduction(cw.officer, cw.copies[0].public_id, count=1, authority=CONSENT)
    with pytest.raises(PermissionDenied, match="their own"):
        approve_reproduction(cw.officer, own.public_id)
    with pytest.raises(PermissionDenied, match="control officer"):
        approve_reproduction(cw.witness, own.public_id)  # a clerk
    assert Copy.objects.count() == 3


def test_a_rejected_request_makes_nothing_and_cannot_be_approved_after(custody_world):
    cw = custody_world
    request = request_reproduction(cw.cr_clerk, cw.copies[0].public_id, count=2, authority=CONSENT)
    reject_reproduction(cw.officer, request.public_id, "consent not on file")
    with pytest.raises(ValidationError, match="not awaiting approval"):
        approve_reproduction(cw.officer, request.public_id)
    assert Copy.objects.count() == 3
    assert AuditEvent.objects.filter(event="custody.reproduction_rejected").count() == 1


def test_reproduction_without_consent_or_by_someone_else_is_refused(custody_world):
    cw = custody_world
    with pytest.raises(ValidationError, match="originator's consent") as refused:
        request_reproduction(cw.cr_clerk, cw.copies[0].public_id, count=1, authority="  ")
    assert "authority" in refused.value.message_dict
    with pytest.raises(Http404):  # not staff of CR, no need-to-know: the copy is not there for them
        request_reproduction(cw.fresh(cw.sub_clerk), cw.copies[0].public_id, count=1, authority=CONSENT)
    assert Copy.objects.count() == 3 and not ReproductionRequest.objects.exists()


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
        request_reproduction(cw.officer, cw.copies[0].public_id, kind="photocopy", count=0, authority=CONSENT)
    assert set(bad.value.message_dict) == {"kind", "count"}


def test_a_copy_not_held_is_not_reproduced(custody_world):
    cw = custody_world
    Copy.objects.filter(pk=cw.copies[0].pk).update(status=CopyStatus.CHARGED_OUT)
    with pytest.raises(ValidationError, match="not held"):
        request_reproduction(cw.cr_clerk, cw.copies[0].public_id, count=1, authority=CONSENT)
