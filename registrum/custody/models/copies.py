"""Security containers, numbered copies and each copy's history; notices to holders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.org.models import LevelField, Registry
from registrum.records.models import Classified, Document, new_public_id
from registrum.records.querysets import RegistrationQuerySet

# Copies carry their document's classification columns and document_id: the registrations'
# access filter applies to them unchanged.
CopyQuerySet = RegistrationQuerySet

# What a copy's QR code and label carry: this prefix and the copy's public id. A scanner types it.
COPY_CODE_PREFIX = "RGC-"


class ContainerKind(models.TextChoices):
    SAFE = "safe", _("safe")
    CABINET = "cabinet", _("security cabinet")
    STRONGROOM = "strongroom", _("strongroom")
    VAULT = "vault", _("vault")


class Container(models.Model):
    """A security container (safe, cabinet, strongroom) that a registry keeps copies in. Locations
    carry clearances: its accreditation level and the special categories it is approved for."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="containers")
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=ContainerKind.choices, default=ContainerKind.SAFE)
    room = models.CharField(_("room"), max_length=200, blank=True)
    accreditation = LevelField(_("accreditation level"))
    category_mask = models.PositiveSmallIntegerField(_("special categories approved"), default=0)
    # The last change of combination (also in CombinationChange, with who and why).
    combination_changed_on = models.DateField(_("combination last changed"), null=True, blank=True)
    active = models.BooleanField(_("in service"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class CombinationChange(models.Model):
    class Reason(models.TextChoices):
        ROUTINE = "routine", _("routine change")
        PERSONNEL = "personnel", _("a holder of the combination left")
        COMPROMISE = "compromise", _("combination compromised or suspected")
        NEW = "new", _("container taken into service")

    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="combination_changes")
    changed_on = models.DateField(_("changed on"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-changed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.container_id} {self.changed_on} ({self.reason})"


class CopyStatus(models.TextChoices):
    HELD = "held", _("held")
    IN_TRANSIT = "in_transit", _("in transit")
    CHARGED_OUT = "charged_out", _("charged out")
    DISPATCHED = "dispatched", _("dispatched outside the organisation")
    DESTROYED = "destroyed", _("destroyed")
    LOST = "lost", _("lost")


# Statuses of a copy the organisation still holds (what an inventory expects to find).
ON_HAND = (CopyStatus.HELD, CopyStatus.CHARGED_OUT)


class CopyKind(models.TextChoices):
    ORIGINAL = "original", _("copy")
    REPRODUCTION = "reproduction", _("reproduction")
    EXTRACT = "extract", _("extract")
    TRANSLATION = "translation", _("translation")


class Copy(Classified):
    """One numbered copy ("Copy No. 3 of 10"). Its custodian is a registry, or a person on a hand
    receipt; it sits in a container (or none: in the registry's open storage, on a person). The
    classification columns are the document's (written with it, by regrading too), so holdings
    filter by level without a join and the access filter applies to copies as to registrations."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="copies", db_index=False)
    number = models.PositiveIntegerField(_("copy number"))
    of_total = models.PositiveIntegerField(_("of"))
    kind = models.CharField(_("kind"), max_length=12, choices=CopyKind.choices, default=CopyKind.ORIGINAL)
    # Provenance of a reproduction, extract or translation: the copy it was made from and the
    # authority (the originator's consent, the control officer's approval).
    made_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reproductions", db_index=False
    )
    authority = models.CharField(_("authority"), max_length=300, blank=True)
    registry = models.ForeignKey(
        Registry, null=True, blank=True, on_delete=models.PROTECT, related_name="copies", db_index=False
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="copies_held"
    )
    # An addressee outside the organisation (status DISPATCHED).
    external = models.CharField(_("external addressee"), max_length=300, blank=True)
    container = models.ForeignKey(
        Container, null=True, blank=True, on_delete=models.PROTECT, related_name="copies", db_index=False
    )
    status = models.CharField(_("status"), max_length=12, choices=CopyStatus.choices, default=CopyStatus.HELD)
    since = models.DateTimeField(_("since"))
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)

    objects = CopyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_copy_number"),
            models.CheckConstraint(
                condition=~(models.Q(registry__isnull=False) & models.Q(person__isnull=False)),
                name="copy_one_custodian",
            ),
        ]
        indexes = [
            models.Index(fields=["registry", "status", "level"], name="copy_holdings_idx"),
            models.Index(fields=["container", "status"], name="copy_container_idx"),
        ]
        ordering = ["document", "number"]

    def __str__(self) -> str:
        return f"{self.document_id} copy {self.number} of {self.of_total}"

    @property
    def code(self) -> str:
        """What the QR code and the label carry, and what a scanner types."""
        return f"{COPY_CODE_PREFIX}{self.public_id.upper()}"

    @property
    def custodian_label(self) -> str:
        if self.person_id:
            return f"@{self.person.username}" if self.person else f"person {self.person_id}"
        if self.registry_id:
            return self.registry.code if self.registry else f"registry {self.registry_id}"
        return self.external


class CopyEventKind(models.TextChoices):
    CREATED = "created", _("numbered")
    REPRODUCED = "reproduced", _("made from another copy")
    DISPATCHED = "dispatched", _("dispatched")
    RECEIVED = "received", _("received")
    RECALLED = "recalled", _("dispatch cancelled, back where it was")
    CHARGED_OUT = "charged_out", _("charged out")
    CHECKED_IN = "checked_in", _("checked in")
    STORED = "stored", _("moved to a container")
    INVENTORIED = "inventoried", _("found at inventory")
    MISSING = "missing", _("missing at inventory")
    LOST = "lost", _("reported lost or compromised")
    FOUND = "found", _("found again")
    REGRADED = "regraded", _("regraded")
    DESTROYED = "destroyed", _("destroyed")


class CopyEvent(models.Model):
    """One line of a copy's history: where it went, who held it, in which container, and the
    transfer, inventory, certificate or report behind it. (The audit chain records the same acts;
    this is the register of movements the copy history page and the holdings read.)"""

    copy = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=12, choices=CopyEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The custodian and container after the event, as labels (they outlive renames).
    custodian = models.CharField(max_length=300, blank=True)
    container = models.CharField(max_length=40, blank=True)
    # What the event belongs to, e.g. "transfer:<public id>", "inventory:<public id>".
    reference = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["copy", "at", "id"], name="copy_event_order_idx")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.copy_id} {self.kind} {self.at:%Y-%m-%d}"


class Notice(models.Model):
    """A message on a person's dashboard (and by e-mail): a regrading of a document they hold or
    received, a receipt outstanding. Only the document's public id is kept; the page shows its
    title through the access filter."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "read_at", "-created_at"], name="notice_inbox_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.text[:40]}"
