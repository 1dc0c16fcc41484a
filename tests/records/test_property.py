"""Over random people and documents, the queryset filter and the decision function agree."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrum.org import services as org
from registrum.org.models import Person, Role
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records import services
from registrum.records.models import Document, Registration
from tests.conftest import World, make_person

pytestmark = pytest.mark.django_db

levels = st.sampled_from(list(Level))
person_st = st.fixed_dictionaries(
    {
        "level": st.one_of(st.none(), levels),
        "expired": st.booleans(),
        "briefings": st.sets(st.sampled_from(["COSMIC", "ATOMAL", "BOHEMIA"])),
        "nationality": st.sampled_from(["DEU", "FRA", "AUS", "NZL", "JPN"]),
        "unit": st.sampled_from(["eso", "ops", "hq", "reg_unit", None]),
        "staff": st.sampled_from([None, "registry", "control_point"]),
        "active": st.booleans(),
    }
)
document_st = st.fixed_dictionaries(
    {
        "level": levels,
        "mask": st.integers(min_value=0, max_value=3),
        "releasable": st.sets(st.sampled_from(["AUS", "NZL", "JPN"])),
        "action": st.sets(st.sampled_from(["eso", "ops", "hq", "ims"])),
        "grants": st.sets(st.integers(min_value=0, max_value=4)),
        # Sent on to the control point (a registry grantee), which then registers its receipt.
        "received": st.booleans(),
    }
)


_serial = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person_st, min_size=1, max_size=5), documents=st.lists(document_st, min_size=1, max_size=5))
def test_queryset_and_decision_agree(
    world: World, people: list[dict[str, Any]], documents: list[dict[str, Any]]
) -> None:
    units = {"eso": world.eso, "ops": world.ops, "hq": world.hq, "reg_unit": world.reg_unit, "ims": world.eso.parent}
    org.set_clearance(
        SYSTEM,
        world.clerk,
        level=Level.CTS,
        granted=date.today() - timedelta(days=1),
        expires=date.today() + timedelta(days=9),
        briefings=["COSMIC", "ATOMAL", "BOHEMIA"],
    )
    world.clerk.refresh_from_db()
    world.clerk.forget_subject()
    persons: list[Person] = []
    for spec in people:
        person = make_person(
            f"p{next(_serial)}",
            spec["nationality"],
            units[spec["unit"]] if spec["unit"] else None,
            spec["level"],
            spec["briefings"],
            (Role.READER,),
            expired=spec["expired"],
        )
        if spec["staff"]:
            org.add_registry_staff(SYSTEM, getattr(world, spec["staff"]), person)
        if not spec["active"]:
            Person.objects.filter(pk=person.pk).update(is_active=False)
        persons.append(Person.objects.select_related("clearance", "unit").get(pk=person.pk))
    docs: list[Document] = []
    for spec in documents:
        document = world.register(
            level=spec["level"],
            category_mask=spec["mask"],
            releasable_to=tuple(sorted(spec["releasable"])),
            action_units=[units[u] for u in spec["action"]],
        ).document
        for index in spec["grants"]:
            if index < len(persons):
                services.grant_access(world.clerk, document.public_id, person=persons[index])
        if spec["received"] and spec["level"] <= world.control_point.accreditation:
            services.grant_access(world.clerk, document.public_id, registry=world.control_point)
            services.register_receipt(world.clerk, document.public_id, registry=world.control_point)
        docs.append(document)
    for person in persons:
        visible = set(Document.objects.visible_to(person).values_list("pk", flat=True))
        register = set(Registration.objects.visible_to(person).values_list("document_id", flat=True))
        for document in docs:
            decided = services.may_read(person, document).allowed
            assert decided == (document.pk in visible), (person.username, document.pk)
            # The register shows a document's registrations exactly when the document is visible.
            assert (document.pk in register) == decided, (person.username, document.pk)
