"""Separation of duties in the policy: nobody changes their own roles, clearance or status;
COSMIC TOP SECRET, special briefings and clearances above the recorder's own wait for a control
officer who is neither the requester nor the person cleared, and who holds what they confirm."""

from __future__ import annotations

from datetime import date

import pytest

from registrum.policy import NATO, Action, ClearanceTarget, Level, PersonTarget, Subject, may, needs_second_person

TODAY = date(2026, 11, 23)
NEXT_YEAR = date(2027, 11, 23)
ADMIN_ID, OTHER_ID, OFFICER_ID = 1, 2, 3


def person(
    person_id: int, *roles: str, level: Level | None = Level.NS, briefings: tuple[str, ...] = (), active: bool = True
) -> Subject:
    return Subject(
        active=active,
        nationality="DEU",
        clearance=level,
        clearance_expires=NEXT_YEAR if level is not None else None,
        briefings=frozenset(briefings),
        roles=frozenset(roles),
        person_id=person_id,
    )


def clearance(
    person_id: int = OTHER_ID,
    level: Level = Level.NS,
    briefings: tuple[str, ...] = (),
    held: tuple[Level, tuple[str, ...]] | None = None,
    requested_by: int | None = ADMIN_ID,
) -> ClearanceTarget:
    return ClearanceTarget(
        person_id=person_id,
        active=True,
        level=level,
        briefings=frozenset(briefings),
        expires=NEXT_YEAR,
        held_level=held[0] if held else None,
        held_briefings=frozenset(held[1]) if held else frozenset(),
        held_expires=NEXT_YEAR if held else None,
        requested_by=requested_by,
    )


ADMIN = person(ADMIN_ID, "administrator")


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (Action.CHANGE_ROLES, "nobody changes their own roles"),
        (Action.DEACTIVATE, "nobody deactivates or reactivates their own account"),
        (
            Action.CHANGE_AFFILIATION,
            "nobody changes their own unit, nationality or registry staff membership: each decides what they may read",
        ),
    ],
)
def test_an_administrator_cannot_change_their_own_roles_or_status(action, reason):
    own = may(NATO, ADMIN, action, PersonTarget(person_id=ADMIN_ID, active=True), TODAY)
    assert not own and own.reason == reason
    assert may(NATO, ADMIN, action, PersonTarget(person_id=OTHER_ID, active=True), TODAY)


def test_an_administrator_cannot_change_their_own_clearance_even_downwards():
    own = may(NATO, ADMIN, Action.CHANGE_CLEARANCE, clearance(ADMIN_ID, Level.NR, held=(Level.NS, ())), TODAY)
    assert not own and own.reason == "nobody changes their own clearance or briefings"
    assert may(NATO, ADMIN, Action.CHANGE_CLEARANCE, clearance(OTHER_ID), TODAY)


def test_an_administrator_corrects_their_own_details():
    assert may(NATO, ADMIN, Action.CHANGE_PERSON, PersonTarget(person_id=ADMIN_ID, active=True), TODAY)


@pytest.mark.parametrize("action", [Action.CHANGE_PERSON, Action.CHANGE_ROLES, Action.DEACTIVATE])
def test_only_an_active_administrator_administers_people(action):
    target = PersonTarget(person_id=OTHER_ID, active=True)
    assert may(NATO, person(9, "clerk", "control_officer"), action, target, TODAY).reason == (
        "only a system administrator does this"
    )
    assert may(NATO, person(9, "administrator", active=False), action, target, TODAY).reason == (
        "account is not active"
    )


@pytest.mark.parametrize(
    ("target", "why"),
    [
        (clearance(level=Level.CTS, briefings=("COSMIC",)), "COSMIC TOP SECRET takes a control officer's confirmation"),
        (clearance(level=Level.CTS), "COSMIC TOP SECRET takes a control officer's confirmation"),
        (
            clearance(level=Level.NC, briefings=("BOHEMIA",)),
            "a special briefing takes a control officer's confirmation",
        ),
        # Extending a briefing already held is granting it again, for longer.
        (
            ClearanceTarget(
                person_id=OTHER_ID,
                active=True,
                level=Level.NS,
                briefings=frozenset({"ATOMAL"}),
                expires=NEXT_YEAR,
                held_level=Level.NS,
                held_briefings=frozenset({"ATOMAL"}),
                held_expires=TODAY,
            ),
            "a special briefing takes a control officer's confirmation",
        ),
    ],
)
def test_cosmic_and_briefings_take_a_second_person(target, why):
    second = needs_second_person(NATO, person(ADMIN_ID, "administrator", level=Level.CTS), target, TODAY)
    assert second and second.reason == why


