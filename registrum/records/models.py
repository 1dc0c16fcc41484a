"""The register: file plan, files, documents, their registrations, need-to-know rows and versions.

Noark 5's file plan > file > registry entry > document description > document object: a
`Document` is what was written (originator, reference, subject, classification, versions); a
`Registration` is one registry's entry of it in its own register, with that registry's number.
The central registry registers a document, and each sub-registry and control point that receives
it registers its receipt: one document, several registrations.
"""

from __future__ import annotations

import base64
import os

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from registrum.org.models import LevelField, Registry, Unit
from registrum.policy import Level, active_policy
from registrum.records.querysets import DocumentQuerySet, RegistrationQuerySet


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


def new_public_id() -> str:
    """An opaque identifier for pages and the API: 80 random bits, 16 lower-case characters.
    Never a sequential integer, which would let a reader count what they cannot see."""
    return base64.b32encode(os.urandom(10)).decode("ascii").lower()


class Classified(models.Model):
    """The columns the access filter compares: level, special categories, releasability."""

    level = LevelField(_("classification"))
    category_mask = models.PositiveSmallIntegerField(_("special categories"), default=0)
    # Nations beyond the community, stored "/AUS/NZL/" so one indexed LIKE answers "is X in it".
    releasable_to = models.CharField(_("releasable to"), max_length=200, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def releasable_nations(self) -> list[str]:
        return [n for n in self.releasable_to.split("/") if n]

    @property
    def marking(self) -> str:
        return active_policy().marking(Level(self.level), self.category_mask, self.releasable_nations)

    @property
    def level_style(self) -> object:
        return active_policy().levels[Level(self.level)]


class Document(Classified):
    """What was written and registered: the document description and its classification."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    originator = models.CharField(_("originator"), max_length=200)
    originator_reference = models.CharField(_("originator's reference"), max_length=100, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    subject_level = LevelField(_("subject classification"))
    language = models.CharField(_("language"), max_length=10, default="en")
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    annexes = models.PositiveSmallIntegerField(_("annexes"), default=0)
    downgrade_instruction = models.CharField(_("downgrade/declassify instruction"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))

    objects = DocumentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_level__lte=models.F("level")), name="subject_within_level"
            ),
        ]
        indexes = [models.Index(fields=["originator_reference"], name="doc_reference_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.originator} {self.originator_reference or self.public_id}"

    @property
    def subject_marking(self) -> str:
        return active_policy().levels[Level(self.subject_level)].abbreviation


class Registration(Classified):
    """One registry's entry of a document in its register, with its own number.

    The classification columns are the register's copy of the document's, written by the
    records services together with the document's (one function), so the register list filters
    and counts without a join. A registration is never deleted or renumbered, only voided."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="registrations")
    # (Indexes that another index already leads with are left out: every index is paid for on
    # each registration, a million times in an import.)
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="registrations", db_index=False)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("registration number"), max_length=60)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    registered_at = models.DateTimeField(_("registered"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Where this registry files it, and to whom it went outside the organisation.
    file = models.ForeignKey(
        File, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("file")
    )
    external_addressees = models.CharField(_("external addressees"), max_length=500, blank=True)
    # The registration this one records the receipt of (None for a first registration).
    received_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="receipts", db_index=False
    )
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registry", "year", "sequence"], name="unique_registry_year_seq"),
            # Leads with the number: it is also the index a lookup by number uses.
            models.UniqueConstraint(fields=["number", "registry"], name="unique_registry_number"),
        ]
        indexes = [
            models.Index(fields=["-registered_at", "-id"], name="reg_register_order_idx"),
            models.Index(fields=["registry", "-registered_at", "-id"], name="reg_registry_order_idx"),
            models.Index(fields=["level", "-registered_at", "-id"], name="reg_level_order_idx"),
            models.Index(fields=["level", "category_mask"], name="reg_visibility_idx"),
        ]
        ordering = ["-registered_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


def encode_nations(nations: list[str] | set[str] | tuple[str, ...]) -> str:
    ordered = sorted(set(nations))
    return f"/{'/'.join(ordered)}/" if ordered else ""


class AccessReason(models.TextChoices):
    """Why a grantee has need-to-know. Distribution, copy holder and tasker rows come with the
    correspondence, custody and tasker capabilities, on the same table."""

    ACTION = "action", _("addressee for action")
    INFO = "info", _("addressee for information")
    REGISTRY = "registry", _("holding registry")
    GRANT = "grant", _("explicit grant")
    DISTRIBUTION = "distribution", _("distribution")
    COPY_HOLDER = "copy_holder", _("copy holder")
    TASKER = "tasker", _("tasker")


class Access(models.Model):
    """One need-to-know row: a document, exactly one grantee (a person, a unit or a registry),
    the reason, and the source that gave it ("registration:12", "grant", later "copy:7"...), so
    that ending the source withdraws exactly that right. Revoking deletes the row; the audit
    event keeps what it was."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="access_rows", db_index=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    registry = models.ForeignKey(Registry, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=AccessReason.choices)
    source = models.CharField(max_length=40)
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(person__isnull=False, unit__isnull=True, registry__isnull=True)
                    | models.Q(person__isnull=True, unit__isnull=False, registry__isnull=True)
                    | models.Q(person__isnull=True, unit__isnull=True, registry__isnull=False)
                ),
                name="access_one_grantee",
            ),
            # NULLs are distinct in a plain unique index, so the grantee columns are coalesced.
            # It leads with the source: the same index finds every row a source gave, to end them.
            models.UniqueConstraint(
                models.F("source"),
                models.F("document"),
                Coalesce("person", models.Value(0)),
                Coalesce("unit", models.Value(0)),
                Coalesce("registry", models.Value(0)),
                models.F("reason"),
                name="unique_access_source",
            ),
        ]
        indexes = [
            # The filter's probe, "does this document have a row for one of my grantees", answered
            # from the index alone (no table read per document).
            models.Index(fields=["document", "person", "unit", "registry"], name="access_grantee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.grantee_label} ({self.reason}, {self.source})"

    @property
    def grantee_label(self) -> str:
        if self.person_id:
            return f"@{self.person.username}" if self.person else f"person {self.person_id}"
        if self.unit_id:
            return self.unit.code if self.unit else f"unit {self.unit_id}"
        return self.registry.code if self.registry else f"registry {self.registry_id}"

    @property
    def grantee(self) -> object:
        return self.person or self.unit or self.registry


class Version(models.Model):
    """An electronic content object of a document: sealed in the content store under its own data
    key, which is kept here wrapped by the key-encryption key (outside the database). Destroying
    the wrapped key makes the content unreadable for good, wherever copies of the blob went."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    filename = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("type"), max_length=100)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)  # of the plaintext: a fingerprint
    # The sealed blob's opaque id; null only for content stored before encryption at rest, until
    # `registrum keys migrate` (run by `registrum init`) seals it.
    blob_id = models.CharField(max_length=32, null=True, unique=True)
    kek_id = models.CharField(max_length=64, blank=True, db_index=True)
    wrapped_key = models.BinaryField(null=True)
    uploaded_at = models.DateTimeField(_("uploaded"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set when the content does not look like what its name says (kept as received, flagged).
    warning = models.CharField(_("warning"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="unique_document_version")]
        ordering = ["document", "number"]

    def __str__(self) -> str:
        return f"{self.document.public_id} v{self.number} {self.filename}"


class IdempotencyKey(models.Model):
    """A client's key for one creating request (the API's `Idempotency-Key`), written in the
    same transaction as the registration it made: a retry after a lost answer finds it and gets
    that registration back instead of a second one."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=100)
    # SHA-256 of the request body: the same key with another body is a client error.
    fingerprint = models.CharField(max_length=64)
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.key}"
