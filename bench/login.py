"""What signing in costs a served site: `python -m bench.login [--logins 60] [--flood 50]`.

On a throw-away SQLite site (`registrum init`, `registrum demo --registrations 0`) served by
`registrum serve` with its default workers, over real HTTP on loopback:

- `login_p95_ms`: one person at a time signs in through the form (GET the page, POST the
  password; the POST is timed: the lockout check, argon2id verification, the session and the
  audit event), p50 and p95 of N sign-ins after a warm-up;
- `login_flood_rss_growth_mb`: the resident memory of all the server's processes (master and
  workers, VmRSS summed) after 50 wrong-password attempts sent at once, minus the same before
  them, with every worker warmed up by page loads (no hashing) first. The attempts are the worst
  case for memory: each from its own loopback address (127.0.1.N) and for its own username, so
  that neither the per-address nor the per-account lockout stops them and every one is hashed.
  The peak during the flood (the sum of the workers' VmHWM growth) is reported beside it.

`run.py` calls `measure_site` on a site of its own; run alone, this module sets one up.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench import procs, server
from bench.latency import percentile
from bench.procs import CommandFailed, Target

LOGIN = "/accounts/login/"
USER = "sbrown"  # the demo's NR reader
FLOOD_ATTEMPTS = 50
LOGIN_P95_TARGET_MS = 300.0
FLOOD_RSS_GROWTH_TARGET_MB = 100.0
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Figures:
    login_p50_ms: float
    login_p95_ms: float
    flood_rss_growth_mb: float
    flood_peak_growth_mb: float
    flood_answers: dict[int, int]

    def as_figures(self) -> dict[str, float]:
        return {"login_p95_ms": self.login_p95_ms, "login_flood_rss_growth_mb": self.flood_rss_growth_mb}


class Browser:
    """One loopback connection from a chosen source address, keeping cookies: a browser, plainly."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        reply = self.conn.getresponse()
        text = reply.read().decode(errors="replace")
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return reply.status, text

    def login_form(self) -> dict[str, str]:
        status, page = self.request("GET", LOGIN)
        match = CSRF_INPUT.search(page)
        if status != 200 or match is None:
            raise CommandFailed(f"the login page answered {status} without a CSRF token")
        return {"csrfmiddlewaretoken": match.group(1), "next": ""}

    def close(self) -> None:
        self.conn.close()


def rss_kb(site: server.Server) -> int:
    """VmRSS of the master and every worker, summed."""
    assert site.proc is not None
    total = 0
    for pid in [site.proc.pid, *site.worker_pids()]:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


def hwm_kb(site: server.Server) -> int:
    assert site.proc is not None
    return sum(server.vm_hwm_kb(pid) for pid in [site.proc.pid, *site.worker_pids()])


def warm(site: server.Server, rounds: int) -> None:
    """Page loads on fresh connections, so every worker has served (and imported what it needs),
    without hashing any password."""
    for _ in range(rounds):
        browser = Browser(site.port)
        browser.login_form()
        browser.close()


def time_logins(port: int, username: str, password: str, *, count: int, warmup: int) -> list[float]:
    samples: list[float] = []
    for i in range(warmup + count):
        browser = Browser(port)
        form = browser.login_form()
        started = time.perf_counter()
        status, _ = browser.request("POST", LOGIN, {**form, "username": username, "password": password})
        elapsed = (time.perf_counter() - started) * 1000
        browser.close()
        if status != 302:
            raise CommandFailed(f"signing in as {username} answered {status}, not 302")
        if i >= warmup:
            samples.append(elapsed)
    return samples


def flood(port: int, attempts: int) -> dict[int, int]:
    """`attempts` wrong-password POSTs released at once, each from its own address and username.
    Returns how many got each status."""
    answers: dict[int, int] = {}
    lock = threading.Lock()
    ready = threading.Barrier(attempts)

    def attempt(n: int) -> None:
        browser = Browser(port, source=f"127.0.1.{n + 1}")
        try:
            form = browser.login_form()
            ready.wait(timeout=120)
            status, _ = browser.request(
                "POST", LOGIN, {**form, "username": f"flood-{n}", "password": f"Wrong-Password-{n}!"}
            )
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError):
            status = 0
        finally:
            browser.close()
        with lock:
            answers[status] = answers.get(status, 0) + 1

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def settle(site: server.Server, seconds: float = 2.0) -> int:
    """RSS once the workers are quiet again: the lowest of a few readings over `seconds`."""
    readings = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readings.append(rss_kb(site))
        time.sleep(0.2)
    return min(readings)


def measure_site(
    site: server.Server,
    *,
    username: str,
    password: str,
    logins: int = 60,
    warmup: int = 5,
    attempts: int = FLOOD_ATTEMPTS,
) -> Figures:
    """The flood first (on workers that have hashed nothing yet), then the sign-in series."""
    warm(site, rounds=8 * site.workers)
    idle = settle(site)
    idle_hwm = hwm_kb(site)
    answers = flood(site.port, attempts)
    if answers.get(200, 0) + answers.get(429, 0) != attempts:
        raise CommandFailed(f"the flood's attempts were not all answered as failures: {answers}")
    after = settle(site)
    peak = hwm_kb(site)
    samples = time_logins(site.port, username, password, count=logins, warmup=warmup)
    return Figures(
        login_p50_ms=percentile(samples, 0.50),
        login_p95_ms=percentile(samples, 0.95),
        # Less than before counts as no growth (the lowest readings of each moment are compared).
        flood_rss_growth_mb=max(0.0, (after - idle) / 1024),
        flood_peak_growth_mb=(peak - idle_hwm) / 1024,
        flood_answers=answers,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.login", description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=60, help="timed sign-ins (default 60)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--flood", type=int, default=FLOOD_ATTEMPTS, help="wrong-password attempts at once (default 50)"
    )
    parser.add_argument("--user", default=USER, help="the demo person who signs in (default sbrown)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: serve's own)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="registrum-login-bench-"))
    # This process reads the demo's password from the code; it never opens a database.
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    os.environ["REGISTRUM_HOME"] = str(work / "django")
    os.environ.pop("REGISTRUM_DATABASE_URL", None)
    import django

    django.setup()
    from registrum.demo.builder import DEMO_PASSWORD

    try:
        target = Target("login", work / "site")
        logs = work / "logs"
        procs.run(target, "init", logs=logs)
        procs.run(target, "demo", "--registrations", "0", logs=logs)
        workers = args.workers or max(2, 2 * (os.cpu_count() or 1))  # serve's own default
        with server.serving(target, logs, workers) as site:
            site.wait_ready()
            figures = measure_site(
                site,
                username=args.user,
                password=DEMO_PASSWORD,
                logins=args.logins,
                warmup=args.warmup,
                attempts=args.flood,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"login_p50_ms               {figures.login_p50_ms:8.1f}")
    print(f"login_p95_ms               {figures.login_p95_ms:8.1f}   target <= {LOGIN_P95_TARGET_MS:g}")
    print(f"login_flood_rss_growth_mb  {figures.flood_rss_growth_mb:8.1f}   target <= {FLOOD_RSS_GROWTH_TARGET_MB:g}")
    print(f"login_flood_peak_growth_mb {figures.flood_peak_growth_mb:8.1f}   (sum of the workers' VmHWM growth)")
    print(f"flood answers by status    {dict(sorted(figures.flood_answers.items()))}  ({workers} workers)")
    met = figures.login_p95_ms <= LOGIN_P95_TARGET_MS and figures.flood_rss_growth_mb <= FLOOD_RSS_GROWTH_TARGET_MB
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
