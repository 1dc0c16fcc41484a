"""Retention: holds that stop disposition, and the disposition decisions taken."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.records.models import Disposition, Document, File, new_public_id


class Hold(models.Model):
    """A legal or administrative hold on a file or a document: nothing under it is disposed of
    until it is lifted."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    file = models.ForeignKey(File, null=True, blank=True, on_delete=models.PROTECT, related_name="holds")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField(_("reason"), max_length=300)
    placed_at = models.DateTimeField(_("placed"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(file__isnull=False, document__isnull=True)
                | models.Q(file__isnull=True, document__isnull=False),
                name="hold_one_target",
            )
        ]
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return f"hold {self.public_id}"


class DispositionDecision(models.Model):
    """What was decided for a document at the end of its retention (or at the 30-year review of
    a record of permanent value): destroy, transfer to archives, review again on a date, or
    disclose to the public."""

    class Action(models.TextChoices):
        DESTROY = Disposition.DESTROY.value, Disposition.DESTROY.label
        ARCHIVE = Disposition.ARCHIVE.value, Disposition.ARCHIVE.label
        REVIEW = Disposition.REVIEW.value, Disposition.REVIEW.label
        DISCLOSE = "disclose", _("disclose to the public")
        RETAIN = "retain", _("keep classified (public-disclosure review)")

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="disposition_decisions")
    action = models.CharField(_("decision"), max_length=10, choices=Action.choices)
    review_on = models.DateField(_("review again on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["document", "-decided_at"], name="disposition_doc_idx")]
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.action}"
