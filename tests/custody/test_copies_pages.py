"""The copies pages: copy history, numbering, holdings, containers and moves, as each person
sees them (or is refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registrum.custody import copies as custody
from registrum.custody.models import CombinationChange, Container, Copy
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def _as(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _doc(cw) -> str:
    return cw.registration.document.public_id


@pytest.fixture
def eso_reader(custody_world):
    """Cleared for the document and in its action unit (ESO): may read it, staffs no registry."""
    return make_person("esoreader", "ESP", custody_world.world.eso, Level.CTS, ("COSMIC", "ATOMAL"), (Role.READER,))


@pytest.fixture
def ns_clerk(custody_world):
    """A clerk of the central registry cleared only up to NATO SECRET."""
    person = make_person("nsclerk", "DEU", custody_world.world.hq, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, custody_world.central, person)
    return custody_world.fresh(person)


def test_the_copy_history_shows_every_copy_custodian_container_and_movement(custody_world):
    page = _as(custody_world.cr_clerk).get(reverse("custody:document_copies", args=[_doc(custody_world)]))
    assert page.status_code == 200
    text = page.content.decode()
    for n in (1, 2, 3):
        assert f"Copy No. {n} of 3" in text
    assert "CR-SAFE-1" in text and "CR" in text
    assert text.count("numbered") >= 3
    assert "crclerk" in text.lower()
    assert reverse("custody:cover", args=[custody_world.copies[0].public_id]) in text
    assert reverse("custody:labels", args=[_doc(custody_world)]) in text
    assert "Number copies" in text  # a clerk of the holding registry may number more


def test_the_document_page_links_to_its_copies(custody_world):
    page = _as(custody_world.cr_clerk).get(reverse("records:detail", args=[_doc(custody_world)]))
    assert reverse("custody:document_copies", args=[_doc(custody_world)]) in page.content.decode()
    assert reverse("custody:dashboard") in page.content.decode()  # the site navigation


def test_a_reader_without_need_to_know_gets_404_on_the_history_and_the_pdfs(custody_world):
    world = custody_world.world
    copy_id = custody_world.copies[0].public_id
    for person in (world.outsider, world.reader, world.nr_reader):
        client = _as(person)
        assert client.get(reverse("custody:document_copies", args=[_doc(custody_world)])).status_code == 404
        assert client.get(reverse("custody:cover", args=[copy_id])).status_code == 404
        assert client.get(reverse("custody:labels", args=[_doc(custody_world)])).status_code == 404
        posted = client.post(
            reverse("custody:number_copies", args=[_doc(custody_world)]), {"registry": "CR", "count": "1"}
        )
        assert posted.status_code == 404
        assert client.post(reverse("custody:store", args=[copy_id]), {"container": ""}).status_code == 404
    assert Copy.objects.count() == 3


def test_a_reader_sees_the_history_but_may_not_number_or_move(custody_world, eso_reader):
    client = _as(eso_reader)
    page = client.get(reverse("custody:document_copies", args=[_doc(custody_world)]))
    assert page.status_code == 200
    assert "Copy No. 3 of 3" in page.content.decode()
    assert "Number copies" not in page.content.decode()
    refused = client.post(
        reverse("custody:number_copies", args=[_doc(custody_world)]), {"registry": "CR", "count": "2"}
    )
    assert refused.status_code == 403
    moved = client.post(reverse("custody:store", args=[custody_world.copies[0].public_id]), {"container": ""})
    assert moved.status_code == 403
    assert Copy.objects.count() == 3
    assert Copy.objects.get(pk=custody_world.copies[0].pk).container_id == custody_world.cr_safe.pk


def test_numbering_from_the_page_continues_the_numbers(custody_world):
    client = _as(custody_world.cr_clerk)
    url = reverse("custody:number_copies", args=[_doc(custody_world)])
    response = client.post(url, {"registry": "CR", "count": "2", "container": "CR-SAFE-1"})
    assert response.status_code == 302
    assert list(Copy.objects.filter(document=custody_world.registration.document).values_list("number", "of_total"))[
        -2:
    ] == [(4, 5), (5, 5)]
    page = client.get(response["Location"])
    assert "Copy No. 5 of 5" in page.content.decode()


def test_numbering_into_an_unaccredited_container_is_refused_with_the_reason(custody_world):
    client = _as(custody_world.cr_clerk)
    url = reverse("custody:number_copies", args=[_doc(custody_world)])
    response = client.post(url, {"registry": "CR", "count": "1", "container": "CR-CAB-2"})
    assert response.status_code == 400
    assert "CR-CAB-2 is not accredited for COSMIC TOP SECRET" in response.content.decode()
    for bad in ({"registry": "CR", "count": "0"}, {"registry": "CR", "count": "x"}, {"registry": "NOPE", "count": "1"}):
        assert client.post(url, bad).status_code == 400
    assert client.post(url, {"registry": "CR", "count": "1", "container": "NOPE"}).status_code == 400
    assert Copy.objects.count() == 3


def test_holdings_count_by_level_and_status_and_hide_copies_above_clearance(custody_world, ns_clerk):
    cw = custody_world
    ns_doc = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk, originator_reference="NSREF-77")
    custody.number_copies(cw.cr_clerk, ns_doc.document.public_id, registry=cw.central, count=2, container=cw.cr_cabinet)
    url = reverse("custody:holdings", args=["CR"])
    full = _as(cw.cr_clerk).get(url)
    assert full.status_code == 200
    text = full.content.decode()
    assert "5 copies" in text
    assert "COSMIC TOP SECRET" in text and "NSREF-77" in text
    filtered = _as(cw.cr_clerk).get(url + "?level=NS").content.decode()
    assert "2 copies" in filtered and "Copy No. 3 of 3" not in filtered
    # A clerk cleared NS only: the CTS ATOMAL copies are not there, not even counted.
    limited = _as(ns_clerk).get(url)
    assert limited.status_code == 200
    text = limited.content.decode()
    assert "2 copies" in text
    assert "COSMIC TOP SECRET ATOMAL" not in text and "ATOMAL" not in text
    assert cw.registration.document.subject not in text
    assert cw.registration.number not in text


def test_holdings_and_containers_are_for_the_registrys_staff_only(custody_world, eso_reader):
    cw = custody_world
    for person in (eso_reader, cw.sub_clerk, cw.world.outsider):
        client = _as(person)
        assert client.get(reverse("custody:holdings", args=["CR"])).status_code == 403
        assert client.get(reverse("custody:containers", args=["CR"])).status_code == 403
        assert client.get(reverse("custody:container", args=[cw.cr_safe.public_id])).status_code == 403
        assert (
            client.post(
                reverse("custody:combination", args=[cw.cr_safe.public_id]),
                {"changed_on": timezone.localdate().isoformat(), "reason": "routine"},
            ).status_code
            == 403
        )
    assert _as(cw.cr_clerk).get(reverse("custody:holdings", args=["NOPE"])).status_code == 404
    assert _as(cw.cr_clerk).get(reverse("custody:container", args=["aaaaaaaaaaaaaaaa"])).status_code == 404


def test_a_control_officer_takes_a_container_into_service(custody_world):
    cw = custody_world
    url = reverse("custody:containers", args=["CR"])
    listing = _as(cw.cr_clerk).get(url)
    assert listing.status_code == 200
    assert "CR-SAFE-1" in listing.content.decode() and "Take a container into service" not in listing.content.decode()
    body = {"code": "CR-VAULT-9", "name": "Vault", "kind": "vault", "accreditation": "CTS", "categories": ["ATOMAL"]}
    assert _as(cw.cr_clerk).post(url, body).status_code == 403
    assert not Container.objects.filter(code="CR-VAULT-9").exists()
    made = _as(cw.officer).post(url, body)
    assert made.status_code == 302
    vault = Container.objects.get(code="CR-VAULT-9")
    assert vault.registry_id == cw.central.pk and vault.accreditation == Level.CTS and vault.category_mask == 1
    page = _as(cw.officer).get(made["Location"]).content.decode()
    assert "ATOMAL" in page and "container taken into service" in page
    # Taken code, unknown level: told on the form.
    again = _as(cw.officer).post(url, body)
    assert again.status_code == 400 and "CR-VAULT-9 is taken" in again.content.decode()
    assert _as(cw.officer).post(url, {**body, "code": "X1", "accreditation": "TOP"}).status_code == 400


def test_the_container_page_flags_a_combination_change_due_and_records_one(custody_world):
    cw = custody_world
    old = timezone.localdate() - timedelta(days=400)
    Container.objects.filter(pk=cw.cr_safe.pk).update(combination_changed_on=old)
    client = _as(cw.cr_clerk)
    url = reverse("custody:container", args=[cw.cr_safe.public_id])
    page = client.get(url).content.decode()
    assert "Combination change due" in page
    assert "Copy No. 1 of 3" in page and "ATOMAL" in page
    bad = client.post(
        reverse("custody:combination", args=[cw.cr_safe.public_id]), {"changed_on": "soon", "reason": "routine"}
    )
    assert bad.status_code == 400
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    bad = client.post(
        reverse("custody:combination", args=[cw.cr_safe.public_id]), {"changed_on": future, "reason": "routine"}
    )
    assert bad.status_code == 400 and "before it happens" in bad.content.decode()
    done = client.post(
        reverse("custody:combination", args=[cw.cr_safe.public_id]),
        {"changed_on": timezone.localdate().isoformat(), "reason": "personnel", "note": "custodian posted away"},
    )
    assert done.status_code == 302
    assert CombinationChange.objects.filter(container=cw.cr_safe, reason="personnel").exists()
    page = client.get(url).content.decode()
    assert "Combination change due" not in page and "custodian posted away" in page


def test_a_held_copy_moves_between_containers_of_its_registry(custody_world):
    cw = custody_world
    second = custody.create_container(
        cw.officer,
        registry=cw.central,
        code="CR-SAFE-3",
        name="Second safe",
        accreditation=Level.CTS,
        categories=["ATOMAL"],
    )
    client = _as(cw.cr_clerk)
    copy = cw.copies[1]
    response = client.post(reverse("custody:store", args=[copy.public_id]), {"container": "CR-SAFE-3"})
    assert response.status_code == 302
    assert Copy.objects.get(pk=copy.pk).container_id == second.pk
    history = client.get(reverse("custody:document_copies", args=[_doc(cw)])).content.decode()
    assert "moved to a container" in history and "CR-SAFE-3" in history
    # Into the NS cabinet: refused with the policy's reason, the copy stays.
    refused = client.post(reverse("custody:store", args=[copy.public_id]), {"container": "CR-CAB-2"}, follow=True)
    assert "not accredited for COSMIC TOP SECRET" in refused.content.decode()
    assert Copy.objects.get(pk=copy.pk).container_id == second.pk
    # Into another registry's safe: refused.
    other = client.post(reverse("custody:store", args=[copy.public_id]), {"container": "IMS-SAFE-1"}, follow=True)
    assert "belongs to IMS-REG" in other.content.decode()
    assert Copy.objects.get(pk=copy.pk).container_id == second.pk


def test_get_on_a_posting_url_is_refused(custody_world):
    client = _as(custody_world.cr_clerk)
    assert client.get(reverse("custody:number_copies", args=[_doc(custody_world)])).status_code == 405
    assert client.get(reverse("custody:store", args=[custody_world.copies[0].public_id])).status_code == 405
    assert client.get(reverse("custody:combination", args=[custody_world.cr_safe.public_id])).status_code == 405


def test_holdings_of_one_container_by_level_and_by_page(custody_world):
    cw = custody_world
    ns_doc = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk)
    custody.number_copies(
        cw.cr_clerk, ns_doc.document.public_id, registry=cw.central, count=120, container=cw.cr_cabinet
    )
    client = _as(cw.cr_clerk)
    url = reverse("custody:holdings", args=["CR"])
    cabinet = client.get(url + "?container=CR-CAB-2").content.decode()
    assert "120 copies" in cabinet and "page 1 of 2" in cabinet and "COSMIC TOP SECRET ATOMAL" not in cabinet
    second = client.get(url + "?container=CR-CAB-2&page=2").content.decode()
    assert "Copy No. 120 of 120" in second and "page 2 of 2" in second
    safe = client.get(url + "?container=CR-SAFE-1&level=CTS").content.decode()
    assert "3 copies" in safe and "Copy No. 3 of 3" in safe


def test_a_refusal_is_written_to_the_trail_with_the_policys_reason(custody_world):
    from registrum.audit.models import AuditEvent

    cw = custody_world
    assert _as(cw.sub_clerk).get(reverse("custody:holdings", args=["CR"])).status_code == 403
    refused = AuditEvent.objects.filter(event="records.access_refused", actor=cw.sub_clerk).get()
    assert "only staff of the registry holding the copies do this" in str(refused.data) + refused.summary
