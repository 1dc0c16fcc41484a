"""Running `registrum` as a site would: a separate process per command, against one data folder
and database, with its wall time and its own peak memory (wait4's rusage for that child only)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class CommandFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Target:
    """Where a command runs: a data folder, and a PostgreSQL URL or None for SQLite in the folder."""

    name: str
    home: Path
    database_url: str | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRUM_")}
        env["REGISTRUM_HOME"] = str(self.home)
        env["REGISTRUM_LOG_LEVEL"] = "WARNING"
        env["PYTHONUNBUFFERED"] = "1"
        if self.database_url:
            env["REGISTRUM_DATABASE_URL"] = self.database_url
        return env


@dataclass(frozen=True)
class Finished:
    seconds: float
    peak_rss_kb: int  # the kernel's own peak (ru_maxrss): anonymous and file-backed pages together
    # Peaks seen by sampling /proc/PID/status while it ran: heap and caches, and mapped files
    # (SQLite's mmap of the database counts in RSS as file pages).
    peak_rss_anon_kb: int
    peak_rss_file_kb: int
    stdout: str
    stderr: str


def registrum_argv(*args: str, module: str = "registrum.cli") -> list[str]:
    return [sys.executable, "-m", module, *args]


def run(
    target: Target,
    *args: str,
    logs: Path,
    timeout: float = 3600.0,
    stdin: str | None = None,
    module: str = "registrum.cli",
) -> Finished:
    """Run `registrum ARGS` to completion, with `stdin` written to its standard input (inherited when None);
    raise CommandFailed with its output if it fails. `module` runs another entry with the same
    arguments (bench.plain: registrum without its security, for comparison)."""
    logs.mkdir(parents=True, exist_ok=True)
    stem = f"{target.name}-{args[0]}-{time.monotonic_ns()}"
    out_path, err_path = logs / f"{stem}.out", logs / f"{stem}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            registrum_argv(*args, module=module),
            cwd=REPO,
            env=target.env(),
            stdin=None if stdin is None else subprocess.PIPE,
            stdout=out,
            stderr=err,
        )
        if proc.stdin is not None:
            # A line or two (a password): fits the pipe's buffer, so writing cannot block.
            proc.stdin.write((stdin or "").encode())
            proc.stdin.close()
        status, usage, sampled = _wait(proc, timeout)
        seconds = time.perf_counter() - started
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    if status != 0:
        raise CommandFailed(
            f"registrum {' '.join(args)} ({target.name}) exited with {status}:\n{stdout[-3000:]}\n{stderr[-3000:]}"
        )
    return Finished(
        seconds=seconds,
        peak_rss_kb=usage.ru_maxrss,
        peak_rss_anon_kb=sampled.get("RssAnon", 0),
        peak_rss_file_kb=sampled.get("RssFile", 0),
        stdout=stdout,
        stderr=stderr,
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, resource.struct_rusage, dict[str, int]]:
    """wait4 on this one child: its exit status, its own resource usage (ru_maxrss in KiB) and
    the peaks of its RssAnon and RssFile (KiB) sampled every 10 ms."""
    deadline = time.monotonic() + timeout
    peaks: dict[str, int] = {}
    status_file = Path(f"/proc/{proc.pid}/status")
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage, peaks
        try:
            for line in status_file.read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("RssAnon", "RssFile"):
                    peaks[key] = max(peaks.get(key, 0), int(value.split()[0]))
        except (OSError, ValueError, IndexError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            raise CommandFailed(f"{proc.args!r} took longer than {timeout:.0f} s and was killed")
        time.sleep(0.01)
