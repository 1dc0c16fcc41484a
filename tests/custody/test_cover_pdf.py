"""Cover sheets and copy labels: real PDFs, opened and read, with the marking at the top and the
bottom of every page and the right copy numbers."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.urls import reverse

from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody
from registrum.reports import ReportError

pytestmark = pytest.mark.django_db

MARKING = "COSMIC TOP SECRET ATOMAL"
MARGIN_PT = 22 / 25.4 * 72  # the page margin of reports/base.html, where the marking boxes are


def _pages(pdf: bytes) -> list[tuple[str, str, str]]:
    """(top margin text, body text, bottom margin text) of every page."""
    document = pdfium.PdfDocument(pdf)
    out = []
    for page in document:
        width, height = page.get_width(), page.get_height()
        text = page.get_textpage()
        out.append(
            (
                text.get_text_bounded(0, height - MARGIN_PT, width, height),
                text.get_text_range(),
                text.get_text_bounded(0, 0, width, MARGIN_PT),
            )
        )
    return out


def _marked_everywhere(pdf: bytes, marking: str = MARKING) -> list[str]:
    pages = _pages(pdf)
    assert pages, "no pages"
    for number, (top, _body, bottom) in enumerate(pages, 1):
        assert marking in top, f"page {number}: no marking at the top: {top!r}"
        assert marking in bottom, f"page {number}: no marking at the bottom: {bottom!r}"
        assert f"Page {number} of {len(pages)}" in bottom
    return [body for _top, body, _bottom in pages]


def _as(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_cover_sheet_carries_the_marking_copy_number_code_and_references(custody_world):
    cw = custody_world
    copy = cw.copies[1]
    response = _as(cw.cr_clerk).get(reverse("custody:cover", args=[copy.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    (body,) = _marked_everywhere(response.content)
    assert "Copy No. 2 of 3" in body
    assert "Copy No. 1 of 3" not in body and "Copy No. 3 of 3" not in body
    assert copy.code in body
    assert cw.registration.number in body
    assert "NUCLEAR PLANNING GROUP minutes" in body
    assert "CR-SAFE-1" in body and "CR" in body
    printed = AuditEvent.objects.filter(event="custody.cover_printed", target_id=str(cw.registration.document.pk))
    assert printed.count() == 1
    assert "copy 2 of 3" in printed.get().summary


def test_the_cover_sheet_shows_only_the_registration_numbers_the_reader_may_see(custody_world):
    cw = custody_world
    reader = custody_world.world.outsider
    _, pdf = custody.cover_sheet_pdf(cw.cr_clerk, cw.copies[0].public_id)
    assert cw.registration.number in _marked_everywhere(pdf)[0]
    # A reader without need-to-know gets nothing at all, not even an audit line of a print.
    response = _as(reader).get(reverse("custody:cover", args=[cw.copies[0].public_id]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(event="custody.cover_printed").count() == 1


def test_labels_for_thirty_copies_span_pages_each_marked_with_every_copy_number(custody_world):
    cw = custody_world
    custody.number_copies(cw.cr_clerk, cw.registration.document.public_id, registry=cw.central, count=27)
    response = _as(cw.cr_clerk).get(reverse("custody:labels", args=[cw.registration.document.public_id]))
    assert response.status_code == 200
    bodies = _marked_everywhere(response.content)
    assert len(bodies) == 3  # ten labels a page
    text = "\n".join(bodies)
    # The first three were numbered "of 3", the later 27 "of 30".
    numbers = [f"Copy No. {n} of 3" for n in (1, 2, 3)] + [f"Copy No. {n} of 30" for n in range(4, 31)]
    for label in numbers:
        assert label in text, label
    assert text.count("RGC-") == 30
    assert AuditEvent.objects.filter(event="custody.cover_printed", summary__contains="labels of 30 copies").exists()


def test_labels_of_a_document_without_copies_are_not_printed(custody_world):
    cw = custody_world
    from registrum.policy import Level

    other = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk)
    response = _as(cw.cr_clerk).get(reverse("custody:labels", args=[other.document.public_id]), follow=True)
    assert "no copies to label" in response.content.decode()
    assert not AuditEvent.objects.filter(event="custody.cover_printed").exists()


def test_a_template_that_cannot_be_rendered_names_itself_and_prints_nothing(custody_world):
    cw = custody_world
    with pytest.raises(ReportError, match=r"custody/copies_no_such_template\.html"):
        custody.cover_sheet_pdf(cw.cr_clerk, cw.copies[0].public_id, template="custody/copies_no_such_template.html")
    with pytest.raises(ReportError, match=r"custody/copies_no_such_labels\.html"):
        custody.labels_pdf(
            cw.cr_clerk, cw.registration.document.public_id, template="custody/copies_no_such_labels.html"
        )
    assert not AuditEvent.objects.filter(event="custody.cover_printed").exists()


def test_printing_reads_in_the_trail_in_the_readers_words(custody_world):
    from registrum.custody.history import RENDERERS

    cw = custody_world
    custody.cover_sheet_pdf(cw.cr_clerk, cw.copies[0].public_id)
    custody.labels_pdf(cw.cr_clerk, cw.registration.document.public_id)
    rendered = [
        RENDERERS[e.event](e.data) for e in AuditEvent.objects.filter(event="custody.cover_printed").order_by("id")
    ]
    assert rendered == ["cover sheet of copy No. 1 of 3 printed", "labels of 3 copies printed"]
