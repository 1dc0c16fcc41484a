"""Latency of one request path for one user: a short warm-up, then N sequential requests on one
kept-alive connection, timed from sending the request to having the whole body."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from bench.procs import CommandFailed


@dataclass(frozen=True)
class Series:
    name: str  # the figure's stem, e.g. list_page
    path: str
    api: bool


# The register as a clerk uses it all day: first page, next page, a search, a filter; and the API.
SERIES = [
    Series("list_page", "/register/", api=False),
    Series("list_page2", "/register/?page=2", api=False),
    Series("list_search_page", "/register/?q=assessment", api=False),
    Series("list_filter_page", "/register/?level=NR&direction=IN", api=False),
    Series("list_api", "/api/v1/registrations", api=True),
    Series("list_api_page2", "/api/v1/registrations?page=2", api=True),
    Series("list_search_api", "/api/v1/registrations?q=assessment", api=True),
    Series("list_filter_api", "/api/v1/registrations?level=NR&direction=IN", api=True),
]


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float
    max_ms: float
    count: int


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of them at or below it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def measure(
    session: requests.Session,
    url: str,
    *,
    requests_count: int,
    warmup: int,
    check: Callable[[requests.Response], None],
) -> Timing:
    samples: list[float] = []
    for i in range(warmup + requests_count):
        started = time.perf_counter()
        reply = session.get(url, allow_redirects=False, timeout=120)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if reply.status_code != 200:
            raise CommandFailed(f"GET {url}: HTTP {reply.status_code}\n{reply.text[:2000]}")
        if i == warmup:
            check(reply)
        if i >= warmup:
            samples.append(elapsed_ms)
    return Timing(
        p50_ms=percentile(samples, 0.50), p95_ms=percentile(samples, 0.95), max_ms=max(samples), count=len(samples)
    )


def check_page(reply: requests.Response) -> None:
    if 'id="results"' not in reply.text:
        raise CommandFailed(f"GET {reply.url}: not the register list\n{reply.text[:2000]}")


def check_api(reply: requests.Response) -> None:
    body = reply.json()
    if not isinstance(body, dict) or "items" not in body or "count" not in body:
        raise CommandFailed(f"GET {reply.url}: not a page of documents\n{reply.text[:2000]}")
