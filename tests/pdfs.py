"""Reading the PDFs Registrum renders, as a person holding the paper would: the text of each page
and where on the page a marking is printed."""

from __future__ import annotations

import pypdfium2 as pdfium


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def assert_marked_on_every_page(pdf: bytes, marking: str) -> int:
    """The marking is printed at the top and at the bottom of every page (and "Page x of y" on
    each); returns the number of pages."""
    document = pdfium.PdfDocument(pdf)
    try:
        count = len(document)
        for number, page in enumerate(document, start=1):
            height = page.get_height()
            text = page.get_textpage()
            searcher = text.search(marking, match_case=True)
            tops: list[float] = []
            while (found := searcher.get_next()) is not None:
                _left, _bottom, _right, top = text.get_charbox(found[0])
                tops.append(top)
            assert any(top > height * 0.9 for top in tops), f"page {number}: no {marking!r} at the top"
            assert any(top < height * 0.1 for top in tops), f"page {number}: no {marking!r} at the bottom"
            assert f"Page {number} of {count}" in text.get_text_range(), f"page {number}: no page number"
        return count
    finally:
        document.close()
