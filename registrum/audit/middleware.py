"""Every request's audit events name where they came from: `web ADDRESS` or `api ADDRESS`, the
address being the client's as the server saw it (REMOTE_ADDR; behind a proxy, the proxy's)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from registrum.audit.context import acting


class AuditOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        face = "api" if request.path.startswith("/api/") else "web"
        address = request.META.get("REMOTE_ADDR") or "unknown"
        with acting(origin=f"{face} {address}"):
            return self.get_response(request)
