"""Accountability of copies: the handling rules per level, and where a copy may go.

Pure rules, like the rest of the policy. The custody app asks them before every movement:
whether a document gets numbered copies, whether a place (registry, security container,
person, outside addressee) may hold a copy of it, whether a movement keeps to the central
registry chain, and how many people sign a destruction.

Defaults follow the handling table of DESIGN.md (NATO member and EU registry practice):

| level           | copy-numbered | receipt | inventory           | destruction signatures | certificate kept |
|-----------------|---------------|---------|---------------------|------------------------|------------------|
| CTS, any ATOMAL | yes           | yes     | yearly, on handover | 2 (destroyer, witness) | 10 years         |
| NS              | yes           | yes     | yearly              | 2 (destroyer, witness) | 5 years          |
| NC              | optional      | asked   | none                | 1, recorded            | 2 years          |
| NR, NU          | no            | no      | none                | 1, in bulk             | none             |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from registrum.policy.decision import (
    CONTROL_OFFICER,
    N_,
    REGISTERING_ROLES,
    Decision,
    Subject,
    _refuse,
    in_releasability,
    may_classify,
    may_hold,
)
from registrum.policy.model import Level, Policy


class CopyNumbering(Enum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


@dataclass(frozen=True)
class Handling:
    """How copies of a document at one level (or in a strict special category) are handled."""

    copies: CopyNumbering
    # A transfer waits for the receiver's acknowledgement (else it is received on dispatch).
    receipt_on_transfer: bool
    # Months between inventories of the holdings (None: no periodic inventory); and whether a
    # change of custodian calls for one.
    inventory_months: int | None
    inventory_on_handover: bool
    # Persons who sign a destruction certificate: the destroyer and (signatures - 1) witnesses.
    destruction_signatures: int
    certificate_years: int
    # Moves only between a registry and its parent or child registry (never sideways, never to a
    # person on a hand receipt; outside the organisation only from the central registry).
    central_chain_only: bool
    # Reproduction, extracts and translations need the originator's consent, recorded.
    reproduction_needs_consent: bool
    # Days a receipt may stay outstanding before it is flagged, and a charge-out's usual term.
    receipt_suspense_days: int = 10
    charge_out_days: int = 5

    @property
    def accountable(self) -> bool:
        return self.copies is CopyNumbering.REQUIRED


STRICT = Handling(
    copies=CopyNumbering.REQUIRED,
    receipt_on_transfer=True,
    inventory_months=12,
    inventory_on_handover=True,
    destruction_signatures=2,
    certificate_years=10,
    central_chain_only=True,
    reproduction_needs_consent=True,
)
NATO_HANDLING: dict[Level, Handling] = {
    Level.CTS: STRICT,
    Level.NS: Handling(
        copies=CopyNumbering.REQUIRED,
        receipt_on_transfer=True,
        inventory_months=12,
        inventory_on_handover=False,
        destruction_signatures=2,
        certificate_years=5,
        central_chain_only=False,
        reproduction_needs_consent=False,
    ),
    Level.NC: Handling(
        copies=CopyNumbering.OPTIONAL,
        receipt_on_transfer=False,
        inventory_months=None,
        inventory_on_handover=False,
        destruction_signatures=1,
        certificate_years=2,
        central_chain_only=False,
        reproduction_needs_consent=False,
    ),
    Level.NR: Handling(
        copies=CopyNumbering.NONE,
        receipt_on_transfer=False,
        inventory_months=None,
        inventory_on_handover=False,
        destruction_signatures=1,
        certificate_years=0,
        central_chain_only=False,
        reproduction_needs_consent=False,
    ),
}
NATO_HANDLING[Level.NU] = NATO_HANDLING[Level.NR]
# Special categories whose documents are handled as COSMIC TOP SECRET at any level (ATOMAL).
NATO_STRICT_CATEGORIES = frozenset({"ATOMAL"})


def handling_for(policy: Policy, level: Level, category_mask: int) -> Handling:
    """The handling of a document: its level's, or the strictest when a strict category is marked."""
    table = NATO_HANDLING  # one place to make it per-policy when another policy arrives
    strict_bits = sum(c.bit for c in policy.categories if c.code in NATO_STRICT_CATEGORIES)
    if category_mask & strict_bits:
        return table[max(policy.levels)]
    return table[level]


class PlaceKind(Enum):
    REGISTRY = "registry"
    CONTAINER = "container"
    PERSON = "person"
    EXTERNAL = "external"


@dataclass(frozen=True)
class Place:
    """Where a copy would go: a registry (with its accreditation, kind and parent), a security
    container (its accreditation and the special categories it is approved for), a person (the
    policy's Subject), or an addressee outside the organisation."""

    kind: PlaceKind
    label: str
    place_id: int | None = None
    accreditation: Level | None = None
    category_mask: int = 0
    registry_kind: str = ""  # "central", "sub", "control_point"
    parent_id: int | None = None
    person: Subject | None = None
    active: bool = True


