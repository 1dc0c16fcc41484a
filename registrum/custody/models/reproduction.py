"""Requests to reproduce a copy (or make an extract or translation) that the policy has a
control officer approve: the clerk's request with the recorded authority, the decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.custody.models.copies import Copy, CopyKind
from registrum.records.models import new_public_id


class ReproductionState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved and made")
    REJECTED = "rejected", _("rejected")


class ReproductionRequest(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    source = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="reproduction_requests")
    kind = models.CharField(_("kind"), max_length=12, choices=CopyKind.choices)
    count = models.PositiveSmallIntegerField(_("copies"))
    # The originator's consent (or other authority), as recorded by the requester.
    authority = models.CharField(_("authority"), max_length=300)
    state = models.CharField(_("state"), max_length=10, choices=ReproductionState.choices)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The copy numbers made on approval, e.g. "4" or "5-6".
    made_numbers = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"reproduction request {self.public_id}"
