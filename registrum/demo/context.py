"""The login page says how the demo's people sign in, when the demo is loaded (and only then)."""

from __future__ import annotations

from django.http import HttpRequest

from registrum.demo import builder


def demo_signin(request: HttpRequest) -> dict[str, object]:
    match = request.resolver_match
    if match is None or match.view_name != "accounts:login" or not builder.is_loaded():
        return {}
    return {"demo_signin": {"password": builder.DEMO_PASSWORD}}