@dataclass(frozen=True)
class Material:
    """What moves: the classification of a copy."""

    level: Level
    category_mask: int
    releasable_to: frozenset[str] = frozenset()


def may_place(policy: Policy, place: Place, material: Material, today: date) -> Decision:
    """Locations carry clearances: a registry or container accredited for the level (and a
    container approved for every special category), a person cleared, briefed and within the
    releasability."""
    marking = policy.levels[material.level].marking
    if not place.active:
        return _refuse(N_("%(place)s is not in service"), place=place.label)
    accredited_place = place.kind in (PlaceKind.REGISTRY, PlaceKind.CONTAINER)
    if accredited_place and (place.accreditation is None or material.level > place.accreditation):
        return _refuse(N_("%(place)s is not accredited for %(marking)s"), place=place.label, marking=marking)
    if place.kind is PlaceKind.CONTAINER:
        missing = material.category_mask & ~place.category_mask
        if missing:
            codes = "/".join(policy.category_codes(missing))
            return _refuse(N_("%(place)s is not approved for %(categories)s"), place=place.label, categories=codes)
    if place.kind is PlaceKind.PERSON:
        if place.person is None:
            return _refuse(N_("%(place)s is unknown"), place=place.label)
        held = may_hold(policy, place.person, material.level, material.category_mask, today)
        if not held:
            return _refuse(N_("%(place)s cannot hold it: %(reason)s"), place=place.label, reason=held.reason)
        if not in_releasability(policy, place.person.nationality, material.releasable_to):
            return _refuse(N_("%(place)s is outside the releasability"), place=place.label)
    return Decision(True, N_("accredited and cleared for it"))


def may_move(policy: Policy, origin: Place, destination: Place, material: Material) -> Decision:
    """The chain rule: strictly handled material (COSMIC TOP SECRET, ATOMAL) moves only between a
    registry and its parent or child, and leaves the organisation only from the central registry."""
    handling = handling_for(policy, material.level, material.category_mask)
    if not handling.central_chain_only:
        return Decision(True, N_("no chain rule at this level"))
    marking = policy.marking(material.level, material.category_mask)
    refusal = _refuse(
        N_("%(marking)s moves only along the central registry chain (registry to parent or child registry)"),
        marking=marking,
    )
    if origin.kind is not PlaceKind.REGISTRY:
        return refusal
    if destination.kind is PlaceKind.EXTERNAL:
        if origin.registry_kind != "central":
            return _refuse(N_("%(marking)s leaves the organisation only through the central registry"), marking=marking)
        return Decision(True, N_("from the central registry"))
    if destination.kind is not PlaceKind.REGISTRY:
        return refusal
    if destination.parent_id == origin.place_id or origin.parent_id == destination.place_id:
        return Decision(True, N_("along the central registry chain"))
    return refusal


def custody_staff(subject: Subject, registry_id: int | None) -> Decision:
    """Clerks and control officers of the registry that holds the copies act on them."""
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if not subject.roles & REGISTERING_ROLES:
        return Decision(False, N_("only registry clerks and control officers do this"))
    if registry_id is None or registry_id not in subject.registries:
        return Decision(False, N_("only staff of the registry holding the copies do this"))
    return Decision(True, N_("staff of the holding registry"))


def control_officer_of(subject: Subject, registry_id: int | None) -> Decision:
    """Approvals (reproduction, destruction, regrading records, loss reports) are a control
    officer's, of the registry concerned."""
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if CONTROL_OFFICER not in subject.roles:
        return Decision(False, N_("only a control officer approves this"))
    if registry_id is None or registry_id not in subject.registries:
        return Decision(False, N_("only a control officer of the registry concerned approves this"))
    return Decision(True, N_("control officer of the registry"))


def may_regrade(
    policy: Policy, subject: Subject, current: Material, new_level: Level, new_mask: int, today: date
) -> Decision:
    """Regrading is recorded on the originator's authority by whoever may classify at both ends:
    nobody classifies above their own clearance, and a downgrade never reaches the lowest level
    (that is a declassification)."""
    for level, mask in ((current.level, current.category_mask), (new_level, new_mask)):
        allowed = may_classify(policy, subject, level, mask, today)
        if not allowed:
            return allowed
    if new_level == current.level and new_mask == current.category_mask:
        return Decision(False, N_("the new classification is the same as the current one"))
    return Decision(True, N_("within the classifier's clearance"))


def may_witness(
    policy: Policy, witness: Subject, destroyer_id: int | None, material: Material, today: date
) -> Decision:
    """A witness is a cleared person other than the destroyer, able to hold what is destroyed."""
    if witness.person_id is not None and witness.person_id == destroyer_id:
        return Decision(False, N_("nobody witnesses their own destruction"))
    held = may_hold(policy, witness, material.level, material.category_mask, today)
    if not held:
        return _refuse(N_("the witness is not cleared for it: %(reason)s"), reason=held.reason)
    return Decision(True, N_("a cleared witness"))


# Copies ---------------------------------------------------------------------------------------
# (a block of the "copies" part)

