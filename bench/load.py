"""Load beyond one reader: clerks registering through the API at the same time, and a reader
downloading while an import writes into the same site.

Both count failures instead of stopping at the first: an HTTP status outside 2xx, a transport
error or timeout, or (for downloads) content that is not the version's.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from bench.latency import percentile
from bench.procs import CommandFailed

# The demo's sample documents (registrum.demo.builder._sample_documents): registered with a PDF
# version and addressed to IS and IMS, so readers across the staff may see them.
SAMPLE_REFERENCES = ["PDD/WEB/2024-0328", "IMS/HR/VN/2026-017"]
PDF = "application/pdf"


@dataclass
class Outcome:
    """Latencies (ms) of the requests that succeeded, and how the others failed."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms) + sum(self.failures.values())

    @property
    def failure_count(self) -> int:
        return sum(self.failures.values())

    def quantile_ms(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction) if self.latencies_ms else float("nan")

    def merge(self, other: Outcome) -> None:
        self.latencies_ms += other.latencies_ms
        self.failures.update(other.failures)


def registration_body(client: int, n: int, registry: str) -> dict[str, object]:
    return {
        "registry": registry,
        "direction": "IN",
        "originator": "SHAPE",
        "subject": f"Benchmark registration {client}-{n}",
        "level": "NR",
        "action": ["ESO"],
    }


def register_concurrently(
    base: str, tokens: list[str], *, per_client: int, warmup: int, registry: str = "HQ-CR"
) -> Outcome:
    """Every token is one client in a thread of its own (its own session and connection): a few
    untimed registrations each, then all start together and each sends `per_client` timed
    registrations back to back, each with a fresh Idempotency-Key. `seconds` is the wall time
    from the start until the last reply."""
    run = uuid.uuid4().hex[:12]
    url = f"{base}/api/v1/registrations"
    ready = threading.Barrier(len(tokens) + 1)
    outcomes = [Outcome() for _ in tokens]
    problems: list[BaseException] = []

    def client(index: int, token: str) -> None:
        try:
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {token}"
                for n in range(warmup):
                    _post(session, url, f"{run}-w{index}-{n}", registration_body(index, -n - 1, registry), Outcome())
                ready.wait(timeout=300)
                for n in range(per_client):
                    _post(session, url, f"{run}-{index}-{n}", registration_body(index, n, registry), outcomes[index])
        except BaseException as exc:  # reported below, once every client has stopped
            problems.append(exc)
            ready.abort()

    threads = [threading.Thread(target=client, args=(i, t), daemon=True) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client failed while warming up
        ready.wait(timeout=300)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    total = Outcome(seconds=time.perf_counter() - started)
    if problems:
        raise CommandFailed(f"a registering client failed: {problems[0]!r}")
    for outcome in outcomes:
        total.merge(outcome)
    return total


def _post(session: requests.Session, url: str, key: str, body: dict[str, object], outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        reply = session.post(url, json=body, headers={"Idempotency-Key": key}, timeout=120)
    except requests.RequestException as exc:
        outcome.failures[type(exc).__name__] += 1
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    if 200 <= reply.status_code < 300:
        outcome.latencies_ms.append(elapsed_ms)
    else:
        outcome.failures[f"HTTP {reply.status_code}: {reply.text[:200]}"] += 1


@dataclass(frozen=True)
class Download:
    url: str
    size: int
    sha256: str


def find_download(base: str, session: requests.Session) -> Download | None:
    """A PDF version of a demo sample document the session's person may see, found through the API."""
    for reference in SAMPLE_REFERENCES:
        reply = session.get(f"{base}/api/v1/documents/lookup", params={"q": reference}, timeout=120)
        if reply.status_code != 200:
            continue
        for document in reply.json():
            detail = session.get(f"{base}/api/v1/documents/{document['id']}", timeout=120)
            if detail.status_code != 200:
                continue
            for version in detail.json()["versions"]:
                if version["media_type"] == PDF:
                    return Download(
                        f"{base}/api/v1/documents/{document['id']}/versions/{version['number']}/content",
                        int(version["size"]),
                        str(version["sha256"]),
                    )
    return None


def download_once(session: requests.Session, download: Download, outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        reply = session.get(download.url, timeout=120)
    except requests.RequestException as exc:
        outcome.failures[type(exc).__name__] += 1
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    if reply.status_code != 200:
        outcome.failures[f"HTTP {reply.status_code}: {reply.text[:200]}"] += 1
    elif len(reply.content) != download.size or hashlib.sha256(reply.content).hexdigest() != download.sha256:
        outcome.failures["content differs from the version"] += 1
    else:
        outcome.latencies_ms.append(elapsed_ms)


def download_repeatedly(session: requests.Session, download: Download, count: int) -> Outcome:
    outcome = Outcome()
    started = time.perf_counter()
    for _ in range(count):
        download_once(session, download, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome


def download_while(session: requests.Session, download: Download, running: Callable[[], bool]) -> Outcome:
    """Download back to back for as long as `running()` says so (the import)."""
    outcome = Outcome()
    started = time.perf_counter()
    while running():
        download_once(session, download, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome
