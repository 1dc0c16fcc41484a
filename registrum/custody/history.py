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
}
