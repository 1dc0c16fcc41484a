"""Marked PDFs from templates (WeasyPrint, CSS paged media).

`render_pdf(template, context, marking=...)` renders a Django template that extends
`reports/base.html` into PDF bytes. The base puts the marking at the top and the bottom of
every page and "Page x of y" in the footer through `@page` margin boxes: no report can
leave a page without them, because the report's own template never draws them. Nothing is
fetched from outside: fonts are the system's, pictures are inline (`qr_svg`).

A template that cannot be rendered raises `ReportError` naming it; nothing half-made comes out.
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import segno
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

__all__ = ["ReportError", "css_string", "qr_data_uri", "render_pdf"]

# WeasyPrint and fontTools log every font subsetting step at INFO.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)


class ReportError(Exception):
    """A report could not be rendered: the message names the template and the cause."""

    def __init__(self, template: str, cause: str) -> None:
        super().__init__(f"report {template} could not be rendered: {cause}")
        self.template = template


def qr_data_uri(payload: str, *, scale: int = 4) -> str:
    """A QR code as an inline SVG data URI, for <img src> (no file, no network)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="svg", scale=scale, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _inline_only() -> Any:
    """Only inline (data:) resources: a report never reaches for a file or the network (any
    other URL is refused by the fetcher and left out, with WeasyPrint's warning)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def css_string(text: str) -> str:
    """Text for a CSS string in the style element: quotes, backslashes and angle brackets as CSS
    escapes (HTML escaping means nothing inside <style>), line breaks as spaces."""
    escaped = " ".join(text.split())
    for char in ("\\", '"', "<", ">", "&"):
        escaped = escaped.replace(char, f"\\{ord(char):x} ")
    return escaped


def render_pdf(template: str, context: dict[str, Any], *, marking: str, title: str = "") -> bytes:
    """The template rendered to PDF, with `marking` at the top and bottom of every page."""
    if not marking.strip():
        raise ReportError(template, "no marking given: every page carries one")
    try:
        html = render_to_string(
            template,
            {**context, "marking": marking, "marking_css": mark_safe(css_string(marking)), "report_title": title},  # noqa: S308 - CSS-escaped just above
        )
    except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
        raise ReportError(template, f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # a template tag or a value failing mid-render
        raise ReportError(template, f"{type(exc).__name__}: {exc}") from exc
    from weasyprint import HTML

    try:
        return bytes(HTML(string=html, url_fetcher=_inline_only()).write_pdf())
    except Exception as exc:
        raise ReportError(template, f"{type(exc).__name__}: {exc}") from exc
