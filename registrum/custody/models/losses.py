"""Loss and compromise reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.custody.models.copies import Copy
from registrum.custody.models.inventories import Inventory
from registrum.org.models import Registry
from registrum.records.models import new_public_id


class LossKind(models.TextChoices):
    LOSS = "loss", _("loss")
    COMPROMISE = "compromise", _("compromise")


class LossState(models.TextChoices):
    OPEN = "open", _("reported")
    INVESTIGATING = "investigating", _("under investigation")
    CLOSED = "closed", _("closed")


class LossReport(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="loss_reports")
    kind = models.CharField(_("kind"), max_length=12, choices=LossKind.choices, default=LossKind.LOSS)
    copies = models.ManyToManyField(Copy, related_name="loss_reports")
    # The inventory that found the copies missing, when one did.
    inventory = models.ForeignKey(
        Inventory, null=True, blank=True, on_delete=models.PROTECT, related_name="loss_reports", db_index=False
    )
    circumstances = models.TextField(_("circumstances"), max_length=4000, blank=True)
    state = models.CharField(_("state"), max_length=14, choices=LossState.choices, default=LossState.OPEN)
    outcome = models.TextField(_("outcome"), max_length=4000, blank=True)
    # Who was told (security authority, originator...), as the investigating officer records it.
    people_told = models.CharField(_("people told"), max_length=500, blank=True)
    reported_at = models.DateTimeField(_("reported"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-reported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} report {self.public_id}"
