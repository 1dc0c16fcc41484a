"""Registering, versions and grants: the rules, the numbers, the audit trail, and failure."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404

from registrum import storage
from registrum.audit.models import AuditEvent
from registrum.org.models import RegistrySequence
from registrum.policy import Level
from registrum.records import services
from registrum.records.models import Access, AccessReason, Document, Version

pytestmark = pytest.mark.django_db


def events(name):
    return AuditEvent.objects.filter(event=name)


def test_registration_gets_the_next_number_in_the_registry_pattern(world):
    first = world.register(level=Level.NS)
    second = world.register(level=Level.NR)
    year = first.registered_at.year
    assert first.number == f"IMS-REG/{year}/000001"
    assert second.number == f"IMS-REG/{year}/000002"
    assert RegistrySequence.objects.get(registry=world.registry, year=year).last_value == 2


def test_each_registry_numbers_on_its_own(world):
    world.register(level=Level.NS)
    other = world.register(level=Level.NC, registry=world.control_point)
    assert other.number.startswith("OPS-CP/") and other.sequence == 1


def test_registration_writes_exactly_one_audit_event_in_its_transaction(world):
    before = AuditEvent.objects.count()
    registration = world.register(level=Level.NS)
    assert AuditEvent.objects.count() == before + 1
    event = events("records.document_registered").get()
    assert (event.actor, event.target_id) == (world.clerk, registration.document_id)
    assert event.data["number"] == registration.number


def test_registration_creates_need_to_know_for_every_addressee(world):
    registration = world.register(level=Level.NS, action_units=[world.eso], info_persons=[world.outsider])
    source = f"registration:{registration.pk}"
    rows = {
        (r.reason, r.unit_id, r.person_id, r.registry_id, r.source)
        for r in Access.objects.filter(document=registration.document)
    }
    assert rows == {
        (AccessReason.ACTION, world.eso.pk, None, None, source),
        (AccessReason.INFO, None, world.outsider.pk, None, source),
        # The registry's staff see it through the holding registry's own row.
        (AccessReason.REGISTRY, None, None, world.registry.pk, source),
    }
    assert Document.objects.visible_to(world.clerk).filter(pk=registration.document_id).exists()


def test_marking_string_of_a_registered_document(world):
    registration = world.register(level=Level.NS, releasable_to=("NZL", "AUS"))
    assert registration.marking == registration.document.marking
    assert registration.marking == "NATO SECRET RELEASABLE TO AUS/NZL"
    assert world.register(level=Level.CTS, category_mask=1).marking == "COSMIC TOP SECRET ATOMAL"


def test_only_registry_staff_with_a_registering_role_register(world):
    with pytest.raises(PermissionDenied, match="only registry clerks and control officers"):
        world.register(actor=world.reader)
    from registrum.org.models import Role, RoleAssignment

    RoleAssignment.objects.create(person=world.outsider, role=Role.CLERK)
    with pytest.raises(PermissionDenied, match="IMS-REG: you are not on the staff of this registry"):
        world.register(actor=world.outsider)
    assert not Document.objects.exists()


def test_registry_accreditation_caps_the_level(world):
    with pytest.raises(ValidationError, match="accredited only up to NATO CONFIDENTIAL"):
        world.register(level=Level.NS, registry=world.control_point)


def test_nobody_registers_above_their_clearance_or_briefings(world):
    from registrum.org import services as org
    from registrum.org.services import SYSTEM

    org.set_clearance(
        SYSTEM,
        world.clerk,
        level=Level.NS,
        granted=world.clerk.clearance.granted,
        expires=world.clerk.clearance.expires,
        briefings=[],
    )
    world.clerk.refresh_from_db()
    world.clerk.forget_subject()
    with pytest.raises(ValidationError, match="does not reach COSMIC TOP SECRET"):
        world.register(level=Level.CTS)
    with pytest.raises(ValidationError, match="not briefed"):
        world.register(level=Level.NS, category_mask=1)


def test_registration_that_fails_half_way_uses_no_number_and_references_nothing(world, pdf_upload, sample_pdf):
    store = storage.get_store()
    # subject classified above the document: refused by the database after the number was taken
    with pytest.raises(IntegrityError):
        world.register(level=Level.NR, subject_level=Level.NS, upload=pdf_upload)
    assert not Document.objects.exists()
    assert not Version.objects.exists()
    # The content stays, unreferenced (sealed), for `registrum storage check --repair` to sweep.
    assert len(list(store.iter_blobs())) == 1
    assert not events("records.document_registered").exists()
    registration = world.register(level=Level.NR)
    assert registration.sequence == 1  # the failed attempt's number was handed back


class RacingStore(storage.LocalContentStore):
    """A real store on disk that, once, lets another registration run and commit right after
    content has been stored: the window between `put` and the failing transaction."""

    def __init__(self, root, meanwhile):
        super().__init__(root)
        self.meanwhile = meanwhile

    def put(self, stream, *, max_bytes=None):
        blob = super().put(stream, max_bytes=max_bytes)
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return blob


def test_failed_registration_keeps_content_a_concurrent_registration_committed(world, sample_pdf, tmp_path):
    committed = []

    def concurrent_registration():
        upload = services.Upload("same.pdf", io.BytesIO(sample_pdf))
        committed.append(world.register(level=Level.NS, upload=upload))

    storage.set_store(RacingStore(tmp_path / "racing", concurrent_registration))
    doomed = services.Upload("doomed.pdf", io.BytesIO(sample_pdf))
    with pytest.raises(IntegrityError):  # fails after the concurrent registration committed
        world.register(level=Level.NR, subject_level=Level.NS, upload=doomed)
    (registration,) = committed
    _version, stream = services.open_version(world.reader, registration.document.public_id, 1)
    assert stream.read() == sample_pdf


def test_content_is_stored_by_fingerprint_and_reads_back(world, pdf_upload, sample_pdf):
    document = world.register(level=Level.NS, upload=pdf_upload).document
    version = document.versions.get()
    assert version.sha256 == hashlib.sha256(sample_pdf).hexdigest()
    assert (version.media_type, version.size, version.warning) == ("application/pdf", len(sample_pdf), "")
    _version, stream = services.open_version(world.reader, document.public_id, 1)
    assert stream.read() == sample_pdf
    assert events("records.version_downloaded").filter(actor=world.reader).count() == 1


def test_identical_content_is_stored_twice_so_each_version_can_be_destroyed_alone(world, sample_pdf):
    a = world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf))).document
    b = world.register(level=Level.NS, upload=services.Upload("b.pdf", io.BytesIO(sample_pdf))).document
    va, vb = a.versions.get(), b.versions.get()
    assert va.sha256 == vb.sha256 and va.blob_id != vb.blob_id and bytes(va.wrapped_key) != bytes(vb.wrapped_key)
    assert len(list(storage.get_store().root.rglob("*/*/*"))) == 2


def test_versions_are_numbered_and_a_damaged_pdf_is_kept_but_flagged(world, pdf_upload):
    document = world.register(level=Level.NS, upload=pdf_upload).document
    broken = services.add_version(
        world.clerk, document.public_id, services.Upload("scan.pdf", io.BytesIO(b"%PDF-1.4 garbage"))
    )
    assert broken.number == 2
    assert "damaged" in broken.warning
    text = services.add_version(
        world.clerk, document.public_id, services.Upload("note.txt", io.BytesIO("Réf. ok".encode()))
    )
    assert (text.number, text.media_type, text.warning) == (3, "text/plain", "")


def test_unsupported_type_is_refused_by_name(world):
    document = world.register(level=Level.NS).document
    with pytest.raises(ValidationError, match=r"'virus.exe': unsupported type \.exe"):
        services.add_version(world.clerk, document.public_id, services.Upload("virus.exe", io.BytesIO(b"MZ")))


def test_upload_over_the_limit_is_refused_and_leaves_nothing(world, max_upload):
    big = services.Upload("big.txt", io.BytesIO(b"x" * (max_upload + 1)))
    with pytest.raises(storage.ContentTooLarge, match="64 KiB"):
        world.register(level=Level.NS, upload=big)
    assert not Document.objects.exists()
    assert not any(storage.get_store().root.rglob("*/*/*"))


def test_only_the_holding_registry_adds_versions(world, pdf_upload):
    document = world.register(level=Level.NS).document
    with pytest.raises(PermissionDenied, match="only registry clerks"):
        services.add_version(world.reader, document.public_id, pdf_upload)
    with pytest.raises(Http404):  # cannot even see it: 404, not 403
        services.add_version(world.nr_reader, document.public_id, pdf_upload)


def test_download_of_an_invisible_document_is_404(world, pdf_upload):
    document = world.register(level=Level.CTS, upload=pdf_upload).document
    with pytest.raises(Http404):
        services.open_version(world.reader, document.public_id, 1)
    assert not events("records.version_downloaded").exists()
