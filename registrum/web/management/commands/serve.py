from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Registrum with gunicorn (static files included, nothing from the internet)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        # Processes, not threads: the work is Python on the CPU, and threads of one process queue
        # for its interpreter lock (measured: 2 processes of 4 threads registered 201/s, 4
        # single-threaded processes 249/s, on 2 cores). Two per core keeps a process free while
        # another waits (on the database's write lock, on a slow client).
        parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
        parser.add_argument("--threads", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(f"Registrum on http://{bind}/  (Ctrl+C stops it)")
        sys.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "registrum.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
        env = dict(os.environ)
        # Each sign-in's argon2 buffer (19 MiB, registrum.accounts.passwords) is above glibc's
        # initial mmap threshold, but freeing it raises that threshold, after which the next such
        # buffers come from the heap and stay resident: about 19 MiB per worker for good
        # (measured: `python -m bench.login`). A fixed threshold keeps them mmapped and returned.
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(1024 * 1024))
        os.execve(sys.executable, argv, env)  # noqa: S606 - gunicorn in place of this process, fixed argv
