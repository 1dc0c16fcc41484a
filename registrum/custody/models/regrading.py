"""Regrading: downgrades, declassifications and upgrades, decided or scheduled."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.org.models import LevelField
from registrum.policy import Level, active_policy
from registrum.records.models import Document, new_public_id


class RegradeKind(models.TextChoices):
    DOWNGRADE = "downgrade", _("downgrade")
    DECLASSIFY = "declassify", _("declassification")
    UPGRADE = "upgrade", _("upgrade")


class Regrade(models.Model):
    """A change of a document's classification on the originator's authority: applied at once, or
    scheduled ("downgrade to NATO CONFIDENTIAL on 2029-01-01") and applied when due."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="regrades")
    kind = models.CharField(_("kind"), max_length=10, choices=RegradeKind.choices)
    from_level = LevelField(_("from"))
    from_category_mask = models.PositiveSmallIntegerField(default=0)
    to_level = LevelField(_("to"))
    to_category_mask = models.PositiveSmallIntegerField(default=0)
    authority = models.CharField(_("authority"), max_length=300)
    effective_on = models.DateField(_("effective on"))
    decided_at = models.DateTimeField(_("recorded"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["applied_at", "effective_on"], name="regrade_due_idx")]
        ordering = ["effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.document_id} on {self.effective_on}"

    @property
    def from_marking(self) -> str:
        return active_policy().marking(Level(self.from_level), self.from_category_mask)

    @property
    def to_marking(self) -> str:
        return active_policy().marking(Level(self.to_level), self.to_category_mask)
