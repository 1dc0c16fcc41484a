"""Who may reproduce a numbered copy, and on what authority."""

from __future__ import annotations

from datetime import date

from registrum.policy import NATO, Level, Subject
from registrum.policy.custody import Material, may_reproduce

TODAY = date(2026, 11, 23)
ATOMAL = 1
REGISTRY = 7


def staff(*roles: str, level: Level = Level.CTS, registries: tuple[int, ...] = (REGISTRY,)) -> Subject:
    return Subject(
        active=True,
        nationality="BEL",
        clearance=level,
        clearance_expires=date(2028, 1, 1),
        briefings=frozenset({"COSMIC", "ATOMAL"}),
        roles=frozenset(roles),
        registries=frozenset(registries),
        person_id=1,
    )


CTS_ATOMAL = Material(Level.CTS, ATOMAL)
NS = Material(Level.NS, 0)


def test_cts_atomal_needs_the_originators_consent_and_a_control_officer():
    officer, clerk = staff("control_officer"), staff("clerk")
    assert may_reproduce(NATO, officer, REGISTRY, CTS_ATOMAL, "originator consent SHAPE/J2 2026-11-20", TODAY)
    without_consent = may_reproduce(NATO, officer, REGISTRY, CTS_ATOMAL, "  ", TODAY)
    assert not without_consent and "originator's consent" in without_consent.render(str)
    by_clerk = may_reproduce(NATO, clerk, REGISTRY, CTS_ATOMAL, "originator consent", TODAY)
    assert not by_clerk and "control officer" in by_clerk.render(str)


def test_ns_is_reproduced_by_a_clerk_of_the_holding_registry_on_a_recorded_authority():
    clerk = staff("clerk")
    assert may_reproduce(NATO, clerk, REGISTRY, NS, "request of J3", TODAY)
    assert not may_reproduce(NATO, clerk, REGISTRY, NS, "", TODAY)
    assert not may_reproduce(NATO, staff("clerk", registries=(8,)), REGISTRY, NS, "request of J3", TODAY)


def test_levels_without_copy_numbering_are_refused():
    refusal = may_reproduce(NATO, staff("clerk"), REGISTRY, Material(Level.NR, 0), "anything", TODAY)
    assert not refusal and "not copy-numbered" in refusal.render(str)


def test_a_clerk_not_cleared_for_the_material_cannot_reproduce_it():
    assert not may_reproduce(NATO, staff("clerk", level=Level.NC), REGISTRY, NS, "request of J3", TODAY)
