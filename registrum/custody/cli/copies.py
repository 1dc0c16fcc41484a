"""Commands: containers, numbering copies, holdings and copy history."""

from __future__ import annotations

import argparse
from typing import Any

from registrum.custody.cli import Handler


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    return {}
