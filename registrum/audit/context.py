"""Who an event is recorded for and where it came from, without every service passing it along.

The web/API middleware (`registrum.audit.middleware`) wraps each request in
`acting(origin="web 203.0.113.5")`; the command line sets the process's default origin to
`cli operator@host` (`registrum.cli`); an operator command acting for someone else wraps the work
in `acting(on_behalf_of=person)`. `registrum.audit.record` reads them when it writes an event.
Context variables keep concurrent requests (threads, tasks) apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

ORIGIN_MAX = 200  # AuditEvent.origin's length


@dataclass(frozen=True)
class Acting:
    origin: str | None = None
    on_behalf_of_id: int | None = None


_NOBODY = Acting()
_current: ContextVar[Acting] = ContextVar("registrum_audit_acting", default=_NOBODY)
# Threads start with an empty context, so the process-wide default lives outside it.
_default_origin = "system"


def set_default_origin(origin: str) -> None:
    """The origin of events recorded outside any `acting` block in this process (the CLI's)."""
    global _default_origin
    _default_origin = origin[:ORIGIN_MAX]


@contextmanager
def acting(*, origin: str | None = None, on_behalf_of: Any = None) -> Iterator[None]:
    """Events recorded inside come from `origin` and/or act for `on_behalf_of` (a person);
    whatever is not given is inherited from the enclosing block."""
    outer = _current.get()
    behalf_id = getattr(on_behalf_of, "pk", on_behalf_of) if on_behalf_of is not None else outer.on_behalf_of_id
    token = _current.set(Acting(origin[:ORIGIN_MAX] if origin else outer.origin, behalf_id))
    try:
        yield
    finally:
        _current.reset(token)


def current_origin() -> str:
    return _current.get().origin or _default_origin


def current_on_behalf_of_id() -> int | None:
    return _current.get().on_behalf_of_id


def cli_origin() -> str:
    """`cli user@host`: the operating-system account that ran the command, and where."""
    import getpass
    import os
    import socket

    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = f"uid{os.getuid()}"
    return f"cli {user}@{socket.gethostname()}"
