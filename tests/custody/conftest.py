"""A registry chain for custody tests: the central registry (CR, CTS) above the DGIMS
sub-registry (IMS-REG, CTS) and the OPS control point (OPS-CP, NC), their staff, a control
officer, a witness, containers, and a COSMIC TOP SECRET ATOMAL document registered in CR."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from registrum.custody import copies as custody
from registrum.custody.models import Container, Copy
from registrum.org import services as org
from registrum.org.models import Person, Registry, Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records.models import Registration
from tests.conftest import World, make_person


@dataclass
class Custody:
    world: World
    central: Registry
    sub: Registry  # IMS-REG, a child of CR
    control_point: Registry  # OPS-CP, NC only, a child of CR
    cr_clerk: Person
    officer: Person  # control officer of CR and IMS-REG
    witness: Person  # cleared CTS ATOMAL, on CR's staff as a clerk
    sub_clerk: Person  # world.clerk: staff of IMS-REG and OPS-CP
    cr_safe: Container  # CTS, ATOMAL approved
    cr_cabinet: Container  # NS only
    sub_safe: Container  # CTS, ATOMAL approved, in IMS-REG
    registration: Registration  # CTS ATOMAL, registered in CR
    copies: list[Copy]  # three copies, in CR's safe

    def fresh(self, person: Person) -> Person:
        return Person.objects.select_related("clearance", "unit").get(pk=person.pk)


@pytest.fixture
def custody_world(world: World) -> Custody:
    central = Registry.objects.get(code="CR")
    cr_clerk = make_person("crclerk", "BEL", world.hq, Level.CTS, ("COSMIC", "ATOMAL"), (Role.CLERK,))
    officer = make_person("officer", "NLD", world.hq, Level.CTS, ("COSMIC", "ATOMAL"), (Role.CONTROL_OFFICER,))
    witness = make_person("witness", "ITA", world.hq, Level.CTS, ("COSMIC", "ATOMAL"), (Role.CLERK,))
    for registry, person in (
        (central, cr_clerk),
        (central, officer),
        (world.registry, officer),
        (central, witness),
    ):
        org.add_registry_staff(SYSTEM, registry, person)
    cr_clerk, officer, witness = (
        Person.objects.select_related("clearance", "unit").get(pk=p.pk) for p in (cr_clerk, officer, witness)
    )
    cr_safe = custody.create_container(
        officer,
        registry=central,
        code="CR-SAFE-1",
        name="Central registry safe",
        accreditation=Level.CTS,
        categories=["ATOMAL"],
    )
    cr_cabinet = custody.create_container(
        officer,
        registry=central,
        code="CR-CAB-2",
        name="Central registry cabinet",
        accreditation=Level.NS,
    )
    sub_safe = custody.create_container(
        officer,
        registry=world.registry,
        code="IMS-SAFE-1",
        name="DGIMS safe",
        accreditation=Level.CTS,
        categories=["ATOMAL"],
    )
    registration = world.register(
        level=Level.CTS, category_mask=1, registry=central, actor=cr_clerk, subject="NUCLEAR PLANNING GROUP minutes"
    )
    copies = custody.number_copies(
        cr_clerk, registration.document.public_id, registry=central, count=3, container=cr_safe
    )
    return Custody(
        world=world,
        central=central,
        sub=world.registry,
        control_point=world.control_point,
        cr_clerk=cr_clerk,
        officer=officer,
        witness=witness,
        sub_clerk=world.clerk,
        cr_safe=cr_safe,
        cr_cabinet=cr_cabinet,
        sub_safe=sub_safe,
        registration=registration,
        copies=copies,
    )
