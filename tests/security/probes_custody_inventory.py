"""Persona probes of the charge-out, inventory and loss pages and API operations (registered into
the every-URL test's ROUTES; that module imports this one at its end).

Expectations come from the policy: `custody_staff` of the registry holding the copies (IMS-REG),
`control_officer_of` it for the investigation, and the access filter for a copy named in an API
call (a copy the persona may not see is absent: 404). Every request that changes something acts
on copies of fresh documents, containers and inventories made for it, never the shared documents."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from django.urls import reverse

from registrum.custody import chargeouts, inventories, losses
from registrum.custody import copies as custody
from registrum.custody.models import ChargeOut, Container, Copy, CopyStatus, Inventory, InventoryScan, LossReport
from registrum.custody.models.inventories import InventoryState
from registrum.custody.models.losses import LossState
from registrum.org.models import Registry
from registrum.policy import Level, active_policy
from registrum.policy.custody import control_officer_of, custody_staff
from tests.security.test_every_url_as_every_persona import API, MISSING, Ctx, Probe, route

CUSTODY = f"{API}/custody"
_serial = itertools.count(1)


def _registry(ctx: Ctx) -> Registry:
    return ctx.site.world.registry  # IMS-REG


def _staff(ctx: Ctx) -> bool:
    return ctx.person is not None and bool(custody_staff(ctx.person.subject(), _registry(ctx).pk))


def _officer(ctx: Ctx) -> bool:
    return ctx.person is not None and bool(control_officer_of(ctx.person.subject(), _registry(ctx).pk))


def _staff_or_403(ctx: Ctx, ok: int) -> int:
    return ok if _staff(ctx) else 403


def _sees(ctx: Ctx, copy: Copy) -> bool:
    return ctx.person is not None and Copy.objects.visible_to(ctx.person).filter(pk=copy.pk).exists()


def _on_copy(ctx: Ctx, copy: Copy, ok: int) -> int:
    """An API call naming a copy: absent unless seen, then the staff's."""
    if not _sees(ctx, copy):
        return 404
    return _staff_or_403(ctx, ok)


def _copy(ctx: Ctx) -> Copy:
    """A held NATO SECRET copy of a fresh document registered in IMS-REG."""
    registration = ctx.site.fresh("ns")
    return custody.number_copies(
        ctx.site.world.clerk, registration.document.public_id, registry=_registry(ctx), count=1
    )[0]


def _charged(ctx: Ctx) -> Copy:
    copy = _copy(ctx)
    chargeouts.charge_out(ctx.site.world.clerk, copy.code, ctx.site.people["reader"])
    return copy


def _container(ctx: Ctx) -> Container:
    policy = active_policy()
    return Container.objects.create(
        registry=_registry(ctx),
        code=f"PROBE-SAFE-{next(_serial)}",
        name="Probe safe",
        accreditation=int(Level.CTS),
        category_mask=policy.category_mask(["ATOMAL"]),
    )


def _inventory(ctx: Ctx, *, closed: bool = False) -> Inventory:
    inventory = inventories.start_inventory(ctx.site.world.clerk, _registry(ctx), container=_container(ctx))
    if closed:
        inventories.close_inventory(ctx.site.world.clerk, inventory.public_id)
    return inventory


def _loss(ctx: Ctx) -> tuple[LossReport, Copy]:
    copy = _copy(ctx)
    report = losses.report_loss(ctx.site.world.clerk, _registry(ctx), [copy.code], circumstances="Not in the safe.")
    return report, copy


def _charged_out(copy: Copy) -> Callable[[], bool]:
    return lambda: ChargeOut.objects.filter(copy=copy, checked_in_at__isnull=True).exists()


def _checked_in(copy: Copy) -> Callable[[], bool]:
    return lambda: ChargeOut.objects.filter(copy=copy, checked_in_at__isnull=False).exists()


def _state(inventory: Inventory, state: str) -> Callable[[], bool]:
    return lambda: Inventory.objects.filter(pk=inventory.pk, state=state).exists()


def _scanned(inventory: Inventory) -> Callable[[], bool]:
    return lambda: InventoryScan.objects.filter(inventory=inventory).exists()


def _held(copy: Copy) -> Callable[[], bool]:
    return lambda: Copy.objects.filter(pk=copy.pk, status=CopyStatus.HELD).exists()


def _reported(copy: Copy) -> Callable[[], bool]:
    return lambda: LossReport.objects.filter(copies=copy).exists()


