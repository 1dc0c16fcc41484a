"""Generated people x documents with numbered copies: every custody surface shows exactly the
copies of the documents the policy lets the person read. The copy history page and its API, the
cover sheets, and a registry's holdings (page and API) for its staff; the expectation is the
policy's own decision (`services.decide`), never the access filter under test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrum.accounts.services import issue_token
from registrum.custody import copies as custody
from registrum.custody.models import Copy
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Action, Level, active_policy
from registrum.records import services
from registrum.records.models import Document
from tests.conftest import make_person

pytestmark = pytest.mark.django_db

_counter = itertools.count()


@dataclass(frozen=True)
class PersonSpec:
    level: Level | None
    expired: bool
    briefings: tuple[str, ...]
    nationality: str
    unit: str
    registry_staff: bool


@dataclass(frozen=True)
class DocSpec:
    level: Level
    atomal: bool
    releasable_to_aus: bool
    action_unit: str | None
    granted_to_person: bool


people = st.builds(
    PersonSpec,
    level=st.sampled_from([None, Level.NR, Level.NC, Level.NS, Level.CTS]),
    expired=st.booleans(),
    briefings=st.sampled_from([(), ("COSMIC",), ("ATOMAL",), ("COSMIC", "ATOMAL")]),
    nationality=st.sampled_from(["FRA", "AUS"]),
    unit=st.sampled_from(["eso", "ops"]),
    registry_staff=st.booleans(),
)
documents = st.builds(
    DocSpec,
    level=st.sampled_from([Level.NC, Level.NS, Level.CTS]),
    atomal=st.booleans(),
    releasable_to_aus=st.booleans(),
    action_unit=st.sampled_from([None, "eso", "ops"]),
    granted_to_person=st.booleans(),
)


@given(person_spec=people, doc_specs=st.lists(documents, min_size=1, max_size=3))
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_custody_surface_shows_exactly_the_copies_the_policy_allows(world, person_spec, doc_specs):
    n = next(_counter)
    person = make_person(
        f"copygen{n}",
        person_spec.nationality,
        getattr(world, person_spec.unit),
        person_spec.level,
        person_spec.briefings if person_spec.level is not None else (),
        (Role.CLERK,),
        expired=person_spec.expired,
    )
    if person_spec.registry_staff:
        org.add_registry_staff(SYSTEM, world.registry, person)
    atomal = active_policy().category_by_code["ATOMAL"].bit
    documents_made: list[Document] = []
    for i, spec in enumerate(doc_specs):
        registration = world.register(
            level=spec.level,
            subject=f"COPYGEN{n} subject {i}",
            category_mask=atomal if spec.atomal else 0,
            releasable_to=("AUS",) if spec.releasable_to_aus else (),
            action_units=[getattr(world, spec.action_unit)] if spec.action_unit else [],
        )
        document = registration.document
        custody.number_copies(world.clerk, document.public_id, registry=world.registry, count=2)
        if spec.granted_to_person:
            services.grant_access(world.clerk, document.public_id, person=person)
        documents_made.append(document)

    person.forget_subject()
    readable = {d.pk for d in documents_made if services.decide(person, Action.READ, d).allowed}
    copies = list(Copy.objects.filter(document__in=documents_made))
    expected = {c.public_id for c in copies if c.document_id in readable}
    assert (
        set(Copy.objects.visible_to(person).filter(document__in=documents_made).values_list("public_id", flat=True))
        == expected
    )

    web = Client()
    web.force_login(person)
    api = Client(headers={"Authorization": f"Bearer {issue_token(person, person, name='copies')}"})
    for document in documents_made:
        ok = document.pk in readable
        page = web.get(f"/custody/documents/{document.public_id}/")
        assert page.status_code == (200 if ok else 404)
        assert (document.subject.encode() in page.content) is False or ok
        listed = api.get(f"/api/v1/custody/documents/{document.public_id}/copies")
        assert listed.status_code == (200 if ok else 404)
        if ok:
            assert {c["id"] for c in listed.json()} == {c.public_id for c in copies if c.document_id == document.pk}
    for copy in copies:
        status = web.get(f"/custody/copies/{copy.public_id}/cover.pdf").status_code
        assert status == (200 if copy.public_id in expected else 404), copy.public_id

    # A registry's holdings, for its staff: exactly the visible copies, never one more.
    holdings_page = web.get(f"/custody/registries/{world.registry.code}/holdings/")
    holdings_api = api.get(f"/api/v1/custody/registries/{world.registry.code}/holdings?page_size=200")
    if person_spec.registry_staff and person.subject().active:
        assert holdings_page.status_code == 200
        html = holdings_page.content.decode()
        assert {c.public_id for c in copies if c.code in html} == expected
        assert holdings_api.status_code == 200
        shown = {c["id"] for c in holdings_api.json()["items"]}
        assert shown & {c.public_id for c in copies} == expected
    else:
        assert holdings_page.status_code in (403, 404)
        assert holdings_api.status_code in (403, 404)
