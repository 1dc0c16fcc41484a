"""Generated people x documents x surfaces: for people and documents drawn by hypothesis (any
clearance, expired or not, briefings, nationality, unit, registry staff or not; any level,
category, releasability, addressee and grant), every read surface shows exactly the documents the
policy lets that person read, and counts exactly those: the web register (list, search, count),
the document page, the CSV export, the API's register, document and lookup. The expectation is
the policy's own decision (`services.decide`), never the access filter under test."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrum.accounts.services import issue_token
from registrum.org import services as org
from registrum.org.models import Role
from registrum.org.services import SYSTEM
from registrum.policy import Action, Level, active_policy
from registrum.records import services
from registrum.records.models import Document, Registration
from tests.conftest import make_person

pytestmark = pytest.mark.django_db

_counter = itertools.count()
LEVELS = [Level.NU, Level.NR, Level.NC, Level.NS, Level.CTS]


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
    addressed_to_person: bool
    granted_to_person: bool


people = st.builds(
    PersonSpec,
    level=st.sampled_from([None, Level.NR, Level.NC, Level.NS, Level.CTS]),
    expired=st.booleans(),
    briefings=st.sampled_from([(), ("COSMIC",), ("ATOMAL",), ("COSMIC", "ATOMAL")]),
    nationality=st.sampled_from(["FRA", "DEU", "AUS"]),
    unit=st.sampled_from(["eso", "ops", "hq"]),
    registry_staff=st.booleans(),
)
documents = st.builds(
    DocSpec,
    level=st.sampled_from(LEVELS),
    atomal=st.booleans(),
    releasable_to_aus=st.booleans(),
    action_unit=st.sampled_from([None, "eso", "ops"]),
    addressed_to_person=st.booleans(),
    granted_to_person=st.booleans(),
)


def _make(world, spec: PersonSpec, n: int):
    person = make_person(
        f"gen{n}",
        spec.nationality,
        getattr(world, spec.unit),
        spec.level,
        spec.briefings if spec.level is not None else (),
        (Role.READER,),
        expired=spec.expired,
    )
    if spec.registry_staff:
        org.add_registry_staff(SYSTEM, world.registry, person)
        person.forget_subject()
    return person


@given(person_spec=people, doc_specs=st.lists(documents, min_size=1, max_size=4))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_surface_shows_and_counts_exactly_what_the_policy_allows(world, person_spec, doc_specs):
    n = next(_counter)
    person = _make(world, person_spec, n)
    token = f"GENMATRIX{n:04d}X"
    atomal = active_policy().category_by_code["ATOMAL"].bit
    registered: list[Registration] = []
    for i, spec in enumerate(doc_specs):
        registration = world.register(
            level=spec.level,
            subject=f"{token} subject {i}",
            originator_reference=f"{token}-REF-{i}",
            category_mask=atomal if spec.atomal else 0,
            releasable_to=("AUS",) if spec.releasable_to_aus else (),
            action_units=[getattr(world, spec.action_unit)] if spec.action_unit else [],
            action_persons=[person] if spec.addressed_to_person else [],
        )
        if spec.granted_to_person:
            services.grant_access(world.clerk, registration.document.public_id, person=person)
        registered.append(registration)

    person.forget_subject()
    expected = {
        r.number
        for r in registered
        if services.decide(person, Action.READ, Document.objects.get(pk=r.document_id)).allowed
    }
    web = Client()
    web.force_login(person)
    api = Client(headers={"Authorization": f"Bearer {issue_token(person, person, name='matrix')}"})

    # The web register: rows and the count, searched by the example's token.
    html = web.get(reverse("records:list"), {"q": token}).content.decode()
    shown = {r.number for r in registered if f">{r.number}</a>" in html}
    assert shown == expected, ("web list", person_spec, doc_specs)
    count_text = f"{len(expected)} registration" if expected else "No registrations found."
    assert count_text in html

    # Each document page: 200 exactly for the readable ones, else the same 404 as a missing one.
    for r in registered:
        status = web.get(reverse("records:detail", args=[r.document.public_id])).status_code
        assert status == (200 if r.number in expected else 404), ("web detail", r.number)
        api_status = api.get(f"/api/v1/documents/{r.document.public_id}").status_code
        assert api_status == (200 if r.number in expected else 404), ("api detail", r.number)

    # The CSV export of the same search.
    exported = web.get(reverse("records:export"), {"q": token}).content.decode("utf-8-sig")
    exported_numbers = {row[0] for row in csv.reader(io.StringIO(exported)) if row and token in ",".join(row)}
    assert exported_numbers == expected, ("export", person_spec, doc_specs)

    # The API's register and lookup.
    page = api.get("/api/v1/registrations", {"q": token}).json()
    assert {item["number"] for item in page["items"]} == expected, ("api list", person_spec, doc_specs)
    assert page["count"] == len(expected)
    for r in registered:
        found = api.get("/api/v1/documents/lookup", {"q": r.number}).json()
        assert bool(found) == (r.number in expected), ("api lookup", r.number)
    # Nothing unreadable leaks by subject or reference in any of those answers.
    hidden = [r for r in registered if r.number not in expected]
    for r in hidden:
        i = registered.index(r)
        for body in (html, exported, str(page)):
            assert f"{token} subject {i}" not in body and f"{token}-REF-{i}" not in body
