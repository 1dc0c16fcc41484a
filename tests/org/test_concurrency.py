"""Administrative acts at the same moment: two crossing unit moves cannot build a cycle, and two
control officers confirming one request confirm it once."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta
from typing import Any

import pytest

from registrum.audit.models import AuditEvent
from registrum.org import services as org
from registrum.org.models import ClearanceRequest, Person, Role, Unit
from registrum.policy import Level
from tests.conftest import World, database_url, make_person
from tests.org import concurrent_worker

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(target: Any, argument_lists: list[tuple[Any, ...]]) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(argument_lists))
    results = context.Queue()
    workers = [
        context.Process(target=target, args=(database_url(), *arguments, barrier, results))
        for arguments in argument_lists
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return sorted(outcomes)


def test_crossing_moves_cannot_build_a_cycle(world: World) -> None:
    """ESO under OPS and OPS under ESO at once: one move happens, the other is refused."""
    outcomes = run_at_once(concurrent_worker.move, [("admin", "ESO", "OPS"), ("admin", "OPS", "ESO")])
    assert [kind for kind, _ in outcomes] == ["moved", "refused"]
    assert "cannot move under itself" in outcomes[1][1]
    units = {u.pk: u for u in Unit.objects.all()}
    for unit in units.values():  # every path is its parent's path and its own id: a tree
        parent_path = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent_path}{unit.pk}/", unit.code
    assert AuditEvent.objects.filter(event="org.unit_moved").count() == 1


def test_two_control_officers_confirm_a_request_once(world: World) -> None:
    for name in ("officer1", "officer2"):
        make_person(name, "BEL", world.hq, Level.CTS, ("COSMIC", "ATOMAL"), (Role.CONTROL_OFFICER,))
    admin = Person.objects.select_related("clearance").get(username="admin")
    request = org.set_clearance(
        admin, world.reader, level=Level.CTS, granted=date.today(), expires=date.today() + timedelta(days=365),
        briefings=["COSMIC"],
    )  # fmt: skip
    assert isinstance(request, ClearanceRequest)
    outcomes = run_at_once(concurrent_worker.confirm, [("officer1", request.pk), ("officer2", request.pk)])
    assert [kind for kind, _ in outcomes] == ["confirmed", "refused"]
    assert "confirmed already" in outcomes[1][1]
    assert AuditEvent.objects.filter(event="org.clearance_confirmed").count() == 1
    # The fixture's record, and the confirmed one.
    assert AuditEvent.objects.filter(event="org.clearance_set", target_id=world.reader.pk).count() == 2
