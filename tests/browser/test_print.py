"""Printed pages carry the marking at the top and the bottom of every sheet, and only content.

Found from outside: a printed six-page register showed the marking on pages 1 and 4 only, and a
printed detail page included the menus and forms. Chromium prints the page to a real PDF here,
and every page of that PDF is read back as text.
"""

from __future__ import annotations

import pypdfium2
import pytest

from registrum.policy import Level

pytestmark = pytest.mark.browser

LONG = "Host nation support arrangements for the reception, staging and onward movement of forces " * 2


def printed_pages(page) -> list[str]:
    pdf = pypdfium2.PdfDocument(page.pdf(format="A4", print_background=True))
    try:
        texts = []
        for number in range(len(pdf)):
            textpage = pdf[number].get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
        return texts
    finally:
        pdf.close()


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_every_printed_page_of_the_register_is_marked_top_and_bottom(world, new_session):
    for n in range(50):
        world.register(level=Level.NS if n % 5 == 0 else Level.NR, subject=f"{n:02d} {LONG}")
    page = new_session().login("clerk")
    page.goto("/register/")
    pages = printed_pages(page)
    assert len(pages) >= 4, "the test needs a register that prints on several sheets"
    for number, text in enumerate(pages, start=1):
        first, last = lines(text)[0], lines(text)[-1]
        assert first == "NATO SECRET", f"page {number} of {len(pages)} starts with {first!r}"
        assert last == "NATO SECRET", f"page {number} of {len(pages)} ends with {last!r}"
    everything = " ".join(" ".join(pages).split())
    for not_content in ("Log out", "Register incoming", "Filter", "Export CSV", "Previous", "Next"):
        assert not_content not in everything


def test_a_printed_detail_page_is_marked_and_leaves_out_menus_and_forms(world, new_session, pdf_upload):
    registration = world.register(level=Level.CTS, category_mask=1, subject="Nuclear planning", upload=pdf_upload)
    page = new_session().login("clerk")
    page.goto(f"/register/d/{registration.document.public_id}/")
    pages = printed_pages(page)
    for text in pages:
        assert lines(text)[0] == lines(text)[-1] == "COSMIC TOP SECRET"
    everything = " ".join(" ".join(pages).split())
    assert "Nuclear planning" in everything and registration.number in everything
    for not_content in ("Log out", "Upload a version", "Grant need-to-know", "Void this registration", "API tokens"):
        assert not_content not in everything
