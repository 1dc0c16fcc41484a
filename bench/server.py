"""`registrum serve` (gunicorn) on a loopback port: start, wait until it answers, log people in,
read its memory from /proc, and stop it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from bench.procs import REPO, CommandFailed, Target, registrum_argv

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, target: Target, logs: Path, workers: int) -> None:
        self.target = target
        self.logs = logs
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_kb: dict[int, int] = {}

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{self.target.name}-serve.log").open("wb")
        argv = registrum_argv("serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers))
        # Its own session, so the master and its workers can be stopped together and nothing else.
        self.proc = subprocess.Popen(
            argv, cwd=REPO, env=self.target.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def wait_ready(self, timeout: float = 90.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CommandFailed(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                answered = requests.get(f"{self.base}/accounts/login/", timeout=5).status_code == 200
                # Every worker up, not just the first to accept.
                if answered and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.2)
        raise CommandFailed(f"the server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        path = self.logs / f"{self.target.name}-serve.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        return children(self.proc.pid)

    def sample_memory(self) -> None:
        """Note each process's high-water mark (VmHWM) so far; call now and then, and at the end."""
        assert self.proc is not None
        for pid in [self.proc.pid, *self.worker_pids()]:
            kb = vm_hwm_kb(pid)
            if kb:
                self.peak_kb[pid] = max(kb, self.peak_kb.get(pid, 0))

    def peak_rss_mb(self) -> float:
        """Master and workers together: the sum of their peak resident sizes."""
        return sum(self.peak_kb.values()) / 1024

    def rss_now_mb(self) -> dict[str, float]:
        """Resident memory now, summed over the processes, split into anonymous (heaps, SQLite's
        page cache) and file-backed pages (code, and SQLite's mmap of the database, which the
        workers share: the VmHWM sum counts such shared pages once per process)."""
        assert self.proc is not None
        totals = {"RssAnon": 0, "RssFile": 0, "RssShmem": 0}
        for pid in [self.proc.pid, *self.worker_pids()]:
            with contextlib.suppress(OSError, ValueError, IndexError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in totals:
                        totals[key] += int(value.split()[0])
        return {key: round(kb / 1024, 1) for key, kb in totals.items()}

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGTERM)  # gunicorn: graceful stop of master and workers
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)


@contextlib.contextmanager
def serving(target: Target, logs: Path, workers: int) -> Iterator[Server]:
    server = Server(target, logs, workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc/PID/task/*/children, or by scanning /proc/*/stat."""
    found: set[int] = set()
    task_dir = Path(f"/proc/{pid}/task")
    with contextlib.suppress(OSError):
        for task in task_dir.iterdir():
            with contextlib.suppress(OSError):
                found.update(int(p) for p in (task / "children").read_text().split())
    if found:
        return sorted(found)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return sorted(found)


def vm_hwm_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def login(base: str, username: str, password: str, otp_key: str | None = None) -> requests.Session:
    """A browser-like session logged in through the login form (CSRF token and all), then, for a
    person who needs it, the second factor from the authenticator secret `otp_key` (hex)."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    page.raise_for_status()
    match = CSRF_INPUT.search(page.text)
    if match is None:
        raise CommandFailed("no CSRF token on the login page")
    reply = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1), "next": ""},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if reply.status_code != 302 or "sessionid" not in session.cookies:
        raise CommandFailed(f"logging in as {username} failed: HTTP {reply.status_code}")
    home = session.get(f"{base}/", allow_redirects=False, timeout=30)
    if home.status_code == 302 and "/accounts/second-factor/verify/" in home.headers.get("Location", ""):
        if otp_key is None:
            raise CommandFailed(f"{username} needs a second factor and the bench has no secret for them")
        _second_factor(base, session, username, otp_key)
    return session


def _second_factor(base: str, session: requests.Session, username: str, otp_key: str) -> None:
    from binascii import unhexlify

    from django_otp.oath import TOTP

    url = f"{base}/accounts/second-factor/verify/"
    # A code is accepted once, so a second sign-in within the same 30 s uses the next step's
    # (one step of clock drift is allowed).
    for ahead in (0, 1):
        page = session.get(url, timeout=30)
        match = CSRF_INPUT.search(page.text)
        if match is None:
            raise CommandFailed("no CSRF token on the second-factor page")
        totp = TOTP(unhexlify(otp_key))
        totp.time = time.time() + 30 * ahead
        reply = session.post(
            url,
            data={"code": f"{totp.token():06d}", "csrfmiddlewaretoken": match.group(1), "next": "/"},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
        if reply.status_code == 302:
            return
    raise CommandFailed(f"the second factor of {username} was refused")


def api_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session
