"""The organisation: units, people with their clearance and roles, and registries."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from registrum.policy import Level, Subject


class LevelField(models.PositiveSmallIntegerField):
    """A classification level stored as its integer, so the access filter is a plain comparison."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("choices", [(level.value, level.name) for level in Level])
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class UnitKind(models.TextChoices):
    ORGANISATION = "organisation", _("organisation")
    OFFICE = "office", _("office")
    DIVISION = "division", _("division")
    BRANCH = "branch", _("branch")
    SECTION = "section", _("section")


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices, default=UnitKind.BRANCH)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Materialised path of ids ("/1/4/9/"): ancestors and descendants without recursion.
    path = models.CharField(max_length=400, db_index=True, editable=False)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def ancestor_ids(self) -> list[int]:
        """This unit and every unit above it: a member of a unit is a member of those too."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Role(models.TextChoices):
    CLERK = "clerk", _("registry clerk")
    CONTROL_OFFICER = "control_officer", _("registry control officer")
    ACTION_OFFICER = "action_officer", _("action officer")
    READER = "reader", _("reader")
    ADMINISTRATOR = "administrator", _("system administrator")
    AUDITOR = "auditor", _("auditor")


class Person(AbstractUser):
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    nationality = models.CharField(_("nationality"), max_length=3)
    position = models.CharField(_("position"), max_length=200, blank=True)
    # Raised by "sign out everywhere": it is part of the session hash, so every session ends.
    session_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # A password someone else set (an administrator) is known to them: it opens nothing until
    # its holder has replaced it with one only they know.
    must_change_password = models.BooleanField(
        _("must change password"), default=False, db_default=False, editable=False
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's hash of the password hash, with the epoch mixed in.
        return salted_hmac(
            "registrum.org.Person.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def has_role(self, role: Role) -> bool:
        return any(r.role == role for r in self.roles.all())

    def subject(self) -> Subject:
        """The facts the policy decides on: read once per request (cached on this instance; a
        service that changes them works on a fresh instance)."""
        cached: Subject | None = self.__dict__.get("_subject")
        if cached is not None:
            return cached
        clearance = None
        if self.pk:
            try:
                clearance = self.clearance
            except Clearance.DoesNotExist:
                clearance = None
        subject = Subject(
            active=self.is_active,
            nationality=self.nationality,
            clearance=Level(clearance.level) if clearance else None,
            clearance_expires=clearance.expires if clearance else None,
            briefings=frozenset(clearance.briefings) if clearance else frozenset(),
            roles=frozenset(r.role for r in self.roles.all()) if self.pk else frozenset(),
            registries=frozenset(self.registries.values_list("id", flat=True)) if self.pk else frozenset(),
            person_id=self.pk,
        )
        self.__dict__["_subject"] = subject
        return subject

    def forget_subject(self) -> None:
        self.__dict__.pop("_subject", None)


class RoleAssignment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "role"], name="unique_person_role")]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()}"


class Clearance(models.Model):
    """A person's personnel security clearance, as the national authority granted it."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="clearance")
    level = LevelField(_("level"))
    granted = models.DateField(_("granted"))
    expires = models.DateField(_("expires"))
    briefings = models.JSONField(_("briefings"), default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.person}: {Level(self.level).name} until {self.expires}"

    def is_valid(self, today: date) -> bool:
        return self.expires >= today


class RequestState(models.TextChoices):
    PENDING = "pending", _("pending")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")
    SUPERSEDED = "superseded", _("superseded")


class ClearanceRequest(models.Model):
    """A clearance record waiting for a second person: it takes effect only when a control
    officer other than the requester confirms it (separation of duties)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="clearance_requests")
    level = LevelField(_("level"))
    granted = models.DateField(_("granted"))
    expires = models.DateField(_("expires"))
    briefings = models.JSONField(_("briefings"), default=list, blank=True)
    # Why a second person is needed (the policy's reason, in English; rendered per reader).
    reason = models.CharField(_("reason"), max_length=200)
    requested_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="clearance_requests_made"
    )
    requested_at = models.DateTimeField(_("requested"))
    state = models.CharField(_("state"), max_length=12, choices=RequestState.choices, default=RequestState.PENDING)
    decided_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="clearance_requests_decided"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(state="pending"), name="one_pending_clearance_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person}: {Level(self.level).name} ({self.state})"


class RegistryKind(models.TextChoices):
    CENTRAL = "central", _("central registry")
    SUB = "sub", _("sub-registry")
    CONTROL_POINT = "control_point", _("control point")


DEFAULT_NUMBERING_PATTERN = "{registry}/{year}/{seq:06d}"
# A number is unique only if the pattern names the registry, the year and the sequence.
REQUIRED_NUMBERING_FIELDS = ("registry", "year", "seq")


class Registry(models.Model):
    """A custody account: it registers documents and holds them, up to its accreditation level."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=RegistryKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="registries")
    accreditation = LevelField(_("accreditation level"))
    numbering_pattern = models.CharField(_("numbering pattern"), max_length=100, default=DEFAULT_NUMBERING_PATTERN)
    staff = models.ManyToManyField(Person, through="RegistryStaff", related_name="registries")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("registries")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class RegistryStaff(models.Model):
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    since = models.DateField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registry", "person"], name="unique_registry_staff")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.registry}"


class RegistrySequence(models.Model):
    """The last number a registry gave in a year. Incremented inside the registering transaction,
    so a rollback returns the number and the register stays gapless."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="sequences")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registry", "year"], name="unique_registry_year")]

    def __str__(self) -> str:
        return f"{self.registry} {self.year}: {self.last_value}"
