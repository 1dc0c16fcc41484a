"""Who may reproduce a numbered copy and on what authority; who approves a destruction."""

from __future__ import annotations

from datetime import date

from registrum.policy import NATO, Level, Subject
from registrum.policy.custody import (
    Material,
    may_approve_destruction,
    may_approve_reproduction,
    may_reproduce,
    may_request_reproduction,
    reproduction_needs_approval,
)

TODAY = date(2026, 11, 23)
ATOMAL = 1
REGISTRY = 7


def staff(
    *roles: str, level: Level = Level.CTS, registries: tuple[int, ...] = (REGISTRY,), person_id: int = 1
) -> Subject:
    return Subject(
        active=True,
        nationality="BEL",
        clearance=level,
        clearance_expires=date(2028, 1, 1),
        briefings=frozenset({"COSMIC", "ATOMAL"}),
        roles=frozenset(roles),
        registries=frozenset(registries),
        person_id=person_id,
    )


CTS_ATOMAL = Material(Level.CTS, ATOMAL)
NS_ATOMAL = Material(Level.NS, ATOMAL)
NS = Material(Level.NS, 0)
CONSENT = "originator consent SHAPE/J2 2026-11-20"


def test_cts_and_atomal_need_the_originators_consent_and_a_control_officers_approval():
    clerk, officer = staff("clerk"), staff("control_officer", person_id=2)
    assert reproduction_needs_approval(NATO, CTS_ATOMAL) and reproduction_needs_approval(NATO, NS_ATOMAL)
    assert may_request_reproduction(NATO, clerk, REGISTRY, CTS_ATOMAL, CONSENT, TODAY)
    without_consent = may_request_reproduction(NATO, clerk, REGISTRY, CTS_ATOMAL, "  ", TODAY)
    assert not without_consent and "originator's consent" in without_consent.render(str)
    at_once = may_reproduce(NATO, officer, REGISTRY, CTS_ATOMAL, CONSENT, TODAY)
    assert not at_once and "control officer of the registry approves" in at_once.render(str)
    assert may_approve_reproduction(NATO, officer, REGISTRY, 1, CTS_ATOMAL, TODAY)


def test_nobody_approves_their_own_request_and_only_a_control_officer_approves():
    officer = staff("control_officer", person_id=2)
    own = may_approve_reproduction(NATO, officer, REGISTRY, 2, CTS_ATOMAL, TODAY)
    assert not own and "their own" in own.render(str)
    assert not may_approve_reproduction(NATO, staff("clerk", person_id=3), REGISTRY, 1, CTS_ATOMAL, TODAY)
    other_registry = staff("control_officer", registries=(8,), person_id=2)
    assert not may_approve_reproduction(NATO, other_registry, REGISTRY, 1, CTS_ATOMAL, TODAY)
    uncleared = staff("control_officer", level=Level.NS, person_id=2)
    assert not may_approve_reproduction(NATO, uncleared, REGISTRY, 1, CTS_ATOMAL, TODAY)


def test_ns_is_reproduced_by_a_clerk_of_the_holding_registry_on_a_recorded_authority():
    clerk = staff("clerk")
    assert not reproduction_needs_approval(NATO, NS)
    assert may_reproduce(NATO, clerk, REGISTRY, NS, "request of J3", TODAY)
    assert not may_reproduce(NATO, clerk, REGISTRY, NS, "", TODAY)
    assert not may_reproduce(NATO, staff("clerk", registries=(8,)), REGISTRY, NS, "request of J3", TODAY)


def test_levels_without_copy_numbering_are_refused():
    refusal = may_reproduce(NATO, staff("clerk"), REGISTRY, Material(Level.NR, 0), "anything", TODAY)
    assert not refusal and "not copy-numbered" in refusal.render(str)


def test_a_clerk_not_cleared_for_the_material_cannot_reproduce_it():
    assert not may_reproduce(NATO, staff("clerk", level=Level.NC), REGISTRY, NS, "request of J3", TODAY)


def test_a_control_officer_does_not_approve_a_destruction_they_proposed():
    officer = staff("control_officer", person_id=2)
    assert may_approve_destruction(officer, REGISTRY, 1)
    own = may_approve_destruction(officer, REGISTRY, 2)
    assert not own and "they proposed" in own.render(str)
    assert not may_approve_destruction(staff("clerk", person_id=3), REGISTRY, 1)
    assert not may_approve_destruction(staff("control_officer", registries=(8,), person_id=2), REGISTRY, 1)
