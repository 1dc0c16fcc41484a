"""Visibility as a queryset: the SQL mirror of `policy.may(..., Action.READ, ...)`.

Every read path (pages, API, exports, counts, downloads) starts from `visible_to(person)`, on
documents or on registrations (the register list). The conditions are the policy's, one per
line, built once by `visibility_q`, with the need-to-know as a single EXISTS over the access
table, so lists, counts and (later) search all join the same thing.
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
    """Who a person counts as for need-to-know: themselves, their unit and every unit above it,
    and the registries they staff, all matched against the access rows."""

    def __init__(self, person: Person) -> None:
        self.person_id: int = person.pk
        self.unit_ids: list[int] = person.unit.ancestor_ids() if person.unit_id and person.unit else []
        self.registry_ids: list[int] = sorted(person.subject().registries)

    def rows_q(self) -> models.Q:
        """Access rows that name one of the person's grantees."""
        q = models.Q(person_id=self.person_id)
        if self.unit_ids:
            q |= models.Q(unit_id__in=self.unit_ids)
        if self.registry_ids:
            q |= models.Q(registry_id__in=self.registry_ids)
        return q


def visibility_q(
    person: Person | Any, document_ref: str, today: date | None = None, *, for_count: bool = False
) -> tuple[models.Q, models.Q] | None:
    """The policy's read rule as conditions on a model carrying the classification columns:
    (clearance, briefings and releasability; need-to-know). `document_ref` names its document
    id column ("pk" on Document, "document_id" on a registration). None: nothing is visible."""
    if person is None or not getattr(person, "is_authenticated", False) or not person.is_active:
        return None
    policy = active_policy()
    subject = person.subject()
    today = today or timezone.localdate()
    q = models.Q()
    # Clearance: a valid clearance at or above the level (none needed for the lowest levels).
    # (A condition that cannot exclude anything is left out, so the planner is free to use
    # the register's order index.)
    ceiling = clearance_ceiling(policy, subject, today)
    if ceiling < max(policy.levels):
        q &= models.Q(level__lte=ceiling)
    # Special categories: the mask must be one the person holds every briefing of.
    masks = admissible_category_masks(policy, subject)
    if len(masks) < 2 ** len(policy.categories):
        q &= models.Q(category_mask__in=masks)
    # Releasability: the community always; anyone else only where RELEASABLE TO names them.
    if subject.nationality not in policy.community:
        q &= models.Q(releasable_to__contains=f"/{subject.nationality}/")
    # Need-to-know: a row for the person, one of their units or one of their registries
    # (addressee, holding registry, grant...). Two forms of the same condition: a correlated
    # EXISTS, cheap when walking the register in order for a page; and, for counting, the
    # documents of the person's rows (IN), which starts from their grantees' index entries
    # instead of probing every row of the register.
    access = apps.get_model("records", "Access")
    mine = access.objects.filter(Grantees(person).rows_q())
    if for_count and _few(mine):
        return q, models.Q(**{f"{document_ref}__in": mine.values("document_id")})
    rows = mine.filter(document_id=models.OuterRef(document_ref))
    return q, models.Q(models.Exists(rows))


# Below this many need-to-know rows, a count starts from the person's own rows (the IN form);
# above it the register is dense with what they may see, and walking it with the EXISTS probe
# reaches a count's cap sooner than listing all their rows would take.
FEW_ROWS = 5_000


def _few(rows: models.QuerySet[Any]) -> bool:
    return int(rows.order_by()[: FEW_ROWS + 1].count()) <= FEW_ROWS


class DocumentQuerySet(models.QuerySet[Any]):
    def visible_to(self, person: Person | Any, today: date | None = None, *, for_count: bool = False) -> Self:
        conditions = visibility_q(person, "pk", today, for_count=for_count)
        if conditions is None:
            return self.none()
        held, need = conditions
        return self.filter(held & need)


class RegistrationQuerySet(models.QuerySet[Any]):
    def visible_to(self, person: Person | Any, today: date | None = None, *, for_count: bool = False) -> Self:
        """A registration is visible exactly when its document is (its classification columns
        are the document's); staff of its registry see it through the registry's access row."""
        conditions = visibility_q(person, "document_id", today, for_count=for_count)
        if conditions is None:
            return self.none()
        held, need = conditions
        return self.filter(held & need)
