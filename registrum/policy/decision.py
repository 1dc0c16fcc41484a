"""Every access decision, and the pieces the queryset mirror is built from.

`may(policy, subject, action, target, today)` answers every action a face offers: reading,
registering, adding versions, granting and revoking need-to-know, correcting and voiding a
registration, administering the organisation, issuing API tokens. Services ask it; faces never
decide. Deny by default: an action without a rule is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from itertools import combinations

from registrum.policy.model import Level, Policy

# Roles the policy knows by name (the org app stores them; the policy stays Django-free).
CLERK = "clerk"
CONTROL_OFFICER = "control_officer"
ADMINISTRATOR = "administrator"
AUDITOR = "auditor"
REGISTERING_ROLES = frozenset({CLERK, CONTROL_OFFICER})


class Action(Enum):
    READ = "read"
    REGISTER = "register"
    REGISTER_RECEIPT = "register_receipt"
    ADD_VERSION = "add_version"
    GRANT = "grant"
    REVOKE = "revoke"
    CORRECT = "correct"
    VOID = "void"
    ADMINISTER = "administer"
    ISSUE_TOKEN = "issue_token"
    # The audit trail as a whole (the auditor's pages), or one document's full history: who
    # else read, downloaded or was granted it.
    READ_AUDIT = "read_audit"


@dataclass(frozen=True)
class Subject:
    """What the policy needs to know about the person asking."""

    active: bool
    nationality: str
    clearance: Level | None = None
    clearance_expires: date | None = None
    briefings: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    # Registries the person is on the staff of (ids).
    registries: frozenset[int] = frozenset()
    person_id: int | None = None


@dataclass(frozen=True)
class Resource:
    """A document, as far as this subject is concerned."""

    level: Level
    category_mask: int
    releasable_to: frozenset[str]
    # Computed by the caller from the need-to-know rows (addressee, registry staff, grant...).
    need_to_know: bool
    # Registries where the document is registered (voided registrations excluded).
    holding_registries: frozenset[int] = frozenset()
    # For actions on one registration (correct, void): the registry it belongs to, and whether
    # it is already void.
    registration_registry: int | None = None
    registration_void: bool = False


@dataclass(frozen=True)
class RegistryTarget:
    """Entering something in a registry's register: the registry, and what would be entered."""

    registry_id: int
    accreditation: Level
    level: Level
    category_mask: int


@dataclass(frozen=True)
class PersonTarget:
    """An action about a person's account (tokens, administration)."""

    person_id: int | None
    active: bool


@dataclass(frozen=True)
class AuditTrailTarget:
    """The audit trail as a whole: what the auditor's pages and exports read."""


AUDIT_TRAIL = AuditTrailTarget()

Target = Resource | RegistryTarget | PersonTarget | AuditTrailTarget


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate"
    """Marks a reason for the translation catalogue (`makemessages --keyword=N_`) while the
    policy stays free of Django: faces translate `Decision.template` in the reader's language."""
    return message


@dataclass(frozen=True)
class Decision:
    """An answer and its reason: a template (English, marked for translation) and its values."""

    allowed: bool
    template: str
    params: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> str:
        return self.render(lambda text: text)

    def render(self, translate: Callable[[str], str]) -> str:
        """The reason in a language: `translate` is gettext, or the identity for English."""
        text = translate(self.template)
        return text % dict(self.params) if self.params else text


def _refuse(template: str, **params: str) -> Decision:
    return Decision(False, template, tuple(sorted(params.items())))


ALLOWED_READ = Decision(True, N_("cleared, briefed, releasable and need-to-know"))


def clearance_ceiling(policy: Policy, subject: Subject, today: date) -> Level:
    """The highest level the subject may read: their valid clearance, or what needs none.
    A level that needs a briefing of its own (COSMIC TOP SECRET needs COSMIC) is out of reach
    without it."""
    no_clearance_ceiling = Level(policy.clearance_needed_from - 1)
    if subject.clearance is None:
        return no_clearance_ceiling
    if subject.clearance_expires is not None and subject.clearance_expires < today:
        return no_clearance_ceiling
    ceiling = max(subject.clearance, no_clearance_ceiling)
    while ceiling > no_clearance_ceiling:
        briefing = policy.level_briefings.get(ceiling)
        if briefing is None or briefing in subject.briefings:
            break
        ceiling = Level(ceiling - 1)
    return ceiling


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


def may_hold(policy: Policy, subject: Subject, level: Level, category_mask: int, today: date) -> Decision:
    """The conditions on the person alone: cleared (with the level's own briefing) and briefed."""
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if level > clearance_ceiling(policy, subject, today):
        needs = policy.level_briefings.get(level)
        if needs and subject.clearance is not None and subject.clearance >= level and needs not in subject.briefings:
            return _refuse(
                N_("%(marking)s needs the %(briefing)s briefing"), marking=policy.levels[level].marking, briefing=needs
            )
        return Decision(False, N_("no valid clearance at this level"))
    if category_mask not in admissible_category_masks(policy, subject):
        return Decision(False, N_("a required special-category briefing is missing"))
    return Decision(True, N_("cleared and briefed"))


def _read(policy: Policy, subject: Subject, resource: Resource, today: date) -> Decision:
    held = may_hold(policy, subject, resource.level, resource.category_mask, today)
    if not held:
        return held
    if not in_releasability(policy, subject.nationality, resource.releasable_to):
        return Decision(False, N_("nationality is outside the releasability"))
    if not resource.need_to_know:
        return Decision(False, N_("no need-to-know"))
    return ALLOWED_READ


