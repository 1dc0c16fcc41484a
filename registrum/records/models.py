"""The register: file plan, files, registered documents, their need-to-know rows and versions.

Noark 5's file plan > file > registration > document > version, with the registration held on the
document (one register entry per document); exchange between registries adds further entries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrum.org.models import LevelField, Registry, Unit
from registrum.policy import Level, active_policy
from registrum.records.querysets import DocumentQuerySet


class Disposition(models.TextChoices):
    DESTROY = "destroy", _("destroy")
    ARCHIVE = "archive", _("transfer to archives")
    REVIEW = "review", _("review again")


class RetentionClass(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    years = models.PositiveSmallIntegerField(_("retention in years"))
    disposition = models.CharField(_("disposition"), max_length=10, choices=Disposition.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name} ({self.years} y)"


class FilePlanClass(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("file plan class")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class File(models.Model):
    plan_class = models.ForeignKey(FilePlanClass, on_delete=models.PROTECT, related_name="files")
    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    retention_class = models.ForeignKey(RetentionClass, on_delete=models.PROTECT, related_name="files")
    opened = models.DateField(_("opened"))
    closed = models.DateField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Direction(models.TextChoices):
    INCOMING = "IN", _("incoming")
    OUTGOING = "OUT", _("outgoing")
    INTERNAL = "INT", _("internal")


class Document(models.Model):
    # The register entry.
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="documents")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("registration number"), max_length=60, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    registered_at = models.DateTimeField(_("registered"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The document described.
    originator = models.CharField(_("originator"), max_length=200)
    originator_reference = models.CharField(_("originator's reference"), max_length=100, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    subject_level = LevelField(_("subject classification"))
    level = LevelField(_("classification"))
    category_mask = models.PositiveSmallIntegerField(_("special categories"), default=0)
    # Nations beyond the community, stored "/AUS/NZL/" so one indexed LIKE answers "is X in it".
    releasable_to = models.CharField(_("releasable to"), max_length=200, blank=True, default="")
    external_addressees = models.CharField(_("external addressees"), max_length=500, blank=True)
    file = models.ForeignKey(File, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    language = models.CharField(_("language"), max_length=10, default="en")
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    annexes = models.PositiveSmallIntegerField(_("annexes"), default=0)
    downgrade_instruction = models.CharField(_("downgrade/declassify instruction"), max_length=300, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registry", "year", "sequence"], name="unique_registry_year_seq"),
            models.CheckConstraint(
                condition=models.Q(subject_level__lte=models.F("level")), name="subject_within_level"
            ),
        ]
        indexes = [
            models.Index(fields=["-registered_at", "-id"], name="doc_register_order_idx"),
            models.Index(fields=["registry", "-registered_at", "-id"], name="doc_registry_order_idx"),
            models.Index(fields=["level", "-registered_at", "-id"], name="doc_level_order_idx"),
            models.Index(fields=["originator_reference"], name="doc_reference_idx"),
            # Counting what a person may see scans this instead of the table.
            models.Index(fields=["level", "category_mask"], name="doc_visibility_idx"),
        ]
        ordering = ["-registered_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def releasable_nations(self) -> list[str]:
        return [n for n in self.releasable_to.split("/") if n]

    @property
    def marking(self) -> str:
        return active_policy().marking(Level(self.level), self.category_mask, self.releasable_nations)

    @property
    def level_style(self) -> object:
        return active_policy().levels[Level(self.level)]

    @property
    def subject_marking(self) -> str:
        return active_policy().levels[Level(self.subject_level)].abbreviation


def encode_nations(nations: list[str] | set[str] | tuple[str, ...]) -> str:
    ordered = sorted(set(nations))
    return f"/{'/'.join(ordered)}/" if ordered else ""


class AccessReason(models.TextChoices):
    """Why a person or unit has need-to-know. The later issues add copy holders, distribution
    lists and taskers as further reasons on the same table."""

    ACTION = "action", _("addressee for action")
    INFO = "info", _("addressee for information")
    GRANT = "grant", _("explicit grant")


class Access(models.Model):
    """One need-to-know row: a document and exactly one of a person or a unit, with the reason.

    Staff of the registry a document is registered in need no rows: the filter compares the
    document's own registry column, which keeps the register of a busy registry cheap to count."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="access_rows")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=AccessReason.choices)
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(person__isnull=False, unit__isnull=True)
                    | models.Q(person__isnull=True, unit__isnull=False)
                ),
                name="access_one_grantee",
            ),
        ]
        indexes = [
            # The filter's probe, "does this document have a row for one of my grantees", answered
            # from the index alone (no table read per document).
            models.Index(fields=["document", "person", "unit"], name="access_grantee_idx"),
        ]

    def __str__(self) -> str:
        grantee = f"person {self.person_id}" if self.person_id else f"unit {self.unit_id}"
        return f"{self.document_id}: {grantee} ({self.reason})"


class Version(models.Model):
    """An electronic content object of a document, stored by its SHA-256."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    filename = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("type"), max_length=100)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_at = models.DateTimeField(_("uploaded"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set when the content does not look like what its name says (kept as received, flagged).
    warning = models.CharField(_("warning"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="unique_document_version")]
        ordering = ["document", "number"]

    def __str__(self) -> str:
        return f"{self.document.number} v{self.number} {self.filename}"
