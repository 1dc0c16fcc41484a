"""Django's SQLite backend, with writers queued on an operating-system lock.

SQLite lets one writer at a time in; a writer that finds the database locked sleeps and retries
(1, 2, 5, 10 ... 100 ms), so under concurrent registrations most of the time goes to sleeping and
the slowest requests wait far longer than the work takes. Here every write transaction (Django
opens them with BEGIN IMMEDIATE) first takes an exclusive `flock` on a file beside the database,
held until commit or rollback: the kernel wakes the next writer the moment the lock is free, in
this process or another, and nobody ever gives up while a long import writes (they wait).
Readers are not involved (WAL lets them read while a writer writes).
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_fd: int | None = None
        self._writing = False

    def _writer_lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        return f"{name}-writers.lock"

    def _acquire_writer(self) -> None:
        if self._writing:
            return
        path = self._writer_lock_path()
        if path is None:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        self._writing = True

    def _release_writer(self) -> None:
        if self._writing and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writing = False

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writer()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