def test_above_the_recorders_own_clearance_takes_a_second_person():
    uncleared = person(ADMIN_ID, "administrator", level=None)
    assert needs_second_person(NATO, uncleared, clearance(level=Level.NC), TODAY).reason == (
        "above your own clearance: a control officer confirms it"
    )
    # NR needs no clearance at all: nothing is conferred beyond what anyone holds.
    assert not needs_second_person(NATO, uncleared, clearance(level=Level.NR), TODAY)
    assert not needs_second_person(NATO, person(ADMIN_ID, "administrator", level=Level.NS), clearance(), TODAY)


def test_a_pure_reduction_and_the_set_up_operator_take_effect_at_once():
    reduction = clearance(level=Level.NS, briefings=("ATOMAL",), held=(Level.CTS, ("COSMIC", "ATOMAL")))
    assert reduction.is_reduction()
    assert not needs_second_person(NATO, ADMIN, reduction, TODAY)
    assert not needs_second_person(NATO, None, clearance(level=Level.CTS, briefings=("COSMIC",)), TODAY)


OFFICER = person(OFFICER_ID, "control_officer", level=Level.CTS, briefings=("COSMIC", "ATOMAL"))
CTS_REQUEST = clearance(level=Level.CTS, briefings=("COSMIC", "ATOMAL"))


def test_a_control_officer_other_than_the_requester_confirms():
    assert may(NATO, OFFICER, Action.CONFIRM_CLEARANCE, CTS_REQUEST, TODAY)
    assert may(NATO, OFFICER, Action.REJECT_CLEARANCE, CTS_REQUEST, TODAY)


@pytest.mark.parametrize("action", [Action.CONFIRM_CLEARANCE, Action.REJECT_CLEARANCE])
def test_the_requester_never_decides_on_their_own_request(action):
    both = person(ADMIN_ID, "administrator", "control_officer", level=Level.CTS, briefings=("COSMIC", "ATOMAL"))
    refused = may(NATO, both, action, CTS_REQUEST, TODAY)
    assert not refused
    assert refused.reason == "the requester cannot decide on their own request: a second person must"


def test_nobody_confirms_their_own_clearance_and_only_control_officers_decide():
    assert may(NATO, OFFICER, Action.CONFIRM_CLEARANCE, clearance(OFFICER_ID, Level.CTS), TODAY).reason == (
        "nobody confirms their own clearance"
    )
    assert may(
        NATO, person(5, "administrator", level=Level.CTS), Action.CONFIRM_CLEARANCE, CTS_REQUEST, TODAY
    ).reason == ("only a control officer confirms or rejects a clearance request")


def test_a_control_officer_confirms_only_what_they_hold_but_may_reject_anything():
    officer = person(OFFICER_ID, "control_officer", level=Level.NS)
    refused = may(NATO, officer, Action.CONFIRM_CLEARANCE, CTS_REQUEST, TODAY)
    assert refused.reason == "your clearance does not reach COSMIC TOP SECRET: you cannot confirm it"
    briefed = clearance(level=Level.NS, briefings=("BOHEMIA",))
    assert may(NATO, officer, Action.CONFIRM_CLEARANCE, briefed, TODAY).reason == (
        "you do not hold every briefing requested: you cannot confirm them"
    )
    assert may(NATO, officer, Action.REJECT_CLEARANCE, CTS_REQUEST, TODAY)


def test_an_administrator_sets_only_the_passwords_of_people_within_their_own_clearance():
    within = clearance(level=Level.NS)
    assert may(NATO, person(ADMIN_ID, "administrator", level=Level.NS), Action.SET_PASSWORD, within, TODAY)
    assert not may(NATO, person(ADMIN_ID, "administrator", level=Level.NC), Action.SET_PASSWORD, within, TODAY)
    briefed = clearance(level=Level.NS, briefings=("ATOMAL",))
    refused = may(NATO, person(ADMIN_ID, "administrator", level=Level.CTS), Action.SET_PASSWORD, briefed, TODAY)
    assert refused.reason.startswith("this person is cleared beyond you")
    own = may(NATO, ADMIN, Action.SET_PASSWORD, clearance(ADMIN_ID, Level.NR), TODAY)
    assert own.reason == "change your own password on your account page"
