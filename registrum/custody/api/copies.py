"""Endpoints: numbered copies, containers, holdings and copy history."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["custody"])
