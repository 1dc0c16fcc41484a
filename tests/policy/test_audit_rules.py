"""Who reads the audit trail, and who sees a document's whole history."""

from __future__ import annotations

from datetime import date

from registrum.policy import AUDIT_TRAIL, NATO, Action, Level, Resource, Subject, may
from registrum.policy.decision import ADMINISTRATOR, AUDITOR, CLERK

TODAY = date(2026, 6, 1)


def _subject(*roles: str, active: bool = True, registries: frozenset[int] = frozenset()) -> Subject:
    return Subject(
        active=active,
        nationality="DNK",
        clearance=Level.NS,
        clearance_expires=date(2027, 1, 1),
        roles=frozenset(roles),
        registries=registries,
    )


def test_only_active_auditors_read_the_trail() -> None:
    assert may(NATO, _subject(AUDITOR), Action.READ_AUDIT, AUDIT_TRAIL, TODAY)
    for subject in (_subject(ADMINISTRATOR), _subject(CLERK), _subject(AUDITOR, active=False)):
        decision = may(NATO, subject, Action.READ_AUDIT, AUDIT_TRAIL, TODAY)
        assert not decision and decision.template in ("only auditors read the audit trail", "account is not active")


def test_a_documents_whole_history_is_for_holding_staff_and_auditors_who_may_read_it() -> None:
    held = Resource(Level.NS, 0, frozenset(), need_to_know=True, holding_registries=frozenset({7}))
    assert may(NATO, _subject(CLERK, registries=frozenset({7})), Action.READ_AUDIT, held, TODAY)
    assert may(NATO, _subject(AUDITOR), Action.READ_AUDIT, held, TODAY)
    reader = may(NATO, _subject("reader"), Action.READ_AUDIT, held, TODAY)
    assert reader.template == "only staff of a registry holding the document and auditors see who else had it"
    assert not may(NATO, _subject(CLERK, registries=frozenset({8})), Action.READ_AUDIT, held, TODAY)
    above = Resource(Level.CTS, 0, frozenset(), need_to_know=True, holding_registries=frozenset({7}))
    assert not may(NATO, _subject(AUDITOR), Action.READ_AUDIT, above, TODAY)
