"""The transmittal and receipt form: the highest marking on every page, the right copy numbers."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from django.http import Http404

from registrum.custody import copies as custody
from registrum.custody import transfers
from registrum.policy import Level
from tests.custody.conftest import Custody


def pages_of(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_a_transmittal_of_sixty_copies_is_marked_on_every_page(custody_world: Custody) -> None:
    cw = custody_world
    ns = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk, subject="Exercise plan")
    ns_copies = custody.number_copies(cw.cr_clerk, ns.document.public_id, registry=cw.central, count=57)
    sent = [*cw.copies, *ns_copies]
    transfer = transfers.dispatch(
        cw.cr_clerk, [c.public_id for c in sent], to_registry=cw.sub, to_container=cw.sub_safe
    )
    _, pdf = transfers.transmittal_pdf(cw.sub_clerk, transfer.public_id)
    pages = pages_of(pdf)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        # The highest marking among the copies (COSMIC TOP SECRET ATOMAL), top and bottom.
        assert text.count("COSMIC TOP SECRET ATOMAL") >= 2, number
        assert f"Page {number} of {len(pages)}" in text
    everything = " ".join(" ".join(pages).split())
    assert transfer.number in everything
    assert "Copy No. 3 of 3" in everything
    assert "Copy No. 57 of 57" in everything
    assert "Copy No. 58" not in everything
    for copy in sent:
        assert copy.code in everything
    assert cw.registration.number in everything
    assert "NUCLEAR PLANNING GROUP minutes" in everything
    assert "Signature" in pages[-1]


def test_a_transmittal_shows_only_what_the_reader_may_see(custody_world: Custody) -> None:
    cw = custody_world
    ns = cw.world.register(level=Level.NS, registry=cw.central, actor=cw.cr_clerk, subject="Exercise plan")
    (ns_copy,) = custody.number_copies(cw.cr_clerk, ns.document.public_id, registry=cw.central, count=1)
    reader_transfer = transfers.dispatch(cw.cr_clerk, [ns_copy.public_id], to_person=cw.world.reader)
    _, pdf = transfers.transmittal_pdf(cw.world.reader, reader_transfer.public_id)
    text = "\n".join(pages_of(pdf))
    assert text.count("NATO SECRET") >= 2
    assert "COSMIC" not in text
    with pytest.raises(Http404):
        transfers.transmittal_pdf(cw.world.outsider, reader_transfer.public_id)
