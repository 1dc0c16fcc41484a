"""One document, several registrations: receipts, corrections, voids, and need-to-know rows with
their source, granted and revoked exactly."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from registrum.audit.models import AuditEvent
from registrum.org import services as org
from registrum.org.models import Role, RoleAssignment
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records import services
from registrum.records.models import Access, AccessReason, Document, Registration, Version
from registrum.records.registration import InvalidRegistration
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def cp_clerk(world):
    """A clerk of the control point only (OPS-CP, accredited to NATO CONFIDENTIAL)."""
    person = make_person("cpclerk", "ITA", world.ops, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, world.control_point, person)
    return person


def test_a_receiving_registry_registers_a_known_document_under_its_own_number(world, cp_clerk):
    first = world.register(level=Level.NC, originator_reference="SH/26-0042")
    document = first.document
    # Before anyone sends it, the control point's clerk cannot even find it.
    assert services.find_known_documents(cp_clerk, first.number) == []
    with pytest.raises(Http404):
        services.register_receipt(cp_clerk, document.public_id, registry=world.control_point)
    services.grant_access(world.clerk, document.public_id, registry=world.control_point, note="sent to OPS")
    assert services.find_known_documents(cp_clerk, first.number) == [document]
    assert services.find_known_documents(cp_clerk, "sh/26-0042") == [document]  # by reference, any case
    receipt = services.register_receipt(cp_clerk, document.public_id, registry=world.control_point)
    assert receipt.document_id == document.pk and receipt.received_from == first
    assert receipt.number.startswith("OPS-CP/") and receipt.sequence == 1
    assert Document.objects.count() == 1 and Registration.objects.count() == 2
    assert AuditEvent.objects.filter(event="records.receipt_registered", target_id=document.pk).count() == 1
    # Registered twice in one registry: refused by name.
    with pytest.raises(ValidationError, match="already registered in OPS-CP"):
        services.register_receipt(cp_clerk, document.public_id, registry=world.control_point)


def test_a_receipt_respects_the_registry_accreditation(world, cp_clerk):
    document = world.register(level=Level.NS).document
    services.grant_access(world.clerk, document.public_id, registry=world.control_point)
    # The clerk holds NS, but the control point is accredited only to NATO CONFIDENTIAL.
    with pytest.raises(ValidationError, match="OPS-CP: the registry is accredited only up to NATO CONFIDENTIAL"):
        services.register_receipt(cp_clerk, document.public_id, registry=world.control_point)
    assert Registration.objects.count() == 1


def test_staff_of_any_holding_registry_see_and_add_versions(world, cp_clerk, pdf_upload):
    document = world.register(level=Level.NC).document
    services.grant_access(world.clerk, document.public_id, registry=world.control_point)
    with pytest.raises(PermissionDenied, match="only staff of a registry holding the document"):
        services.add_version(cp_clerk, document.public_id, pdf_upload)
    services.register_receipt(cp_clerk, document.public_id, registry=world.control_point)
    assert services.add_version(cp_clerk, document.public_id, pdf_upload).number == 1


def test_a_grant_to_a_person_who_still_cannot_read_says_why(world):
    document = world.register(level=Level.NS).document
    result = services.grant_access(world.clerk, document.public_id, person=world.nr_reader)
    assert result.created and result.still_refused == "no valid clearance at this level"
    result = services.grant_access(world.clerk, document.public_id, person=world.outsider)
    assert result.created and result.still_refused == ""
    again = services.grant_access(world.clerk, document.public_id, person=world.outsider)
    assert not again.created
    assert Access.objects.filter(document=document, person=world.outsider, reason=AccessReason.GRANT).count() == 1


def test_revoking_withdraws_exactly_the_grant_and_is_audited(world):
    registration = world.register(level=Level.NS, info_persons=[world.outsider])
    document = registration.document
    services.grant_access(world.clerk, document.public_id, person=world.outsider)
    services.revoke_access(world.clerk, document.public_id, person=world.outsider)
    # The addressee row from the registration stays: its source is the registration, not the grant.
    remaining = Access.objects.filter(document=document, person=world.outsider)
    assert [(r.reason, r.source) for r in remaining] == [(AccessReason.INFO, f"registration:{registration.pk}")]
    event = AuditEvent.objects.get(event="records.access_revoked")
    assert event.data == {"grantee": "@outsider", "reason": "grant", "source": "grant"}
    with pytest.raises(ValidationError, match="@outsider has no such need-to-know"):
        services.revoke_access(world.clerk, document.public_id, person=world.outsider)


def test_revoking_a_grant_ends_visibility(world):
    document = world.register(level=Level.NS, action_units=[]).document
    services.grant_access(world.clerk, document.public_id, person=world.outsider)
    assert Document.objects.visible_to(world.outsider).filter(pk=document.pk).exists()
    services.revoke_access(world.clerk, document.public_id, person=world.outsider)
    assert not Document.objects.visible_to(world.outsider).filter(pk=document.pk).exists()


def test_a_holding_registry_row_is_not_revoked_by_hand(world):
    document = world.register(level=Level.NS).document
    with pytest.raises(ValidationError, match="ends only with its registration"):
        services.revoke_access(world.clerk, document.public_id, registry=world.registry, reason=AccessReason.REGISTRY)


def test_only_holding_registry_staff_grant_and_revoke(world):
    document = world.register(level=Level.NS).document
    with pytest.raises(PermissionDenied):
        services.grant_access(world.reader, document.public_id, person=world.outsider)
    with pytest.raises(Http404):
        services.grant_access(world.outsider, document.public_id, person=world.outsider)


def test_a_correction_keeps_before_and_after_and_changes_only_the_description(world):
    registration = world.register(level=Level.NS, subject="Exercise planing", originator="SHAPE")
    corrected = services.correct_registration(
        world.clerk, registration.public_id, {"subject": "Exercise planning", "pages": "12"}
    )
    assert corrected.number == registration.number
    document = Document.objects.get(pk=registration.document_id)
    assert (document.subject, document.pages, document.level) == ("Exercise planning", 12, Level.NS)
    event = AuditEvent.objects.get(event="records.registration_corrected")
    assert event.data["before"] == {"subject": "Exercise planing", "pages": ""}
    assert event.data["after"] == {"subject": "Exercise planning", "pages": "12"}


def test_a_refused_correction_changes_nothing(world):
    registration = world.register(level=Level.NS, subject="Original")
    with pytest.raises(InvalidRegistration) as refused:
        services.correct_registration(world.clerk, registration.public_id, {"subject": "", "pages": "many"})
    assert set(refused.value.by_field()) == {"subject", "pages"}
    with pytest.raises(InvalidRegistration, match="level: cannot be corrected"):
        services.correct_registration(world.clerk, registration.public_id, {"level": "NU"})
    assert Document.objects.get().subject == "Original"
    assert not AuditEvent.objects.filter(event="records.registration_corrected").exists()


def test_only_staff_of_the_registering_registry_correct_or_void(world):
    registration = world.register(level=Level.NS)
    with pytest.raises(PermissionDenied, match="only registry clerks"):
        services.correct_registration(world.reader, registration.public_id, {"subject": "x"})
    with pytest.raises(Http404):
        services.void_registration(world.nr_reader, registration.public_id, "typo")


def test_a_void_registration_stays_in_the_register_with_its_number(world):
    registration = world.register(level=Level.NS)
    with pytest.raises(ValidationError, match="give the reason"):
        services.void_registration(world.clerk, registration.public_id, "  ")
    voided = services.void_registration(world.clerk, registration.public_id, "registered twice")
    assert voided.is_void and voided.number == registration.number
    assert Registration.objects.filter(number=registration.number, void_reason="registered twice").exists()
    # Still visible to its registry, still numbered; the next registration does not reuse it.
    assert Registration.objects.visible_to(world.clerk).filter(pk=registration.pk).exists()
    assert world.register(level=Level.NR).sequence == registration.sequence + 1
    with pytest.raises(PermissionDenied, match="the registration is void"):
        services.void_registration(world.clerk, registration.public_id, "again")
    with pytest.raises(PermissionDenied, match="the registration is void"):
        services.correct_registration(world.clerk, registration.public_id, {"subject": "x"})


def test_cosmic_top_secret_needs_the_cosmic_briefing(world):
    document = world.register(level=Level.CTS, action_units=[world.ops]).document
    no_cosmic = make_person("nocosmic", "NLD", world.ops, Level.CTS, ("ATOMAL",), (Role.ACTION_OFFICER,))
    assert not Document.objects.visible_to(no_cosmic).filter(pk=document.pk).exists()
    assert services.may_read(no_cosmic, document).reason == "COSMIC TOP SECRET needs the COSMIC briefing"
    assert Document.objects.visible_to(world.outsider).filter(pk=document.pk).exists()  # has COSMIC
    # And nobody without it registers at that level.
    RoleAssignment.objects.create(person=no_cosmic, role=Role.CLERK)
    org.add_registry_staff(SYSTEM, world.registry, no_cosmic)
    no_cosmic.forget_subject()
    with pytest.raises(ValidationError, match="does not reach COSMIC TOP SECRET"):
        world.register(level=Level.CTS, actor=no_cosmic)


@pytest.mark.parametrize(
    ("pattern", "missing"),
    [("{registry}/{seq:06d}", "{year}"), ("{year}/{seq:06d}", "{registry}"), ("{registry}/{year}", "{seq}")],
)
def test_a_numbering_pattern_that_could_repeat_is_refused(world, pattern, missing):
    with pytest.raises(ValidationError, match=rf"lacks \{missing}"):
        org.create_registry(
            SYSTEM,
            code="NEW-REG",
            name="New",
            kind="sub",
            unit=world.ops,
            accreditation=Level.NS,
            parent=world.registry,
            numbering_pattern=pattern,
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_to_one_document_all_succeed_with_distinct_numbers(world, sample_pdf, tmp_path):
    """Found from outside: 12 of 20 concurrent uploads to one document failed on PostgreSQL."""
    import io

    document = world.register(level=Level.NS).document
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def upload(n: int) -> None:
        try:
            barrier.wait()
            services.add_version(world.clerk, document.public_id, services.Upload(f"v{n}.txt", io.BytesIO(b"%d" % n)))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(Version.objects.filter(document=document).values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_the_search_box_finds_the_originator(world):
    """Found from outside: typing "SHAPE" in the register's one box found nothing."""
    from registrum.records.listing import RegisterFilters, register_for

    world.register(level=Level.NR, originator="SHAPE", subject="Readiness report")
    world.register(level=Level.NR, originator="IMS", subject="Minutes")
    found = register_for(world.reader, RegisterFilters(q="shape"))
    assert [r.document.subject for r in found] == ["Readiness report"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_idempotency_key_register_once(world):
    """A client that lost the answer retries while the first request is still running: both get
    the one registration."""
    from registrum.records.registration import RegistrationData

    idempotency = services.Idempotency.of("retry-1", {"subject": "x"})
    data = RegistrationData(
        registry=world.registry,
        direction="IN",
        originator="SHAPE",
        subject="x",
        level=Level.NR,
        subject_level=Level.NR,
    )
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def register() -> None:
        try:
            barrier.wait()
            registration, created = services.register_document_once(world.clerk, data, idempotency=idempotency)
            results.append((registration.number, created))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert len({number for number, _ in results}) == 1
    assert Registration.objects.count() == 1


def test_register_counts_are_exact_below_the_cap_and_say_more_above_it(world, monkeypatch):
    from registrum.records import listing
    from registrum.records.listing import CappedPaginator, RegisterFilters, register_for

    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    for n in range(4):
        world.register(level=Level.NR, subject=f"item {n}")
    world.register(level=Level.CTS, subject="item secret", action_units=[])

    def paginate(person, filters):
        return CappedPaginator(
            register_for(person, filters),
            2,
            count_queryset=register_for(person, filters, for_count=True),
            cap=listing.COUNT_CAP,
        )

    clerk = paginate(world.clerk, RegisterFilters())
    assert (clerk.count, clerk.exact) == (3, False)  # five registrations: "more than 3"
    reader = paginate(world.reader, RegisterFilters(q="item"))
    # The reader sees the four NR ones addressed to ESO, never the CTS one: 4 > 3.
    assert (reader.count, reader.exact) == (3, False)
    nr = paginate(world.nr_reader, RegisterFilters(q="item 1"))
    assert (nr.count, nr.exact) == (1, True)
    assert [r.document.subject for r in nr.page(1)] == ["item 1"]
    # Past the cap, paging goes on as long as there are rows: five rows, two a page.
    pages = [clerk.get_page(n) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p.has_next() for p in pages] == [True, True, False]
    assert clerk.get_page(9).number == 1  # beyond the last page: back to the first, no error
