"""Pages: login, the register list, its filters and export, the forms, detail, correction,
voiding, upload and download."""

from __future__ import annotations

import csv
import html as html_lib
import io
import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registrum.audit.models import AuditEvent
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records.models import Document, Registration
from tests.conftest import PASSWORD, make_person

pytestmark = pytest.mark.django_db


def login(client, person):
    client.force_login(person)
    return client


def banner_levels(html: str) -> list[str]:
    return re.findall(r'id="banner-(?:top|bottom)"[^>]*data-level="(\w+)"', html)


def test_every_page_needs_a_login(client, world, pdf_upload):
    """Deny by default: anonymous GET of any page, including POST-only ones, goes to the login page."""
    registered = world.register(level=Level.NS, upload=pdf_upload)
    doc, reg = registered.document.public_id, registered.public_id
    urls = [
        "/",
        "/organisation/",
        "/accounts/tokens/",
        reverse("records:list"),
        reverse("records:list") + "?q=x",
        reverse("records:export"),
        reverse("records:new"),
        reverse("records:receive"),
        reverse("records:detail", args=[doc]),
        reverse("records:upload", args=[doc]),
        reverse("records:grant", args=[doc]),
        reverse("records:revoke", args=[doc]),
        reverse("records:download", args=[doc, 1]),
        reverse("records:correct", args=[reg]),
        reverse("records:void", args=[reg]),
        reverse("records:detail", args=["aaaaaaaaaaaaaaaa"]),  # missing: the same redirect, no 404 leak
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
        assert b"%PDF" not in response.content
    assert client.get("/accounts/login/").status_code == 200
    # Nothing is changed by an anonymous POST either.
    assert client.post(reverse("records:void", args=[reg]), {"reason": "x"}).status_code == 302
    assert not Registration.objects.get().is_void
    assert not AuditEvent.objects.filter(event="records.version_downloaded").exists()


def test_login_form_logs_in_and_refuses_a_wrong_password(client, world):
    response = client.post("/accounts/login/", {"username": "reader", "password": "wrong"})
    assert "did not match" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "reader", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_register_list_shows_only_what_the_reader_may_see_and_counts_only_that(client, world):
    world.register(level=Level.NS, subject="Air policing arrangements")
    world.register(level=Level.CTS, subject="Nuclear planning secret")
    world.register(level=Level.NU, action_units=[world.ops], subject="Not for ESO")
    html = login(client, world.reader).get("/register/").content.decode()
    assert "Air policing arrangements" in html
    assert "Nuclear planning" not in html and "Not for ESO" not in html
    assert "1 registration" in html
    assert banner_levels(html) == ["NS", "NS"]  # the highest level on the page, top and bottom


def subjects_in(html: str) -> set[str]:
    return set(re.findall(r"\) ([^<]+)</td>\s*</tr>", html))


def test_register_filters(client, world):
    world.register(level=Level.NS, subject="Exercise planning", originator="SHAPE", originator_reference="SH/1")
    world.register(level=Level.NR, subject="Budget report", originator="NOR", direction="OUT")
    c = login(client, world.clerk)

    def subjects(query):
        return subjects_in(c.get("/register/?" + query).content.decode())

    assert subjects("level=NS") == {"Exercise planning"}
    assert subjects("direction=OUT") == {"Budget report"}
    assert subjects("originator=shape") == {"Exercise planning"}
    assert subjects("reference=SH/1") == {"Exercise planning"}
    assert subjects("q=budget") == {"Budget report"}
    assert subjects("registry=IMS-REG") == {"Exercise planning", "Budget report"}
    assert subjects("registry=OPS-CP") == set()
    assert subjects("registered_from=2000-01-01&registered_to=2000-12-31") == set()


def test_search_by_exact_number_finds_nothing_for_the_uncleared(client, world):
    registered = world.register(level=Level.NS, subject="Secret subject")
    html = login(client, world.nr_reader).get("/register/", {"q": registered.number}).content.decode()
    assert "No registrations found." in html
    assert "Secret subject" not in html
    assert f">{registered.number}</a>" not in html  # only the search box echoes what was typed
    assert "0 registrations" in html


def test_every_document_url_is_404_without_access(client, world, pdf_upload):
    registered = world.register(level=Level.NS, upload=pdf_upload)
    doc, reg = registered.document.public_id, registered.public_id
    urls = [
        reverse("records:detail", args=[doc]),
        reverse("records:download", args=[doc, 1]),
        reverse("records:correct", args=[reg]),
    ]
    posts = [
        (reverse("records:upload", args=[doc]), {"content": pdf_upload.stream}),
        (reverse("records:grant", args=[doc]), {"grantee": "@nrreader"}),
        (reverse("records:revoke", args=[doc]), {"grantee": "ESO"}),
        (reverse("records:void", args=[reg]), {"reason": "x"}),
    ]
    for person in (world.nr_reader, world.partner, world.expired, world.outsider, world.admin):
        c = login(client, person)
        for url in urls:
            assert c.get(url).status_code == 404, (person.username, url)
        for url, data in posts:
            assert c.post(url, data).status_code == 404, (person.username, url)
    c = login(client, world.reader)
    for url in urls[:2]:
        assert c.get(url).status_code == 200
    assert not Registration.objects.get().is_void
    assert registered.document.versions.count() == 1


def test_detail_shows_marking_registrations_versions_and_history(client, world, pdf_upload):
    registered = world.register(level=Level.NS, releasable_to=("AUS",), upload=pdf_upload)
    url = reverse("records:detail", args=[registered.document.public_id])
    html = login(client, world.reader).get(url).content.decode()
    assert "NATO SECRET RELEASABLE TO AUS" in html
    assert "vacancy.pdf" in html
    assert f"Registered in IMS-REG as {registered.number} (incoming)" in html
    assert "Version 1 added (vacancy.pdf)" in html
    assert banner_levels(html) == ["NS", "NS"]


def test_register_form_registers_and_offers_another(client, world, sample_pdf):
    c = login(client, world.clerk)
    assert c.get("/register/new/?direction=IN").status_code == 200
    form = {
        "registry": "IMS-REG",
        "direction": "IN",
        "originator": "SHAPE",
        "originator_reference": "SH/PLANS/J5/26-000999",
        "subject": "Request for information",
        "level": "NC",
        "action": "ESO",
        "content": SimpleUploadedFile("rfi.pdf", sample_pdf, content_type="application/pdf"),
    }
    response = c.post("/register/new/", form)
    registration = Registration.objects.get()
    assert response["Location"] == reverse("records:detail", args=[registration.document.public_id])
    assert registration.document.versions.get().size == len(sample_pdf)
    response = c.post("/register/new/", {**form, "content": "", "another": "1"})
    assert response["Location"] == "/register/new/?direction=IN&registry=IMS-REG"
    assert Document.objects.count() == Registration.objects.count() == 2


def test_register_form_reports_each_bad_field_and_registers_nothing(client, world):
    response = login(client, world.clerk).post(
        "/register/new/",
        {
            "registry": "IMS-REG",
            "direction": "IN",
            "originator": "",
            "subject": "x",
            "level": "NS",
            "action": "NOUNIT",
            "releasable_to": "DEU",
            "pages": "1000000000000",
            "annexes": "32768",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "is required" in html
    assert "unknown unit &#x27;NOUNIT&#x27;" in html
    assert "DEU is a member nation" in html
    assert "1000000000000 is more than 100000" in html
    assert "32768 is more than 1000" in html
    assert not Document.objects.exists()


@pytest.mark.parametrize("typed", ["NS", "NATO SECRET"])
def test_a_form_returned_with_an_error_carries_the_banner_of_the_level_typed(client, world, typed):
    """The page shows back what was typed, so it is marked at that level, not NATO UNCLASSIFIED."""
    response = login(client, world.clerk).post(
        "/register/new/",
        {"registry": "IMS-REG", "direction": "IN", "originator": "", "subject": "Readiness", "level": typed},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Readiness" in html
    assert banner_levels(html) == ["NS", "NS"]
    assert not Document.objects.exists()


def test_register_form_is_refused_to_non_clerks(client, world):
    c = login(client, world.reader)
    assert c.get("/register/new/").status_code == 403
    assert c.get("/register/receive/").status_code == 403


def test_the_menu_offers_registering_only_to_those_who_may_register(client, world):
    reader = login(client, world.reader).get("/").content.decode()
    assert "Register incoming" not in reader and "Register outgoing" not in reader
    assert 'href="/register/new/' not in reader and 'href="/register/receive/"' not in reader
    assert 'href="/register/"' in reader  # the register itself is for everyone
    clerk = login(client, world.clerk).get("/").content.decode()
    assert "Register incoming" in clerk and "Register outgoing" in clerk
    assert 'href="/register/new/?direction=IN"' in clerk and 'href="/register/receive/"' in clerk


def test_upload_over_the_limit_is_413_naming_the_limit(client, world, max_upload):
    document = world.register(level=Level.NS).document
    c = login(client, world.clerk)
    url = reverse("records:upload", args=[document.public_id])
    # Just over the limit: refused by the service while reading it.
    response = c.post(url, {"content": SimpleUploadedFile("a.txt", b"x" * (max_upload + 10))})
    assert response.status_code == 413
    assert "64 KiB" in response.content.decode()
    # Far over it: refused before the body is read.
    response = c.post(url, {"content": SimpleUploadedFile("b.txt", b"x" * (max_upload * 4))})
    assert response.status_code == 413
    assert "64 KiB" in response.content.decode()
    assert not document.versions.exists()


def test_htmx_filter_returns_results_and_updated_banners(client, world):
    world.register(level=Level.CTS, subject="Top")
    world.register(level=Level.NR, subject="Low")
    c = login(client, world.clerk)
    html = c.get("/register/?level=NR", headers={"HX-Request": "true"}).content.decode()
    assert html.startswith('<div id="results">')
    assert "Low" in html and "Top" not in html
    assert banner_levels(html) == ["NR", "NR"]
    assert 'hx-swap-oob="true"' in html


def test_home_lists_my_registries_and_recent_visible_registrations(client, world):
    world.register(level=Level.NS, subject="Recent one")
    html = login(client, world.clerk).get("/").content.decode()
    assert "IMS-REG" in html and "Recent one" in html
    html = login(client, world.nr_reader).get("/").content.decode()
    assert "Recent one" not in html
    assert "You are not on the staff of a registry." in html


def test_not_found_page_keeps_the_banners_and_says_nothing_more(client, world, settings):
    settings.DEBUG = False
    registered = world.register(level=Level.CTS, subject="Cosmic subject")
    response = login(client, world.reader).get(reverse("records:detail", args=[registered.document.public_id]))
    html = response.content.decode()
    assert response.status_code == 404
    assert banner_levels(html) == ["NU", "NU"]
    assert "Cosmic subject" not in html and registered.number not in html


def test_registry_staff_grant_and_revoke_need_to_know_from_the_detail_page(client, world):
    public_id = world.register(level=Level.NC, action_units=[]).document.public_id
    url = reverse("records:detail", args=[public_id])
    assert login(client, world.outsider).get(url).status_code == 404
    c = login(client, world.clerk)
    assert "Grant need-to-know" in c.get(url).content.decode()
    response = c.post(reverse("records:grant", args=[public_id]), {"grantee": "@outsider", "note": "tasked"})
    assert response["Location"] == url
    assert login(client, world.outsider).get(url).status_code == 200
    assert "Grant need-to-know" not in client.get(url).content.decode()  # not registry staff
    # A grant is need-to-know only: the NR reader still lacks the clearance for NC.
    login(client, world.clerk).post(reverse("records:grant", args=[public_id]), {"grantee": "@nrreader"})
    assert login(client, world.nr_reader).get(url).status_code == 404

    # The grant is listed with a revoke button; a non-staff reader's revoke is refused.
    page = login(client, world.clerk).get(url).content.decode()
    assert f'action="{reverse("records:revoke", args=[public_id])}"' in page
    assert (
        login(client, world.outsider)
        .post(reverse("records:revoke", args=[public_id]), {"grantee": "@outsider"})
        .status_code
        == 403
    )
    response = login(client, world.clerk).post(reverse("records:revoke", args=[public_id]), {"grantee": "@outsider"})
    assert response["Location"] == url
    assert login(client, world.outsider).get(url).status_code == 404


@pytest.fixture
def cp_clerk(world):
    person = make_person("cpclerk", "ITA", world.ops, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, world.control_point, person)
    return person


def test_another_registry_registers_the_receipt_from_the_receive_page(client, world, cp_clerk):
    registered = world.register(level=Level.NC, originator_reference="SH/HNS/1", subject="Host nation support")
    c = login(client, cp_clerk)
    html = c.get("/register/receive/", {"q": registered.number}).content.decode()
    assert "Host nation support" not in html  # not visible to the control point yet
    login(client, world.clerk).post(
        reverse("records:grant", args=[registered.document.public_id]), {"grantee": "OPS-CP"}
    )
    c = login(client, cp_clerk)
    html = c.get("/register/receive/", {"q": "sh/hns/1"}).content.decode()
    assert "Host nation support" in html
    response = c.post(
        "/register/receive/",
        {"q": "SH/HNS/1", "document": registered.document.public_id, "registry": "OPS-CP", "direction": "IN"},
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("records:detail", args=[registered.document.public_id])
    receipt = Registration.objects.get(registry=world.control_point)
    assert receipt.document_id == registered.document_id and receipt.number.startswith("OPS-CP/")
    detail = c.get(response["Location"]).content.decode()
    assert registered.number in detail and receipt.number in detail


def test_registry_staff_correct_a_registration_from_the_pages(client, world):
    registered = world.register(level=Level.NS, subject="Force readines report")
    url = reverse("records:correct", args=[registered.public_id])
    detail = reverse("records:detail", args=[registered.document.public_id])
    c = login(client, world.clerk)
    page = c.get(url)
    assert page.status_code == 200 and "Force readines report" in page.content.decode()
    assert banner_levels(page.content.decode()) == ["NS", "NS"]
    assert f'href="{url}"' in c.get(detail).content.decode()

    bad = c.post(url, {"pages": "1000000000000"})
    assert bad.status_code == 400 and "1000000000000 is more than 100000" in bad.content.decode()
    assert Document.objects.get().pages is None

    response = c.post(url, {"subject": "Force readiness report"})
    assert response.status_code == 302 and response["Location"] == detail
    assert Document.objects.get().subject == "Force readiness report"
    assert Registration.objects.get().number == registered.number
    html = c.get(detail).content.decode()
    assert f"{registered.number} corrected: subject" in html
    event = AuditEvent.objects.get(event="records.registration_corrected")
    assert (event.data["before"], event.data["after"]) == (
        {"subject": "Force readines report"},
        {"subject": "Force readiness report"},
    )


def test_correcting_and_voiding_are_404_unseen_and_403_seen_but_not_allowed(client, world, cp_clerk):
    registered = world.register(level=Level.NS)
    correct = reverse("records:correct", args=[registered.public_id])
    void = reverse("records:void", args=[registered.public_id])
    c = login(client, world.nr_reader)  # cannot see it
    assert c.get(correct).status_code == 404
    assert c.post(correct, {"subject": "x"}).status_code == 404
    assert c.post(void, {"reason": "x"}).status_code == 404
    c = login(client, world.reader)  # sees it, is no registry staff
    detail = c.get(reverse("records:detail", args=[registered.document.public_id])).content.decode()
    assert f'href="{correct}"' not in detail and f'action="{void}"' not in detail
    assert c.get(correct).status_code == 403
    assert c.post(correct, {"subject": "x"}).status_code == 403
    assert c.post(void, {"reason": "x"}).status_code == 403
    assert Document.objects.get().subject == registered.document.subject
    assert not Registration.objects.get().is_void


def test_registry_staff_void_a_registration_from_the_detail_page(client, world):
    registered = world.register(level=Level.NS, subject="Entered twice")
    void = reverse("records:void", args=[registered.public_id])
    detail = reverse("records:detail", args=[registered.document.public_id])
    c = login(client, world.clerk)
    assert f'action="{void}"' in c.get(detail).content.decode()
    response = c.post(void, {"reason": "  "})
    assert response["Location"] == detail
    assert not Registration.objects.get().is_void
    assert "give the reason for voiding" in c.get(detail).content.decode()

    response = c.post(void, {"reason": "registered twice"})
    assert response["Location"] == detail
    voided = Registration.objects.get()
    assert voided.is_void and voided.number == registered.number and voided.void_reason == "registered twice"
    html = c.get(detail).content.decode()
    assert f"{registered.number} is void." in html
    assert "VOID" in html and "registered twice" in html
    listed = c.get("/register/").content.decode()
    assert f'>{registered.number}</a> <span class="void-mark">VOID</span>' in listed
    # A void registration is not corrected or voided again.
    assert c.get(reverse("records:correct", args=[registered.public_id])).status_code == 403
    assert c.post(void, {"reason": "again"}).status_code == 403


def export_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_export_holds_only_visible_registrations_with_the_filters_and_no_formulas(client, world):
    world.register(level=Level.NS, subject='=HYPERLINK("http://evil/","click")', originator="+SHAPE")
    world.register(level=Level.NS, subject="Routine report", direction="OUT")
    world.register(level=Level.CTS, subject="=cosmic")
    world.register(level=Level.NR, action_units=[world.ops], subject="=not addressed")
    c = login(client, world.reader)
    rows = export_rows(c.get(reverse("records:export")))
    assert sorted(r["subject"] for r in rows) == ['\'=HYPERLINK("http://evil/","click")', "Routine report"]
    assert {r["originator"] for r in rows} == {"'+SHAPE", "SHAPE"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())

    rows = export_rows(c.get(reverse("records:export"), {"direction": "OUT"}))
    assert [r["subject"] for r in rows] == ["Routine report"]
    rows = export_rows(c.get(reverse("records:export"), {"q": "hyperlink"}))
    assert [r["subject"] for r in rows] == ['\'=HYPERLINK("http://evil/","click")']
    assert export_rows(login(client, world.nr_reader).get(reverse("records:export"))) == []
    exported = AuditEvent.objects.filter(event="records.register_exported").order_by("id")
    assert [(e.actor_id, e.data["count"]) for e in exported] == [
        (world.reader.pk, 2),
        (world.reader.pk, 1),
        (world.reader.pk, 1),
        (world.nr_reader.pk, 0),
    ]


def test_the_register_page_links_to_the_export_of_what_it_shows(client, world):
    world.register(level=Level.NS, subject="Exercise planning")
    world.register(level=Level.NS, subject="Budget report", direction="OUT")
    c = login(client, world.reader)
    html = c.get("/register/", {"direction": "OUT"}).content.decode()
    links = [html_lib.unescape(h) for h in re.findall(r'href="([^"]*export\.csv[^"]*)"', html)]
    assert links, "no export link on the register page"
    rows = export_rows(c.get(links[0]))
    assert [r["subject"] for r in rows] == ["Budget report"]  # the page's filter, not the whole register


def test_organisation_page_lists_unit_codes_and_registries(client, world):
    html = login(client, world.nr_reader).get("/organisation/").content.decode()
    assert "ESO" in html and "EXCO Support Office" in html
    assert "IMS-REG" in html and "OPS-CP" in html
    assert client.logout() is None and client.get("/organisation/").status_code == 302


def test_a_refused_access_is_logged_in_one_line_without_a_traceback(client, world, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login(client, world.reader).get("/register/new/")
    assert response.status_code == 403
    forbidden = [r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", 0) == 403]
    assert len(forbidden) == 1
    assert forbidden[0].exc_info is None and forbidden[0].exc_text is None
    assert "/register/new/" in forbidden[0].getMessage()
    assert "Traceback" not in caplog.text


def test_a_server_error_still_logs_its_traceback(world, caplog):
    """The 403 filter drops tracebacks of refusals only: a real failure keeps its own."""
    from django.contrib.auth.decorators import login_not_required
    from django.test import Client

    @login_not_required
    def boom(request):
        raise RuntimeError("the disk is on fire")

    from django.urls import path

    from registrum import urls

    client = Client(raise_request_exception=False)
    urls.urlpatterns.append(path("boom/", boom))
    try:
        from django.urls import clear_url_caches

        clear_url_caches()
        with caplog.at_level(logging.ERROR, logger="django.request"):
            assert client.get("/boom/").status_code == 500
    finally:
        urls.urlpatterns.pop()
        clear_url_caches()
    assert "Traceback" in caplog.text and "the disk is on fire" in caplog.text


def test_a_document_one_may_not_see_is_logged_as_not_found_without_a_traceback(client, world, caplog):
    registered = world.register(level=Level.NS)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login(client, world.nr_reader).get(reverse("records:detail", args=[registered.document.public_id]))
    assert response.status_code == 404
    assert [r.status_code for r in caplog.records if r.name == "django.request"] == [404]
    assert "Traceback" not in caplog.text


def test_the_receive_page_refuses_a_nul_character_by_name(client, world):
    """No database keeps a NUL (PostgreSQL refuses it): refused like every other text field."""
    registered = world.register(level=Level.NC)
    c = login(client, world.clerk)
    response = c.post(
        "/register/receive/",
        {
            "q": registered.number,
            "document": registered.document.public_id,
            "registry": "OPS-CP",
            "direction": "IN",
            "external_addressees": "SHAPE\x00J5",
        },
    )
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()
    assert Registration.objects.count() == 1


def test_a_receipt_with_an_unknown_file_is_refused_by_name(client, world):
    from registrum.records import services as records_services

    document = world.register(level=Level.NR).document
    records_services.grant_access(world.clerk, document.public_id, registry=world.control_point)
    client.force_login(world.clerk)
    response = client.post(
        "/register/receive/",
        {"q": "x", "document": document.public_id, "registry": "OPS-CP", "direction": "IN", "file": "NO-SUCH"},
    )
    assert response.status_code == 400
    assert "unknown file &#x27;NO-SUCH&#x27;" in response.content.decode()
    assert document.registrations.count() == 1
