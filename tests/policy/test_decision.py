"""The access decision, condition by condition, and the markings."""

from __future__ import annotations

from datetime import date

import pytest

from registrum.policy import NATO, Action, Level, Resource, Subject, may, may_classify
from registrum.policy.decision import admissible_category_masks, clearance_ceiling

TODAY = date(2026, 11, 23)
ATOMAL, BOHEMIA = 1, 2


def subject(level=Level.NS, nationality="DEU", briefings=(), expires=date(2027, 1, 1), active=True):
    return Subject(
        active=active,
        nationality=nationality,
        clearance=level,
        clearance_expires=expires,
        briefings=frozenset(briefings),
    )


def resource(level=Level.NS, mask=0, releasable=(), need=True):
    return Resource(level=level, category_mask=mask, releasable_to=frozenset(releasable), need_to_know=need)


def decide(s, r):
    return may(NATO, s, Action.READ, r, TODAY)


def test_cleared_briefed_releasable_with_need_to_know_may_read():
    assert decide(subject(), resource()).allowed


@pytest.mark.parametrize(
    ("clearance", "level", "allowed"),
    [
        (Level.NS, Level.NS, True),
        (Level.NS, Level.CTS, False),
        (Level.NC, Level.NS, False),
        (Level.CTS, Level.NU, True),
        (None, Level.NR, True),  # NU and NR need no clearance
        (None, Level.NC, False),
    ],
)
def test_clearance_must_reach_the_level(clearance, level, allowed):
    assert decide(subject(level=clearance), resource(level=level)).allowed is allowed


def test_expired_clearance_counts_as_none():
    expired = subject(level=Level.CTS, expires=date(2026, 11, 22))
    assert not decide(expired, resource(level=Level.NC)).allowed
    assert decide(expired, resource(level=Level.NR)).allowed
    assert decide(subject(level=Level.NS, expires=TODAY), resource()).allowed  # valid through its last day


def test_every_special_category_briefing_is_required_not_any():
    both = resource(level=Level.NS, mask=ATOMAL | BOHEMIA)
    assert not decide(subject(briefings=["ATOMAL"]), both).allowed
    assert not decide(subject(briefings=["BOHEMIA"]), both).allowed
    assert decide(subject(briefings=["ATOMAL", "BOHEMIA"]), both).allowed
    assert decide(subject(briefings=["ATOMAL"]), resource(mask=ATOMAL)).allowed


def test_nationality_must_be_within_releasability():
    partner = subject(nationality="AUS")
    assert not decide(partner, resource()).allowed
    assert decide(partner, resource(releasable=["AUS", "NZL"])).allowed
    assert not decide(subject(nationality="JPN"), resource(releasable=["AUS", "NZL"])).allowed
    assert decide(subject(nationality="FRA"), resource(releasable=["AUS"])).allowed  # NATO nations always


def test_need_to_know_is_required_even_with_the_highest_clearance():
    top = subject(level=Level.CTS, briefings=["ATOMAL", "BOHEMIA"])
    decision = decide(top, resource(level=Level.NU, need=False))
    assert not decision.allowed
    assert decision.reason == "no need-to-know"


def test_inactive_account_may_read_nothing():
    assert not decide(subject(active=False), resource(level=Level.NU)).allowed


def test_clearance_ceiling_and_category_masks_feed_the_queryset():
    assert clearance_ceiling(NATO, subject(level=None), TODAY) == Level.NR
    assert clearance_ceiling(NATO, subject(level=Level.CTS), TODAY) == Level.CTS
    assert admissible_category_masks(NATO, subject()) == [0]
    assert admissible_category_masks(NATO, subject(briefings=["ATOMAL", "BOHEMIA", "COSMIC"])) == [0, 1, 2, 3]


def test_nobody_classifies_above_their_own_clearance():
    assert may_classify(NATO, subject(level=Level.NS), Level.NS, 0, TODAY).allowed
    assert not may_classify(NATO, subject(level=Level.NS), Level.CTS, 0, TODAY).allowed
    assert not may_classify(NATO, subject(level=Level.CTS), Level.CTS, ATOMAL, TODAY).allowed
    assert may_classify(NATO, subject(level=Level.CTS, briefings=["ATOMAL"]), Level.CTS, ATOMAL, TODAY).allowed


@pytest.mark.parametrize(
    ("level", "mask", "nations", "marking"),
    [
        (Level.NS, 0, ["NZL", "AUS"], "NATO SECRET RELEASABLE TO AUS/NZL"),
        (Level.CTS, ATOMAL, [], "COSMIC TOP SECRET ATOMAL"),
        (Level.NU, 0, [], "NATO UNCLASSIFIED"),
        (Level.NS, ATOMAL | BOHEMIA, ["AUS"], "NATO SECRET ATOMAL BOHEMIA RELEASABLE TO AUS"),
    ],
)
def test_marking_strings(level, mask, nations, marking):
    assert NATO.marking(level, mask, nations) == marking


def test_unknown_level_category_and_nation_are_named():
    with pytest.raises(ValueError, match="'TOP SECRET'"):
        NATO.level_from_text("TOP SECRET")
    with pytest.raises(ValueError, match="'NOFORN'"):
        NATO.category_mask(["NOFORN"])
    with pytest.raises(ValueError, match="'XYZ'"):
        NATO.check_nation("XYZ")
    assert NATO.level_from_text("nato secret") == Level.NS
    assert NATO.level_from_text("CTS") == Level.CTS
