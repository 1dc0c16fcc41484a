"""Pages: login, the register list and its filters, the form, detail, upload and download."""

from __future__ import annotations

import logging
import re

import pytest
from django.urls import reverse

from registrum.policy import Level
from registrum.records.models import Document
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, person):
    client.force_login(person)
    return client


def banner_levels(html: str) -> list[str]:
    return re.findall(r'id="banner-(?:top|bottom)"[^>]*data-level="(\w+)"', html)


def test_pages_need_a_login(client, world):
    for url in ("/", "/register/", "/register/new/", "/accounts/tokens/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


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


def test_register_filters(client, world):
    world.register(level=Level.NS, subject="Exercise planning", originator="SHAPE", originator_reference="SH/1")
    world.register(level=Level.NR, subject="Budget report", originator="NOR", direction="OUT")
    c = login(client, world.clerk)

    def subjects(query):
        return set(re.findall(r"\) ([^<]+)</td>\s*</tr>", c.get("/register/?" + query).content.decode()))

    assert subjects("level=NS") == {"Exercise planning"}
    assert subjects("direction=OUT") == {"Budget report"}
    assert subjects("originator=shape") == {"Exercise planning"}
    assert subjects("reference=SH/1") == {"Exercise planning"}
    assert subjects("q=budget") == {"Budget report"}
    assert subjects("registry=IMS-REG") == {"Exercise planning", "Budget report"}
    assert subjects("registry=OPS-CP") == set()
    assert subjects("registered_from=2000-01-01&registered_to=2000-12-31") == set()


def test_search_by_exact_number_finds_nothing_for_the_uncleared(client, world):
    document = world.register(level=Level.NS, subject="Secret subject")
    html = login(client, world.nr_reader).get("/register/", {"q": document.number}).content.decode()
    assert "No registrations found." in html
    assert "Secret subject" not in html
    assert f">{document.number}</a>" not in html  # only the search box echoes what was typed
    assert "0 registrations" in html


def test_every_document_url_is_404_without_access(client, world, pdf_upload):
    document = world.register(level=Level.NS, upload=pdf_upload)
    urls = [
        reverse("records:detail", args=[document.pk]),
        reverse("records:download", args=[document.pk, 1]),
    ]
    for person in (world.nr_reader, world.partner, world.expired, world.outsider, world.admin):
        c = login(client, person)
        for url in urls:
            assert c.get(url).status_code == 404, (person.username, url)
        assert c.post(reverse("records:upload", args=[document.pk]), {"content": pdf_upload.stream}).status_code == 404
    c = login(client, world.reader)
    for url in urls:
        assert c.get(url).status_code == 200


def test_detail_shows_marking_versions_and_history(client, world, pdf_upload):
    document = world.register(level=Level.NS, releasable_to=("AUS",), upload=pdf_upload)
    html = login(client, world.reader).get(reverse("records:detail", args=[document.pk])).content.decode()
    assert "NATO SECRET RELEASABLE TO AUS" in html
    assert "vacancy.pdf" in html
    assert f"{document.number} registered in IMS-REG" in html
    assert banner_levels(html) == ["NS", "NS"]


def test_register_form_registers_and_offers_another(client, world, sample_pdf):
    from django.core.files.uploadedfile import SimpleUploadedFile

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
    document = Document.objects.get()
    assert response["Location"] == reverse("records:detail", args=[document.pk])
    assert document.versions.get().size == len(sample_pdf)
    response = c.post("/register/new/", {**form, "content": "", "another": "1"})
    assert response["Location"] == "/register/new/?direction=IN&registry=IMS-REG"
    assert Document.objects.count() == 2


def test_register_form_reports_each_bad_field_and_registers_nothing(client, world):
    response = login(client, world.clerk).post(
        "/register/new/",
        {"registry": "IMS-REG", "direction": "IN", "originator": "", "subject": "x", "level": "NS", "action": "NOUNIT"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "is required" in html
    assert "unknown unit &#x27;NOUNIT&#x27;" in html
    assert not Document.objects.exists()


def test_register_form_is_refused_to_non_clerks(client, world):
    assert login(client, world.reader).get("/register/new/").status_code == 403


def test_upload_over_the_limit_is_413_naming_the_limit(client, world, max_upload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = world.register(level=Level.NS)
    c = login(client, world.clerk)
    url = reverse("records:upload", args=[document.pk])
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
    document = world.register(level=Level.CTS, subject="Cosmic subject")
    response = login(client, world.reader).get(reverse("records:detail", args=[document.pk]))
    html = response.content.decode()
    assert response.status_code == 404
    assert banner_levels(html) == ["NU", "NU"]
    assert "Cosmic subject" not in html and document.number not in html


def test_registry_staff_grant_need_to_know_from_the_detail_page(client, world):
    document = world.register(level=Level.NC, action_units=[])
    url = reverse("records:detail", args=[document.pk])
    assert login(client, world.outsider).get(url).status_code == 404
    c = login(client, world.clerk)
    assert "Grant need-to-know" in c.get(url).content.decode()
    response = c.post(reverse("records:grant", args=[document.pk]), {"username": "outsider", "note": "tasked"})
    assert response["Location"] == url
    assert login(client, world.outsider).get(url).status_code == 200
    assert "Grant need-to-know" not in client.get(url).content.decode()  # not registry staff
    # A grant is need-to-know only: the NR reader still lacks the clearance for NC.
    login(client, world.clerk).post(reverse("records:grant", args=[document.pk]), {"username": "nrreader"})
    assert login(client, world.nr_reader).get(url).status_code == 404


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
    from django.test import Client

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
    document = world.register(level=Level.NS)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login(client, world.nr_reader).get(reverse("records:detail", args=[document.pk]))
    assert response.status_code == 404
    assert [r.status_code for r in caplog.records if r.name == "django.request"] == [404]
    assert "Traceback" not in caplog.text
