"""The handling rules of copies: which documents are accountable, where a copy may go, the
central registry chain for COSMIC TOP SECRET and ATOMAL, regrading and witnesses."""

from __future__ import annotations

from datetime import date

import pytest

from registrum.policy import NATO, Level, Subject
from registrum.policy.custody import (
    CopyNumbering,
    Material,
    Place,
    PlaceKind,
    control_officer_of,
    custody_staff,
    handling_for,
    may_move,
    may_place,
    may_regrade,
    may_witness,
)

TODAY = date(2026, 11, 27)
ATOMAL = 1
BOHEMIA = 2
CTS_ATOMAL = Material(Level.CTS, ATOMAL)
NS = Material(Level.NS, 0)
NS_ATOMAL = Material(Level.NS, ATOMAL)

CENTRAL = Place(PlaceKind.REGISTRY, "CR", place_id=1, accreditation=Level.CTS, registry_kind="central")
SUB = Place(PlaceKind.REGISTRY, "IMS-REG", place_id=2, accreditation=Level.CTS, registry_kind="sub", parent_id=1)
SIBLING = Place(PlaceKind.REGISTRY, "IS-REG", place_id=3, accreditation=Level.CTS, registry_kind="sub", parent_id=1)
CONTROL_POINT = Place(
    PlaceKind.REGISTRY, "OPS-CP", place_id=4, accreditation=Level.NC, registry_kind="control_point", parent_id=1
)
GRANDCHILD = Place(
    PlaceKind.REGISTRY, "CP-2", place_id=5, accreditation=Level.CTS, registry_kind="control_point", parent_id=2
)


def subject(
    level: Level | None,
    briefings: tuple[str, ...] = (),
    *,
    person_id: int = 7,
    nationality: str = "DEU",
    roles: tuple[str, ...] = (),
    registries: tuple[int, ...] = (),
) -> Subject:
    return Subject(
        active=True,
        nationality=nationality,
        clearance=level,
        clearance_expires=date(2027, 12, 31) if level is not None else None,
        briefings=frozenset(briefings),
        roles=frozenset(roles),
        registries=frozenset(registries),
        person_id=person_id,
    )


@pytest.mark.parametrize(
    ("level", "mask", "numbering", "signatures", "years"),
    [
        (Level.CTS, 0, CopyNumbering.REQUIRED, 2, 10),
        (Level.NS, 0, CopyNumbering.REQUIRED, 2, 5),
        (Level.NC, 0, CopyNumbering.OPTIONAL, 1, 2),
        (Level.NR, 0, CopyNumbering.NONE, 1, 0),
        # Any ATOMAL is handled as COSMIC TOP SECRET.
        (Level.NC, ATOMAL, CopyNumbering.REQUIRED, 2, 10),
        (Level.NS, BOHEMIA, CopyNumbering.REQUIRED, 2, 5),
    ],
)
def test_handling_table(level, mask, numbering, signatures, years):
    handling = handling_for(NATO, level, mask)
    assert handling.copies is numbering
    assert handling.destruction_signatures == signatures
    assert handling.certificate_years == years


def test_atomal_moves_only_along_the_central_registry_chain():
    assert may_move(NATO, CENTRAL, SUB, CTS_ATOMAL)
    assert may_move(NATO, SUB, CENTRAL, NS_ATOMAL)
    assert may_move(NATO, SUB, GRANDCHILD, CTS_ATOMAL)
    sideways = may_move(NATO, SUB, SIBLING, CTS_ATOMAL)
    assert not sideways
    assert "central registry chain" in sideways.reason
    assert not may_move(NATO, CENTRAL, GRANDCHILD, CTS_ATOMAL)  # skips a link
    person = Place(PlaceKind.PERSON, "@reader", place_id=9, person=subject(Level.CTS, ("COSMIC", "ATOMAL")))
    assert not may_move(NATO, SUB, person, CTS_ATOMAL)
    # NATO SECRET without ATOMAL has no chain rule.
    assert may_move(NATO, SUB, SIBLING, NS)
    assert may_move(NATO, SUB, person, NS)


