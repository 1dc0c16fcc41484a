"""Inventories (musters): what a registry or container should hold, what was found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.custody.models.copies import Container, Copy
from registrum.org.models import LevelField, Registry
from registrum.records.models import new_public_id


class InventoryState(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Inventory(models.Model):
    """A check that every accountable copy a registry (or one of its containers) holds is there.
    At the start the expected copies are listed once (InventoryItem); scanning checks them off."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="inventories")
    container = models.ForeignKey(
        Container, null=True, blank=True, on_delete=models.PROTECT, related_name="inventories", db_index=False
    )
    # Only copies at this level (None: all accountable holdings).
    level = LevelField(_("level"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=InventoryState.choices, default=InventoryState.OPEN)
    started_at = models.DateTimeField(_("started"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Counts and the signed report's fingerprint, fixed at closing.
    expected = models.PositiveIntegerField(default=0)
    found = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    unexpected = models.PositiveIntegerField(default=0)
    report_sha256 = models.CharField(max_length=64, blank=True)
    report_signature = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["registry", "-started_at"], name="inventory_registry_idx")]
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"inventory {self.public_id} of {self.registry_id}"


class InventoryItem(models.Model):
    """An expected copy, and when it was checked (None: not yet; missing if still None at close)."""

    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="items")
    copy = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="+", db_index=False)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inventory", "copy"], name="unique_inventory_copy")]
        indexes = [models.Index(fields=["inventory", "checked_at"], name="inventory_item_state_idx")]

    def __str__(self) -> str:
        return f"{self.inventory_id}: {self.copy_id}"


class ScanOutcome(models.TextChoices):
    CHECKED = "checked", _("checked")
    ALREADY_CHECKED = "already", _("already checked")
    UNEXPECTED = "unexpected", _("a copy of this registry not on the list")
    OTHER_REGISTRY = "other", _("a copy held by another custodian")
    NOT_A_COPY = "not_a_copy", _("not a copy's code")


class InventoryScan(models.Model):
    """Every code typed or scanned into an inventory, with what it turned out to be: the report
    tells apart a code that is not a copy, another registry's copy and a copy scanned twice."""

    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="scans")
    code = models.CharField(max_length=100)
    copy = models.ForeignKey(Copy, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    outcome = models.CharField(max_length=10, choices=ScanOutcome.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.inventory_id}: {self.code} ({self.outcome})"
