"""Visibility as a queryset: the SQL mirror of `policy.may(..., Action.READ, ...)`.

Every read path (pages, API, exports, counts, downloads) starts from `visible_to(person)`. The
conditions are the policy's, one per line, with the need-to-know as a single EXISTS over the
access table, so lists, counts and (later) search all join the same thing.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Self

from django.apps import apps
from django.db import models
from django.utils import timezone

from registrum.policy import active_policy, admissible_category_masks, clearance_ceiling

if TYPE_CHECKING:
    from registrum.org.models import Person


class Grantees:
    """Who a person counts as for need-to-know: themselves, their unit and every unit above it
    (matched against the access rows), and the registries they staff (matched against the
    document's own registry, so a registry's staff need no row per document)."""

    def __init__(self, person: Person) -> None:
        self.person_id: int = person.pk
        self.unit_ids: list[int] = person.unit.ancestor_ids() if person.unit_id and person.unit else []
        self.registry_ids: list[int] = list(person.registries.values_list("id", flat=True))

    def rows_q(self) -> models.Q:
        """Access rows that name one of the person's grantees."""
        q = models.Q(person_id=self.person_id)
        if self.unit_ids:
            q |= models.Q(unit_id__in=self.unit_ids)
        return q


class DocumentQuerySet(models.QuerySet[Any]):
    def visible_to(self, person: Person | Any, today: date | None = None) -> Self:
        # Anonymous and inactive accounts see nothing.
        if person is None or not getattr(person, "is_authenticated", False) or not person.is_active:
            return self.none()
        policy = active_policy()
        subject = person.subject()
        today = today or timezone.localdate()
        qs = self
        # Clearance: a valid clearance at or above the level (none needed for the lowest levels).
        # (A condition that cannot exclude anything is left out, so the planner is free to use
        # the register's order index.)
        ceiling = clearance_ceiling(policy, subject, today)
        if ceiling < max(policy.levels):
            qs = qs.filter(level__lte=ceiling)
        # Special categories: the document's mask must be one the person holds every briefing of.
        masks = admissible_category_masks(policy, subject)
        if len(masks) < 2 ** len(policy.categories):
            qs = qs.filter(category_mask__in=masks)
        # Releasability: the community always; anyone else only where RELEASABLE TO names them.
        if subject.nationality not in policy.community:
            qs = qs.filter(releasable_to__contains=f"/{subject.nationality}/")
        # Need-to-know: staff of the registry that holds it, or a row for the person or one of
        # their units (addressee, grant). The registry test comes first: it needs no probe.
        grantees = Grantees(person)
        access = apps.get_model("records", "Access")
        rows = access.objects.filter(document_id=models.OuterRef("pk")).filter(grantees.rows_q())
        return qs.filter(models.Q(registry_id__in=grantees.registry_ids) | models.Exists(rows))