def test_strict_material_leaves_the_organisation_only_through_the_central_registry():
    outside = Place(PlaceKind.EXTERNAL, "SHAPE Registry")
    assert may_move(NATO, CENTRAL, outside, CTS_ATOMAL)
    refused = may_move(NATO, SUB, outside, CTS_ATOMAL)
    assert not refused
    assert "only through the central registry" in refused.reason


def test_locations_carry_clearances():
    assert not may_place(NATO, CONTROL_POINT, NS, TODAY)
    assert "OPS-CP is not accredited for NATO SECRET" in may_place(NATO, CONTROL_POINT, NS, TODAY).reason
    cabinet = Place(PlaceKind.CONTAINER, "CAB-1", place_id=1, accreditation=Level.CTS, category_mask=0)
    refused = may_place(NATO, cabinet, CTS_ATOMAL, TODAY)
    assert not refused
    assert "not approved for ATOMAL" in refused.reason
    assert may_place(NATO, cabinet, Material(Level.CTS, 0), TODAY)
    retired = Place(PlaceKind.CONTAINER, "OLD", accreditation=Level.CTS, category_mask=ATOMAL, active=False)
    assert "not in service" in may_place(NATO, retired, NS, TODAY).reason


def test_a_person_holds_only_what_they_are_cleared_briefed_and_releasable_for():
    briefed = Place(PlaceKind.PERSON, "@a", person=subject(Level.CTS, ("COSMIC", "ATOMAL")))
    unbriefed = Place(PlaceKind.PERSON, "@b", person=subject(Level.CTS, ("COSMIC",)))
    partner = Place(PlaceKind.PERSON, "@c", person=subject(Level.NS, nationality="AUS"))
    assert may_place(NATO, briefed, CTS_ATOMAL, TODAY)
    assert not may_place(NATO, unbriefed, CTS_ATOMAL, TODAY)
    assert not may_place(NATO, partner, NS, TODAY)
    assert may_place(NATO, partner, Material(Level.NS, 0, frozenset({"AUS"})), TODAY)


def test_custody_acts_belong_to_the_holding_registrys_staff_and_approvals_to_its_control_officers():
    clerk = subject(Level.CTS, roles=("clerk",), registries=(1,))
    officer = subject(Level.CTS, roles=("control_officer",), registries=(1,))
    assert custody_staff(clerk, 1)
    assert not custody_staff(clerk, 2)
    assert not custody_staff(subject(Level.CTS, roles=("reader",), registries=(1,)), 1)
    assert control_officer_of(officer, 1)
    assert not control_officer_of(clerk, 1)
    assert not control_officer_of(officer, 2)


def test_nobody_regrades_beyond_their_own_clearance():
    ns_officer = subject(Level.NS)
    assert may_regrade(NATO, ns_officer, NS, Level.NC, 0, TODAY)
    up = may_regrade(NATO, ns_officer, NS, Level.CTS, 0, TODAY)
    assert not up
    assert "does not reach COSMIC TOP SECRET" in up.reason
    assert not may_regrade(NATO, ns_officer, CTS_ATOMAL, Level.NS, 0, TODAY)
    assert not may_regrade(NATO, ns_officer, NS, Level.NS, 0, TODAY)


def test_witnesses_are_cleared_and_never_the_destroyer():
    witness = subject(Level.CTS, ("COSMIC", "ATOMAL"), person_id=8)
    assert may_witness(NATO, witness, 7, CTS_ATOMAL, TODAY)
    assert "nobody witnesses their own destruction" in may_witness(NATO, witness, 8, CTS_ATOMAL, TODAY).reason
    assert not may_witness(NATO, subject(Level.NS, person_id=9), 7, CTS_ATOMAL, TODAY)
