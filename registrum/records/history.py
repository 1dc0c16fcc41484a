"""Audit events as a reader reads them: rendered from their structured data in the reader's
language, not from the English summary stored with them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from registrum.audit.events import EventType
from registrum.audit.reading import describe
from registrum.records.models import Direction, Document, Registration

__all__ = ["DOCUMENT_EVENTS", "RENDERERS", "describe", "register_document_events"]

# What happened to the document itself: every reader of the document sees these in its history.
# Everything else about it (who read, downloaded or was granted it, who was refused) is for the
# staff of a registry holding it and for auditors; a kind added later is theirs until it is
# listed here.
# Apps above records add their kinds with `register_document_events` when they are ready.
DOCUMENT_EVENTS: set[str] = {
    EventType.DOCUMENT_REGISTERED,
    EventType.RECEIPT_REGISTERED,
    EventType.REGISTRATION_CORRECTED,
    EventType.REGISTRATION_VOIDED,
    EventType.VERSION_ADDED,
}


def register_document_events(*kinds: EventType) -> None:
    """Make events of these kinds part of every reader's history of the document."""
    DOCUMENT_EVENTS.update(kinds)


def _direction(code: object) -> str:
    try:
        return str(Direction(str(code)).label)
    except ValueError:
        return str(code)


def _field_label(name: str) -> str:
    """A field as the reader's language names it (the model's verbose name)."""
    for model in (Document, Registration):
        try:
            field = model._meta.get_field(name)
        except LookupError:
            continue
        return str(getattr(field, "verbose_name", name))
    return name


def _fields(names: object) -> str:
    return ", ".join(sorted(_field_label(str(name)) for name in names))  # type: ignore[attr-defined]


def _exported(d: dict[str, Any]) -> str:
    filters = ", ".join(f"{name}={value}" for name, value in sorted(d.get("filters", {}).items())) or _("none")
    return _("%(count)s registrations exported as %(format)s (filters: %(filters)s)") % {
        "count": d["count"],
        "format": d.get("format", "csv"),
        "filters": filters,
    }


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "records.document_registered": lambda d: (
        _("Registered in %(registry)s as %(number)s (%(direction)s)")
        % {"registry": d["registry"], "number": d["number"], "direction": _direction(d["direction"])}
    ),
    "records.receipt_registered": lambda d: (
        _("Receipt registered in %(registry)s as %(number)s") % {"registry": d["registry"], "number": d["number"]}
    ),
    "records.registration_corrected": lambda d: (
        _("%(number)s corrected: %(fields)s") % {"number": d["number"], "fields": _fields(d["after"])}
    ),
    "records.registration_voided": lambda d: (
        _("%(number)s voided: %(reason)s") % {"number": d["number"], "reason": d["reason"]}
    ),
    "records.version_added": lambda d: (
        _("Version %(version)s added (%(filename)s)") % {"version": d["version"], "filename": d["filename"]}
    ),
    "records.version_downloaded": lambda d: _("Version %(version)s downloaded") % {"version": d["version"]},
    "records.register_exported": _exported,
    "records.access_granted": lambda d: _("Need-to-know granted to %(grantee)s") % {"grantee": d["grantee"]},
    "records.access_revoked": lambda d: _("Need-to-know of %(grantee)s revoked") % {"grantee": d["grantee"]},
}
