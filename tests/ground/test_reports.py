"""Marked PDFs: every page carries the marking at its top and bottom and "Page x of y", whatever
the report's own template does; a template that fails names itself and yields no PDF."""

from __future__ import annotations

import copy

import pytest

from registrum.reports import ReportError, css_string, qr_data_uri, render_pdf
from tests.pdfs import assert_marked_on_every_page, page_texts

LONG = """{% extends "reports/base.html" %}{% block body %}<h1>{{ heading }}</h1>
{% for n in rows %}<p>Line {{ n }} of the long report</p>{% endfor %}{% endblock %}"""


@pytest.fixture
def templates(settings, tmp_path):
    """Report templates of the test's own, in a folder the template engine searches first."""
    folder = tmp_path / "templates"
    (folder / "t").mkdir(parents=True)
    engines = copy.deepcopy(settings.TEMPLATES)
    engines[0]["DIRS"] = [str(folder), *engines[0].get("DIRS", [])]
    settings.TEMPLATES = engines

    def write(name: str, text: str) -> str:
        (folder / "t" / name).write_text(text, encoding="utf-8")
        return f"t/{name}"

    return write


def test_every_page_carries_the_marking_at_top_and_bottom_and_its_number(templates):
    name = templates("long.html", LONG)
    pdf = render_pdf(name, {"heading": "Register extract", "rows": range(200)}, marking="NATO SECRET")
    assert assert_marked_on_every_page(pdf, "NATO SECRET") > 2
    assert all(text.count("NATO SECRET") == 2 for text in page_texts(pdf))


def test_a_marking_with_quotes_and_angle_brackets_is_printed_as_written(templates):
    name = templates("long.html", LONG)
    marking = 'NATO SECRET "REL" <AUS> & \\ NZL'
    pages = page_texts(render_pdf(name, {"heading": "x", "rows": range(3)}, marking=marking))
    assert pages[0].count(marking) == 2


def test_a_missing_or_broken_template_names_itself(templates):
    with pytest.raises(ReportError, match=r"custody/no-such-report\.html"):
        render_pdf("custody/no-such-report.html", {}, marking="NATO SECRET")
    broken = templates("broken.html", '{% extends "reports/base.html" %}{% block body %}{% if %}{% endblock %}')
    with pytest.raises(ReportError, match=r"t/broken\.html"):
        render_pdf(broken, {}, marking="NATO SECRET")


def test_no_page_without_a_marking(templates):
    name = templates("long.html", LONG)
    with pytest.raises(ReportError, match="no marking"):
        render_pdf(name, {"rows": range(3)}, marking="  ")


def test_reports_load_nothing_from_outside(templates):
    """An address in a template is not fetched (air-gapped): the report renders without it."""
    name = templates(
        "remote.html",
        '{% extends "reports/base.html" %}{% block body %}<img src="http://192.0.2.1/logo.png">'
        '<img src="file:///etc/hostname"><p>body</p>{% endblock %}',
    )
    pages = page_texts(render_pdf(name, {}, marking="NATO RESTRICTED"))
    assert "body" in pages[0]


def test_qr_codes_are_inline_pictures():
    uri = qr_data_uri("RGC-ABCDEFGHIJKLMNOP")
    assert uri.startswith("data:image/svg+xml;base64,")


def test_css_strings_escape_what_would_end_them():
    assert css_string('a"b') == "a\\22 b"
    assert "</style>" not in css_string("</style>")
