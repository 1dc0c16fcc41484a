"""Paging that never counts a million rows: the register's and the audit trail's lists."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

__all__ = ["COUNT_CAP", "CappedPage", "CappedPaginator"]


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
