"""Spreadsheet formula injection: OWASP's rule for CSV cells, and its exact inverse.

A cell beginning with =, +, -, @, a tab or a carriage return is run as a formula by spreadsheet
programs. Exports prefix such a cell with a single quote; imports remove that quote again, so an
export imports back unchanged. A value that itself begins with quotes before such a character
gets one more quote, so the round trip is exact for every value.
"""

from __future__ import annotations

import re

__all__ = ["neutralise", "restore"]

_ESCAPED = re.compile(r"^'*[=+\-@\t\r]")
_UNESCAPE = re.compile(r"^'+[=+\-@\t\r]")


def neutralise(value: str) -> str:
    return f"'{value}" if _ESCAPED.match(value) else value


def restore(value: str) -> str:
    return value[1:] if _UNESCAPE.match(value) else value
