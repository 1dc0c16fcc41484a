"""Charge-out and check-in: the reader's need-to-know starts and ends with the charge-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from registrum.audit.models import AuditEvent
from registrum.custody import chargeouts
from registrum.custody.models import ChargeOut, CopyEvent, CopyStatus
from registrum.records import services as records
from registrum.records.models import Access, Document

pytestmark = pytest.mark.django_db


def _sees(person, document) -> bool:
    return Document.objects.visible_to(person).filter(pk=document.pk).exists()


def test_the_reader_sees_the_document_while_charged_out_and_not_after(custody_world):
    w = custody_world
    reader = w.fresh(w.world.outsider)  # cleared CTS ATOMAL, no need-to-know of their own
    document = w.registration.document
    copy = w.copies[0]
    assert not _sees(reader, document)

    loan = chargeouts.charge_out(w.cr_clerk, copy.code, reader, note="for the NPG brief")
    copy.refresh_from_db()
    assert copy.status == CopyStatus.CHARGED_OUT
    assert loan.due == timezone.localdate() + timedelta(days=5)
    assert _sees(w.fresh(reader), document)
    assert records.get_document_for(w.fresh(reader), document.public_id) == document
    assert Access.objects.filter(source=f"chargeout:{loan.pk}", person=reader).count() == 1

    chargeouts.check_in(w.cr_clerk, copy.public_id)
    copy.refresh_from_db()
    assert copy.status == CopyStatus.HELD
    assert not Access.objects.filter(source=f"chargeout:{loan.pk}").exists()
    assert not _sees(w.fresh(reader), document)
    with pytest.raises(Http404):
        records.get_document_for(w.fresh(reader), document.public_id)
    kinds = list(CopyEvent.objects.filter(copy=copy).values_list("kind", flat=True))
    assert kinds[-2:] == ["charged_out", "checked_in"]
    checked_in = AuditEvent.objects.get(event="custody.checked_in")
    assert checked_in.data["access_withdrawn"] == 1
    assert AuditEvent.objects.filter(event="custody.charged_out", target_id=document.pk).count() == 1


def test_an_uncleared_reader_is_refused_with_the_reason(custody_world):
    w = custody_world
    with pytest.raises(ValidationError) as refused:
        chargeouts.charge_out(w.cr_clerk, w.copies[0].code, w.fresh(w.world.reader))
    assert "reader" in refused.value.message_dict
    assert "cannot hold it" in str(refused.value)
    assert ChargeOut.objects.count() == 0
    w.copies[0].refresh_from_db()
    assert w.copies[0].status == CopyStatus.HELD


def test_a_copy_not_held_cannot_be_charged_out_twice(custody_world):
    w = custody_world
    reader = w.fresh(w.world.outsider)
    chargeouts.charge_out(w.cr_clerk, w.copies[0].code, reader)
    with pytest.raises(ValidationError, match="not held"):
        chargeouts.charge_out(w.cr_clerk, w.copies[0].code, w.fresh(w.witness))
    with pytest.raises(ValidationError, match="not charged out"):
        chargeouts.check_in(w.cr_clerk, w.copies[1].code)


def test_only_staff_of_the_custodian_registry_charge_out(custody_world):
    w = custody_world
    # The sub-registry's clerk is cleared for it but is not CR's staff (nor has its need-to-know).
    with pytest.raises((PermissionDenied, Http404)):
        chargeouts.charge_out(w.sub_clerk, w.copies[0].code, w.fresh(w.world.outsider))
    assert ChargeOut.objects.count() == 0


def test_a_due_date_in_the_past_is_refused(custody_world):
    w = custody_world
    with pytest.raises(ValidationError) as refused:
        chargeouts.charge_out(
            w.cr_clerk, w.copies[0].code, w.fresh(w.world.outsider), due=timezone.localdate() - timedelta(days=1)
        )
    assert "due" in refused.value.message_dict


def test_due_and_overdue_lists_per_registry_and_reader(custody_world):
    w = custody_world
    reader = w.fresh(w.world.outsider)
    today = timezone.localdate()
    on_time = chargeouts.charge_out(w.cr_clerk, w.copies[0].code, reader, due=today + timedelta(days=3))
    late = chargeouts.charge_out(w.cr_clerk, w.copies[1].code, reader, due=today)
    ChargeOut.objects.filter(pk=late.pk).update(due=today - timedelta(days=2))
    loans = chargeouts.open_charge_outs(w.cr_clerk, w.central)
    assert [(loan.charge_out.pk, loan.overdue) for loan in loans] == [(late.pk, True), (on_time.pk, False)]
    assert [loan.charge_out.pk for loan in chargeouts.overdue_charge_outs(w.cr_clerk, w.central)] == [late.pk]
    assert [loan.charge_out.pk for loan in chargeouts.due_charge_outs(w.cr_clerk, w.central)] == [late.pk]
    assert len(chargeouts.due_charge_outs(w.cr_clerk, w.central, within_days=3)) == 2
    assert len(chargeouts.readers_charge_outs(reader, reader)) == 2
    # Another registry's clerk learns nothing of CR's loans.
    assert chargeouts.readers_charge_outs(w.fresh(w.sub_clerk), reader) == []
    with pytest.raises(PermissionDenied):
        chargeouts.open_charge_outs(w.sub_clerk, w.central)


def test_the_trail_tells_the_charge_out_in_the_readers_language(custody_world):
    from registrum.audit.reading import describe

    w = custody_world
    chargeouts.charge_out(
        w.cr_clerk, w.copies[2].code, w.fresh(w.world.outsider), due=timezone.localdate() + timedelta(days=2)
    )
    chargeouts.check_in(w.cr_clerk, w.copies[2].code)
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert describe(AuditEvent.objects.get(event="custody.charged_out")) == (
        f"copy No. 3 of 3 charged out to outsider until {due}"
    )
    assert describe(AuditEvent.objects.get(event="custody.checked_in")) == "copy No. 3 of 3 checked in from outsider"
