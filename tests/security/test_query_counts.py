"""Query-count guards: the register's pages and API answer in a number of queries that does not
grow with the number of rows they show (no query per registration, addressee, grant, version or
history event).

Each page is measured at two sizes, 5 and 60 rows, as three viewers who see the rows through
different need-to-know paths; the counts must be equal, and the page must stay within that count
plus a small margin (`django_assert_max_num_queries`). With -s the measured counts are printed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registrum.accounts.services import issue_token
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.org.models import Person, Role
from registrum.policy import Level
from registrum.records import services
from registrum.records.models import Registration
from tests.conftest import World, make_person

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 60
MARGIN = 2
# Who looks: the clerk sees through their registry's staff, the reader through their unit's
# addressing, the action officer through their own name.
VIEWERS = ("clerk", "reader", "officer")


@dataclass
class Site:
    world: World
    officer: Person
    rows: int = 0
    people: int = 0
    # The document a detail page shows, at each size.
    documents: dict[int, Registration] = field(default_factory=dict)

    def viewer(self, name: str) -> Person:
        return self.officer if name == "officer" else getattr(self.world, name)

    def person(self) -> Person:
        self.people += 1
        return make_person(f"person{self.people}", "BEL", self.world.hq, Level.NS, (), (Role.READER,))

    def grow_register_to(self, n: int) -> None:
        """n registrations in the list, each with addressees (two units and a person), a grant and
        a version."""
        w = self.world
        while self.rows < n:
            self.rows += 1
            registration = w.register(
                level=Level.NS,
                subject=f"Readiness report {self.rows}",
                originator_reference=f"RR-{self.rows:04d}",
                action_units=[w.eso],
                info_units=[w.ops],
                action_persons=[self.officer],
                upload=services.Upload("a.txt", io.BytesIO(f"report {self.rows}\n".encode())),
            )
            services.grant_access(w.clerk, registration.document.public_id, person=w.outsider)

    def document_with_rows(self, n: int) -> Registration:
        """A document with n addressees, n grants and n versions (and their history)."""
        w = self.world
        addressees = [self.person() for _ in range(n)]
        registration = w.register(
            level=Level.NC,
            subject=f"A document with {n} of everything",
            action_units=[w.eso],
            action_persons=[self.officer],
            info_persons=addressees,
            upload=services.Upload("v1.txt", io.BytesIO(b"v1\n")),
        )
        doc_id = registration.document.public_id
        for i in range(2, n + 1):
            services.add_version(w.clerk, doc_id, services.Upload(f"v{i}.txt", io.BytesIO(b"v\n")))
        for _ in range(n):
            services.grant_access(w.clerk, doc_id, person=self.person())
        return registration

    def document_with_registrations(self, n: int) -> Registration:
        """A document with n registrations: one, then receipts in the control point, each voided
        so the next may follow (every one stays on the page, marked VOID)."""
        w = self.world
        registration = w.register(
            level=Level.NC,
            subject=f"A document registered {n} times",
            action_units=[w.eso],
            action_persons=[self.officer],
        )
        doc_id = registration.document.public_id
        for _ in range(n - 1):
            receipt = services.register_receipt(w.clerk, doc_id, registry=w.control_point)
            services.void_registration(w.clerk, receipt.public_id, "received twice")
        return registration


@pytest.fixture
def site(world: World) -> Site:
    return Site(world, make_person("officer", "POL", world.ops, Level.NS, (), (Role.ACTION_OFFICER,)))


Url = Callable[[Site, int], str]


def _detail(site: Site, n: int) -> str:
    return reverse("records:detail", args=[site.documents[n].document.public_id])


def _api_detail(site: Site, n: int) -> str:
    return f"/api/v1/documents/{site.documents[n].document.public_id}"


LISTS: dict[str, Url] = {
    "register list": lambda site, n: reverse("records:list"),
    "register list, text filter": lambda site, n: reverse("records:list") + "?q=report",
    "API list": lambda site, n: "/api/v1/registrations?page_size=50",
}
DETAILS: dict[str, Url] = {"document detail": _detail, "API document detail": _api_detail}


def _client(site: Site, viewer: str, url: str) -> tuple[Client, dict[str, str]]:
    """A client as the viewer (their session for pages, their token for the API), warmed: the
    first request fills caches (and a token's last use)."""
    person = site.viewer(viewer)
    client = Client()
    headers = {}
    if url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {issue_token(person, person, name='t')}"
    else:
        client.force_login(person)
    client.get(url, headers=headers)
    return client, headers


def _count(site: Site, viewer: str, url: str) -> int:
    client, headers = _client(site, viewer, url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (viewer, url, response.status_code)
    return len(queries.captured_queries)


def _measure(site: Site, pages: dict[str, Url], grow: Callable[[int], None], assert_max_queries: Any) -> list[str]:
    """Problems found: a count at LARGE rows that is not the count at SMALL rows."""
    counts: dict[tuple[str, str], list[int]] = {}
    for n in (SMALL, LARGE):
        grow(n)
        for page, url in pages.items():
            for viewer in VIEWERS:
                counts.setdefault((page, viewer), []).append(_count(site, viewer, url(site, n)))
    problems = []
    for (page, viewer), (small, large) in counts.items():
        print(f"{page} as {viewer}: {small} queries with {SMALL} rows, {large} with {LARGE}")
        if large != small:
            problems.append(f"{page} as {viewer}: {small} queries with {SMALL} rows, {large} with {LARGE}")
            continue
        address = pages[page](site, LARGE)
        client, headers = _client(site, viewer, address)
        with assert_max_queries(small + MARGIN):
            assert client.get(address, headers=headers).status_code == 200
    return problems


def test_register_lists_do_not_grow_with_the_rows(site: Site, django_assert_max_num_queries: Any) -> None:
    problems = _measure(site, LISTS, site.grow_register_to, django_assert_max_num_queries)
    assert not problems, "\n".join(problems)


def test_document_details_do_not_grow_with_addressees_grants_versions_history(
    site: Site, django_assert_max_num_queries: Any
) -> None:
    def grow(n: int) -> None:
        site.documents[n] = site.document_with_rows(n)

    problems = _measure(site, DETAILS, grow, django_assert_max_num_queries)
    assert not problems, "\n".join(problems)


def test_api_document_detail_does_not_grow_with_registrations(site: Site, django_assert_max_num_queries: Any) -> None:
    def grow(n: int) -> None:
        site.documents[n] = site.document_with_registrations(n)

    problems = _measure(site, {"API document detail": _api_detail}, grow, django_assert_max_num_queries)
    assert not problems, "\n".join(problems)


def test_document_detail_does_not_grow_with_registrations(site: Site, django_assert_max_num_queries: Any) -> None:
    def grow(n: int) -> None:
        site.documents[n] = site.document_with_registrations(n)

    problems = _measure(site, {"document detail": _detail}, grow, django_assert_max_num_queries)
    assert not problems, "\n".join(problems)


def test_the_audit_list_does_not_grow_with_the_events(site: Site, django_assert_max_num_queries: Any) -> None:
    """The auditor's page, unfiltered and filtered, at 5 and 60 events of documents within and
    above the auditor's clearance: no more queries with more events (the withheld details and
    the targets' names are read for the whole page at once, one query per kind of target)."""
    w = site.world
    auditor = make_person("auditor", "DNK", w.hq, Level.NS, (), (Role.AUDITOR,))
    urls = ("/audit/", "/audit/?actor=clerk", "/audit/?q=registered", f"/audit/?event={EventType.ACCESS_GRANTED.value}")
    client = Client()
    client.force_login(auditor)
    counts: dict[str, list[int]] = {}
    for n in (SMALL, LARGE):
        while AuditEvent.objects.filter(event=EventType.ACCESS_GRANTED).count() < n:
            site.rows += 1
            level = Level.CTS if site.rows % 2 else Level.NS
            registration = w.register(level=level, subject="Audited", action_units=[w.eso])
            services.grant_access(w.clerk, registration.document.public_id, person=w.outsider)
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200 and len(response.context["lines"]) > 0, url
            counts.setdefault(url, []).append(len(queries.captured_queries))
    problems = [f"{url}: {small} queries, then {large}" for url, (small, large) in counts.items() if large > small]
    print(counts)
    assert not problems, "\n".join(problems)
    with django_assert_max_num_queries(counts["/audit/"][0] + MARGIN):
        client.get("/audit/")
