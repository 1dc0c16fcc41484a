"""Custody endpoints under /api/v1/custody/: each part's module has its own router."""

from __future__ import annotations

from ninja import Router

from registrum.custody.api import chargeouts, copies, inventories, losses

router = Router(tags=["custody"])
router.add_router("", copies.router)
router.add_router("", chargeouts.router)
router.add_router("", inventories.router)
router.add_router("", losses.router)
