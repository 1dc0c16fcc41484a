"""Staff of a registry who are not cleared for some of its copies learn nothing about them from
the registry's loss reports and destructions: not the report, not its circumstances, not the
reason of a destruction, not that it exists (found from outside: the lists showed them)."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client

from registrum.custody import destruction, losses
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from tests.conftest import make_person

SECRET_WORDS = "left on the NPG briefing table"


@pytest.fixture
def ns_clerk(custody_world):
    clerk = make_person("nsclerk", "PRT", custody_world.world.hq, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, custody_world.central, clerk)
    return custody_world.fresh(clerk)


def test_a_loss_report_on_copies_above_a_staff_members_clearance_is_not_theirs_to_see(custody_world, ns_clerk):
    cw = custody_world
    report = losses.report_loss(
        cw.cr_clerk, cw.central, [cw.copies[0].public_id], kind="loss", circumstances=SECRET_WORDS
    )
    assert list(losses.reports_of(cw.cr_clerk, cw.central)) == [report]
    assert list(losses.reports_of(ns_clerk, cw.central)) == []
    with pytest.raises(Http404):
        losses.get_report(ns_clerk, report.public_id)
    client = Client()
    client.force_login(ns_clerk)
    assert SECRET_WORDS not in client.get("/custody/losses/?registry=CR").content.decode()
    assert client.get(f"/custody/losses/{report.public_id}/").status_code == 404


def test_a_destruction_of_copies_above_a_staff_members_clearance_is_not_theirs_to_see(custody_world, ns_clerk):
    cw = custody_world
    proposal = destruction.propose_destruction(cw.cr_clerk, cw.central, [cw.copies[0].public_id], SECRET_WORDS)
    assert list(destruction.destructions_of(ns_clerk, cw.central)) == []
    with pytest.raises(Http404):
        destruction.get_destruction(ns_clerk, proposal.public_id)
    client = Client()
    client.force_login(ns_clerk)
    page = client.get(f"/custody/registries/{cw.central.code}/destructions/")
    assert page.status_code == 200
    assert SECRET_WORDS not in page.content.decode()
    assert proposal.number not in page.content.decode()
