"""Transfers of copies between custodians, with their receipts, and charge-outs to readers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.custody.models.copies import Container, Copy
from registrum.org.models import Registry
from registrum.records.models import Registration, new_public_id


class TransferState(models.TextChoices):
    IN_TRANSIT = "in_transit", _("in transit")
    RECEIVED = "received", _("received")
    CANCELLED = "cancelled", _("cancelled")


class Transfer(models.Model):
    """One dispatch of one or many copies from a custodian to another (a registry, a person on a
    hand receipt, an addressee outside), with its transmittal and receipt form. The copies are
    in transit until the receiver acknowledges each; past the suspense date the receipt is flagged
    on both sides."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    number = models.CharField(_("transmittal number"), max_length=60, unique=True)
    from_registry = models.ForeignKey(
        Registry, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_out"
    )
    from_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_registry = models.ForeignKey(
        Registry, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_in"
    )
    to_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_in"
    )
    to_external = models.CharField(_("external addressee"), max_length=300, blank=True)
    # Where the receiving registry will keep the copies (checked at dispatch, applied at receipt).
    to_container = models.ForeignKey(
        Container, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.CharField(_("state"), max_length=12, choices=TransferState.choices)
    dispatched_at = models.DateTimeField(_("dispatched"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    suspense = models.DateField(_("receipt due by"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["state", "suspense"], name="transfer_outstanding_idx"),
            models.Index(fields=["to_registry", "state"], name="transfer_inbound_idx"),
            models.Index(fields=["from_registry", "state"], name="transfer_outbound_idx"),
        ]
        ordering = ["-dispatched_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def destination_label(self) -> str:
        if self.to_registry_id:
            return self.to_registry.code if self.to_registry else f"registry {self.to_registry_id}"
        if self.to_person_id:
            return f"@{self.to_person.username}" if self.to_person else f"person {self.to_person_id}"
        return self.to_external


class TransmittalSequence(models.Model):
    """The last transmittal number a registry gave in a year ("CR/TR/2026/000001"). Incremented
    inside the dispatching transaction, so a rollback hands the number back."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registry", "year"], name="unique_transmittal_year")]

    def __str__(self) -> str:
        return f"{self.registry_id} {self.year}: {self.last_value}"


class TransferItem(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="items")
    copy = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="transfer_items", db_index=False)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The receiving registry's registration of the receipt (its own register), when it made one.
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["copy", "transfer"], name="unique_transfer_copy")]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.copy_id}"


class ChargeOut(models.Model):
    """A copy lent to a reader for a period. The reader's need-to-know comes from it (an access
    row with source "chargeout:<id>") and ends with the check-in."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    copy = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="charge_outs", db_index=False)
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="charge_outs", db_index=False)
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charge_outs")
    charged_at = models.DateTimeField(_("charged out"))
    charged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    due = models.DateField(_("due back"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            # One open charge-out per copy.
            models.UniqueConstraint(
                fields=["copy"], condition=models.Q(checked_in_at__isnull=True), name="one_open_charge_out"
            ),
        ]
        indexes = [
            models.Index(fields=["copy", "charged_at"], name="charge_out_copy_idx"),
            models.Index(fields=["registry", "checked_in_at", "due"], name="charge_out_due_idx"),
        ]
        ordering = ["-charged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.copy_id} to {self.reader_id} due {self.due}"
