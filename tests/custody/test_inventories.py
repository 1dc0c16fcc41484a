"""Inventories: the expected copies listed at the start, scans told apart, missing copies marked
and reported, a signed report PDF, due dates by policy."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody
from registrum.custody import inventories
from registrum.custody.models import (
    Copy,
    CopyEvent,
    CopyStatus,
    Inventory,
    InventoryItem,
    InventoryScan,
    LossReport,
    ScanOutcome,
)
from registrum.custody.models.inventories import InventoryState
from registrum.policy import Level
from registrum.reports import ReportError

pytestmark = pytest.mark.django_db


def pdf_pages(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def _other_registry_copy(w):
    registration = w.world.register(level=Level.NS, registry=w.sub, actor=w.sub_clerk, subject="FALCON logistics")
    return custody.number_copies(w.sub_clerk, registration.document.public_id, registry=w.sub, count=1)[0]


def test_an_inventory_expects_the_accountable_holdings_only(custody_world):
    w = custody_world
    # A NATO CONFIDENTIAL document's optional copies are not accountable: not expected.
    nc = w.world.register(level=Level.NC, registry=w.central, actor=w.cr_clerk)
    custody.number_copies(w.cr_clerk, nc.document.public_id, registry=w.central, count=2)
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    assert inventory.expected == 3
    assert set(InventoryItem.objects.filter(inventory=inventory).values_list("copy_id", flat=True)) == {
        c.pk for c in w.copies
    }
    assert AuditEvent.objects.filter(event="custody.inventory_started").count() == 1
    by_container = inventories.start_inventory(w.cr_clerk, w.central, container=w.cr_cabinet)
    assert by_container.expected == 0
    at_ns = inventories.start_inventory(w.cr_clerk, w.central, container=w.cr_safe, level=Level.NS)
    assert at_ns.expected == 0  # the safe's copies are COSMIC TOP SECRET


def test_one_open_inventory_per_place_and_staff_only(custody_world):
    w = custody_world
    inventories.start_inventory(w.cr_clerk, w.central)
    with pytest.raises(ValidationError, match="already open"):
        inventories.start_inventory(w.cr_clerk, w.central)
    with pytest.raises(PermissionDenied):
        inventories.start_inventory(w.sub_clerk, w.central)
    with pytest.raises(ValidationError, match="not a container of"):
        inventories.start_inventory(w.cr_clerk, w.central, container=w.sub_safe)


def test_scans_are_told_apart(custody_world):
    w = custody_world
    other = _other_registry_copy(w)
    unlisted = w.copies[2]
    Copy.objects.filter(pk=unlisted.pk).update(status=CopyStatus.IN_TRANSIT)  # of CR, not expected
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    first = inventories.check_copy(w.cr_clerk, inventory.public_id, w.copies[0].code + "\n")
    again = inventories.check_copy(w.cr_clerk, inventory.public_id, w.copies[0].public_id)
    unexpected = inventories.check_copy(w.cr_clerk, inventory.public_id, unlisted.code)
    elsewhere = inventories.check_copy(w.cr_clerk, inventory.public_id, other.code)
    nonsense = inventories.check_copy(w.cr_clerk, inventory.public_id, "HELLO-WORLD")
    assert [r.outcome for r in (first, again, unexpected, elsewhere, nonsense)] == [
        ScanOutcome.CHECKED,
        ScanOutcome.ALREADY_CHECKED,
        ScanOutcome.UNEXPECTED,
        ScanOutcome.OTHER_REGISTRY,
        ScanOutcome.NOT_A_COPY,
    ]
    assert "copy No. 1 of 3" in first.message
    # Another custodian's copy: its code, nothing about it.
    assert elsewhere.message == f"Not a copy of this registry: {other.code}."
    assert "1 of 1" not in elsewhere.message
    assert InventoryScan.objects.filter(inventory=inventory).count() == 5
    progress = inventories.progress(inventory)
    assert (progress.expected, progress.found, progress.missing, progress.unexpected) == (2, 1, 1, 3)
    assert CopyEvent.objects.filter(copy=w.copies[0], kind="inventoried").count() == 1


def test_check_by_list(custody_world):
    w = custody_world
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    results = inventories.check_list(w.cr_clerk, inventory.public_id, [c.code for c in w.copies] + ["", "nope"])
    assert [r.outcome for r in results] == [ScanOutcome.CHECKED] * 3 + [ScanOutcome.NOT_A_COPY]
    assert inventories.progress(inventory).missing == 0


def test_closing_marks_the_missing_copy_lost_opens_a_loss_report_and_signs_the_report(custody_world):
    w = custody_world
    other = _other_registry_copy(w)
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    inventories.check_list(w.cr_clerk, inventory.public_id, [w.copies[0].code, w.copies[1].code, other.code, "XYZ"])
    inventories.check_copy(w.cr_clerk, inventory.public_id, w.copies[0].code)
    closed = inventories.close_inventory(w.officer, inventory.public_id)
    assert closed.state == InventoryState.CLOSED
    assert (closed.expected, closed.found, closed.missing, closed.unexpected) == (3, 2, 1, 2)
    missing = Copy.objects.get(pk=w.copies[2].pk)
    assert missing.status == CopyStatus.LOST
    assert list(CopyEvent.objects.filter(copy=missing).values_list("kind", flat=True))[-1] == "missing"
    report = LossReport.objects.get(inventory=closed)
    assert list(report.copies.all()) == [missing]
    assert {c.status for c in Copy.objects.filter(pk__in=[w.copies[0].pk, w.copies[1].pk])} == {CopyStatus.HELD}
    assert len(closed.report_sha256) == 64
    event = AuditEvent.objects.get(event="custody.inventory_closed")
    assert event.data["report_sha256"] == closed.report_sha256
    assert event.data["loss_report"] == report.public_id
    with pytest.raises(ValidationError, match="already closed"):
        inventories.close_inventory(w.officer, inventory.public_id)
    with pytest.raises(ValidationError, match="closed"):
        inventories.check_copy(w.cr_clerk, inventory.public_id, w.copies[2].code)

    pdf = inventories.report_pdf(w.cr_clerk, inventory.public_id)
    pages = pdf_pages(pdf)
    assert all(text.count("COSMIC TOP SECRET ATOMAL") >= 2 for text in pages)
    text = " ".join(" ".join(pages).split())
    assert "Copy No. 3 of 3" in text
    assert "Copy No. 1 of 3" not in text  # found copies are not listed
    assert missing.code in text
    assert other.code in text and "XYZ" in text
    assert w.copies[0].code in text  # scanned twice, listed as such
    assert closed.report_sha256 in text.replace(" ", "")
    assert "Officer Test" in text
    assert "Expected" in text or "expected" in text
    # Reproducible: the same data gives the same fingerprint on another day.
    again = inventories.report_data(Inventory.objects.get(pk=closed.pk))
    assert again.sha256 == closed.report_sha256
    if closed.report_signature:
        assert inventories.verify_signature(closed)


def test_the_report_pages_all_carry_the_marking_when_the_list_is_long(custody_world):
    w = custody_world
    more = custody.number_copies(
        w.cr_clerk, w.registration.document.public_id, registry=w.central, count=80, container=w.cr_safe
    )
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    inventories.close_inventory(w.cr_clerk, inventory.public_id)
    pages = pdf_pages(inventories.report_pdf(w.cr_clerk, inventory.public_id))
    assert len(pages) > 1
    assert all(text.count("COSMIC TOP SECRET ATOMAL") >= 2 for text in pages)
    assert all("Page" in text for text in pages)
    text = " ".join(pages)
    assert f"Copy No. {more[-1].number} of {more[-1].of_total}" in " ".join(text.split())


def test_an_interrupted_close_leaves_the_copies_as_they_were(custody_world, settings):
    w = custody_world
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    inventories.check_copy(w.cr_clerk, inventory.public_id, w.copies[0].code)
    # The report cannot be rendered (its template is gone): the close rolls back.
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [],
            "APP_DIRS": False,
            "OPTIONS": {
                **{k: v for k, v in settings.TEMPLATES[0].get("OPTIONS", {}).items() if k != "loaders"},
                "loaders": ["django.template.loaders.locmem.Loader"],
            },
        }
    ]
    with pytest.raises(ReportError, match=r"custody/inventory_report\.html"):
        inventories.close_inventory(w.cr_clerk, inventory.public_id)
    assert Inventory.objects.get(pk=inventory.pk).state == InventoryState.OPEN
    assert {c.status for c in Copy.objects.filter(pk__in=[c.pk for c in w.copies])} == {CopyStatus.HELD}
    assert not LossReport.objects.exists()
    assert not CopyEvent.objects.filter(kind="missing").exists()


def test_inventory_due_by_policy(custody_world):
    w = custody_world
    due = inventories.inventory_due(w.central)
    assert due.due == timezone.localdate() and due.last_closed is None  # never inventoried
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    inventories.check_list(w.cr_clerk, inventory.public_id, [c.code for c in w.copies])
    inventories.close_inventory(w.cr_clerk, inventory.public_id)
    due = inventories.inventory_due(w.central)
    today = timezone.localdate()
    assert due.due is not None and due.due.year == today.year + 1 and not due.overdue
    Inventory.objects.filter(pk=inventory.pk).update(closed_at=timezone.now() - timedelta(days=400))
    late = inventories.inventory_due(w.central)
    assert late.overdue
    assert [d.registry for d in inventories.inventories_due(w.cr_clerk)] == [w.central]
    # A registry holding nothing accountable has nothing due.
    assert inventories.inventory_due(w.control_point).due is None


def test_a_copy_received_since_the_last_inventory_calls_for_one(custody_world):
    w = custody_world
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    inventories.check_list(w.cr_clerk, inventory.public_id, [c.code for c in w.copies])
    inventories.close_inventory(w.cr_clerk, inventory.public_id)
    assert not inventories.inventory_due(w.central).handover
    CopyEvent.objects.create(copy=w.copies[0], kind="received", at=timezone.now(), by=w.cr_clerk, custodian="CR")
    due = inventories.inventory_due(w.central)
    assert due.handover and due.due == timezone.localdate()


def test_start_lists_ten_thousand_copies_in_one_statement(custody_world, django_assert_max_num_queries):
    w = custody_world
    now = timezone.now()
    document = w.registration.document
    Copy.objects.bulk_create(
        [
            Copy(
                document=document,
                number=n,
                of_total=10_003,
                level=document.level,
                category_mask=document.category_mask,
                releasable_to=document.releasable_to,
                registry=w.central,
                status=CopyStatus.HELD,
                since=now,
                created_at=now,
                created_by=w.cr_clerk,
            )
            for n in range(4, 10_004)
        ],
        batch_size=2000,
    )
    with django_assert_max_num_queries(30):
        inventory = inventories.start_inventory(w.cr_clerk, w.central)
    assert inventory.expected == 10_003
    assert hashlib.sha256(b"").hexdigest()  # sanity: hashlib available for the report


def test_the_report_is_signed_with_the_audit_key_when_there_is_one(custody_world):
    from registrum.audit import checkpoints

    w = custody_world
    checkpoints.ensure_signing_key()
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    closed = inventories.close_inventory(w.cr_clerk, inventory.public_id)
    assert closed.report_signature
    assert inventories.verify_signature(closed)
    text = " ".join(" ".join(pdf_pages(inventories.report_pdf(w.cr_clerk, inventory.public_id))).split())
    assert closed.report_signature.split(":")[0] in text
    # A changed fingerprint no longer verifies.
    closed.report_sha256 = "0" * 64
    assert not inventories.verify_signature(closed)


def test_a_charged_out_copy_not_presented_is_missing_and_comes_back_by_its_check_in(custody_world):
    from registrum.custody import chargeouts

    w = custody_world
    reader = w.fresh(w.world.outsider)
    chargeouts.charge_out(w.cr_clerk, w.copies[0].code, reader)
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    assert inventory.expected == 3  # held and charged-out copies are expected
    inventories.check_list(w.cr_clerk, inventory.public_id, [w.copies[1].code, w.copies[2].code])
    inventories.close_inventory(w.cr_clerk, inventory.public_id)
    assert Copy.objects.get(pk=w.copies[0].pk).status == CopyStatus.LOST
    chargeouts.check_in(w.cr_clerk, w.copies[0].code)
    assert Copy.objects.get(pk=w.copies[0].pk).status == CopyStatus.HELD


def test_the_fingerprint_survives_a_later_regrading_of_the_missing_copies(custody_world):
    w = custody_world
    inventory = inventories.start_inventory(w.cr_clerk, w.central)
    closed = inventories.close_inventory(w.cr_clerk, inventory.public_id)
    Copy.objects.filter(pk__in=[c.pk for c in w.copies]).update(level=int(Level.NS))
    assert inventories.report_data(Inventory.objects.get(pk=closed.pk)).sha256 == closed.report_sha256
