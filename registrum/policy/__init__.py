"""The security policy: pure rules, no database, no Django.

`may(subject, action, resource)` is the one access decision. The records app mirrors it as a
queryset filter built from the helpers below (`clearance_ceiling`, `admissible_category_masks`,
`in_community`), and a property test keeps the two identical.
"""

from registrum.policy.decision import (
    AUDIT_TRAIL,
    Action,
    AuditTrailTarget,
    ClearanceTarget,
    Decision,
    PersonTarget,
    RegistryTarget,
    Resource,
    Subject,
    admissible_category_masks,
    clearance_ceiling,
    may,
    may_classify,
    may_hold,
    needs_second_person,
)
from registrum.policy.model import (
    NATO,
    Category,
    Level,
    Policy,
    active_policy,
)

__all__ = [
    "AUDIT_TRAIL",
    "NATO",
    "Action",
    "AuditTrailTarget",
    "Category",
    "ClearanceTarget",
    "Decision",
    "Level",
    "PersonTarget",
    "Policy",
    "RegistryTarget",
    "Resource",
    "Subject",
    "active_policy",
    "admissible_category_masks",
    "clearance_ceiling",
    "may",
    "may_classify",
    "may_hold",
    "needs_second_person",
]
