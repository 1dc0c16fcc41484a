"""Custody endpoints under /api/v1/custody/: each part's module has its own router."""

from __future__ import annotations

from ninja import Router

from registrum.custody.api import (
    chargeouts,
    copies,
    destruction,
    inventories,
    losses,
    regrading,
    reproduction,
    retention,
)
from registrum.custody.api import transfers as transfer_endpoints

router = Router(tags=["custody"])
for part in (
    copies,
    transfer_endpoints,
    chargeouts,
    inventories,
    losses,
    reproduction,
    destruction,
    regrading,
    retention,
):
    router.add_router("", part.router)