def _registers(subject: Subject) -> Decision:
    if not subject.roles & REGISTERING_ROLES:
        return Decision(False, N_("only registry clerks and control officers do this"))
    return Decision(True, N_("registry staff"))


def _registering_reader(policy: Policy, subject: Subject, resource: Resource, today: date) -> Decision:
    """Who acts on a document must be able to read it, and be a clerk or control officer."""
    read = _read(policy, subject, resource, today)
    return _registers(subject) if read else read


def _holding_staff(policy: Policy, subject: Subject, resource: Resource, today: date) -> Decision:
    """Staff (clerk or control officer) of a registry where the document is registered."""
    first = _registering_reader(policy, subject, resource, today)
    if not first:
        return first
    if not subject.registries & resource.holding_registries:
        return Decision(False, N_("only staff of a registry holding the document do this"))
    return Decision(True, N_("staff of a holding registry"))


def _registration_staff(policy: Policy, subject: Subject, resource: Resource, today: date) -> Decision:
    """Staff of the registry a registration belongs to, on a registration that is not void."""
    first = _registering_reader(policy, subject, resource, today)
    if not first:
        return first
    if resource.registration_registry not in subject.registries:
        return Decision(False, N_("only staff of the registry that made the registration do this"))
    if resource.registration_void:
        return Decision(False, N_("the registration is void"))
    return Decision(True, N_("staff of the registering registry"))


def _enter_in_registry(policy: Policy, subject: Subject, target: RegistryTarget, today: date) -> Decision:
    if not subject.active:
        return Decision(False, N_("account is not active"))
    role = _registers(subject)
    if not role:
        return role
    if target.registry_id not in subject.registries:
        return Decision(False, N_("you are not on the staff of this registry"))
    if target.level > target.accreditation:
        return _refuse(
            N_("the registry is accredited only up to %(marking)s"), marking=policy.levels[target.accreditation].marking
        )
    return may_classify(policy, subject, target.level, target.category_mask, today)


def may_classify(policy: Policy, subject: Subject, level: Level, category_mask: int, today: date) -> Decision:
    """Nobody classifies above their own clearance or into a category they are not briefed for."""
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if level > clearance_ceiling(policy, subject, today):
        return _refuse(N_("your clearance does not reach %(marking)s"), marking=policy.levels[level].marking)
    if category_mask not in admissible_category_masks(policy, subject):
        return Decision(False, N_("you are not briefed for every special category marked"))
    return Decision(True, N_("within the classifier's clearance"))


def _administer(subject: Subject) -> Decision:
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if ADMINISTRATOR not in subject.roles:
        return Decision(False, N_("only a system administrator does this"))
    return Decision(True, N_("system administrator"))


def _issue_token(subject: Subject, target: PersonTarget) -> Decision:
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if subject.person_id is None or target.person_id != subject.person_id:
        return Decision(False, N_("tokens are issued only to their owner: nobody acts as someone else"))
    if not target.active:
        return Decision(False, N_("account is not active"))
    return Decision(True, N_("own token"))


def _read_audit_trail(subject: Subject) -> Decision:
    """Auditors read the trail; nobody else does (administrators included: separation of
    duties). Documents above an auditor's clearance appear in it without their details."""
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if AUDITOR not in subject.roles:
        return Decision(False, N_("only auditors read the audit trail"))
    return Decision(True, N_("auditor"))


def _document_history(policy: Policy, subject: Subject, resource: Resource, today: date) -> Decision:
    """A document's whole history (who else read, downloaded, was granted it) is for the staff
    of a registry holding it and for auditors, among those who may read the document."""
    read = _read(policy, subject, resource, today)
    if not read:
        return read
    if AUDITOR in subject.roles:
        return Decision(True, N_("auditor"))
    if subject.roles & REGISTERING_ROLES and subject.registries & resource.holding_registries:
        return Decision(True, N_("staff of a holding registry"))
    return Decision(False, N_("only staff of a registry holding the document and auditors see who else had it"))


_DocumentRule = Callable[[Policy, Subject, Resource, date], Decision]
_DOCUMENT_RULES: dict[Action, _DocumentRule] = {
    Action.READ: _read,
    Action.ADD_VERSION: _holding_staff,
    Action.GRANT: _holding_staff,
    Action.REVOKE: _holding_staff,
    Action.CORRECT: _registration_staff,
    Action.VOID: _registration_staff,
    Action.READ_AUDIT: _document_history,
}


def may(policy: Policy, subject: Subject, action: Action, target: Target, today: date) -> Decision:
    """All conditions must hold; each is its own line so a test can reach every refusal."""
    if isinstance(target, Resource) and action in _DOCUMENT_RULES:
        return _DOCUMENT_RULES[action](policy, subject, target, today)
    if isinstance(target, RegistryTarget) and action in (Action.REGISTER, Action.REGISTER_RECEIPT):
        return _enter_in_registry(policy, subject, target, today)
    if isinstance(target, PersonTarget) and action is Action.ISSUE_TOKEN:
        return _issue_token(subject, target)
    if action is Action.ADMINISTER:
        return _administer(subject)
    if isinstance(target, AuditTrailTarget) and action is Action.READ_AUDIT:
        return _read_audit_trail(subject)
    return _refuse(N_("no rule for %(action)s on this target"), action=action.value)
