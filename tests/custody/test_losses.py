"""Loss and compromise: reported by registry staff, investigated and closed by a control officer,
a copy found again; every step in the copy's history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody
from registrum.custody import losses
from registrum.custody.models import Copy, CopyStatus
from registrum.custody.models.losses import LossState

pytestmark = pytest.mark.django_db


def _history(w, copy):
    _document, histories = custody.copies_of(w.cr_clerk, w.registration.document.public_id)
    return [e.kind for h in histories if h.copy.pk == copy.pk for e in h.events]


def test_a_loss_is_reported_investigated_closed_and_the_copy_found(custody_world):
    w = custody_world
    copy = w.copies[1]
    report = losses.report_loss(w.cr_clerk, w.central, [copy.code], circumstances="Not in the safe on Monday.")
    assert Copy.objects.get(pk=copy.pk).status == CopyStatus.LOST
    assert _history(w, copy)[-1] == "lost"
    assert report.state == LossState.OPEN
    assert AuditEvent.objects.filter(event="custody.loss_reported").count() == 2  # the copy's and the report's

    losses.update_report(w.officer, report.public_id, state=LossState.INVESTIGATING, people_told="NOS, originator")
    with pytest.raises(ValidationError, match="outcome"):
        losses.update_report(w.officer, report.public_id, state=LossState.CLOSED)
    closed = losses.update_report(
        w.officer, report.public_id, state=LossState.CLOSED, outcome="Misfiled in CR-SAFE-1, no compromise."
    )
    assert closed.state == LossState.CLOSED and closed.closed_by == w.officer
    assert closed.people_told == "NOS, originator"
    with pytest.raises(ValidationError):
        losses.update_report(w.officer, report.public_id, state=LossState.OPEN)

    found = losses.copy_found(w.cr_clerk, report.public_id, copy.code)
    assert found.status == CopyStatus.HELD and found.registry_id == w.central.pk
    assert _history(w, copy)[-2:] == ["lost", "found"]
    with pytest.raises(ValidationError, match="not lost"):
        losses.copy_found(w.cr_clerk, report.public_id, copy.code)


def test_a_compromise_leaves_the_copy_where_it_is_but_in_its_history(custody_world):
    w = custody_world
    copy = w.copies[0]
    report = losses.report_loss(
        w.cr_clerk, w.central, [copy.public_id], kind="compromise", circumstances="Left open on a desk."
    )
    assert Copy.objects.get(pk=copy.pk).status == CopyStatus.HELD
    assert _history(w, copy)[-1] == "lost"
    assert [c.pk for c in losses.report_copies(w.cr_clerk, report)] == [copy.pk]


def test_only_a_control_officer_records_the_investigation(custody_world):
    w = custody_world
    report = losses.report_loss(w.cr_clerk, w.central, [w.copies[0].code], circumstances="Gone.")
    with pytest.raises(PermissionDenied):
        losses.update_report(w.cr_clerk, report.public_id, state=LossState.INVESTIGATING)
    assert losses.get_report(w.cr_clerk, report.public_id).state == LossState.OPEN


def test_refusals_when_reporting(custody_world):
    w = custody_world
    with pytest.raises(PermissionDenied):
        losses.report_loss(w.sub_clerk, w.central, [w.copies[0].code], circumstances="Gone.")
    with pytest.raises(ValidationError, match="not a copy's code"):
        losses.report_loss(w.cr_clerk, w.central, ["HELLO"], circumstances="Gone.")
    with pytest.raises(ValidationError, match="tell what happened"):
        losses.report_loss(w.cr_clerk, w.central, [w.copies[0].code], circumstances=" ")
    with pytest.raises(ValidationError, match="not a copy of"):
        losses.report_loss(w.officer, w.sub, [w.copies[0].code], circumstances="Gone.")
    assert {c.status for c in Copy.objects.all()} == {CopyStatus.HELD}
