"""Who may take an inventory: staff cleared for every level and special category it lists."""

from __future__ import annotations

from datetime import date

from registrum.policy import NATO, Level
from registrum.policy.custody import may_take_inventory
from tests.policy.test_custody_rules import subject

TODAY = date(2026, 11, 27)
ATOMAL = 1


def test_an_inventory_needs_clearance_for_everything_it_lists():
    cts_atomal = subject(Level.CTS, ("COSMIC", "ATOMAL"))
    listed = [(Level.NS, 0), (Level.CTS, ATOMAL)]
    assert may_take_inventory(NATO, cts_atomal, listed, TODAY)
    assert may_take_inventory(NATO, subject(Level.NS), [], TODAY)  # nothing listed
    too_low = may_take_inventory(NATO, subject(Level.NS), listed, TODAY)
    assert not too_low and too_low.reason.startswith("the inventory lists copies you are not cleared for: ")
    not_briefed = may_take_inventory(NATO, subject(Level.CTS, ("COSMIC",)), listed, TODAY)
    assert not not_briefed and "briefing" in not_briefed.reason
