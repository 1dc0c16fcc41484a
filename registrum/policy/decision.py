"""The access decision and the pieces the queryset mirror is built from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from itertools import combinations

from registrum.policy.model import Level, Policy


class Action(Enum):
    READ = "read"


@dataclass(frozen=True)
class Subject:
    """What the policy needs to know about the person asking."""

    active: bool
    nationality: str
    clearance: Level | None = None
    clearance_expires: date | None = None
    briefings: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Resource:
    """What the policy needs to know about a document, for this subject."""

    level: Level
    category_mask: int
    releasable_to: frozenset[str]
    # Computed by the caller from the need-to-know rows (addressee, registry staff, grant...).
    need_to_know: bool


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def clearance_ceiling(policy: Policy, subject: Subject, today: date) -> Level:
    """The highest level the subject may read: their valid clearance, or what needs none."""
    no_clearance_ceiling = Level(policy.clearance_needed_from - 1)
    if subject.clearance is None:
        return no_clearance_ceiling
    if subject.clearance_expires is not None and subject.clearance_expires < today:
        return no_clearance_ceiling
    return max(subject.clearance, no_clearance_ceiling)


def admissible_category_masks(policy: Policy, subject: Subject) -> list[int]:
    """Every category mask whose briefings the subject holds all of (subsets of their briefings)."""
    held = [c.bit for c in policy.categories if c.briefing in subject.briefings]
    masks = {0}
    for size in range(1, len(held) + 1):
        for combo in combinations(held, size):
            masks.add(sum(combo))
    return sorted(masks)


def in_releasability(policy: Policy, nationality: str, releasable_to: frozenset[str]) -> bool:
    return nationality in policy.community or nationality in releasable_to


def may(policy: Policy, subject: Subject, action: Action, resource: Resource, today: date) -> Decision:
    """All conditions must hold; each is its own line so a test can reach every refusal."""
    if action is not Action.READ:
        return Decision(False, f"no rule for {action.value}")
    if not subject.active:
        return Decision(False, "account is not active")
    if resource.level > clearance_ceiling(policy, subject, today):
        return Decision(False, "no valid clearance at this level")
    if resource.category_mask not in admissible_category_masks(policy, subject):
        return Decision(False, "a required special-category briefing is missing")
    if not in_releasability(policy, subject.nationality, resource.releasable_to):
        return Decision(False, "nationality is outside the releasability")
    if not resource.need_to_know:
        return Decision(False, "no need-to-know")
    return Decision(True, "cleared, briefed, releasable and need-to-know")


def may_classify(policy: Policy, subject: Subject, level: Level, category_mask: int, today: date) -> Decision:
    """Nobody classifies above their own clearance or into a category they are not briefed for."""
    if not subject.active:
        return Decision(False, "account is not active")
    if level > clearance_ceiling(policy, subject, today):
        return Decision(False, f"your clearance does not reach {policy.levels[level].marking}")
    if category_mask not in admissible_category_masks(policy, subject):
        return Decision(False, "you are not briefed for every special category marked")
    return Decision(True, "within the classifier's clearance")