def _investigating(report: LossReport) -> Callable[[], bool]:
    return lambda: LossReport.objects.filter(pk=report.pk, state=LossState.INVESTIGATING).exists()


REG = "?registry=IMS-REG"


# Pages -------------------------------------------------------------------------------------------


@route("custody:chargeouts")
def _chargeouts_page(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("custody:chargeouts") + REG
    yield Probe("GET", url, _staff_or_403(ctx, 200))
    yield Probe("GET", reverse("custody:chargeouts") + "?registry=NOWHERE", 404)
    copy = _copy(ctx)
    yield Probe(
        "POST", url, _staff_or_403(ctx, 302), data={"copy": copy.code, "reader": "reader"}, done=_charged_out(copy)
    )


@route("custody:chargeout_checkin")
def _checkin_page(ctx: Ctx) -> Iterator[Probe]:
    copy = _charged(ctx)
    url = reverse("custody:chargeout_checkin") + REG
    yield Probe("POST", url, _staff_or_403(ctx, 302), data={"copy": copy.code}, done=_checked_in(copy))


@route("custody:chargeouts_mine")
def _mine_page(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:chargeouts_mine"), 200)


@route("custody:inventories")
def _inventories_page(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("custody:inventories") + REG
    yield Probe("GET", url, _staff_or_403(ctx, 200))
    container = _container(ctx)
    yield Probe(
        "POST",
        url,
        _staff_or_403(ctx, 302),
        data={"container": container.code, "level": ""},
        done=lambda: Inventory.objects.filter(container=container).exists(),
    )


@route("custody:inventory")
def _inventory_page(ctx: Ctx) -> Iterator[Probe]:
    inventory = _inventory(ctx)
    url = reverse("custody:inventory", args=[inventory.public_id])
    yield Probe("GET", url, _staff_or_403(ctx, 200))
    yield Probe("GET", reverse("custody:inventory", args=[MISSING]), 404)
    yield Probe("POST", url, _staff_or_403(ctx, 200), data={"code": "RGC-NOTHING"}, done=_scanned(inventory))


@route("custody:inventory_close")
def _inventory_close_page(ctx: Ctx) -> Iterator[Probe]:
    inventory = _inventory(ctx)
    url = reverse("custody:inventory_close", args=[inventory.public_id])
    yield Probe("POST", url, _staff_or_403(ctx, 302), done=_state(inventory, InventoryState.CLOSED))


@route("custody:inventory_report")
def _inventory_report_page(ctx: Ctx) -> Iterator[Probe]:
    inventory = _inventory(ctx, closed=True)
    yield Probe("GET", reverse("custody:inventory_report", args=[inventory.public_id]), _staff_or_403(ctx, 200))


@route("custody:losses")
def _losses_page(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("custody:losses") + REG
    yield Probe("GET", url, _staff_or_403(ctx, 200))
    copy = _copy(ctx)
    yield Probe(
        "POST",
        url,
        _staff_or_403(ctx, 302),
        data={"copies": copy.code, "kind": "loss", "circumstances": "Gone."},
        done=_reported(copy),
    )


@route("custody:loss")
def _loss_page(ctx: Ctx) -> Iterator[Probe]:
    report, _copy_lost = _loss(ctx)
    yield Probe("GET", reverse("custody:loss", args=[report.public_id]), _staff_or_403(ctx, 200))
    yield Probe("GET", reverse("custody:loss", args=[MISSING]), 404)


@route("custody:loss_update")
def _loss_update_page(ctx: Ctx) -> Iterator[Probe]:
    report, _copy_lost = _loss(ctx)
    yield Probe(
        "POST",
        reverse("custody:loss_update", args=[report.public_id]),
        302 if _officer(ctx) else 403,
        data={"state": "investigating"},
        done=_investigating(report),
    )


@route("custody:loss_found")
def _loss_found_page(ctx: Ctx) -> Iterator[Probe]:
    report, copy = _loss(ctx)
    yield Probe(
        "POST",
        reverse("custody:loss_found", args=[report.public_id]),
        _staff_or_403(ctx, 302),
        data={"copy": copy.code},
        done=_held(copy),
    )


# API ---------------------------------------------------------------------------------------------


@route("POST /api/v1/custody/chargeouts")
def _api_charge_out(ctx: Ctx) -> Iterator[Probe]:
    copy = _copy(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/chargeouts",
        _on_copy(ctx, copy, 201),
        data={"copy_code": copy.code, "reader": "reader"},
        json=True,
        done=_charged_out(copy),
    )


@route("POST /api/v1/custody/chargeouts/checkin")
def _api_check_in(ctx: Ctx) -> Iterator[Probe]:
    copy = _charged(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/chargeouts/checkin",
        _on_copy(ctx, copy, 200),
        data={"copy_code": copy.code},
        json=True,
        done=_checked_in(copy),
    )


@route("GET /api/v1/custody/chargeouts")
def _api_charge_outs(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/chargeouts{REG}", _staff_or_403(ctx, 200))


@route("GET /api/v1/custody/chargeouts/mine")
def _api_mine(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/chargeouts/mine", 200)


@route("POST /api/v1/custody/inventories")
def _api_start(ctx: Ctx) -> Iterator[Probe]:
    container = _container(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/inventories",
        _staff_or_403(ctx, 201),
        data={"registry": "IMS-REG", "container": container.code},
        json=True,
        done=lambda: Inventory.objects.filter(container=container).exists(),
    )


@route("GET /api/v1/custody/inventories")
def _api_inventories(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/inventories{REG}", _staff_or_403(ctx, 200))


@route("GET /api/v1/custody/inventories/due")
def _api_due(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/inventories/due{REG}", _staff_or_403(ctx, 200))


@route("GET /api/v1/custody/inventories/{public_id}")
def _api_inventory(ctx: Ctx) -> Iterator[Probe]:
    inventory = _inventory(ctx)
    yield Probe("GET", f"{CUSTODY}/inventories/{inventory.public_id}", _staff_or_403(ctx, 200))
    yield Probe("GET", f"{CUSTODY}/inventories/{MISSING}", 404)


@route("POST /api/v1/custody/inventories/{public_id}/scans")
def _api_scans(ctx: Ctx) -> Iterator[Probe]:
    inventory = _inventory(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/inventories/{inventory.public_id}/scans",
        _staff_or_403(ctx, 200),
        data={"codes": ["RGC-NOTHING"]},
        json=True,
        done=_scanned(inventory),
    )


@route("POST /api/v1/custody/inventories/{public_id}/close")
def _api_close(ctx: Ctx) -> Iterator[Probe]:
    inventory = _inventory(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/inventories/{inventory.public_id}/close",
        _staff_or_403(ctx, 200),
        done=_state(inventory, InventoryState.CLOSED),
    )


@route("GET /api/v1/custody/inventories/{public_id}/report")
def _api_report(ctx: Ctx) -> Iterator[Probe]:
    inventory = _inventory(ctx, closed=True)
    yield Probe("GET", f"{CUSTODY}/inventories/{inventory.public_id}/report", _staff_or_403(ctx, 200))


@route("POST /api/v1/custody/losses")
def _api_report_loss(ctx: Ctx) -> Iterator[Probe]:
    copy = _copy(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/losses",
        _staff_or_403(ctx, 201),
        data={"registry": "IMS-REG", "copies": [copy.code], "circumstances": "Gone."},
        json=True,
        done=_reported(copy),
    )


@route("GET /api/v1/custody/losses")
def _api_losses(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/losses{REG}", _staff_or_403(ctx, 200))


@route("GET /api/v1/custody/losses/{public_id}")
def _api_loss(ctx: Ctx) -> Iterator[Probe]:
    report, _copy_lost = _loss(ctx)
    yield Probe("GET", f"{CUSTODY}/losses/{report.public_id}", _staff_or_403(ctx, 200))
    yield Probe("GET", f"{CUSTODY}/losses/{MISSING}", 404)


@route("POST /api/v1/custody/losses/{public_id}/update")
def _api_loss_update(ctx: Ctx) -> Iterator[Probe]:
    report, _copy_lost = _loss(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/losses/{report.public_id}/update",
        200 if _officer(ctx) else 403,
        data={"state": "investigating"},
        json=True,
        done=_investigating(report),
    )


@route("POST /api/v1/custody/losses/{public_id}/found")
def _api_loss_found(ctx: Ctx) -> Iterator[Probe]:
    report, copy = _loss(ctx)
    yield Probe(
        "POST",
        f"{CUSTODY}/losses/{report.public_id}/found",
        _staff_or_403(ctx, 200),
        data={"copy_code": copy.code},
        json=True,
        done=_held(copy),
    )
