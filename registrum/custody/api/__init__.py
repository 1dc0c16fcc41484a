"""Custody endpoints under /api/v1/custody/: each part's module has its own router."""

from __future__ import annotations

from ninja import Router

from registrum.custody.api import copies
from registrum.custody.api import regrading as regrading_api
from registrum.custody.api import retention as retention_api

router = Router(tags=["custody"])
router.add_router("", copies.router)
router.add_router("", regrading_api.router)
router.add_router("", retention_api.router)
