"""The calendar rules of the copies part: combination changes and inventories fall due."""

from __future__ import annotations

from datetime import date

from registrum.policy.custody import (
    COMBINATION_CHANGE_MONTHS,
    combination_change_due,
    inventory_due,
    months_before,
)


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(date(2026, 11, 27), 12) == date(2025, 11, 27)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 2) == date(2025, 11, 15)


def test_a_combination_is_due_a_change_after_twelve_months_or_when_never_recorded():
    today = date(2026, 11, 27)
    assert COMBINATION_CHANGE_MONTHS == 12
    assert combination_change_due(None, today)
    assert combination_change_due(date(2025, 11, 26), today)
    assert not combination_change_due(date(2025, 11, 27), today)
    assert not combination_change_due(date(2026, 6, 1), today)


def test_an_inventory_is_due_when_never_closed_or_older_than_the_handlings_period():
    today = date(2026, 11, 27)
    assert inventory_due(None, 12, today)
    assert inventory_due(date(2025, 11, 1), 12, today)
    assert not inventory_due(date(2026, 1, 1), 12, today)
    assert not inventory_due(None, None, today)  # no periodic inventory for this handling
