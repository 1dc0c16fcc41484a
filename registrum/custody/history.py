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
    # Transfers and receipts: per copy (the copy's number in the data), or the whole transfer.
    "custody.transfer_dispatched": lambda d: _("%(copy)s dispatched") % {"copy": _copy(d)},
    "custody.transfer_received": lambda d: (
        _("%(copy)s received") % {"copy": _copy(d)}
        if "copy" in d
        else _("transfer %(number)s received in full") % {"number": d["number"]}
    ),
    "custody.transfer_cancelled": lambda d: (
        _("%(copy)s held again where it was: dispatch cancelled") % {"copy": _copy(d)}
        if "copy" in d
        else _("transfer %(number)s cancelled") % {"number": d["number"]}
    ),
    # The "copies" part: cover sheets, labels, containers.
    "custody.cover_printed": lambda d: (
        _("cover sheet of %(copy)s printed") % {"copy": _copy(d)}
        if d.get("what") == "cover"
        else _("labels of %(count)s copies printed") % {"count": len(d.get("copies", []))}
    ),
    "custody.container_created": lambda d: (
        _("container %(code)s taken into service in %(registry)s, accredited %(level)s")
        % {"code": d.get("code", "?"), "registry": d.get("registry", "?"), "level": d.get("accreditation", "?")}
    ),
    "custody.combination_changed": lambda d: (
        _("combination of %(code)s changed on %(day)s (%(reason)s)")
        % {"code": d.get("code", "?"), "day": d.get("changed_on", "?"), "reason": d.get("reason", "?")}
    ),
    # Reproduction and destruction ---------------------------------------------------------
    "custody.reproduction_requested": lambda d: (
        _("%(count)s %(kind)s(s) of %(copy)s requested")
        % {"count": d.get("count", "?"), "kind": d.get("kind", "?"), "copy": _copy(d)}
    ),
    "custody.reproduction_rejected": lambda d: _("reproduction request for %(copy)s rejected") % {"copy": _copy(d)},
    "custody.copy_reproduced": lambda d: (
        _("%(copy)s made (%(kind)s)") % {"copy": _copy(d), "kind": d.get("kind", "?")}
        if "made" not in d
        else _("copies made from %(copy)s (%(kind)s)") % {"copy": _copy(d), "kind": d.get("kind", "?")}
    ),
    "custody.copy_destroyed": lambda d: _("%(copy)s destroyed") % {"copy": _copy(d)},
    "custody.version_destroyed": lambda d: (
        _("electronic version %(version)s destroyed: its data key erased") % {"version": d.get("version", "?")}
    ),
}

# Charge-outs, inventories, loss and compromise -----------------------------------------------------
RENDERERS.update(
    {
        "custody.charged_out": lambda d: (
            _("%(copy)s charged out to %(reader)s until %(due)s")
            % {"copy": _copy(d), "reader": d.get("reader", "?"), "due": d.get("due", "?")}
        ),
        "custody.checked_in": lambda d: (
            _("%(copy)s checked in from %(reader)s") % {"copy": _copy(d), "reader": d.get("reader", "?")}
        ),
        "custody.inventory_started": lambda d: (
            _("inventory %(inventory)s started: %(expected)s copies expected")
            % {"inventory": d.get("inventory", "?"), "expected": d.get("expected", "?")}
        ),
        "custody.inventory_checked": lambda d: (
            _("%(copy)s checked at inventory %(inventory)s") % {"copy": _copy(d), "inventory": d.get("inventory", "?")}
        ),
        "custody.inventory_closed": lambda d: (
            _("inventory %(inventory)s closed: %(found)s of %(expected)s found, %(missing)s missing")
            % {
                "inventory": d.get("inventory", "?"),
                "found": d.get("found", "?"),
                "expected": d.get("expected", "?"),
                "missing": d.get("missing", "?"),
            }
        ),
        "custody.loss_reported": lambda d: (
            _("%(copy)s reported lost or compromised (%(reference)s)")
            % {"copy": _copy(d), "reference": d.get("reference", "")}
            if "number" in d
            else _("loss or compromise report %(report)s") % {"report": d.get("report", "?")}
        ),
        "custody.loss_updated": lambda d: (
            _("loss report %(report)s: %(state)s") % {"report": d.get("report", "?"), "state": d.get("to", "?")}
        ),
        "custody.copy_found": lambda d: _("%(copy)s found again") % {"copy": _copy(d)},
    }
)

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
