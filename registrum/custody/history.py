"""Custody events as the reader reads them, rendered from their data in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _


def _copy(d: dict[str, Any]) -> str:
    return _("copy No. %(number)s of %(total)s") % {"number": d.get("number", "?"), "total": d.get("of", "?")}


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "custody.copies_numbered": lambda d: _("%(copy)s numbered") % {"copy": _copy(d)},
    "custody.copy_stored": lambda d: (
        _("%(copy)s stored in %(container)s") % {"copy": _copy(d), "container": d.get("container") or _("no container")}
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
