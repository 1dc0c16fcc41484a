"""The access decision, condition by condition, and the markings."""

from __future__ import annotations

from datetime import date

import pytest

from registrum.policy import (
    NATO,
    Action,
    Level,
    PersonTarget,
    RegistryTarget,
    Resource,
    Subject,
    may,
    may_classify,
)
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
    assert clearance_ceiling(NATO, subject(level=Level.CTS, briefings=["COSMIC"]), TODAY) == Level.CTS
    # COSMIC TOP SECRET needs the COSMIC briefing on top of the clearance, as NATO's rule does.
    assert clearance_ceiling(NATO, subject(level=Level.CTS), TODAY) == Level.NS
    assert admissible_category_masks(NATO, subject()) == [0]
    assert admissible_category_masks(NATO, subject(briefings=["ATOMAL", "BOHEMIA", "COSMIC"])) == [0, 1, 2, 3]


def test_nobody_classifies_above_their_own_clearance():
    assert may_classify(NATO, subject(level=Level.NS), Level.NS, 0, TODAY).allowed
    assert not may_classify(NATO, subject(level=Level.NS), Level.CTS, 0, TODAY).allowed
    assert not may_classify(NATO, subject(level=Level.CTS), Level.CTS, ATOMAL, TODAY).allowed
    assert not may_classify(NATO, subject(level=Level.CTS, briefings=["ATOMAL"]), Level.CTS, ATOMAL, TODAY).allowed
    cosmic = subject(level=Level.CTS, briefings=["COSMIC", "ATOMAL"])
    assert may_classify(NATO, cosmic, Level.CTS, ATOMAL, TODAY).allowed


def test_cosmic_top_secret_without_the_cosmic_briefing_is_refused_with_the_reason():
    decision = decide(subject(level=Level.CTS, briefings=["ATOMAL"]), resource(level=Level.CTS))
    assert not decision.allowed and decision.reason == "COSMIC TOP SECRET needs the COSMIC briefing"
    assert decide(subject(level=Level.CTS, briefings=["COSMIC"]), resource(level=Level.CTS)).allowed


CLERK_OF_7 = {"roles": frozenset({"clerk"}), "registries": frozenset({7})}


def staff(**kw):
    base = subject(level=Level.CTS, briefings=["COSMIC"])
    return Subject(**{**base.__dict__, **CLERK_OF_7, **kw})


def held(**kw):
    return Resource(
        **{
            "level": Level.NS,
            "category_mask": 0,
            "releasable_to": frozenset(),
            "need_to_know": True,
            "holding_registries": frozenset({7}),
            "registration_registry": 7,
            **kw,
        }
    )


@pytest.mark.parametrize("action", [Action.ADD_VERSION, Action.GRANT, Action.REVOKE])
def test_holding_registry_actions(action):
    assert may(NATO, staff(), action, held(), TODAY).allowed
    assert may(NATO, staff(roles=frozenset({"reader"})), action, held(), TODAY).reason == (
        "only registry clerks and control officers do this"
    )
    assert may(NATO, staff(), action, held(holding_registries=frozenset({8})), TODAY).reason == (
        "only staff of a registry holding the document do this"
    )
    # Whoever may not read it may do nothing with it.
    assert may(NATO, staff(), action, held(need_to_know=False), TODAY).reason == "no need-to-know"


@pytest.mark.parametrize("action", [Action.CORRECT, Action.VOID])
def test_registration_actions(action):
    assert may(NATO, staff(), action, held(), TODAY).allowed
    assert not may(NATO, staff(), action, held(registration_registry=8), TODAY).allowed
    assert may(NATO, staff(), action, held(registration_void=True), TODAY).reason == "the registration is void"


def test_registering_needs_staff_role_accreditation_and_clearance():
    target = RegistryTarget(registry_id=7, accreditation=Level.NC, level=Level.NC, category_mask=0)
    assert may(NATO, staff(), Action.REGISTER, target, TODAY).allowed
    assert not may(NATO, staff(registries=frozenset({8})), Action.REGISTER, target, TODAY).allowed
    above = RegistryTarget(registry_id=7, accreditation=Level.NC, level=Level.NS, category_mask=0)
    assert may(NATO, staff(), Action.REGISTER, above, TODAY).reason == (
        "the registry is accredited only up to NATO CONFIDENTIAL"
    )


def test_tokens_only_for_oneself_and_administration_only_for_administrators():
    me = staff(person_id=5)
    assert may(NATO, me, Action.ISSUE_TOKEN, PersonTarget(person_id=5, active=True), TODAY).allowed
    admin = staff(person_id=6, roles=frozenset({"administrator"}))
    assert not may(NATO, admin, Action.ISSUE_TOKEN, PersonTarget(person_id=5, active=True), TODAY).allowed
    assert may(NATO, admin, Action.ADMINISTER, PersonTarget(person_id=None, active=True), TODAY).allowed
    assert not may(NATO, me, Action.ADMINISTER, PersonTarget(person_id=None, active=True), TODAY).allowed


def test_an_action_without_a_rule_is_refused():
    target = RegistryTarget(registry_id=7, accreditation=Level.NC, level=Level.NC, category_mask=0)
    assert may(NATO, staff(), Action.READ, target, TODAY).reason == "no rule for read on this target"


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
