"""The register list: the visible registrations narrowed by the filters a clerk uses all day.

Pages, API and export share this, so a filter means the same everywhere and every one of them
starts from `visible_to(person)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

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

    @property
    def count_cap(self) -> int:
        return TEXT_COUNT_CAP if (self.q.strip() or self.originator or self.reference) else COUNT_CAP


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def register_for(person: Any, filters: RegisterFilters, *, for_count: bool = False) -> QuerySet[Registration]:
    """The filtered, visible register in order; `for_count` gives the same rows in the form that
    counts fastest (see `visibility_q`)."""
    qs = Registration.objects.visible_to(person, for_count=for_count)
    if filters.registry:
        qs = qs.filter(registry__code__iexact=filters.registry)
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


# Counting every visible row of a million-row register costs a scan of all of them; beyond this
# many the pages say "more than 10,000", as search engines do. A text filter is checked row by
# row (substring matching), so its count stops sooner. (Exact below the cap, and never a leak:
# the count is of the filtered, visible rows only.)
COUNT_CAP = 10_000
TEXT_COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at COUNT_CAP (+1 to know it was reached). The count runs on
    `count_queryset` (the same rows, in the form that counts fastest), without ordering."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int, *, count_queryset: QuerySet[Any], cap: int = COUNT_CAP
    ) -> None:
        super().__init__(object_list, per_page)
        self.count_queryset = count_queryset
        self.cap = cap

    @cached_property
    def _probe(self) -> int:
        return int(self.count_queryset.order_by()[: self.cap + 1].count())

    @cached_property
    def count(self) -> int:
        return min(self._probe, self.cap)

    @cached_property
    def exact(self) -> bool:
        return self._probe <= self.cap
