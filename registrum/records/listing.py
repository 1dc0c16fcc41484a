"""The register list: the visible registrations narrowed by the filters a clerk uses all day.

Pages, API and export share this, so a filter means the same everywhere and every one of them
starts from `visible_to(person)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from registrum.org.models import Registry
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


# Counting every visible row of a million-row register costs a scan of all of them; beyond this
# many the pages say "more than 1,000", as search engines do, and paging goes on as long as there
# are rows. (Exact below the cap, and never a leak: the count is of the filtered, visible rows.)
COUNT_CAP = 1_000


class CappedPage(Page):
    """A page that knows whether another follows by having fetched one row more."""

    more = False

    def has_next(self) -> bool:
        return self.more


class CappedPaginator(Paginator):
    """A paginator whose count stops at COUNT_CAP (+1 to know it was reached). The count runs on
    `count_queryset` (the same rows, in the form that counts fastest), without ordering; past
    the cap, pages are open-ended: each fetches one row more to know if a next one exists."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int, *, count_queryset: QuerySet[Any], cap: int | None = None
    ) -> None:
        super().__init__(object_list, per_page)
        self.count_queryset = count_queryset
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def _probe(self) -> int:
        # Only the ids, so no joins the rows would need for showing ride along.
        return int(self.count_queryset.order_by().values("pk")[: self.cap + 1].count())

    @cached_property
    def count(self) -> int:
        return min(self._probe, self.cap)

    @cached_property
    def exact(self) -> bool:
        return self._probe <= self.cap

    def validate_number(self, number: Any) -> int:
        if self.exact:
            return int(super().validate_number(number))
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if value < 1:
            raise EmptyPage("That page number is less than 1")
        return value

    def page(self, number: Any) -> CappedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        page = CappedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def get_page(self, number: Any) -> CappedPage:
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages if self.exact else 1)
