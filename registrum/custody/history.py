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
