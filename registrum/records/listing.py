"""The register list: the visible registrations narrowed by the filters a clerk uses all day.

Pages, API and export share this, so a filter means the same everywhere and every one of them
starts from `visible_to(person)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from registrum.org.models import Registry
from registrum.paging import COUNT_CAP, CappedPage, CappedPaginator
from registrum.policy import Level
from registrum.records.models import Registration


@dataclass(frozen=True)
class RegisterFilters:
    registry: str = ""
    direction: str = ""
    level: Level | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    originator: str = ""
    reference: str = ""
    q: str = ""


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def register_for(person: Any, filters: RegisterFilters, *, for_count: bool = False) -> QuerySet[Registration]:
    """The filtered, visible register in order; `for_count` gives the same rows in the form that
    counts fastest (see `visibility_q`)."""
    qs = Registration.objects.visible_to(person, for_count=for_count)
    if filters.registry:
        # By id, not through a join on the code: the registry's own order index then serves
        # its register, however small a part of the whole it is.
        registry_ids = list(Registry.objects.filter(code__iexact=filters.registry).values_list("id", flat=True))
        qs = qs.filter(registry_id__in=registry_ids)
    if filters.direction:
        qs = qs.filter(direction=filters.direction)
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    if filters.registered_from:
        qs = qs.filter(registered_at__gte=_day_start(filters.registered_from))
    if filters.registered_to:
        qs = qs.filter(registered_at__lt=_day_start(filters.registered_to) + timedelta(days=1))
    if filters.originator:
        qs = qs.filter(document__originator__icontains=filters.originator)
    if filters.reference:
        qs = qs.filter(document__originator_reference__icontains=filters.reference)
    if filters.q:
        text = filters.q.strip()
        # One box for what a clerk types: a registration number (or part), a reference, a
        # subject or an originator ("SHAPE").
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(document__originator_reference__icontains=text)
            | Q(document__subject__icontains=text)
            | Q(document__originator__icontains=text)
        )
    return qs.select_related("registry", "document").order_by("-registered_at", "-id")


__all__ = ["COUNT_CAP", "CappedPage", "CappedPaginator", "RegisterFilters", "register_for"]
