"""Destruction: proposed, approved by a control officer, carried out and witnessed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.custody.models.copies import Copy
from registrum.org.models import Registry
from registrum.records.models import Document, new_public_id


class DestructionState(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    # The destroyer signed; witnesses still to sign. The copies are destroyed only when the
    # certificate has every signature the policy requires.
    AWAITING_WITNESSES = "witnessing", _("awaiting witnesses")
    COMPLETED = "completed", _("destroyed")
    # The certificate itself reached the end of its retention and was disposed of.
    CERTIFICATE_DISPOSED = "disposed", _("certificate disposed of")


class Destruction(models.Model):
    """One destruction and its certificate."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    number = models.CharField(_("certificate number"), max_length=60, unique=True)
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="destructions")
    state = models.CharField(_("state"), max_length=12, choices=DestructionState.choices)
    reason = models.CharField(_("reason"), max_length=300)
    method = models.CharField(_("method"), max_length=100, blank=True)
    # Destroy the data keys of the electronic versions of documents whose every copy goes.
    destroy_electronic = models.BooleanField(_("destroy electronic versions"), default=False)
    signatures_required = models.PositiveSmallIntegerField(default=1)
    proposed_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    # The certificate is kept until this date (the policy's period), then itself disposable.
    keep_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return self.number


class DestructionItem(models.Model):
    destruction = models.ForeignKey(Destruction, on_delete=models.PROTECT, related_name="items")
    copy = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="destruction_items", db_index=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["destruction", "copy"], name="unique_destruction_copy")]

    def __str__(self) -> str:
        return f"{self.destruction_id}: {self.copy_id}"


class DestructionSignature(models.Model):
    class Role(models.TextChoices):
        DESTROYER = "destroyer", _("destroyed by")
        WITNESS = "witness", _("witnessed by")

    destruction = models.ForeignKey(Destruction, on_delete=models.PROTECT, related_name="signatures")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    signed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["destruction", "person"], name="one_signature_per_person")]
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.destruction_id}: {self.person_id} ({self.role})"
