"""`registrum custody --as USERNAME COMMAND ...`: each part of custody adds its commands in a
module of its own (`Commands`: subcommand name -> handler), listed in PARTS."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, Protocol

from registrum.org.models import Person

Handler = Callable[[Person, dict[str, Any], Callable[[str], None]], None]


class Part(Protocol):
    def add_commands(self, commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]: ...


def parts() -> list[Part]:
    from registrum.custody.cli import (
        chargeouts,
        copies,
        destruction,
        inventories,
        losses,
        regrading,
        reproduction,
        retention,
    )
    from registrum.custody.cli import transfers as transfer_commands

    return [
        copies,
        transfer_commands,
        chargeouts,
        inventories,
        losses,
        reproduction,
        destruction,
        regrading,
        retention,
    ]