# A security container's combination is changed at least this often, whatever it holds.
COMBINATION_CHANGE_MONTHS = 12


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it has fewer)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def combination_change_due(last_changed: date | None, today: date) -> bool:
    """A container whose combination was never recorded, or last changed more than
    COMBINATION_CHANGE_MONTHS ago, is due a change."""
    return last_changed is None or last_changed < months_before(today, COMBINATION_CHANGE_MONTHS)


def inventory_due(last_closed: date | None, months: int | None, today: date) -> bool:
    """Holdings whose handling calls for a periodic inventory are due one when none was ever
    closed, or the last closed more than `months` ago."""
    if months is None:
        return False
    return last_closed is None or last_closed < months_before(today, months)


# Refusals of the reproduction rules that are about the request (answered on a field), not the person.
NOT_COPY_NUMBERED = N_("%(marking)s documents are not copy-numbered")
CONSENT_NOT_RECORDED = N_("reproducing %(marking)s needs the originator's consent, recorded as the authority")
AUTHORITY_NOT_RECORDED = N_("a reproduction needs a recorded authority")
APPROVAL_NEEDED = N_("%(marking)s is reproduced only on a request a control officer of the registry approves")


def reproduction_needs_approval(policy: Policy, material: Material) -> bool:
    """Material whose reproduction needs the originator's consent (COSMIC TOP SECRET, ATOMAL) is
    reproduced on a clerk's request that a control officer approves (four eyes)."""
    return handling_for(policy, material.level, material.category_mask).reproduction_needs_consent


def may_request_reproduction(
    policy: Policy, subject: Subject, registry_id: int | None, material: Material, authority: str, today: date
) -> Decision:
    """Reproductions, extracts and translations of a numbered copy are asked for by staff of the
    registry that holds it, cleared for it, on a recorded authority: where the handling needs the
    originator's consent (COSMIC TOP SECRET, ATOMAL) the authority names that consent."""
    handling = handling_for(policy, material.level, material.category_mask)
    if handling.copies is CopyNumbering.NONE:
        return _refuse(NOT_COPY_NUMBERED, marking=policy.levels[material.level].marking)
    staff = custody_staff(subject, registry_id)
    if not staff:
        return staff
    held = may_hold(policy, subject, material.level, material.category_mask, today)
    if not held:
        return held
    if not authority.strip():
        if handling.reproduction_needs_consent:
            return _refuse(CONSENT_NOT_RECORDED, marking=policy.marking(material.level, material.category_mask))
        return Decision(False, AUTHORITY_NOT_RECORDED)
    return Decision(True, N_("by the holding registry, on a recorded authority"))


def may_reproduce(
    policy: Policy, subject: Subject, registry_id: int | None, material: Material, authority: str, today: date
) -> Decision:
    """Reproducing at once, without an approval step: what may be requested, unless the policy
    wants a control officer's approval."""
    requested = may_request_reproduction(policy, subject, registry_id, material, authority, today)
    if not requested:
        return requested
    if reproduction_needs_approval(policy, material):
        return _refuse(APPROVAL_NEEDED, marking=policy.marking(material.level, material.category_mask))
    return requested


def may_approve_reproduction(
    policy: Policy,
    approver: Subject,
    registry_id: int | None,
    requester_id: int | None,
    material: Material,
    today: date,
) -> Decision:
    """A control officer of the holding registry, cleared for the material, approves another
    person's request."""
    officer = control_officer_of(approver, registry_id)
    if not officer:
        return officer
    held = may_hold(policy, approver, material.level, material.category_mask, today)
    if not held:
        return held
    if approver.person_id is not None and approver.person_id == requester_id:
        return Decision(False, N_("nobody approves their own reproduction request"))
    return Decision(True, N_("a control officer of the registry, approving another person's request"))


def may_approve_destruction(approver: Subject, registry_id: int | None, proposer_id: int | None) -> Decision:
    """A control officer of the registry approves a destruction someone else proposed (four eyes:
    a control officer's own proposal waits for another control officer)."""
    officer = control_officer_of(approver, registry_id)
    if not officer:
        return officer
    if approver.person_id is not None and approver.person_id == proposer_id:
        return Decision(False, N_("a control officer does not approve a destruction they proposed"))
    return Decision(True, N_("a control officer of the registry, approving another person's proposal"))


# Inventories: who may take one ------------------------------------------------------------------
# (a block of the "api" helper)


def may_take_inventory(policy: Policy, subject: Subject, listed: Iterable[tuple[Level, int]], today: date) -> Decision:
    """An inventory lists a registry's holdings without the access filter (it is a muster of the
    registry): whoever starts, reads or closes it must be cleared for every level and special
    category it lists, or it would count, name and close as lost copies they may not see."""
    for level, mask in listed:
        held = may_hold(policy, subject, level, mask, today)
        if not held:
            return _refuse(N_("the inventory lists copies you are not cleared for: %(reason)s"), reason=held.reason)
    return Decision(True, N_("cleared for every copy the inventory lists"))
