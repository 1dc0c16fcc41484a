"""Every access decision, and the pieces the queryset mirror is built from.

`may(policy, subject, action, target, today)` answers every action a face offers: reading,
registering, adding versions, granting and revoking need-to-know, correcting and voiding a
registration, administering the organisation, issuing API tokens. Services ask it; faces never
decide. Deny by default: an action without a rule is refused.

Administration separates duties: nobody changes their own roles, clearance, status, unit,
nationality or registry staff membership; a clearance record that confers COSMIC TOP SECRET, a
special briefing, or more than its recorder holds waits for a control officer who is neither the
requester nor the person cleared, and who holds what they confirm (`needs_second_person`).
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
    ISSUE_TOKEN = "issue_token"  # noqa: S105 - an action's name
    # The audit trail as a whole (the auditor's pages), or one document's full history: who
    # else read, downloaded or was granted it.
    READ_AUDIT = "read_audit"
    # Administration of one person (PersonTarget) or of a clearance (ClearanceTarget): separation
    # of duties lives in these rules.
    CHANGE_PERSON = "change_person"
    # What need-to-know and releasability follow: unit, nationality, registry staff membership.
    CHANGE_AFFILIATION = "change_affiliation"
    DEACTIVATE = "deactivate"
    CHANGE_ROLES = "change_roles"
    CHANGE_CLEARANCE = "change_clearance"
    # Setting another person's password (ClearanceTarget: what that person holds now).
    SET_PASSWORD = "set_password"  # noqa: S105 - an action's name
    CONFIRM_CLEARANCE = "confirm_clearance"
    REJECT_CLEARANCE = "reject_clearance"


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


@dataclass(frozen=True)
class ClearanceTarget:
    """A clearance record someone wants for a person: what it would become, what the person holds
    now (None: no record), and who asked for it (for confirming a pending request)."""

    person_id: int | None
    active: bool
    level: Level
    briefings: frozenset[str]
    expires: date
    held_level: Level | None = None
    held_briefings: frozenset[str] = frozenset()
    held_expires: date | None = None
    requested_by: int | None = None

    def is_reduction(self) -> bool:
        """Lower or equal in every respect than what is held: it takes nothing new."""
        return (
            self.held_level is not None
            and self.held_expires is not None
            and self.level <= self.held_level
            and self.briefings <= self.held_briefings
            and self.expires <= self.held_expires
        )


Target = Resource | RegistryTarget | PersonTarget | ClearanceTarget | AuditTrailTarget


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


def _not_self(subject: Subject, target: PersonTarget | ClearanceTarget, template: str) -> Decision:
    if subject.person_id is not None and target.person_id == subject.person_id:
        return Decision(False, template)
    return Decision(True, N_("another person"))


_SELF_REFUSALS = {
    Action.CHANGE_ROLES: N_("nobody changes their own roles"),
    Action.CHANGE_AFFILIATION: N_(
        "nobody changes their own unit, nationality or registry staff membership: each decides what they may read"
    ),
    Action.DEACTIVATE: N_("nobody deactivates or reactivates their own account"),
    Action.CHANGE_CLEARANCE: N_("nobody changes their own clearance or briefings"),
    Action.CONFIRM_CLEARANCE: N_("nobody confirms their own clearance"),
    Action.REJECT_CLEARANCE: N_("nobody decides on their own clearance"),
}


def _administer_person(subject: Subject, action: Action, target: PersonTarget | ClearanceTarget) -> Decision:
    """An administrator acting on another person's account (their own details are theirs to
    correct; their own roles, clearance and status are not)."""
    allowed = _administer(subject)
    if not allowed:
        return allowed
    refusal = _SELF_REFUSALS.get(action)
    if refusal is not None:
        return _not_self(subject, target, refusal)
    return allowed


def _allow_because(template: str, **params: str) -> Decision:
    return Decision(True, template, tuple(sorted(params.items())))


def needs_second_person(policy: Policy, recorder: Subject | None, target: ClearanceTarget, today: date) -> Decision:
    """Whether a clearance record takes a control officer's confirmation before it takes effect,
    and why (allowed: it does). COSMIC TOP SECRET (the highest level, or any level with a briefing
    of its own) and every special briefing do; so does anything above the recorder's own valid
    clearance: nobody confers alone what they do not hold. A pure reduction takes effect at once.
    The operator setting a site up (recorder None) records directly."""
    if recorder is None or target.is_reduction():
        return Decision(False, N_("takes effect at once"))
    top = max(policy.levels)
    if target.level == top or target.level in policy.level_briefings:
        return _allow_because(
            N_("%(marking)s takes a control officer's confirmation"), marking=policy.levels[target.level].marking
        )
    if target.briefings:
        return Decision(True, N_("a special briefing takes a control officer's confirmation"))
    if target.level >= policy.clearance_needed_from and target.level > clearance_ceiling(policy, recorder, today):
        return Decision(True, N_("above your own clearance: a control officer confirms it"))
    return Decision(False, N_("takes effect at once"))


def _decide_clearance(
    policy: Policy, subject: Subject, action: Action, target: ClearanceTarget, today: date
) -> Decision:
    """A control officer, other than the requester and the person cleared, confirms or rejects a
    pending request; confirming, they must hold what they confirm."""
    if not subject.active:
        return Decision(False, N_("account is not active"))
    if CONTROL_OFFICER not in subject.roles:
        return Decision(False, N_("only a control officer confirms or rejects a clearance request"))
    if subject.person_id is not None and subject.person_id == target.requested_by:
        return Decision(False, N_("the requester cannot decide on their own request: a second person must"))
    refusal = _not_self(subject, target, _SELF_REFUSALS[action])
    if not refusal:
        return refusal
    if action is Action.CONFIRM_CLEARANCE:
        if target.level > clearance_ceiling(policy, subject, today) and target.level >= policy.clearance_needed_from:
            return _refuse(
                N_("your clearance does not reach %(marking)s: you cannot confirm it"),
                marking=policy.levels[target.level].marking,
            )
        if not target.briefings <= subject.briefings:
            return Decision(False, N_("you do not hold every briefing requested: you cannot confirm them"))
    return Decision(True, N_("a second person, control officer"))


def _set_password(policy: Policy, subject: Subject, target: ClearanceTarget, today: date) -> Decision:
    """Who sets a password can sign in with it: an administrator never sets the password of
    someone cleared or briefed beyond themselves (they would read above their own clearance)."""
    allowed = _administer(subject)
    if not allowed:
        return allowed
    if subject.person_id is not None and target.person_id == subject.person_id:
        return Decision(False, N_("change your own password on your account page"))
    beyond_level = target.level >= policy.clearance_needed_from and target.level > clearance_ceiling(
        policy, subject, today
    )
    if beyond_level or not target.briefings <= subject.briefings:
        return Decision(
            False,
            N_(
                "this person is cleared beyond you: they reset their password themselves, or an administrator "
                "cleared as high sets it"
            ),
        )
    return allowed


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
    if isinstance(target, PersonTarget) and action in (
        Action.CHANGE_PERSON,
        Action.CHANGE_AFFILIATION,
        Action.DEACTIVATE,
        Action.CHANGE_ROLES,
    ):
        return _administer_person(subject, action, target)
    if isinstance(target, ClearanceTarget) and action is Action.CHANGE_CLEARANCE:
        return _administer_person(subject, action, target)
    if isinstance(target, ClearanceTarget) and action is Action.SET_PASSWORD:
        return _set_password(policy, subject, target, today)
    if isinstance(target, ClearanceTarget) and action in (Action.CONFIRM_CLEARANCE, Action.REJECT_CLEARANCE):
        return _decide_clearance(policy, subject, action, target, today)
    if action is Action.ADMINISTER:
        return _administer(subject)
    if isinstance(target, AuditTrailTarget) and action is Action.READ_AUDIT:
        return _read_audit_trail(subject)
    return _refuse(N_("no rule for %(action)s on this target"), action=action.value)
