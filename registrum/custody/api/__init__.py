"""Custody endpoints under /api/v1/custody/: each part's module has its own router."""

from __future__ import annotations

from ninja import Router

from registrum.custody.api import copies
from registrum.custody.api import transfers as transfer_endpoints

router = Router(tags=["custody"])
router.add_router("", copies.router)
router.add_router("", transfer_endpoints.router)
