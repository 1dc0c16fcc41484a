"""Commands: regrade a document, apply the regrades due (daily), list the scheduled ones."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any

from django.utils import timezone

from registrum.custody import regrading
from registrum.custody.cli import Handler
from registrum.org.models import Person


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    regrade = commands.add_parser("regrade", help="record a downgrade, declassification or upgrade of a document")
    regrade.add_argument("document", help="the document's id")
    regrade.add_argument("--kind", required=True, choices=["downgrade", "declassify", "upgrade"])
    regrade.add_argument("--to", dest="to_level", default="", help="the new level (NS, NATO SECRET...)")
    regrade.add_argument("--categories", default="", help="special categories after it, e.g. ATOMAL (default none)")
    regrade.add_argument("--authority", required=True, help="who decided it, and their reference")
    regrade.add_argument("--on", dest="effective_on", type=date.fromisoformat, help="YYYY-MM-DD (default: now)")
    apply_due = commands.add_parser("apply-due", help="apply the scheduled regrades due (run daily)")
    apply_due.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    commands.add_parser("regrades", help="the scheduled regrades of my registries")
    return {"regrade": _regrade, "apply-due": _apply_due, "regrades": _queue}


def _regrade(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    recorded = regrading.record_regrade(
        actor,
        options["document"],
        kind=options["kind"],
        to_level=options["to_level"] or None,
        to_categories=options["categories"],
        authority=options["authority"],
        effective_on=options["effective_on"],
    )
    state = "applied" if recorded.applied_at else f"scheduled for {recorded.effective_on}"
    write(f"{recorded.public_id} {recorded.kind} to {recorded.to_marking}: {state}")


def _apply_due(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    regrading.require_custody_staff(actor, "apply_due_regrades")
    result = regrading.apply_due_regrades(actor, options["today"] or timezone.localdate())
    for applied in result.applied:
        write(f"applied {applied.public_id}: {applied.document.public_id} now {applied.to_marking}")
    for refused, reason in result.refused:
        write(f"NOT applied {refused.public_id}: {refused.document.public_id}: {reason}")
    write(f"{len(result.applied)} applied, {len(result.refused)} not applied")


def _queue(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    regrading.require_custody_staff(actor, "regrades_due")
    today = timezone.localdate()
    for r in regrading.pending_for(actor):
        due = " DUE" if r.effective_on <= today else ""
        write(f"{r.effective_on}{due}\t{r.document.public_id}\t{r.kind} to {r.to_marking}\t{r.authority}")
