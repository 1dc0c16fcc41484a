"""Custody events as the reader reads them, rendered from their data in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from registrum.audit.events import EventType


def _copy(d: dict[str, Any]) -> str:
    return _("copy No. %(number)s of %(total)s") % {"number": d.get("number", "?"), "total": d.get("of", "?")}


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "custody.copies_numbered": lambda d: _("%(copy)s numbered") % {"copy": _copy(d)},
    "custody.copy_stored": lambda d: (
        _("%(copy)s stored in %(container)s") % {"copy": _copy(d), "container": d.get("container") or _("no container")}
    ),
}


# Regrading and retention ------------------------------------------------------------------------
# What every reader of a document sees in its history (their marking is the document's).
DOCUMENT_EVENTS: tuple[EventType, ...] = (EventType.DOCUMENT_REGRADED, EventType.REGRADE_RECORDED)


def _regraded(d: dict[str, Any]) -> str:
    return _("%(kind)s from %(from)s to %(to)s (authority: %(authority)s)") % {
        "kind": _regrade_kind(d.get("kind", "")),
        "from": d.get("from", "?"),
        "to": d.get("to", "?"),
        "authority": d.get("authority", ""),
    }


def _regrade_recorded(d: dict[str, Any]) -> str:
    values = {"kind": _regrade_kind(d.get("kind", "")), "to": d.get("to", "?"), "on": d.get("effective_on", "?")}
    if d.get("cancelled"):
        return _("Scheduled %(kind)s to %(to)s on %(on)s withdrawn") % values
    return _("%(kind)s to %(to)s scheduled for %(on)s") % values


def _regrade_kind(code: str) -> str:
    from registrum.custody.models.regrading import RegradeKind

    try:
        return str(RegradeKind(code).label).capitalize()
    except ValueError:
        return code


def _disposition(d: dict[str, Any]) -> str:
    text = _("Disposition decided: %(action)s") % {"action": d.get("label") or d.get("action", "?")}
    if d.get("review_on"):
        text += " " + _("(review again on %(date)s)") % {"date": d["review_on"]}
    return text


RENDERERS.update(
    {
        "custody.document_regraded": _regraded,
        "custody.regrade_recorded": _regrade_recorded,
        "custody.hold_placed": lambda d: _("Disposition hold placed: %(reason)s") % {"reason": d.get("reason", "")},
        "custody.hold_lifted": lambda d: _("Disposition hold lifted: %(reason)s") % {"reason": d.get("reason", "")},
        "custody.disposition_decided": _disposition,
    }
)
