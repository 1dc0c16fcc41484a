"""Witnessed destruction: proposal, approval, the destroyer's and the witnesses' signatures each
in their own session, the copies destroyed in the completing transaction, the certificate."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from registrum import storage
from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody
from registrum.custody import destruction as service
from registrum.custody.models import Copy, CopyEvent, CopyStatus
from registrum.custody.models.destruction import Destruction, DestructionState
from registrum.custody.models.retention import Hold
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records import services as records
from registrum.records.models import Disposition, File, FilePlanClass, Registration, RetentionClass
from tests.conftest import make_person


def pdf_pages(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def propose(cw, copies=None, **kw):
    ids = [c.public_id for c in (copies if copies is not None else cw.copies)]
    return service.propose_destruction(cw.cr_clerk, cw.central, ids, "superseded by revision 2", **kw)


def approved(cw, copies=None, **kw):
    destruction = propose(cw, copies, **kw)
    return service.approve_destruction(cw.officer, destruction.public_id)


def statuses(copies):
    return {c.status for c in Copy.objects.filter(pk__in=[c.pk for c in copies])}


def test_a_witnessed_destruction_of_cts_atomal_copies_and_its_certificate(custody_world):
    cw = custody_world
    destruction = propose(cw, method="cross-cut shredder, DIN 66399 P-7")
    year = timezone.localdate().year
    assert destruction.number == f"CR/DC/{year}/000001"
    assert destruction.signatures_required == 2 and destruction.state == DestructionState.PROPOSED
    service.approve_destruction(cw.officer, destruction.public_id)

    after_destroyer = service.sign_destruction(cw.fresh(cw.cr_clerk), destruction.public_id)
    assert after_destroyer.state == DestructionState.AWAITING_WITNESSES
    assert statuses(cw.copies) == {CopyStatus.HELD}  # a missing witness: nothing destroyed yet

    done = service.sign_destruction(cw.fresh(cw.witness), destruction.public_id)
    assert done.state == DestructionState.COMPLETED
    assert statuses(cw.copies) == {CopyStatus.DESTROYED}
    assert not Copy.objects.filter(pk__in=[c.pk for c in cw.copies], container__isnull=False).exists()
    assert CopyEvent.objects.filter(copy__in=cw.copies, kind="destroyed").count() == 3
    assert AuditEvent.objects.filter(event="custody.copy_destroyed").count() == 3
    assert done.keep_until == timezone.localdate().replace(year=timezone.localdate().year + 10)
    assert len(done.certificate_sha256) == 64
    assert [s.role for s in done.signatures.all()] == ["destroyer", "witness"]

    _, pdf = service.certificate_pdf(cw.officer, destruction.public_id)
    pages = pdf_pages(pdf)
    text = "\n".join(pages)
    assert all(page.count("COSMIC TOP SECRET ATOMAL") >= 2 for page in pages)
    for number in (1, 2, 3):
        assert f"Copy No. {number} of 3" in text, text
    assert destruction.number in text and "Witness Test" in text and "@witness" in text
    assert "Crclerk Test" in text and "@officer" in text
    assert cw.registration.number in text and cw.copies[0].code in text


def test_a_certificate_of_sixty_copies_spans_pages_each_marked(custody_world):
    cw = custody_world
    more = custody.number_copies(
        cw.cr_clerk, cw.registration.document.public_id, registry=cw.central, count=57, container=cw.cr_safe
    )
    destruction = approved(cw, cw.copies + more)
    _, pdf = service.certificate_pdf(cw.officer, destruction.public_id)
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    assert all(page.count("COSMIC TOP SECRET ATOMAL") >= 2 for page in pages)
    text = "\n".join(pages)
    assert "Copy No. 3 of 3" in text and "Copy No. 4 of 60" in text and "Copy No. 60 of 60" in text


def test_nobody_witnesses_their_own_destruction(custody_world):
    cw = custody_world
    destruction = approved(cw)
    service.sign_destruction(cw.cr_clerk, destruction.public_id)
    with pytest.raises(PermissionDenied, match="nobody witnesses their own destruction"):
        service.sign_destruction(cw.fresh(cw.cr_clerk), destruction.public_id)
    assert statuses(cw.copies) == {CopyStatus.HELD}
    assert Destruction.objects.get(pk=destruction.pk).signatures.count() == 1


def test_an_uncleared_witness_is_refused(custody_world):
    """Staff of the registry not cleared for the copies do not even see the destruction."""
    cw = custody_world
    uncleared = make_person("nsclerk", "ESP", cw.world.hq, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, cw.central, uncleared)
    destruction = approved(cw)
    service.sign_destruction(cw.cr_clerk, destruction.public_id)
    with pytest.raises(Http404):
        service.sign_destruction(cw.fresh(uncleared), destruction.public_id)
    assert statuses(cw.copies) == {CopyStatus.HELD}


def test_a_person_neither_staff_nor_cleared_does_not_see_the_destruction(custody_world):
    cw = custody_world
    destruction = approved(cw)
    with pytest.raises(Http404):
        service.sign_destruction(cw.world.reader, destruction.public_id)


def test_nothing_is_signed_before_approval(custody_world):
    cw = custody_world
    destruction = propose(cw)
    with pytest.raises(ValidationError, match="only an approved destruction is signed"):
        service.sign_destruction(cw.cr_clerk, destruction.public_id)
    rejected = service.reject_destruction(cw.officer, destruction.public_id, "keep one for the archive")
    assert rejected.state == DestructionState.REJECTED
    with pytest.raises(ValidationError):
        service.sign_destruction(cw.cr_clerk, destruction.public_id)
    assert statuses(cw.copies) == {CopyStatus.HELD}


def test_a_control_officer_does_not_approve_their_own_proposal(custody_world):
    cw = custody_world
    destruction = service.propose_destruction(cw.officer, cw.central, [cw.copies[0].public_id], "surplus")
    with pytest.raises(PermissionDenied, match="they proposed"):
        service.approve_destruction(cw.officer, destruction.public_id)
    with pytest.raises(PermissionDenied):
        service.approve_destruction(cw.cr_clerk, destruction.public_id)  # not a control officer
    assert Destruction.objects.get(pk=destruction.pk).state == DestructionState.PROPOSED


def test_copies_held_elsewhere_or_not_held_are_refused(custody_world):
    cw = custody_world
    with pytest.raises(PermissionDenied):  # IMS-REG's clerk is not staff of CR
        service.propose_destruction(cw.sub_clerk, cw.central, [cw.copies[0].public_id], "surplus")
    with pytest.raises(ValidationError, match="not held by IMS-REG"):
        service.propose_destruction(cw.officer, cw.sub, [cw.copies[0].public_id], "surplus")
    Copy.objects.filter(pk=cw.copies[1].pk).update(status=CopyStatus.CHARGED_OUT)
    with pytest.raises(ValidationError, match="charged out, not held"):
        propose(cw, [cw.copies[1]])
    with pytest.raises(ValidationError, match="no such copy"):
        service.propose_destruction(cw.cr_clerk, cw.central, ["notacopy0000000"], "surplus")
    assert not Destruction.objects.exists()


def test_a_copy_charged_out_after_approval_stops_the_destruction_leaving_every_copy_in_place(custody_world):
    cw = custody_world
    destruction = approved(cw)
    service.sign_destruction(cw.cr_clerk, destruction.public_id)
    Copy.objects.filter(pk=cw.copies[2].pk).update(status=CopyStatus.CHARGED_OUT)
    with pytest.raises(ValidationError, match="charged out"):
        service.sign_destruction(cw.fresh(cw.witness), destruction.public_id)
    assert statuses(cw.copies[:2]) == {CopyStatus.HELD}
    assert Destruction.objects.get(pk=destruction.pk).state == DestructionState.AWAITING_WITNESSES
    assert not CopyEvent.objects.filter(kind="destroyed").exists()


def test_a_retention_hold_stops_a_proposal(custody_world):
    cw = custody_world
    Hold.objects.create(
        document=cw.registration.document, reason="litigation", placed_at=timezone.now(), placed_by=cw.officer
    )
    with pytest.raises(ValidationError, match="retention hold"):
        propose(cw)


def test_a_hold_on_the_file_the_document_is_registered_in_stops_a_proposal(custody_world):
    cw = custody_world
    retention = RetentionClass.objects.create(code="T10", name="Ten years", years=10, disposition=Disposition.DESTROY)
    plan = FilePlanClass.objects.create(code="1000", title="Policy")
    file = File.objects.create(
        plan_class=plan, code="1000-01", title="Nuclear planning", retention_class=retention, opened=date(2020, 1, 1)
    )
    Registration.objects.filter(pk=cw.registration.pk).update(file=file)
    hold = Hold.objects.create(file=file, reason="inquiry", placed_at=timezone.now(), placed_by=cw.officer)
    with pytest.raises(ValidationError, match="retention hold"):
        propose(cw, cw.copies[:1])
    Hold.objects.filter(pk=hold.pk).update(lifted_at=timezone.now(), lifted_by=cw.officer)
    assert propose(cw, cw.copies[:1]).state == DestructionState.PROPOSED


def test_a_copy_is_on_one_open_proposal_at_a_time(custody_world):
    cw = custody_world
    first = propose(cw, cw.copies[:1])
    with pytest.raises(ValidationError, match=first.number):
        propose(cw, cw.copies)
    second = propose(cw, cw.copies[1:])
    assert second.number.endswith("/000002")


def test_electronic_versions_are_destroyed_with_the_last_copy(
    custody_world, sample_pdf, django_capture_on_commit_callbacks
):
    cw = custody_world
    registration = cw.world.register(
        level=Level.NS,
        registry=cw.central,
        actor=cw.cr_clerk,
        upload=records.Upload("plan.pdf", io.BytesIO(sample_pdf)),
    )
    public_id = registration.document.public_id
    copies = custody.number_copies(cw.cr_clerk, public_id, registry=cw.central, count=2, container=cw.cr_cabinet)
    assert records.open_version(cw.cr_clerk, public_id, 1)[1].read() == sample_pdf
    first = approved(cw, copies[:1], destroy_electronic=True)
    service.sign_destruction(cw.cr_clerk, first.public_id)
    service.sign_destruction(cw.fresh(cw.witness), first.public_id)
    # One copy remains: the content stays readable.
    assert records.open_version(cw.cr_clerk, public_id, 1)[1].read() == sample_pdf

    second = approved(cw, copies[1:], destroy_electronic=True)
    service.sign_destruction(cw.cr_clerk, second.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        service.sign_destruction(cw.fresh(cw.witness), second.public_id)
    version = registration.document.versions.get()
    assert version.wrapped_key is None and not storage.get_store().exists(version.blob_id)
    with pytest.raises(storage.BlobNotFound):
        records.open_version(cw.cr_clerk, public_id, 1)


def test_the_certificate_is_disposable_only_after_its_period(custody_world):
    cw = custody_world
    destruction = approved(cw)
    service.sign_destruction(cw.cr_clerk, destruction.public_id)
    service.sign_destruction(cw.fresh(cw.witness), destruction.public_id)
    with pytest.raises(ValidationError, match="kept until"):
        service.dispose_certificate(cw.officer, destruction.public_id)
    Destruction.objects.filter(pk=destruction.pk).update(keep_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        service.dispose_certificate(cw.cr_clerk, destruction.public_id)
    disposed = service.dispose_certificate(cw.officer, destruction.public_id)
    assert disposed.state == DestructionState.CERTIFICATE_DISPOSED
    assert Destruction.objects.filter(pk=destruction.pk).exists()
    assert AuditEvent.objects.filter(event="custody.certificate_disposed").count() == 1
    assert AuditEvent.objects.filter(event="custody.destruction_signed").count() == 2
