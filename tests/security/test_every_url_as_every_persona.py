"""Every named URL of the site, with every method it accepts, as every persona.

Each probe's expected status is computed from the policy (`services.decide`, `registries_for`,
`may`), never from what the page does; the actual status must equal it. Missing and forbidden
are the same 404. Every response body of every probe is also searched for the subject, the
originator's reference and the registration number of each document the persona may not read:
none may appear. Refused requests must change nothing (the shared documents are compared before
and after); an allowed request that changes state is sent to a fresh copy of its document, and
must really have done what it answered.

`test_every_url_is_probed` keeps this complete: the routes probed here must equal the site's
named URL patterns plus the API's OpenAPI operations, so a URL added later fails it until it is
given probes here.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from registrum.accounts.models import ApiToken
from registrum.accounts.services import PREFIX_LENGTH, issue_token
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.custody import copies as custody_copies
from registrum.custody import destruction as custody_destruction
from registrum.custody import regrading
from registrum.custody import reproduction as custody_reproduction
from registrum.custody.models import (
    CombinationChange,
    Container,
    Copy,
    CopyEvent,
    CopyEventKind,
    ReproductionRequest,
    ReproductionState,
)
from registrum.custody.models.destruction import Destruction, DestructionState
from registrum.custody.models.regrading import Regrade
from registrum.custody.models.retention import Hold
from registrum.org import services as org
from registrum.org.models import Clearance, ClearanceRequest, Person, Registry, RegistryKind, Role, Unit
from registrum.org.services import SYSTEM
from registrum.policy import AUDIT_TRAIL, Action, Level, RegistryTarget, active_policy, may, needs_second_person
from registrum.policy.custody import (
    APPROVAL_NEEDED,
    AUTHORITY_NOT_RECORDED,
    CONSENT_NOT_RECORDED,
    NOT_COPY_NUMBERED,
    CopyNumbering,
    Material,
    control_officer_of,
    custody_staff,
    handling_for,
    may_approve_destruction,
    may_approve_reproduction,
    may_regrade,
    may_reproduce,
    may_request_reproduction,
    may_witness,
    reproduction_needs_approval,
)
from registrum.policy.decision import may_hold
from registrum.records import services
from registrum.records.models import Access, AccessReason, Document, Registration, Version
from tests.conftest import PASSWORD, World, make_person

pytestmark = pytest.mark.django_db

API = "/api/v1"
LOGIN = "/accounts/login/"
# A well-formed public id that no document or registration has.
MISSING = "aaaaaaaaaaaaaaaa"
SUCCESS = frozenset({200, 201, 204, 302})


# The documents every persona is probed against --------------------------------------------


@dataclass(frozen=True)
class Spec:
    subject: str
    reference: str
    level: Level
    registry: str  # World attribute: "registry" (IMS-REG) or "control_point" (OPS-CP)
    action_units: tuple[str, ...] = ()  # World attributes
    info_units: tuple[str, ...] = ()
    action_persons: tuple[str, ...] = ()  # persona names
    grants: tuple[str, ...] = ()  # persona names given an explicit need-to-know grant
    categories: tuple[str, ...] = ()
    releasable_to: tuple[str, ...] = ()
    # Then received in this registry too: the probes address the receipt's registration.
    received_in: str = ""
    # Then its registration is voided.
    voided: bool = False


# Subjects and references are distinct words, none a part of another: a leak check searches for
# them. Every document has an explicit grant to nr_reader, which the revoke probes withdraw.
SPECS: dict[str, Spec] = {
    "ns": Spec(
        "Operation KESTREL force generation",
        "KESTREL-REF-01",
        Level.NS,
        "registry",
        action_units=("eso",),
        action_persons=("addressed_officer",),
        grants=("nr_reader", "other_clerk"),
    ),
    "cts": Spec(
        "Operation OSPREY nuclear posture",
        "OSPREY-REF-02",
        Level.CTS,
        "registry",
        action_units=("ops",),
        grants=("nr_reader",),
        categories=("ATOMAL",),
    ),
    "cp": Spec(
        "Operation HERON liaison arrangements",
        "HERON-REF-03",
        Level.NC,
        "control_point",
        action_units=("eso",),
        grants=("nr_reader",),
        releasable_to=("AUS",),
    ),
    "nr": Spec(
        "Operation PLOVER visitor badges",
        "PLOVER-REF-04",
        Level.NR,
        "registry",
        action_units=("eso",),
        info_units=("ops",),
        grants=("nr_reader",),
    ),
    # Held by two registries: the probes address the control point's receipt.
    "received": Spec(
        "Operation CORMORANT harbour survey",
        "CORMORANT-REF-05",
        Level.NC,
        "registry",
        action_units=("eso",),
        grants=("nr_reader",),
        received_in="control_point",
    ),
    # Its only registration is void: nobody holds it any more.
    "void": Spec(
        "Operation PETREL fuel stocks",
        "PETREL-REF-06",
        Level.NS,
        "registry",
        action_units=("eso",),
        grants=("nr_reader",),
        voided=True,
    ),
}
KEYS = (*SPECS, "missing")
# Probes whose answer does not depend on the document (a refused method, a missing version) are
# made on these only.
METHOD_KEYS = ("ns", "cts", "missing")

PERSONAS = (
    "anonymous",
    "reader",
    "nr_reader",
    "action_officer",
    "addressed_officer",
    "other_clerk",
    "clerk",
    "admin",
    "auditor",
    "partner",
    "expired",
    "deactivated",
    "control_officer",
)


@dataclass
class Site:
    world: World
    people: dict[str, Person]
    base: dict[str, Registration] = field(default_factory=dict)
    copies: int = 0
    # Organisation objects made for administration probes that change them.
    made: int = 0
    # Transfers made for the custody transfer probes (fresh documents, never the shared ones).
    transfers: dict[str, Any] = field(default_factory=dict)

    def register(self, key: str, suffix: str = "") -> Registration:
        spec = SPECS[key]
        w = self.world
        registration = w.register(
            level=spec.level,
            registry=getattr(w, spec.registry),
            subject=spec.subject + suffix,
            originator_reference=spec.reference,
            action_units=[getattr(w, name) for name in spec.action_units],
            info_units=[getattr(w, name) for name in spec.info_units],
            action_persons=[self.people[name] for name in spec.action_persons],
            category_mask=active_policy().category_mask(spec.categories),
            releasable_to=spec.releasable_to,
            upload=services.Upload("a.txt", io.BytesIO(b"version one\n")),
        )
        for name in spec.grants:
            services.grant_access(w.clerk, registration.document.public_id, person=self.people[name])
        if spec.received_in:
            registration = services.register_receipt(
                w.clerk, registration.document.public_id, registry=getattr(w, spec.received_in)
            )
        if spec.voided:
            services.void_registration(w.clerk, registration.public_id, "registered in error")
        return Registration.objects.select_related("document", "registry").get(pk=registration.pk)

    def fresh(self, key: str) -> Registration:
        """A new document like the shared one, for a request that will change it."""
        self.copies += 1
        return self.register(key, f" copy {self.copies}")


def _fetch(person: Person) -> Person:
    return Person.objects.select_related("clearance", "unit").get(pk=person.pk)


@pytest.fixture
def site(world: World) -> Site:
    addressed = make_person("aofficer", "POL", world.ops, Level.NS, (), (Role.ACTION_OFFICER,))
    other_clerk = make_person("otherclerk", "ITA", world.ops, Level.NS, (), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, world.control_point, other_clerk)
    auditor = make_person("auditor", "DNK", world.hq, Level.NS, (), (Role.AUDITOR,))
    people = {
        "reader": world.reader,
        "nr_reader": world.nr_reader,
        "action_officer": world.outsider,  # CTS action officer in OPS, addressed on nothing but OPS's
        "addressed_officer": addressed,  # NS action officer in OPS, addressed by name on the NS document
        "other_clerk": other_clerk,  # clerk of the control point only
        "clerk": world.clerk,  # clerk of IMS-REG (and of the control point)
        "admin": world.admin,
        "auditor": auditor,
        "partner": world.partner,
        "expired": world.expired,
    }
    people = {name: _fetch(person) for name, person in people.items()}
    # An action officer whose account was deactivated after they signed in and took a token:
    # their session and token must be worth nothing (they are probed as if anonymous).
    deactivated = make_person("gone", "NLD", world.eso, Level.NS, (), (Role.ACTION_OFFICER,))
    people["deactivated"] = deactivated
    # A control officer cleared for everything, on no registry's staff: the second person.
    people["control_officer"] = make_person(
        "controller", "BEL", world.hq, Level.CTS, ("COSMIC", "ATOMAL", "BOHEMIA"), (Role.CONTROL_OFFICER,)
    )
    assert Role.ACTION_OFFICER in {r.role for r in people["action_officer"].roles.all()}
    s = Site(world=world, people=people)
    s.base = {key: s.register(key) for key in SPECS}
    issue_token(world.clerk, world.clerk, name="VICTIM-TOKEN-NAME")
    return s


# Probes ----------------------------------------------------------------------------------


@dataclass
class Probe:
    method: str
    url: str
    expected: int
    data: Any = None
    json: bool = False
    # What an allowed request must have done (checked when it answers with success).
    done: Callable[[], bool] | None = None
    # Text the request itself sent that the response may echo (a search box).
    echo: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Any other check of the answer, whatever its status: a problem, or "".
    check: Callable[[HttpResponseBase], str] | None = None


@dataclass
class Ctx:
    site: Site
    name: str
    person: Person | None
    token: str = ""
    client: Client | None = None
    # Who the requests are sent as, when not `person` (a deactivated account: nobody).
    sender: Person | None = None

    def can(self, action: Action, document: Document | None, registration: Registration | None = None) -> bool:
        if self.person is None or document is None:
            return False
        return bool(services.decide(self.person, action, document, registration))

    def status(
        self, action: Action, document: Document | None, registration: Registration | None = None, *, ok: int
    ) -> int:
        """404 unless readable (missing and forbidden are the same), then ok or 403."""
        if not self.can(Action.READ, document):
            return 404
        if action is Action.READ or self.can(action, document, registration):
            return ok
        return 403

    def registries(self) -> list[Registry]:
        return services.registries_for(self.person) if self.person is not None else []

    def target(
        self, key: str, expect: Callable[[Document | None, Registration | None], int], *, mutating: bool = False
    ) -> tuple[str, str, int, Registration | None]:
        """(document id, registration id, expected status, registration) for one document; a
        request that would change the shared document goes to a fresh copy instead."""
        if key == "missing":
            return MISSING, MISSING, expect(None, None), None
        registration = self.site.base[key]
        expected = expect(registration.document, registration)
        if mutating and expected in SUCCESS:
            registration = self.site.fresh(key)
            expected = expect(registration.document, registration)
        return registration.document.public_id, registration.public_id, expected, registration

    def who_registers(self, registry: Registry) -> bool:
        if self.person is None:
            return False
        policy = active_policy()
        target = RegistryTarget(registry.pk, Level(registry.accreditation), min(policy.levels), 0)
        return bool(may(policy, self.person.subject(), Action.REGISTER, target, timezone.localdate()))

    def receipt_registry(self, document: Document | None) -> Registry:
        """One of the persona's registries that does not hold the document yet, else their
        first, else IMS-REG (for the API, which takes any registry code)."""
        held = services.holding_registries(document) if document is not None else frozenset()
        mine = self.registries()
        for registry in mine:
            if registry.pk not in held:
                return registry
        return mine[0] if mine else self.site.world.registry

    def receipt_status(self, document: Document | None, *, web: bool) -> int:
        if web and not self.registries():
            return 403
        if not self.can(Action.READ, document):
            return 404
        assert self.person is not None and document is not None
        registry = self.receipt_registry(document)
        if not self.who_registers(registry):
            return 403
        policy = active_policy()
        what = RegistryTarget(registry.pk, Level(registry.accreditation), Level(document.level), document.category_mask)
        if not may(policy, self.person.subject(), Action.REGISTER, what, timezone.localdate()):
            return 400
        if registry.pk in services.holding_registries(document):
            return 400
        return 302 if web else 201


@dataclass(frozen=True)
class Route:
    key: str  # a URL name, or "METHOD /api/v1/path" for an API operation (as in OpenAPI)
    probes: Callable[[Ctx], Iterator[Probe]]
    public: bool = False
    # The documents whose title, reference and numbers its answers must not show, when not
    # those the persona may not read (the audit trail's: those above the persona's clearance).
    hidden: Callable[[Ctx], list[Document]] | None = None


ROUTES: dict[str, Route] = {}


def route(
    key: str, *, public: bool = False, hidden: Callable[[Ctx], list[Document]] | None = None
) -> Callable[[Callable[[Ctx], Iterator[Probe]]], Any]:
    def register(probes: Callable[[Ctx], Iterator[Probe]]) -> Callable[[Ctx], Iterator[Probe]]:
        assert key not in ROUTES, key
        ROUTES[key] = Route(key, probes, public, hidden)
        return probes

    return register


def _upload(name: str = "b.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"second version\n", content_type="text/plain")


def _has_version(registration: Registration | None, number: int) -> Callable[[], bool]:
    return lambda: (
        registration is not None
        and Version.objects.filter(document_id=registration.document_id, number=number).exists()
    )


def _granted(registration: Registration | None, person: Person) -> Callable[[], bool]:
    return lambda: Access.objects.filter(
        document_id=registration.document_id if registration else 0, reason=AccessReason.GRANT, person=person
    ).exists()


def _revoked(registration: Registration | None, person: Person) -> Callable[[], bool]:
    return lambda: not _granted(registration, person)()


def _voided(registration: Registration | None) -> Callable[[], bool]:
    return lambda: Registration.objects.filter(
        pk=registration.pk if registration else 0, voided_at__isnull=False
    ).exists()


def _corrected(registration: Registration | None) -> Callable[[], bool]:
    return lambda: Document.objects.filter(
        pk=registration.document_id if registration else 0, originator_reference="CORRECTED-REF"
    ).exists()


def _received(registration: Registration | None, registry: Registry) -> Callable[[], bool]:
    return lambda: Registration.objects.filter(
        document_id=registration.document_id if registration else 0, registry=registry
    ).exists()


def _registered(subject: str) -> Callable[[], bool]:
    return lambda: Document.objects.filter(subject=subject).exists()


# Pages ---------------------------------------------------------------------------------------


@route("web:home")
def _home(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", "/", 200)


@route("web:levels_css", public=True)
def _levels_css(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("web:levels_css"), 200)
    yield Probe("POST", reverse("web:levels_css"), 405)


@route("records:list")
def _list(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("records:list")
    yield Probe("GET", url, 200)
    yield Probe("GET", url + "?q=Operation", 200, headers={"HX-Request": "true"})  # the results fragment
    yield Probe("GET", url + "?q=KESTREL", 200)
    yield Probe("GET", url + "?q=Operation", 200)
    for key in SPECS:
        number = ctx.site.base[key].number
        yield Probe("GET", f"{url}?q={number}", 200, echo=number.encode())


@route("records:export")
def _export(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("records:export"), 200)
    yield Probe("GET", reverse("records:export") + "?q=Operation", 200)


def _new_body(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    mine = ctx.registries()
    subject = f"Fresh registration by {ctx.name}"
    return subject, {
        "registry": mine[0].code if mine else "IMS-REG",
        "direction": "IN",
        "originator": "SHAPE",
        "subject": subject,
        "level": "NR",
        "action": "ESO",
        "language": "en",
    }


@route("records:new")
def _new(ctx: Ctx) -> Iterator[Probe]:
    allowed = bool(ctx.registries())
    yield Probe("GET", reverse("records:new"), 200 if allowed else 403)
    subject, body = _new_body(ctx)
    yield Probe("POST", reverse("records:new"), 302 if allowed else 403, data=body, done=_registered(subject))


@route("records:receive")
def _receive(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("records:receive")
    allowed = bool(ctx.registries())
    yield Probe("GET", url, 200 if allowed else 403)
    for key in SPECS:
        number = ctx.site.base[key].number
        yield Probe("GET", f"{url}?q={number}", 200 if allowed else 403, echo=number.encode())
    for key in KEYS:
        doc_id, _, expected, registration = ctx.target(key, lambda d, r: ctx.receipt_status(d, web=True), mutating=True)
        registry = ctx.receipt_registry(registration.document if registration else None)
        body = {"document": doc_id, "registry": registry.code, "direction": "IN"}
        yield Probe("POST", url, expected, data=body, done=_received(registration, registry))


@route("records:detail")
def _detail(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.READ, d, ok=200))
        yield Probe("GET", reverse("records:detail", args=[doc_id]), expected)


@route("records:upload")
def _upload_page(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        if key in METHOD_KEYS:
            doc_id, _, _, _ = ctx.target(key, lambda d, r: 405)
            yield Probe("GET", reverse("records:upload", args=[doc_id]), 405)
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.ADD_VERSION, d, ok=302), mutating=True
        )
        yield Probe(
            "POST",
            reverse("records:upload", args=[doc_id]),
            expected,
            data={"content": _upload()},
            done=_has_version(registration, 2),
        )


@route("records:grant")
def _grant_page(ctx: Ctx) -> Iterator[Probe]:
    admin = ctx.site.people["admin"]
    for key in KEYS:
        if key in METHOD_KEYS:
            doc_id, _, _, _ = ctx.target(key, lambda d, r: 405)
            yield Probe("GET", reverse("records:grant", args=[doc_id]), 405)
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.GRANT, d, ok=302), mutating=True
        )
        yield Probe(
            "POST",
            reverse("records:grant", args=[doc_id]),
            expected,
            data={"grantee": "@admin", "note": "needs it"},
            done=_granted(registration, admin),
        )


@route("records:revoke")
def _revoke_page(ctx: Ctx) -> Iterator[Probe]:
    nr_reader = ctx.site.people["nr_reader"]
    for key in KEYS:
        if key in METHOD_KEYS:
            doc_id, _, _, _ = ctx.target(key, lambda d, r: 405)
            yield Probe("GET", reverse("records:revoke", args=[doc_id]), 405)
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.REVOKE, d, ok=302), mutating=True
        )
        yield Probe(
            "POST",
            reverse("records:revoke", args=[doc_id]),
            expected,
            data={"grantee": "@nrreader"},
            done=_revoked(registration, nr_reader),
        )


@route("records:download")
def _download_page(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.READ, d, ok=200))
        yield Probe("GET", reverse("records:download", args=[doc_id, 1]), expected)
        if key in METHOD_KEYS:
            # A version that does not exist, of a document that may be readable: 404 either way.
            yield Probe("GET", reverse("records:download", args=[doc_id, 9]), 404)


@route("records:correct")
def _correct_page(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        _, reg_id, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.CORRECT, d, r, ok=200))
        yield Probe("GET", reverse("records:correct", args=[reg_id]), expected)
        _, reg_id, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.CORRECT, d, r, ok=302), mutating=True
        )
        yield Probe(
            "POST",
            reverse("records:correct", args=[reg_id]),
            expected,
            data={"originator_reference": "CORRECTED-REF"},
            done=_corrected(registration),
        )


@route("records:void")
def _void_page(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        if key in METHOD_KEYS:
            _, reg_id, _, _ = ctx.target(key, lambda d, r: 405)
            yield Probe("GET", reverse("records:void", args=[reg_id]), 405)
        _, reg_id, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.VOID, d, r, ok=302), mutating=True
        )
        yield Probe(
            "POST",
            reverse("records:void", args=[reg_id]),
            expected,
            data={"reason": "entered twice"},
            done=_voided(registration),
        )


# The audit trail: for auditors only (as the policy says). It shows the events of every
# document, need-to-know waived, but a document above the auditor's clearance (or briefings, or
# releasability) without its title, reference or numbers.


def _reads_trail(ctx: Ctx) -> bool:
    return ctx.person is not None and bool(
        may(active_policy(), ctx.person.subject(), Action.READ_AUDIT, AUDIT_TRAIL, timezone.localdate())
    )


def _above_clearance(ctx: Ctx) -> list[Document]:
    """The documents an auditor is not cleared, briefed or releasable for (need-to-know aside);
    for anyone else, those they may not read."""
    documents = [r.document for r in ctx.site.base.values()]
    if not _reads_trail(ctx):
        return [d for d in documents if not ctx.can(Action.READ, d)]
    assert ctx.person is not None
    policy, subject, today = active_policy(), ctx.person.subject(), timezone.localdate()
    return [
        d
        for d in documents
        if not may(
            policy, subject, Action.READ, replace(services.resource_for(ctx.person, d), need_to_know=True), today
        )
    ]


def _exported_by(person: Person | None, filters: dict[str, str]) -> Callable[[], bool]:
    def done() -> bool:
        return AuditEvent.objects.filter(
            event=EventType.AUDIT_EXPORTED, actor=person, data={"filters": filters}
        ).exists()

    return done


@route("audit:list", hidden=_above_clearance)
def _audit_list(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("audit:list")
    expected = 200 if _reads_trail(ctx) else 403
    yield Probe("GET", url, expected)
    yield Probe("GET", url + "?q=Operation", expected)
    yield Probe("GET", url + "?event=records.document_registered&actor=clerk", expected)
    for key in SPECS:
        registration = ctx.site.base[key]
        for text in (registration.number, registration.document.public_id, SPECS[key].reference):
            yield Probe("GET", f"{url}?q={text}", expected, echo=text.encode())
            yield Probe("GET", f"{url}?target={text}", expected, echo=text.encode())


@route("audit:export", hidden=_above_clearance)
def _audit_export(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("audit:export")
    expected = 200 if _reads_trail(ctx) else 403
    yield Probe("GET", url, expected, done=_exported_by(ctx.person, {}))
    yield Probe("GET", url + "?q=Operation", expected, done=_exported_by(ctx.person, {"q": "Operation"}))
    for key in ("ns", "cts"):
        number = ctx.site.base[key].number
        yield Probe(
            "GET",
            f"{url}?target={number}",
            expected,
            done=_exported_by(ctx.person, {"target": number}),
            echo=number.encode(),  # the page's language switch returns to the address asked for
        )


def _not_offsite(response: HttpResponseBase) -> str:
    location = response.headers.get("Location", "")
    return f"redirected off-site to {location}" if "evil.example" in location else ""


@route("accounts:login", public=True)
def _login(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", LOGIN, 200)
    yield Probe("GET", LOGIN + "?next=https://evil.example/", 200)
    if ctx.person is None:
        yield Probe("POST", LOGIN, 200, data={"username": "nobody", "password": "wrong password"})
    else:
        credentials = {"username": ctx.person.username, "password": PASSWORD}
        yield Probe("POST", LOGIN, 302, data=credentials)
        yield Probe("POST", LOGIN, 302, data={**credentials, "next": "https://evil.example/"}, check=_not_offsite)


@route("accounts:logout")
def _logout(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:logout"), 405)
    yield Probe("POST", reverse("accounts:logout"), 302)


def _token_revoked(prefix: str, revoked: bool) -> Callable[[HttpResponseBase], str]:
    def check(response: HttpResponseBase) -> str:
        actual = ApiToken.objects.get(prefix=prefix).revoked_at is not None
        return "" if actual == revoked else f"token {prefix} revoked: {actual}, should be: {revoked}"

    return check


@route("accounts:tokens")
def _tokens(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:tokens"), 200)
    yield Probe("POST", reverse("accounts:tokens"), 200, data={"name": "second"})
    # Revoking the clerk's token: the owner and an administrator may; anyone else gets the
    # answer of a token that does not exist.
    clerk = ctx.site.people["clerk"]
    prefix = issue_token(clerk, clerk, name="VICTIM-TOKEN-NAME")[:PREFIX_LENGTH]
    allowed = ctx.person is not None and (ctx.person.pk == clerk.pk or ctx.person.has_role(Role.ADMINISTRATOR))
    yield Probe(
        "POST",
        reverse("accounts:tokens"),
        200 if allowed else 404,
        data={"revoke": prefix},
        check=_token_revoked(prefix, allowed),
    )


@route("accounts:account")
def _account(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:account"), 200)


@route("accounts:password_change")
def _password_change(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:password_change"), 200)
    # A wrong current password changes nothing (the personas' password is used by later probes).
    data = {"current": "Not-the-password-1", "password": "Another-Passw0rd!", "repeated": "Another-Passw0rd!"}
    yield Probe("POST", reverse("accounts:password_change"), 400, data=data)


@route("accounts:sign_out_everywhere")
def _sign_out_everywhere(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:sign_out_everywhere"), 405)
    yield Probe("POST", reverse("accounts:sign_out_everywhere"), 302)


@route("accounts:reset_request", public=True)
def _reset_request(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:reset_request"), 200)
    # Known or not, the same answer: on to the page that takes the code.
    for username in ("nobody", "clerk"):
        yield Probe("POST", reverse("accounts:reset_request"), 302, data={"username": username})


@route("accounts:reset_code", public=True)
def _reset_code(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:reset_code") + "?username=clerk", 200)
    for username in ("nobody", "clerk"):
        data = {
            "username": username,
            "code": "12345678",
            "password": "Another-Passw0rd!",
            "repeated": "Another-Passw0rd!",
        }
        yield Probe("POST", reverse("accounts:reset_code"), 400, data=data)


@route("accounts:otp_enrol")
def _otp_enrol(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("accounts:otp_enrol"), 200)
    yield Probe("POST", reverse("accounts:otp_enrol"), 400, data={"code": "000000"})


@route("accounts:otp_verify")
def _otp_verify(ctx: Ctx) -> Iterator[Probe]:
    # Nobody here has an authenticator yet: on to enrolment.
    yield Probe("GET", reverse("accounts:otp_verify"), 302)
    yield Probe("POST", reverse("accounts:otp_verify"), 302, data={"code": "000000"})


@route("org:organisation")
def _organisation(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:organisation"), 200)


@route("set_language", public=True)
def _set_language(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("set_language"), 302)
    yield Probe("POST", reverse("set_language"), 302, data={"language": "fr", "next": "/"})
    yield Probe(
        "POST",
        reverse("set_language"),
        302,
        data={"language": "en", "next": "https://evil.example/"},
        check=_not_offsite,
    )


# The API's own pages: the schema and its documentation are public, the root is a 404 ----------


@route("api:openapi-json", public=True)
def _openapi(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{API}/openapi.json", 200)


@route("api:openapi-view", public=True)
def _docs(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{API}/docs", 200)


@route("api:api-root", public=True)
def _api_root(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{API}/", 404)


# API operations --------------------------------------------------------------------------------


@route("GET /api/v1/me")
def _me(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{API}/me", 200)


@route("GET /api/v1/registries")
def _registries(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{API}/registries", 200)


@route("GET /api/v1/registrations")
def _api_list(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{API}/registrations?page_size=50", 200)
    yield Probe("GET", f"{API}/registrations?q=KESTREL", 200)
    yield Probe("GET", f"{API}/registrations?q=Operation&page_size=200", 200)


@route("POST /api/v1/registrations")
def _api_register(ctx: Ctx) -> Iterator[Probe]:
    mine = ctx.registries()
    registry = mine[0] if mine else ctx.site.world.registry
    subject = f"Fresh registration by {ctx.name}"
    body = {
        "registry": registry.code,
        "direction": "IN",
        "originator": "SHAPE",
        "subject": subject,
        "level": "NR",
        "action": ["ESO"],
    }
    expected = 201 if ctx.who_registers(registry) else 403
    yield Probe("POST", f"{API}/registrations", expected, data=body, json=True, done=_registered(subject))


@route("GET /api/v1/registrations/{public_id}")
def _api_registration(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        _, reg_id, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.READ, d, ok=200))
        yield Probe("GET", f"{API}/registrations/{reg_id}", expected)


@route("PATCH /api/v1/registrations/{public_id}")
def _api_correct(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        _, reg_id, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.CORRECT, d, r, ok=200), mutating=True
        )
        yield Probe(
            "PATCH",
            f"{API}/registrations/{reg_id}",
            expected,
            data={"originator_reference": "CORRECTED-REF"},
            json=True,
            done=_corrected(registration),
        )


@route("GET /api/v1/documents/lookup")
def _api_lookup(ctx: Ctx) -> Iterator[Probe]:
    for key in SPECS:
        yield Probe("GET", f"{API}/documents/lookup?q={ctx.site.base[key].number}", 200)
        yield Probe("GET", f"{API}/documents/lookup?q={SPECS[key].reference}", 200)


@route("GET /api/v1/documents/{public_id}")
def _api_document(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.READ, d, ok=200))
        yield Probe("GET", f"{API}/documents/{doc_id}", expected)


@route("POST /api/v1/documents/{public_id}/registrations")
def _api_receipt(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: ctx.receipt_status(d, web=False), mutating=True
        )
        registry = ctx.receipt_registry(registration.document if registration else None)
        yield Probe(
            "POST",
            f"{API}/documents/{doc_id}/registrations",
            expected,
            data={"registry": registry.code, "direction": "IN"},
            json=True,
            done=_received(registration, registry),
        )


@route("POST /api/v1/registrations/{public_id}/void")
def _api_void(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        _, reg_id, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.VOID, d, r, ok=200), mutating=True
        )
        yield Probe(
            "POST",
            f"{API}/registrations/{reg_id}/void",
            expected,
            data={"reason": "entered twice"},
            json=True,
            done=_voided(registration),
        )


@route("POST /api/v1/documents/{public_id}/versions")
def _api_upload(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.ADD_VERSION, d, ok=201), mutating=True
        )
        yield Probe(
            "POST",
            f"{API}/documents/{doc_id}/versions",
            expected,
            data={"content": _upload()},
            done=_has_version(registration, 2),
        )


@route("GET /api/v1/documents/{public_id}/versions/{number}/content")
def _api_download(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.READ, d, ok=200))
        yield Probe("GET", f"{API}/documents/{doc_id}/versions/1/content", expected)
        if key in METHOD_KEYS:
            yield Probe("GET", f"{API}/documents/{doc_id}/versions/9/content", 404)


@route("POST /api/v1/documents/{public_id}/grants")
def _api_grant(ctx: Ctx) -> Iterator[Probe]:
    admin = ctx.site.people["admin"]
    for key in KEYS:
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.GRANT, d, ok=201), mutating=True
        )
        yield Probe(
            "POST",
            f"{API}/documents/{doc_id}/grants",
            expected,
            data={"grantee": "@admin", "note": "needs it"},
            json=True,
            done=_granted(registration, admin),
        )


@route("DELETE /api/v1/documents/{public_id}/grants/{grantee}")
def _api_revoke(ctx: Ctx) -> Iterator[Probe]:
    nr_reader = ctx.site.people["nr_reader"]
    for key in KEYS:
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: ctx.status(Action.REVOKE, d, ok=204), mutating=True
        )
        yield Probe(
            "DELETE",
            f"{API}/documents/{doc_id}/grants/@nrreader",
            expected,
            done=_revoked(registration, nr_reader),
        )


# Administration: pages ---------------------------------------------------------------------------

STRONG_PASSWORD = "Tr0ub4dor&3-Horse"
MISSING_NAME = "nobody-here"


def _administers(ctx: Ctx) -> bool:
    return ctx.person is not None and bool(org.decide(ctx.person, Action.ADMINISTER))


def _sees_requests(ctx: Ctx) -> bool:
    return ctx.person is not None and (_administers(ctx) or ctx.person.has_role(Role.CONTROL_OFFICER))


def _admin(ctx: Ctx, ok: int) -> int:
    return ok if _administers(ctx) else 403


def _on_person(ctx: Ctx, action: Action, person: Person, ok: int) -> int:
    """An administrator's action on one person, as the policy decides it (themselves: refused)."""
    if not _administers(ctx):
        return 403
    assert ctx.person is not None
    return ok if org.decide(ctx.person, action, org.person_target(person)) else 403


def _on_clearance(ctx: Ctx, person: Person, ok: int) -> int:
    """Recording an NC clearance for the person, as the policy decides it (their own: refused)."""
    if not _administers(ctx):
        return 403
    assert ctx.person is not None
    target = org.clearance_target(person, level=Level.NC, briefings=(), expires=timezone.localdate())
    return ok if org.decide(ctx.person, Action.CHANGE_CLEARANCE, target) else 403


def _sets_password(ctx: Ctx, person: Person, ok: int) -> int:
    """Setting the person's password, as the policy decides it (never someone cleared beyond oneself)."""
    if not _administers(ctx):
        return 403
    assert ctx.person is not None
    return ok if org.decide(ctx.person, Action.SET_PASSWORD, org.reach_of(person)) else 403


def _made(ctx: Ctx) -> int:
    ctx.site.made += 1
    return ctx.site.made


def _new_person(ctx: Ctx, level: Level | None = None) -> Person:
    """A person of no consequence to the documents, for a request that changes them."""
    return make_person(f"made{_made(ctx)}", "DEU", ctx.site.world.ops, level)


def _new_unit(ctx: Ctx) -> Unit:
    number = _made(ctx)
    return org.create_unit(SYSTEM, code=f"MADE-U{number}", name=f"Made unit {number}", parent=ctx.site.world.ops)


def _new_registry(ctx: Ctx) -> Registry:
    number = _made(ctx)
    return org.create_registry(
        SYSTEM,
        code=f"MADE-R{number}",
        name=f"Made registry {number}",
        kind=RegistryKind.CONTROL_POINT,
        unit=ctx.site.world.ops,
        accreditation=Level.NC,
        parent=ctx.site.world.control_point,
    )


def _new_request(ctx: Ctx) -> ClearanceRequest:
    """A pending COSMIC TOP SECRET request by the administrator, for a person of no consequence."""
    result = org.set_clearance(
        ctx.site.people["admin"],
        _new_person(ctx),
        level=Level.CTS,
        granted=timezone.localdate(),
        expires=timezone.localdate().replace(year=timezone.localdate().year + 1),
        briefings=["COSMIC"],
    )
    assert isinstance(result, ClearanceRequest)
    return result


def _decides(ctx: Ctx, action: Action, request: ClearanceRequest, ok: int) -> int:
    if not _sees_requests(ctx):
        return 403
    assert ctx.person is not None
    target = org.clearance_target(
        request.person,
        level=Level(request.level),
        briefings=request.briefings,
        expires=request.expires,
        requested_by=request.requested_by_id,
    )
    return ok if org.decide(ctx.person, action, target) else 403


def _exists(model: type[Any], **lookup: Any) -> Callable[[], bool]:
    return lambda: model.objects.filter(**lookup).exists()


def _request_state(request: ClearanceRequest, state: str) -> Callable[[], bool]:
    return lambda: ClearanceRequest.objects.filter(pk=request.pk, state=state).exists()


def _self(ctx: Ctx) -> Person:
    """The persona's own account (anonymous: the administrator's, refused anyway)."""
    return ctx.person or ctx.site.people["admin"]


@route("org:people")
def _people(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:people"), _admin(ctx, 200))


@route("org:person_new")
def _person_new(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("org:person_new")
    yield Probe("GET", url, _admin(ctx, 200))
    username = f"new-{ctx.name}"
    body = {"username": username, "first_name": "New", "last_name": "Person", "nationality": "DEU"}
    yield Probe("POST", url, _admin(ctx, 302), data=body, done=_exists(Person, username=username))
    bad = {**body, "nationality": "XYZ"}
    yield Probe("POST", url, _admin(ctx, 400), data=bad)


@route("org:person")
def _person_page(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:person", args=["reader"]), _admin(ctx, 200))
    yield Probe("GET", reverse("org:person", args=[_self(ctx).username]), _admin(ctx, 200))
    yield Probe("GET", reverse("org:person", args=[MISSING_NAME]), _admin(ctx, 404))


@route("org:person_edit")
def _person_edit(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:person_edit", args=["reader"]), _admin(ctx, 200))
    person = _new_person(ctx)
    body = {"first_name": "Changed", "last_name": "Name", "nationality": "FRA"}
    yield Probe(
        "POST",
        reverse("org:person_edit", args=[person.username]),
        _on_person(ctx, Action.CHANGE_PERSON, person, 302),
        data=body,
        done=_exists(Person, pk=person.pk, nationality="FRA"),
    )
    # Their own unit decides what they may read: nobody changes it.
    me = _self(ctx)
    own = {"first_name": me.first_name, "last_name": me.last_name, "nationality": me.nationality, "unit": "ESO"}
    yield Probe(
        "POST",
        reverse("org:person_edit", args=[me.username]),
        _on_person(ctx, Action.CHANGE_AFFILIATION, me, 302),
        data=own,
    )


@route("org:person_roles")
def _person_roles(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:person_roles", args=["reader"]), 405)
    person = _new_person(ctx)
    yield Probe(
        "POST",
        reverse("org:person_roles", args=[person.username]),
        _on_person(ctx, Action.CHANGE_ROLES, person, 302),
        data={"roles": ["auditor"]},
        done=_exists(Person, pk=person.pk, roles__role="auditor"),
    )
    me = _self(ctx)
    yield Probe(
        "POST",
        reverse("org:person_roles", args=[me.username]),
        _on_person(ctx, Action.CHANGE_ROLES, me, 302),
        data={"roles": ["auditor", "administrator"]},
    )


@route("org:person_clearance")
def _person_clearance(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:person_clearance", args=["reader"]), 405)
    person = _new_person(ctx)
    body = {"level": "NC", "expires": "2099-12-31"}
    yield Probe(
        "POST",
        reverse("org:person_clearance", args=[person.username]),
        _on_clearance(ctx, person, 302),
        data=body,
        # In effect at once, or waiting for a control officer: recorded either way.
        done=lambda: (
            Clearance.objects.filter(person=person).exists()
            or ClearanceRequest.objects.filter(person=person, state="pending").exists()
        ),
    )
    me = _self(ctx)
    yield Probe("POST", reverse("org:person_clearance", args=[me.username]), _on_clearance(ctx, me, 302), data=body)


@route("org:person_status")
def _person_status(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:person_status", args=["reader"]), 405)
    person = _new_person(ctx)
    yield Probe(
        "POST",
        reverse("org:person_status", args=[person.username]),
        _on_person(ctx, Action.DEACTIVATE, person, 302),
        data={"active": "0"},
        done=_exists(Person, pk=person.pk, is_active=False),
    )
    me = _self(ctx)
    yield Probe(
        "POST", reverse("org:person_status", args=[me.username]), _on_person(ctx, Action.DEACTIVATE, me, 302), data={}
    )


@route("org:person_password")
def _person_password(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:person_password", args=["reader"]), 405)
    person = _new_person(ctx)
    yield Probe(
        "POST",
        reverse("org:person_password", args=[person.username]),
        _sets_password(ctx, person, 302),
        data={"password": STRONG_PASSWORD},
        done=lambda: Person.objects.get(pk=person.pk).check_password(STRONG_PASSWORD),
    )
    yield Probe(
        "POST",
        reverse("org:person_password", args=[_new_person(ctx).username]),
        _admin(ctx, 400),
        data={"password": "short"},
    )
    # Someone cleared beyond the administrator (the CTS ATOMAL clerk): they would read as them.
    clerk = ctx.site.people["clerk"]
    yield Probe(
        "POST",
        reverse("org:person_password", args=[clerk.username]),
        _sets_password(ctx, clerk, 400),
        data={"password": "short"},
    )


@route("org:requests")
def _requests(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:requests"), 200 if _sees_requests(ctx) else 403)


@route("org:request_confirm")
def _request_confirm(ctx: Ctx) -> Iterator[Probe]:
    request = _new_request(ctx)
    yield Probe("GET", reverse("org:request_confirm", args=[request.pk]), 405)
    yield Probe(
        "POST",
        reverse("org:request_confirm", args=[request.pk]),
        _decides(ctx, Action.CONFIRM_CLEARANCE, request, 302),
        data={"note": "seen"},
        done=_request_state(request, "confirmed"),
    )
    yield Probe("POST", reverse("org:request_confirm", args=[99999]), 404 if _sees_requests(ctx) else 403)


@route("org:request_reject")
def _request_reject(ctx: Ctx) -> Iterator[Probe]:
    request = _new_request(ctx)
    yield Probe("GET", reverse("org:request_reject", args=[request.pk]), 405)
    yield Probe(
        "POST",
        reverse("org:request_reject", args=[request.pk]),
        _decides(ctx, Action.REJECT_CLEARANCE, request, 302),
        data={"note": "no"},
        done=_request_state(request, "rejected"),
    )
    yield Probe("POST", reverse("org:request_reject", args=[99999]), 404 if _sees_requests(ctx) else 403)


@route("org:units")
def _units(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("org:units")
    yield Probe("GET", url, _admin(ctx, 200))
    code = f"NEW-{ctx.name}"
    body = {"code": code, "name": "New unit", "kind": "branch", "parent": "OPS"}
    yield Probe("POST", url, _admin(ctx, 302), data=body, done=_exists(Unit, code=code))


@route("org:unit")
def _unit(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:unit", args=["ESO"]), _admin(ctx, 200))
    yield Probe("GET", reverse("org:unit", args=[MISSING_NAME]), _admin(ctx, 404))
    unit = _new_unit(ctx)
    body = {"code": unit.code, "name": "Renamed unit", "kind": "section"}
    yield Probe(
        "POST",
        reverse("org:unit", args=[unit.code]),
        _admin(ctx, 302),
        data=body,
        done=_exists(Unit, pk=unit.pk, name="Renamed unit"),
    )
    hq = ctx.site.world.hq
    yield Probe(
        "POST",
        reverse("org:unit", args=[unit.code]),
        _admin(ctx, 302),
        data={"move": "1", "parent": hq.code},
        done=_exists(Unit, pk=unit.pk, parent=hq),
    )
    # Under a unit below it: refused, naming the field.
    below_ops = _new_unit(ctx)
    yield Probe(
        "POST", reverse("org:unit", args=["OPS"]), _admin(ctx, 400), data={"move": "1", "parent": below_ops.code}
    )


@route("org:registries")
def _registries_page(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("org:registries")
    yield Probe("GET", url, _admin(ctx, 200))
    code = f"NEW-{ctx.name}"
    body = {
        "code": code,
        "name": "New point",
        "kind": "control_point",
        "unit": "OPS",
        "parent": "OPS-CP",
        "accreditation": "NC",
        "numbering_pattern": "{registry}/{year}/{seq:06d}",
    }
    yield Probe("POST", url, _admin(ctx, 302), data=body, done=_exists(Registry, code=code))


@route("org:registry")
def _registry_page(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("org:registry", args=["IMS-REG"]), _admin(ctx, 200))
    yield Probe("GET", reverse("org:registry", args=[MISSING_NAME]), _admin(ctx, 404))
    registry = _new_registry(ctx)
    url = reverse("org:registry", args=[registry.code])
    body = {
        "name": "Renamed point",
        "unit": "OPS",
        "accreditation": "NR",
        "numbering_pattern": "{registry}/{year}/{seq:05d}",
    }
    yield Probe("POST", url, _admin(ctx, 302), data=body, done=_exists(Registry, pk=registry.pk, name="Renamed point"))
    person = _new_person(ctx)
    yield Probe(
        "POST",
        url,
        _admin(ctx, 302),
        data={"add": "1", "username": person.username},
        done=_exists(Registry, pk=registry.pk, staff=person),
    )
    yield Probe(
        "POST",
        url,
        _admin(ctx, 302),
        data={"remove": "1", "username": person.username},
        done=lambda: not Registry.objects.filter(pk=registry.pk, staff=person).exists(),
    )
    me = _self(ctx)
    yield Probe(
        "POST",
        url,
        _on_person(ctx, Action.CHANGE_AFFILIATION, me, 302),
        data={"add": "1", "username": me.username},
    )


# Administration: API ------------------------------------------------------------------------------

ORG = f"{API}/org"


@route("GET /api/v1/org/people")
def _api_people(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{ORG}/people", _admin(ctx, 200))


@route("POST /api/v1/org/people")
def _api_person_new(ctx: Ctx) -> Iterator[Probe]:
    username = f"api-{ctx.name}"
    body = {"username": username, "first_name": "A", "last_name": "B", "nationality": "DEU", "roles": ["reader"]}
    yield Probe(
        "POST", f"{ORG}/people", _admin(ctx, 201), data=body, json=True, done=_exists(Person, username=username)
    )
    yield Probe(
        "POST", f"{ORG}/people", _admin(ctx, 400), data={**body, "username": "x", "nationality": "XYZ"}, json=True
    )


@route("GET /api/v1/org/people/{username}")
def _api_person(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{ORG}/people/reader", _admin(ctx, 200))
    yield Probe("GET", f"{ORG}/people/{MISSING_NAME}", _admin(ctx, 404))


@route("PATCH /api/v1/org/people/{username}")
def _api_person_change(ctx: Ctx) -> Iterator[Probe]:
    person = _new_person(ctx)
    yield Probe(
        "PATCH",
        f"{ORG}/people/{person.username}",
        _on_person(ctx, Action.CHANGE_PERSON, person, 200),
        data={"position": "Changed", "unit": "ESO"},
        json=True,
        done=_exists(Person, pk=person.pk, position="Changed", unit__code="ESO"),
    )


@route("PUT /api/v1/org/people/{username}/password")
def _api_password(ctx: Ctx) -> Iterator[Probe]:
    person = _new_person(ctx)
    yield Probe(
        "PUT",
        f"{ORG}/people/{person.username}/password",
        _sets_password(ctx, person, 204),
        data={"password": STRONG_PASSWORD},
        json=True,
        done=lambda: Person.objects.get(pk=person.pk).check_password(STRONG_PASSWORD),
    )


@route("POST /api/v1/org/people/{username}/deactivate")
def _api_deactivate(ctx: Ctx) -> Iterator[Probe]:
    person = _new_person(ctx)
    yield Probe(
        "POST",
        f"{ORG}/people/{person.username}/deactivate",
        _on_person(ctx, Action.DEACTIVATE, person, 200),
        done=_exists(Person, pk=person.pk, is_active=False),
    )
    me = _self(ctx)
    yield Probe("POST", f"{ORG}/people/{me.username}/deactivate", _on_person(ctx, Action.DEACTIVATE, me, 200))


@route("POST /api/v1/org/people/{username}/reactivate")
def _api_reactivate(ctx: Ctx) -> Iterator[Probe]:
    person = _new_person(ctx)
    person.is_active = False
    person.save(update_fields=["is_active"])
    yield Probe(
        "POST",
        f"{ORG}/people/{person.username}/reactivate",
        _on_person(ctx, Action.DEACTIVATE, person, 200),
        done=_exists(Person, pk=person.pk, is_active=True),
    )


@route("PUT /api/v1/org/people/{username}/roles")
def _api_roles(ctx: Ctx) -> Iterator[Probe]:
    person = _new_person(ctx)
    yield Probe(
        "PUT",
        f"{ORG}/people/{person.username}/roles",
        _on_person(ctx, Action.CHANGE_ROLES, person, 200),
        data={"roles": ["clerk"]},
        json=True,
        done=_exists(Person, pk=person.pk, roles__role="clerk"),
    )
    me = _self(ctx)
    yield Probe(
        "PUT",
        f"{ORG}/people/{me.username}/roles",
        _on_person(ctx, Action.CHANGE_ROLES, me, 200),
        data={"roles": ["administrator", "auditor"]},
        json=True,
    )


@route("PUT /api/v1/org/people/{username}/clearance")
def _api_clearance(ctx: Ctx) -> Iterator[Probe]:
    person = _new_person(ctx)
    body = {"level": "NC", "expires": "2099-12-31"}
    expected = _on_clearance(ctx, person, 200)
    if expected == 200:
        assert ctx.person is not None
        target = org.clearance_target(person, level=Level.NC, briefings=(), expires=timezone.localdate())
        second = needs_second_person(active_policy(), ctx.person.subject(), target, timezone.localdate())
        expected = 202 if second else 200
    yield Probe(
        "PUT",
        f"{ORG}/people/{person.username}/clearance",
        expected,
        data=body,
        json=True,
        done=lambda: (
            Clearance.objects.filter(person=person).exists()
            or ClearanceRequest.objects.filter(person=person, state="pending").exists()
        ),
    )
    me = _self(ctx)
    yield Probe("PUT", f"{ORG}/people/{me.username}/clearance", _on_clearance(ctx, me, 200), data=body, json=True)


@route("DELETE /api/v1/org/people/{username}/clearance")
def _api_withdraw(ctx: Ctx) -> Iterator[Probe]:
    person = _new_person(ctx, Level.NS)
    yield Probe(
        "DELETE",
        f"{ORG}/people/{person.username}/clearance",
        _on_clearance(ctx, person, 204),
        done=lambda: not Clearance.objects.filter(person=person).exists(),
    )


@route("GET /api/v1/org/clearance-requests")
def _api_requests(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{ORG}/clearance-requests", 200 if _sees_requests(ctx) else 403)


@route("POST /api/v1/org/clearance-requests/{request_id}/confirm")
def _api_confirm(ctx: Ctx) -> Iterator[Probe]:
    request = _new_request(ctx)
    yield Probe(
        "POST",
        f"{ORG}/clearance-requests/{request.pk}/confirm",
        _decides(ctx, Action.CONFIRM_CLEARANCE, request, 200),
        data={"note": "seen"},
        json=True,
        done=_request_state(request, "confirmed"),
    )
    missing = 404 if _sees_requests(ctx) else 403
    yield Probe("POST", f"{ORG}/clearance-requests/99999/confirm", missing, data={}, json=True)


@route("POST /api/v1/org/clearance-requests/{request_id}/reject")
def _api_reject(ctx: Ctx) -> Iterator[Probe]:
    request = _new_request(ctx)
    yield Probe(
        "POST",
        f"{ORG}/clearance-requests/{request.pk}/reject",
        _decides(ctx, Action.REJECT_CLEARANCE, request, 200),
        data={"note": "no"},
        json=True,
        done=_request_state(request, "rejected"),
    )


@route("GET /api/v1/org/units")
def _api_units(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{ORG}/units", 200)


@route("POST /api/v1/org/units")
def _api_unit_new(ctx: Ctx) -> Iterator[Probe]:
    code = f"API-{ctx.name}"
    body = {"code": code, "name": "API unit", "parent": "OPS"}
    yield Probe("POST", f"{ORG}/units", _admin(ctx, 201), data=body, json=True, done=_exists(Unit, code=code))
    yield Probe("POST", f"{ORG}/units", _admin(ctx, 400), data={**body, "parent": MISSING_NAME}, json=True)


@route("PATCH /api/v1/org/units/{code}")
def _api_unit_change(ctx: Ctx) -> Iterator[Probe]:
    unit = _new_unit(ctx)
    yield Probe(
        "PATCH",
        f"{ORG}/units/{unit.code}",
        _admin(ctx, 200),
        data={"name": "Renamed by API"},
        json=True,
        done=_exists(Unit, pk=unit.pk, name="Renamed by API"),
    )
    yield Probe("PATCH", f"{ORG}/units/{MISSING_NAME}", _admin(ctx, 404), data={"name": "x"}, json=True)


@route("POST /api/v1/org/units/{code}/move")
def _api_unit_move(ctx: Ctx) -> Iterator[Probe]:
    unit = _new_unit(ctx)
    hq = ctx.site.world.hq
    yield Probe(
        "POST",
        f"{ORG}/units/{unit.code}/move",
        _admin(ctx, 200),
        data={"parent": hq.code},
        json=True,
        done=_exists(Unit, pk=unit.pk, parent=hq),
    )
    below_ops = _new_unit(ctx)
    yield Probe("POST", f"{ORG}/units/OPS/move", _admin(ctx, 400), data={"parent": below_ops.code}, json=True)


@route("GET /api/v1/org/registries")
def _api_registries(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{ORG}/registries", 200)


@route("POST /api/v1/org/registries")
def _api_registry_new(ctx: Ctx) -> Iterator[Probe]:
    code = f"API-{ctx.name}"
    body = {
        "code": code,
        "name": "API point",
        "kind": "control_point",
        "unit": "OPS",
        "accreditation": "NC",
        "parent": "OPS-CP",
    }
    yield Probe("POST", f"{ORG}/registries", _admin(ctx, 201), data=body, json=True, done=_exists(Registry, code=code))


@route("PATCH /api/v1/org/registries/{code}")
def _api_registry_change(ctx: Ctx) -> Iterator[Probe]:
    registry = _new_registry(ctx)
    yield Probe(
        "PATCH",
        f"{ORG}/registries/{registry.code}",
        _admin(ctx, 200),
        data={"name": "Renamed by API"},
        json=True,
        done=_exists(Registry, pk=registry.pk, name="Renamed by API"),
    )


@route("PUT /api/v1/org/registries/{code}/staff/{username}")
def _api_staff_add(ctx: Ctx) -> Iterator[Probe]:
    registry, person = _new_registry(ctx), _new_person(ctx)
    yield Probe(
        "PUT",
        f"{ORG}/registries/{registry.code}/staff/{person.username}",
        _admin(ctx, 200),
        done=_exists(Registry, pk=registry.pk, staff=person),
    )
    me = _self(ctx)
    yield Probe(
        "PUT",
        f"{ORG}/registries/{registry.code}/staff/{me.username}",
        _on_person(ctx, Action.CHANGE_AFFILIATION, me, 200),
    )


@route("DELETE /api/v1/org/registries/{code}/staff/{username}")
def _api_staff_remove(ctx: Ctx) -> Iterator[Probe]:
    registry, person = _new_registry(ctx), _new_person(ctx)
    org.add_registry_staff(SYSTEM, registry, person)
    yield Probe(
        "DELETE",
        f"{ORG}/registries/{registry.code}/staff/{person.username}",
        _admin(ctx, 200),
        done=lambda: not Registry.objects.filter(pk=registry.pk, staff=person).exists(),
    )


# Custody: transfers --------------------------------------------------------------------------

CUSTODY = f"{API}/custody"


def _transfer_of(ctx: Ctx, key: str) -> Any:
    """A transfer in transit of a fresh document's copies: "up" (COSMIC TOP SECRET ATOMAL copies
    from IMS-REG to its parent CR, whose staff no persona is) or "across" (a NATO CONFIDENTIAL
    copy from OPS-CP to IMS-REG)."""
    from registrum.custody import copies as custody
    from registrum.custody import transfers

    w = ctx.site.world
    central = Registry.objects.get(code="CR")
    spec, origin, destination = {"up": ("cts", w.registry, central), "across": ("cp", w.control_point, w.registry)}[key]
    document = ctx.site.fresh(spec).document
    made = custody.number_copies(w.clerk, document.public_id, registry=origin, count=2 if key == "up" else 1)
    return transfers.dispatch(w.clerk, [c.public_id for c in made], to_registry=destination)


def _shared_transfer(ctx: Ctx, key: str) -> Any:
    if key not in ctx.site.transfers:
        ctx.site.transfers[key] = _transfer_of(ctx, key)
    return ctx.site.transfers[key]


def _party(ctx: Ctx, transfer: Any) -> bool:
    """A party to the transfer (staff of either registry) who may read its copies' document."""
    if ctx.person is None or not ctx.person.is_active:
        return False
    registries = ctx.person.subject().registries
    if transfer.from_registry_id not in registries and transfer.to_registry_id not in registries:
        return False
    return ctx.can(Action.READ, transfer.items.first().copy.document)


def _staff(ctx: Ctx, registry_id: int) -> bool:
    from registrum.policy.custody import custody_staff

    return ctx.person is not None and bool(custody_staff(ctx.person.subject(), registry_id))


def _transfer_status(ctx: Ctx, transfer: Any, ok: int, *, registry_id: int | None = None) -> int:
    """404 unless a party; then ok when `registry_id` (whose staff act) is None or theirs, else 403."""
    if transfer is None or not _party(ctx, transfer):
        return 404
    return ok if registry_id is None or _staff(ctx, registry_id) else 403


def _transfer_state(transfer: Any, state: str) -> Callable[[], bool]:
    from registrum.custody.models import Transfer

    return lambda: Transfer.objects.filter(pk=transfer.pk, state=state).exists()


def _transfer_targets(ctx: Ctx) -> Iterator[tuple[str, Any]]:
    yield "up", _shared_transfer(ctx, "up")
    yield "across", _shared_transfer(ctx, "across")
    yield MISSING, None


def _dispatch_status(ctx: Ctx, document: Document, registry: Registry, ok: int) -> int:
    if not ctx.can(Action.READ, document):
        return 400  # no such copy, for whoever may not see it
    return ok if _staff(ctx, registry.pk) else 403


def _fresh_copy(ctx: Ctx) -> Any:
    from registrum.custody import copies as custody

    w = ctx.site.world
    document = ctx.site.fresh("cp").document
    return custody.number_copies(w.clerk, document.public_id, registry=w.control_point, count=1)[0]


def _dispatched(copy: Any) -> Callable[[], bool]:
    from registrum.custody.models import TransferItem

    return lambda: TransferItem.objects.filter(copy=copy).exists()


@route("custody:transfers")
def _transfers_list(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:transfers"), 200)
    yield Probe("POST", reverse("custody:transfers"), 405)


@route("custody:transfer_new")
def _transfer_new(ctx: Ctx) -> Iterator[Probe]:
    url = reverse("custody:transfer_new")
    allowed = bool(ctx.registries())
    yield Probe("GET", url, 200 if allowed else 403)
    copy = _fresh_copy(ctx)
    w = ctx.site.world
    expected = _dispatch_status(ctx, copy.document, w.control_point, 302) if allowed else 403
    body = {"source": "OPS-CP", "copy": [copy.public_id], "to_registry": "IMS-REG"}
    yield Probe("POST", url, expected, data=body, done=_dispatched(copy))


@route("custody:transfer")
def _transfer_page(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        public_id = transfer.public_id if transfer else key
        yield Probe("GET", reverse("custody:transfer", args=[public_id]), _transfer_status(ctx, transfer, 200))


@route("custody:transfer_pdf")
def _transfer_pdf(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        public_id = transfer.public_id if transfer else key
        yield Probe("GET", reverse("custody:transfer_pdf", args=[public_id]), _transfer_status(ctx, transfer, 200))


@route("custody:transfer_receive")
def _transfer_receive(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        public_id = transfer.public_id if transfer else key
        url = reverse("custody:transfer_receive", args=[public_id])
        yield Probe("GET", url, 405)
        expected = _transfer_status(ctx, transfer, 302, registry_id=transfer.to_registry_id if transfer else None)
        if expected == 302:
            transfer = _transfer_of(ctx, key)
            url = reverse("custody:transfer_receive", args=[transfer.public_id])
        done = _transfer_state(transfer, "received") if transfer else None
        yield Probe("POST", url, expected, data={"all": "1"}, done=done)


@route("custody:transfer_cancel")
def _transfer_cancel(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        public_id = transfer.public_id if transfer else key
        url = reverse("custody:transfer_cancel", args=[public_id])
        yield Probe("GET", url, 405)
        expected = _transfer_status(ctx, transfer, 302, registry_id=transfer.from_registry_id if transfer else None)
        if expected == 302:
            transfer = _transfer_of(ctx, key)
            url = reverse("custody:transfer_cancel", args=[transfer.public_id])
        done = _transfer_state(transfer, "cancelled") if transfer else None
        yield Probe("POST", url, expected, done=done)


@route("POST /api/v1/custody/transfers")
def _api_dispatch(ctx: Ctx) -> Iterator[Probe]:
    copy = _fresh_copy(ctx)
    expected = _dispatch_status(ctx, copy.document, ctx.site.world.control_point, 201)
    body = {"copies": [copy.code], "to_registry": "IMS-REG"}
    yield Probe("POST", f"{CUSTODY}/transfers", expected, data=body, json=True, done=_dispatched(copy))
    yield Probe("POST", f"{CUSTODY}/transfers", 400, data={"copies": ["not a code"], "to_registry": "CR"}, json=True)


@route("GET /api/v1/custody/transfers")
def _api_outstanding(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/transfers", 200)
    w = ctx.site.world
    yield Probe("GET", f"{CUSTODY}/transfers?registry=IMS-REG", 200 if _staff(ctx, w.registry.pk) else 403)
    yield Probe("GET", f"{CUSTODY}/transfers?registry=NOWHERE", 400)


@route("GET /api/v1/custody/transfers/{public_id}")
def _api_transfer(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        public_id = transfer.public_id if transfer else key
        yield Probe("GET", f"{CUSTODY}/transfers/{public_id}", _transfer_status(ctx, transfer, 200))


@route("GET /api/v1/custody/transfers/{public_id}/transmittal.pdf")
def _api_transmittal(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        public_id = transfer.public_id if transfer else key
        url = f"{CUSTODY}/transfers/{public_id}/transmittal.pdf"
        yield Probe("GET", url, _transfer_status(ctx, transfer, 200))


@route("POST /api/v1/custody/transfers/{public_id}/receipt")
def _api_receive(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        expected = _transfer_status(ctx, transfer, 200, registry_id=transfer.to_registry_id if transfer else None)
        if expected == 200:
            transfer = _transfer_of(ctx, key)
        public_id = transfer.public_id if transfer else key
        done = _transfer_state(transfer, "received") if transfer else None
        yield Probe("POST", f"{CUSTODY}/transfers/{public_id}/receipt", expected, data={}, json=True, done=done)


@route("POST /api/v1/custody/transfers/{public_id}/cancel")
def _api_cancel(ctx: Ctx) -> Iterator[Probe]:
    for key, transfer in _transfer_targets(ctx):
        expected = _transfer_status(ctx, transfer, 200, registry_id=transfer.from_registry_id if transfer else None)
        if expected == 200:
            transfer = _transfer_of(ctx, key)
        public_id = transfer.public_id if transfer else key
        done = _transfer_state(transfer, "cancelled") if transfer else None
        yield Probe("POST", f"{CUSTODY}/transfers/{public_id}/cancel", expected, done=done)


# Custody: numbered copies, containers, holdings, the dashboard (the "copies" part) ------------

# Documents whose handling numbers copies and that a registry holds: their probes address a copy.
COPY_KEYS = ("ns", "cts", "cp", "received")


def _copy_of(ctx: Ctx, key: str) -> Copy | None:
    """A copy of the shared document, numbered once by its registry's clerk (None: missing)."""
    if key == "missing":
        return None
    registration = ctx.site.base[key]
    existing = Copy.objects.filter(document_id=registration.document_id).order_by("number").first()
    if existing is not None:
        return existing
    (made,) = custody_copies.number_copies(
        ctx.site.world.clerk, registration.document.public_id, registry=registration.registry, count=1
    )
    return made


def _copy_id(copy: Copy | None) -> str:
    return copy.public_id if copy is not None else MISSING


def _sees_copy(ctx: Ctx, copy: Copy | None) -> bool:
    return copy is not None and ctx.can(Action.READ, copy.document)


def _custody_staff(ctx: Ctx, registry: Registry | None) -> bool:
    if ctx.person is None or registry is None:
        return False
    return bool(custody_staff(ctx.person.subject(), registry.pk))


def _numbering_status(ctx: Ctx, document: Document | None, registration: Registration | None, *, ok: int) -> int:
    """404 unless readable; 403 unless staff of the registry; 400 when that registry does not hold
    it or its level is not copy-numbered; else ok."""
    if document is None or registration is None or not ctx.can(Action.READ, document):
        return 404
    if not _custody_staff(ctx, registration.registry):
        return 403
    if registration.is_void or handling_for(active_policy(), Level(document.level), document.category_mask).copies is (
        CopyNumbering.NONE
    ):
        return 400
    return ok


def _read_status(ctx: Ctx, ok: int) -> Callable[[Document | None, Registration | None], int]:
    return lambda d, r: ctx.status(Action.READ, d, ok=ok)


def _numbered(registration: Registration | None) -> Callable[[], bool]:
    return lambda: Copy.objects.filter(document_id=registration.document_id if registration else 0).exists()


def _stored(copy: Copy | None) -> Callable[[], bool]:
    return lambda: CopyEvent.objects.filter(copy=copy, kind=CopyEventKind.STORED).exists() if copy else False


def _ims_container(ctx: Ctx) -> Container:
    """A safe of IMS-REG (the clerk's registry), made once."""
    registry = ctx.site.world.registry
    found = Container.objects.filter(code="PROBE-SAFE").first()
    return found or Container.objects.create(
        registry=registry, code="PROBE-SAFE", name="Probe safe", accreditation=Level.CTS, category_mask=0
    )


@route("custody:dashboard")
def _custody_dashboard(ctx: Ctx) -> Iterator[Probe]:
    for key in COPY_KEYS:
        _copy_of(ctx, key)
    yield Probe("GET", reverse("custody:dashboard"), 200)
    yield Probe("POST", reverse("custody:dashboard"), 405)


@route("custody:document_copies")
def _custody_document_copies(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        if key in COPY_KEYS:
            _copy_of(ctx, key)
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.READ, d, ok=200))
        yield Probe("GET", reverse("custody:document_copies", args=[doc_id]), expected)


@route("custody:number_copies")
def _custody_number_copies(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        if key in METHOD_KEYS:
            doc_id, _, _, _ = ctx.target(key, lambda d, r: 405)
            yield Probe("GET", reverse("custody:number_copies", args=[doc_id]), 405)
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: _numbering_status(ctx, d, r, ok=302), mutating=True
        )
        registry = registration.registry.code if registration else "IMS-REG"
        yield Probe(
            "POST",
            reverse("custody:number_copies", args=[doc_id]),
            expected,
            data={"registry": registry, "count": "1"},
            done=_numbered(registration),
        )


@route("custody:labels")
def _custody_labels(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        # Readable without copies: back to the copies page with the reason.
        ok = 200 if key in COPY_KEYS and _copy_of(ctx, key) is not None else 302
        doc_id, _, expected, _ = ctx.target(key, _read_status(ctx, ok))
        yield Probe("GET", reverse("custody:labels", args=[doc_id]), expected)


@route("custody:cover")
def _custody_cover(ctx: Ctx) -> Iterator[Probe]:
    for key in (*COPY_KEYS, "missing"):
        copy = _copy_of(ctx, key)
        yield Probe("GET", reverse("custody:cover", args=[_copy_id(copy)]), 200 if _sees_copy(ctx, copy) else 404)


@route("custody:store")
def _custody_store(ctx: Ctx) -> Iterator[Probe]:
    for key in (*COPY_KEYS, "missing"):
        copy = _copy_of(ctx, key)
        if not _sees_copy(ctx, copy):
            expected = 404
        else:
            assert copy is not None
            expected = 302 if _custody_staff(ctx, copy.registry) else 403
        if key in METHOD_KEYS:
            yield Probe("GET", reverse("custody:store", args=[_copy_id(copy)]), 405)
        yield Probe(
            "POST",
            reverse("custody:store", args=[_copy_id(copy)]),
            expected,
            data={"container": ""},
            done=_stored(copy),
        )


@route("custody:holdings")
def _custody_holdings(ctx: Ctx) -> Iterator[Probe]:
    for key in COPY_KEYS:
        _copy_of(ctx, key)
    for registry in (ctx.site.world.registry, ctx.site.world.control_point):
        expected = 200 if _custody_staff(ctx, registry) else 403
        yield Probe("GET", reverse("custody:holdings", args=[registry.code]), expected)
        yield Probe("GET", reverse("custody:holdings", args=[registry.code]) + "?level=CTS", expected)
    yield Probe("GET", reverse("custody:holdings", args=["NO-SUCH-REG"]), 404)


@route("custody:containers")
def _custody_containers(ctx: Ctx) -> Iterator[Probe]:
    registry = ctx.site.world.registry
    staff = _custody_staff(ctx, registry)
    yield Probe("GET", reverse("custody:containers", args=[registry.code]), 200 if staff else 403)
    code = f"PROBE-{ctx.name.upper()}"[:40]
    officer = ctx.person is not None and bool(control_officer_of(ctx.person.subject(), registry.pk))
    yield Probe(
        "POST",
        reverse("custody:containers", args=[registry.code]),
        302 if staff and officer else 403,
        data={"code": code, "name": "Probe", "kind": "safe", "accreditation": "NS"},
        done=lambda: Container.objects.filter(code=code).exists(),
    )
    yield Probe("GET", reverse("custody:containers", args=["NO-SUCH-REG"]), 404)


@route("custody:container")
def _custody_container(ctx: Ctx) -> Iterator[Probe]:
    container = _ims_container(ctx)
    expected = 200 if _custody_staff(ctx, container.registry) else 403
    yield Probe("GET", reverse("custody:container", args=[container.public_id]), expected)
    yield Probe("GET", reverse("custody:container", args=[MISSING]), 404)


@route("custody:combination")
def _custody_combination(ctx: Ctx) -> Iterator[Probe]:
    container = _ims_container(ctx)
    note = f"probe by {ctx.name}"
    url = reverse("custody:combination", args=[container.public_id])
    yield Probe("GET", url, 405)
    yield Probe(
        "POST",
        url,
        302 if _custody_staff(ctx, container.registry) else 403,
        data={"changed_on": timezone.localdate().isoformat(), "reason": "routine", "note": note},
        done=lambda: CombinationChange.objects.filter(container=container, note=note).exists(),
    )
    yield Probe("POST", reverse("custody:combination", args=[MISSING]), 404, data={"reason": "routine"})


CUSTODY_API = f"{API}/custody"


@route("GET /api/v1/custody/documents/{public_id}/copies")
def _api_custody_copies(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        if key in COPY_KEYS:
            _copy_of(ctx, key)
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: ctx.status(Action.READ, d, ok=200))
        yield Probe("GET", f"{CUSTODY_API}/documents/{doc_id}/copies", expected)


@route("POST /api/v1/custody/documents/{public_id}/copies")
def _api_custody_number(ctx: Ctx) -> Iterator[Probe]:
    for key in KEYS:
        doc_id, _, expected, registration = ctx.target(
            key, lambda d, r: _numbering_status(ctx, d, r, ok=201), mutating=True
        )
        registry = registration.registry.code if registration else "IMS-REG"
        yield Probe(
            "POST",
            f"{CUSTODY_API}/documents/{doc_id}/copies",
            expected,
            data={"registry": registry, "count": 1},
            json=True,
            done=_numbered(registration),
        )


@route("POST /api/v1/custody/copies/{public_id}/store")
def _api_custody_store(ctx: Ctx) -> Iterator[Probe]:
    for key in (*COPY_KEYS, "missing"):
        copy = _copy_of(ctx, key)
        if not _sees_copy(ctx, copy):
            expected = 404
        else:
            assert copy is not None
            expected = 200 if _custody_staff(ctx, copy.registry) else 403
        yield Probe(
            "POST",
            f"{CUSTODY_API}/copies/{_copy_id(copy)}/store",
            expected,
            data={"container": ""},
            json=True,
            done=_stored(copy),
        )


@route("GET /api/v1/custody/copies/{public_id}/cover.pdf")
def _api_custody_cover(ctx: Ctx) -> Iterator[Probe]:
    for key in (*COPY_KEYS, "missing"):
        copy = _copy_of(ctx, key)
        yield Probe("GET", f"{CUSTODY_API}/copies/{_copy_id(copy)}/cover.pdf", 200 if _sees_copy(ctx, copy) else 404)


@route("GET /api/v1/custody/registries/{code}/containers")
def _api_custody_containers(ctx: Ctx) -> Iterator[Probe]:
    _ims_container(ctx)
    for registry in (ctx.site.world.registry, ctx.site.world.control_point):
        expected = 200 if _custody_staff(ctx, registry) else 403
        yield Probe("GET", f"{CUSTODY_API}/registries/{registry.code}/containers", expected)
    yield Probe("GET", f"{CUSTODY_API}/registries/NO-SUCH-REG/containers", 404)


@route("POST /api/v1/custody/registries/{code}/containers")
def _api_custody_container_new(ctx: Ctx) -> Iterator[Probe]:
    registry = ctx.site.world.registry
    code = f"API-PROBE-{ctx.name.upper()}"[:40]
    officer = ctx.person is not None and bool(control_officer_of(ctx.person.subject(), registry.pk))
    yield Probe(
        "POST",
        f"{CUSTODY_API}/registries/{registry.code}/containers",
        201 if officer else 403,
        data={"code": code, "name": "Probe", "accreditation": "NS"},
        json=True,
        done=lambda: Container.objects.filter(code=code).exists(),
    )
    yield Probe(
        "POST",
        f"{CUSTODY_API}/registries/NO-SUCH-REG/containers",
        404,
        data={"code": code, "name": "P", "accreditation": "NS"},
        json=True,
    )


@route("POST /api/v1/custody/containers/{public_id}/combination-changes")
def _api_custody_combination(ctx: Ctx) -> Iterator[Probe]:
    container = _ims_container(ctx)
    note = f"api probe by {ctx.name}"
    body = {"changed_on": timezone.localdate().isoformat(), "reason": "routine", "note": note}
    yield Probe(
        "POST",
        f"{CUSTODY_API}/containers/{container.public_id}/combination-changes",
        201 if _custody_staff(ctx, container.registry) else 403,
        data=body,
        json=True,
        done=lambda: CombinationChange.objects.filter(container=container, note=note).exists(),
    )
    yield Probe("POST", f"{CUSTODY_API}/containers/{MISSING}/combination-changes", 404, data=body, json=True)


@route("GET /api/v1/custody/registries/{code}/holdings")
def _api_custody_holdings(ctx: Ctx) -> Iterator[Probe]:
    for key in COPY_KEYS:
        _copy_of(ctx, key)
    for registry in (ctx.site.world.registry, ctx.site.world.control_point):
        expected = 200 if _custody_staff(ctx, registry) else 403
        yield Probe("GET", f"{CUSTODY_API}/registries/{registry.code}/holdings", expected)
        yield Probe("GET", f"{CUSTODY_API}/registries/{registry.code}/holdings?level=NS&page_size=1", expected)
    yield Probe("GET", f"{CUSTODY_API}/registries/NO-SUCH-REG/holdings", 404)


# Destruction and reproduction (custody) ---------------------------------------------------------
# Copies are numbered on fresh documents like "ns" and "cts" (both registered in IMS-REG) by its
# clerk; a control officer of IMS-REG who is none of the personas approves. Expectations come from
# the custody policy (custody_staff, control_officer_of, may_witness, the reproduction rules)
# and the access filter.

CUSTODY = f"{API}/custody"
SIGNING_STATES = (DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES)


def _destruction_officer(ctx: Ctx) -> Person:
    officer = Person.objects.filter(username="dofficer").first()
    if officer is None:
        officer = make_person(
            "dofficer", "LUX", ctx.site.world.hq, Level.CTS, ("COSMIC", "ATOMAL"), (Role.CONTROL_OFFICER,)
        )
        org.add_registry_staff(SYSTEM, ctx.site.world.registry, officer)
    return _fetch(officer)


def _held_copy(ctx: Ctx, key: str) -> Copy:
    """One numbered copy of a fresh document like `key`, held by its registry."""
    registration = ctx.site.fresh(key)
    (copy,) = custody_copies.number_copies(
        ctx.site.world.clerk, registration.document.public_id, registry=registration.registry, count=1
    )
    return Copy.objects.select_related("document", "registry").get(pk=copy.pk)


def _destruction(ctx: Ctx, key: str, state: str) -> Destruction:
    """A fresh destruction of one copy, proposed by IMS-REG's clerk, brought to `state`."""
    clerk = ctx.site.world.clerk
    copy = _held_copy(ctx, key)
    registry = ctx.site.world.registry  # where "ns" and "cts" are registered
    destruction = custody_destruction.propose_destruction(clerk, registry, [copy.public_id], "probe")
    if state != DestructionState.PROPOSED:
        custody_destruction.approve_destruction(_destruction_officer(ctx), destruction.public_id)
    if state in (DestructionState.AWAITING_WITNESSES, DestructionState.COMPLETED):
        custody_destruction.sign_destruction(clerk, destruction.public_id)
    if state == DestructionState.COMPLETED:
        custody_destruction.sign_destruction(_destruction_officer(ctx), destruction.public_id)
    return Destruction.objects.select_related("registry").get(pk=destruction.pk)


def _custody_staff_of(ctx: Ctx, registry_id: int | None) -> bool:
    return ctx.person is not None and bool(custody_staff(ctx.person.subject(), registry_id))


def _custody_officer(ctx: Ctx, registry_id: int | None) -> bool:
    return ctx.person is not None and bool(control_officer_of(ctx.person.subject(), registry_id))


def _material(copy: Copy) -> Material:
    return Material(Level(copy.level), copy.category_mask, frozenset(copy.releasable_nations))


def _sees_copies(ctx: Ctx, copies: list[Copy]) -> bool:
    if ctx.person is None:
        return False
    return Copy.objects.visible_to(ctx.person).filter(pk__in=[c.pk for c in copies]).count() == len(copies)


def _items(destruction: Destruction) -> list[Copy]:
    return list(Copy.objects.filter(destruction_items__destruction=destruction))


def _destroyer(destruction: Destruction) -> int | None:
    return destruction.signatures.order_by("signed_at", "id").values_list("person_id", flat=True).first()


def _may_witness(ctx: Ctx, destruction: Destruction) -> bool:
    assert ctx.person is not None
    policy, today, subject = active_policy(), timezone.localdate(), ctx.person.subject()
    destroyer = _destroyer(destruction)
    return all(may_witness(policy, subject, destroyer, _material(c), today) for c in _items(destruction))


def _sees_destruction(ctx: Ctx, destruction: Destruction) -> bool:
    """Staff of the registry and the signers; while it awaits signatures, a possible witness who
    sees every copy on it."""
    if ctx.person is None:
        return False
    if _custody_staff_of(ctx, destruction.registry_id) or destruction.signatures.filter(person=ctx.person).exists():
        return True
    if destruction.state not in SIGNING_STATES:
        return False
    return _sees_copies(ctx, _items(destruction)) and _may_witness(ctx, destruction)


def _cleared_for(ctx: Ctx, copies: list[Copy]) -> bool:
    assert ctx.person is not None
    policy, today, subject = active_policy(), timezone.localdate(), ctx.person.subject()
    return all(may_hold(policy, subject, Level(c.level), c.category_mask, today) for c in copies)


def _propose_status(ctx: Ctx, copy: Copy, ok: int) -> int:
    if not _custody_staff_of(ctx, copy.registry_id):
        return 403
    if not _sees_copies(ctx, [copy]):
        return 400  # "no such copy", on the field
    return ok if _cleared_for(ctx, [copy]) else 403


def _decide_status(ctx: Ctx, destruction: Destruction, ok: int, *, approving: bool) -> int:
    if not _sees_destruction(ctx, destruction):
        return 404
    assert ctx.person is not None
    if approving:
        decision = may_approve_destruction(ctx.person.subject(), destruction.registry_id, destruction.proposed_by_id)
        return ok if decision and _cleared_for(ctx, _items(destruction)) else 403
    return ok if _custody_officer(ctx, destruction.registry_id) else 403


def _sign_status(ctx: Ctx, destruction: Destruction, ok: int) -> int:
    if not _sees_destruction(ctx, destruction):
        return 404
    if destruction.signatures.exists():
        return ok if _may_witness(ctx, destruction) else 403
    if not _custody_staff_of(ctx, destruction.registry_id) or not _cleared_for(ctx, _items(destruction)):
        return 403
    return ok


def _dispose_status(ctx: Ctx, destruction: Destruction, ok: int, kept: int) -> int:
    if not _sees_destruction(ctx, destruction):
        return 404
    if not _custody_officer(ctx, destruction.registry_id):
        return 403
    return kept  # the certificate is kept for its period: refused on the state


def _certificate_status(ctx: Ctx, destruction: Destruction) -> int:
    if not _sees_destruction(ctx, destruction):
        return 404
    return 200 if _sees_copies(ctx, _items(destruction)) else 403


def _is_pdf(response: HttpResponseBase) -> str:
    if response.status_code == 200 and not _body(response).startswith(b"%PDF"):
        return "not a PDF"
    return ""


def _signed_by(destruction: Destruction, ctx: Ctx) -> Callable[[], bool]:
    return lambda: destruction.signatures.filter(person=ctx.person).exists()


def _in_state(destruction: Destruction, state: str) -> Callable[[], bool]:
    return lambda: Destruction.objects.filter(pk=destruction.pk, state=state).exists()


def _proposed(copy: Copy) -> Callable[[], bool]:
    return lambda: Destruction.objects.filter(items__copy=copy).exists()


def _reproduction_status(ctx: Ctx, copy: Copy, authority: str, ok: int) -> int:
    if not _sees_copies(ctx, [copy]):
        return 404
    assert ctx.person is not None
    if not _custody_staff_of(ctx, copy.registry_id):
        return 403
    policy, material = active_policy(), _material(copy)
    rule = may_request_reproduction if reproduction_needs_approval(policy, material) else may_reproduce
    decision = rule(policy, ctx.person.subject(), copy.registry_id, material, authority, timezone.localdate())
    if decision:
        return ok
    on_field = (NOT_COPY_NUMBERED, CONSENT_NOT_RECORDED, AUTHORITY_NOT_RECORDED, APPROVAL_NEEDED)
    return 400 if decision.template in on_field else 403


def _reproduced(copy: Copy) -> Callable[[], bool]:
    return lambda: (
        Copy.objects.filter(made_from=copy).exists() or ReproductionRequest.objects.filter(source=copy).exists()
    )


def _reproduction_request(ctx: Ctx) -> ReproductionRequest:
    """A fresh request, by IMS-REG's clerk, for a copy of a COSMIC TOP SECRET ATOMAL document."""
    copy = _held_copy(ctx, "cts")
    return custody_reproduction.request_reproduction(
        ctx.site.world.clerk, copy.public_id, count=1, authority="originator's consent"
    )


def _sees_request(ctx: Ctx, request: ReproductionRequest) -> bool:
    return _sees_copies(ctx, [request.source]) and _custody_staff_of(ctx, request.source.registry_id)


def _decide_request_status(ctx: Ctx, request: ReproductionRequest, ok: int) -> int:
    if not _sees_request(ctx, request):
        return 404
    assert ctx.person is not None
    source = request.source
    decision = may_approve_reproduction(
        active_policy(),
        ctx.person.subject(),
        source.registry_id,
        request.requested_by_id,
        _material(source),
        timezone.localdate(),
    )
    return ok if decision else 403


def _reproduction_state(request: ReproductionRequest, state: str) -> Callable[[], bool]:
    return lambda: ReproductionRequest.objects.filter(pk=request.pk, state=state).exists()


@route("custody:destruction_list")
def _destruction_list(ctx: Ctx) -> Iterator[Probe]:
    registry = ctx.site.world.registry
    yield Probe(
        "GET",
        reverse("custody:destruction_list", args=[registry.code]),
        200 if _custody_staff_of(ctx, registry.pk) else 403,
    )
    yield Probe("GET", reverse("custody:destruction_list", args=["NOSUCH"]), 404)


@route("custody:destruction_new")
def _destruction_new(ctx: Ctx) -> Iterator[Probe]:
    registry = ctx.site.world.registry
    url = reverse("custody:destruction_new", args=[registry.code])
    yield Probe("GET", url, 200 if _custody_staff_of(ctx, registry.pk) else 403)
    for key in ("ns", "cts"):
        copy = _held_copy(ctx, key)
        body = {"copies": [copy.public_id], "reason": "probe"}
        yield Probe("POST", url, _propose_status(ctx, copy, 302), data=body, done=_proposed(copy))


@route("custody:destruction_detail")
def _destruction_detail(ctx: Ctx) -> Iterator[Probe]:
    for key, state in (("cts", DestructionState.PROPOSED), ("ns", DestructionState.APPROVED)):
        destruction = _destruction(ctx, key, state)
        url = reverse("custody:destruction_detail", args=[destruction.public_id])
        yield Probe("GET", url, 200 if _sees_destruction(ctx, destruction) else 404)
    yield Probe("GET", reverse("custody:destruction_detail", args=[MISSING]), 404)


@route("custody:destruction_approve")
def _destruction_approve(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "cts", DestructionState.PROPOSED)
    url = reverse("custody:destruction_approve", args=[destruction.public_id])
    yield Probe("GET", url, 405)
    expected = _decide_status(ctx, destruction, 302, approving=True)
    yield Probe("POST", url, expected, done=_in_state(destruction, DestructionState.APPROVED))
    yield Probe("POST", reverse("custody:destruction_approve", args=[MISSING]), 404)


@route("custody:destruction_reject")
def _destruction_reject(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "ns", DestructionState.PROPOSED)
    url = reverse("custody:destruction_reject", args=[destruction.public_id])
    expected = _decide_status(ctx, destruction, 302, approving=False)
    yield Probe("POST", url, expected, data={"note": "no"}, done=_in_state(destruction, DestructionState.REJECTED))


@route("custody:destruction_sign")
def _destruction_sign(ctx: Ctx) -> Iterator[Probe]:
    for key in ("ns", "cts"):
        for state in (DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES):
            destruction = _destruction(ctx, key, state)
            url = reverse("custody:destruction_sign", args=[destruction.public_id])
            yield Probe("POST", url, _sign_status(ctx, destruction, 302), done=_signed_by(destruction, ctx))
    yield Probe("GET", reverse("custody:destruction_sign", args=[MISSING]), 405)


@route("custody:destruction_dispose")
def _destruction_dispose(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "ns", DestructionState.COMPLETED)
    url = reverse("custody:destruction_dispose", args=[destruction.public_id])
    yield Probe("POST", url, _dispose_status(ctx, destruction, 302, kept=302))


@route("custody:destruction_certificate")
def _destruction_certificate(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "cts", DestructionState.PROPOSED)
    url = reverse("custody:destruction_certificate", args=[destruction.public_id])
    yield Probe("GET", url, _certificate_status(ctx, destruction), check=_is_pdf)


@route("custody:reproduction_new")
def _reproduction_new(ctx: Ctx) -> Iterator[Probe]:
    copy = _held_copy(ctx, "cts")
    url = reverse("custody:reproduction_new", args=[copy.public_id])
    yield Probe("GET", url, _reproduction_status(ctx, copy, "x", 200) if _sees_copies(ctx, [copy]) else 404)
    for key, authority in (("ns", "J3 request"), ("ns", ""), ("cts", "originator's consent")):
        copy = _held_copy(ctx, key)
        url = reverse("custody:reproduction_new", args=[copy.public_id])
        body = {"kind": "reproduction", "count": "1", "authority": authority}
        yield Probe("POST", url, _reproduction_status(ctx, copy, authority, 302), data=body, done=_reproduced(copy))
    yield Probe("GET", reverse("custody:reproduction_new", args=[MISSING]), 404)


@route("custody:reproduction_detail")
def _reproduction_detail(ctx: Ctx) -> Iterator[Probe]:
    request = _reproduction_request(ctx)
    url = reverse("custody:reproduction_detail", args=[request.public_id])
    yield Probe("GET", url, 200 if _sees_request(ctx, request) else 404)
    yield Probe("GET", reverse("custody:reproduction_detail", args=[MISSING]), 404)


@route("custody:reproduction_approve")
def _reproduction_approve(ctx: Ctx) -> Iterator[Probe]:
    request = _reproduction_request(ctx)
    url = reverse("custody:reproduction_approve", args=[request.public_id])
    expected = _decide_request_status(ctx, request, 302)
    yield Probe("POST", url, expected, done=_reproduction_state(request, ReproductionState.APPROVED))


@route("custody:reproduction_reject")
def _reproduction_reject(ctx: Ctx) -> Iterator[Probe]:
    request = _reproduction_request(ctx)
    url = reverse("custody:reproduction_reject", args=[request.public_id])
    expected = _decide_request_status(ctx, request, 302)
    done = _reproduction_state(request, ReproductionState.REJECTED)
    yield Probe("POST", url, expected, data={"note": "no"}, done=done)


@route("GET /api/v1/custody/registries/{code}/destructions")
def _api_destruction_list(ctx: Ctx) -> Iterator[Probe]:
    registry = ctx.site.world.registry
    expected = 200 if _custody_staff_of(ctx, registry.pk) else 403
    yield Probe("GET", f"{CUSTODY}/registries/{registry.code}/destructions", expected)
    yield Probe("GET", f"{CUSTODY}/registries/NOSUCH/destructions", 404)


@route("POST /api/v1/custody/destructions")
def _api_destruction_new(ctx: Ctx) -> Iterator[Probe]:
    registry = ctx.site.world.registry
    for key in ("ns", "cts"):
        copy = _held_copy(ctx, key)
        body = {"registry": registry.code, "copies": [copy.public_id], "reason": "probe"}
        yield Probe(
            "POST",
            f"{CUSTODY}/destructions",
            _propose_status(ctx, copy, 201),
            data=body,
            json=True,
            done=_proposed(copy),
        )
    body = {"registry": "NOSUCH", "copies": [MISSING], "reason": "probe"}
    yield Probe("POST", f"{CUSTODY}/destructions", 404, data=body, json=True)


@route("GET /api/v1/custody/destructions/{public_id}")
def _api_destruction(ctx: Ctx) -> Iterator[Probe]:
    for key, state in (("cts", DestructionState.PROPOSED), ("ns", DestructionState.AWAITING_WITNESSES)):
        destruction = _destruction(ctx, key, state)
        expected = 200 if _sees_destruction(ctx, destruction) else 404
        yield Probe("GET", f"{CUSTODY}/destructions/{destruction.public_id}", expected)
    yield Probe("GET", f"{CUSTODY}/destructions/{MISSING}", 404)


@route("POST /api/v1/custody/destructions/{public_id}/approve")
def _api_destruction_approve(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "cts", DestructionState.PROPOSED)
    expected = _decide_status(ctx, destruction, 200, approving=True)
    url = f"{CUSTODY}/destructions/{destruction.public_id}/approve"
    yield Probe("POST", url, expected, done=_in_state(destruction, DestructionState.APPROVED))


@route("POST /api/v1/custody/destructions/{public_id}/reject")
def _api_destruction_reject(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "ns", DestructionState.PROPOSED)
    expected = _decide_status(ctx, destruction, 200, approving=False)
    url = f"{CUSTODY}/destructions/{destruction.public_id}/reject"
    yield Probe(
        "POST", url, expected, data={"note": "no"}, json=True, done=_in_state(destruction, DestructionState.REJECTED)
    )


@route("POST /api/v1/custody/destructions/{public_id}/sign")
def _api_destruction_sign(ctx: Ctx) -> Iterator[Probe]:
    for key in ("ns", "cts"):
        for state in (DestructionState.APPROVED, DestructionState.AWAITING_WITNESSES):
            destruction = _destruction(ctx, key, state)
            url = f"{CUSTODY}/destructions/{destruction.public_id}/sign"
            yield Probe("POST", url, _sign_status(ctx, destruction, 200), done=_signed_by(destruction, ctx))
    proposed = _destruction(ctx, "ns", DestructionState.PROPOSED)
    expected = 400 if _sees_destruction(ctx, proposed) else 404  # not approved yet
    yield Probe("POST", f"{CUSTODY}/destructions/{proposed.public_id}/sign", expected)


@route("POST /api/v1/custody/destructions/{public_id}/dispose")
def _api_destruction_dispose(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "ns", DestructionState.COMPLETED)
    url = f"{CUSTODY}/destructions/{destruction.public_id}/dispose"
    yield Probe("POST", url, _dispose_status(ctx, destruction, 200, kept=400))


@route("GET /api/v1/custody/destructions/{public_id}/certificate")
def _api_destruction_certificate(ctx: Ctx) -> Iterator[Probe]:
    destruction = _destruction(ctx, "cts", DestructionState.PROPOSED)
    url = f"{CUSTODY}/destructions/{destruction.public_id}/certificate"
    yield Probe("GET", url, _certificate_status(ctx, destruction), check=_is_pdf)


@route("POST /api/v1/custody/copies/{public_id}/reproductions")
def _api_reproduce(ctx: Ctx) -> Iterator[Probe]:
    for key, authority in (("ns", "J3 request"), ("ns", ""), ("cts", "originator's consent"), ("cts", "")):
        copy = _held_copy(ctx, key)
        body = {"kind": "reproduction", "count": 1, "authority": authority}
        yield Probe(
            "POST",
            f"{CUSTODY}/copies/{copy.public_id}/reproductions",
            _reproduction_status(ctx, copy, authority, 201),
            data=body,
            json=True,
            done=_reproduced(copy),
        )


@route("GET /api/v1/custody/reproductions/{public_id}")
def _api_reproduction(ctx: Ctx) -> Iterator[Probe]:
    request = _reproduction_request(ctx)
    yield Probe("GET", f"{CUSTODY}/reproductions/{request.public_id}", 200 if _sees_request(ctx, request) else 404)
    yield Probe("GET", f"{CUSTODY}/reproductions/{MISSING}", 404)


@route("POST /api/v1/custody/reproductions/{public_id}/approve")
def _api_reproduction_approve(ctx: Ctx) -> Iterator[Probe]:
    request = _reproduction_request(ctx)
    expected = _decide_request_status(ctx, request, 200)
    url = f"{CUSTODY}/reproductions/{request.public_id}/approve"
    yield Probe("POST", url, expected, done=_reproduction_state(request, ReproductionState.APPROVED))


@route("POST /api/v1/custody/reproductions/{public_id}/reject")
def _api_reproduction_reject(ctx: Ctx) -> Iterator[Probe]:
    request = _reproduction_request(ctx)
    expected = _decide_request_status(ctx, request, 200)
    url = f"{CUSTODY}/reproductions/{request.public_id}/reject"
    done = _reproduction_state(request, ReproductionState.REJECTED)
    yield Probe("POST", url, expected, data={"note": "no"}, json=True, done=done)


# Custody: regrading, notices, retention -------------------------------------------------------


def _on_some_custody_staff(ctx: Ctx) -> bool:
    """A clerk or control officer on some registry's staff (the custody queues are theirs)."""
    if ctx.person is None:
        return False
    subject = ctx.person.subject()
    return any(custody_staff(subject, registry_id) for registry_id in subject.registries)


def _staff_status(ctx: Ctx, ok: int) -> int:
    return ok if _on_some_custody_staff(ctx) else 403


def _regrader_status(ctx: Ctx, document: Document | None, ok: int) -> int:
    """404 unless readable; 403 unless on the staff of a registry holding it."""
    if not ctx.can(Action.READ, document):
        return 404
    assert ctx.person is not None and document is not None
    subject = ctx.person.subject()
    if not any(custody_staff(subject, r) for r in services.holding_registries(document)):
        return 403
    return ok


def _declassify_status(ctx: Ctx, document: Document | None, ok: int) -> int:
    expected = _regrader_status(ctx, document, ok)
    if expected != ok:
        return expected
    assert ctx.person is not None and document is not None
    current = Material(Level(document.level), document.category_mask, frozenset(document.releasable_nations))
    decision = may_regrade(active_policy(), ctx.person.subject(), current, Level.NU, 0, timezone.localdate())
    return ok if decision else 403


def _control_status(ctx: Ctx, document: Document | None, ok: int) -> int:
    """Holds and disposition decisions: a control officer of a registry holding it."""
    if not ctx.can(Action.READ, document):
        return 404
    assert ctx.person is not None and document is not None
    subject = ctx.person.subject()
    if not any(control_officer_of(subject, r) for r in services.holding_registries(document)):
        return 403
    return ok


def _declassified(registration: Registration | None) -> Callable[[], bool]:
    return lambda: Document.objects.filter(pk=registration.document_id if registration else 0, level=0).exists()


def _scheduled(ctx: Ctx, key: str) -> tuple[str, int, Document | None]:
    """(regrade id, document) of a regrade scheduled on a fresh document by its registry's clerk."""
    if key == "missing":
        return MISSING, 0, None
    registration = ctx.site.fresh(key)
    regrade = regrading.record_regrade(
        ctx.site.world.clerk,
        registration.document.public_id,
        kind="declassify",
        authority="probe",
        effective_on=timezone.localdate() + timedelta(days=30),
    )
    return regrade.public_id, regrade.pk, registration.document


def _withdrawn(pk: int) -> Callable[[], bool]:
    return lambda: Regrade.objects.filter(pk=pk, cancelled_at__isnull=False).exists()


def _hold_on(ctx: Ctx, key: str) -> tuple[str, int, Document | None]:
    if key == "missing":
        return MISSING, 0, None
    registration = ctx.site.fresh(key)
    hold = Hold.objects.create(
        document=registration.document, reason="probe", placed_at=timezone.now(), placed_by=ctx.site.world.clerk
    )
    return hold.public_id, hold.pk, registration.document


def _lifted(pk: int) -> Callable[[], bool]:
    return lambda: Hold.objects.filter(pk=pk, lifted_at__isnull=False).exists()


REGRADE_KEYS = ("ns", "cts", "cp", "nr", "received", "void", "missing")


@route("custody:regrade")
def _regrade_page(ctx: Ctx) -> Iterator[Probe]:
    for key in REGRADE_KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _regrader_status(ctx, d, 200))
        yield Probe("GET", reverse("custody:regrade", args=[doc_id]), expected)
        doc_id, _, expected, registration = ctx.target(key, lambda d, r: _declassify_status(ctx, d, 302), mutating=True)
        yield Probe(
            "POST",
            reverse("custody:regrade", args=[doc_id]),
            expected,
            data={"kind": "declassify", "authority": "probe"},
            done=_declassified(registration),
        )


@route("custody:regrades_due")
def _regrades_due(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:regrades_due"), _staff_status(ctx, 200))


@route("custody:regrades_apply")
def _regrades_apply(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:regrades_apply"), 405)
    yield Probe("POST", reverse("custody:regrades_apply"), _staff_status(ctx, 302))


@route("custody:regrade_cancel")
def _regrade_cancel(ctx: Ctx) -> Iterator[Probe]:
    for key in ("ns", "cts", "cp", "missing"):
        regrade_id, pk, document = _scheduled(ctx, key)
        url = reverse("custody:regrade_cancel", args=[regrade_id])
        expected = _regrader_status(ctx, document, 302)
        yield Probe("POST", url, expected, data={"reason": "probe"}, done=_withdrawn(pk))


@route("custody:notices")
def _notices(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:notices"), 200)


@route("custody:notices_read")
def _notices_read(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:notices_read"), 405)
    yield Probe("POST", reverse("custody:notices_read"), 302)
    yield Probe("POST", reverse("custody:notices_read"), 404, data={"notice": "999999"})


@route("custody:disposition")
def _disposition(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:disposition"), _staff_status(ctx, 200))


@route("custody:disposition_decide")
def _disposition_decide(ctx: Ctx) -> Iterator[Probe]:
    for key in REGRADE_KEYS:
        # Nothing in the probes' site is filed: a control officer holding it would get "not due".
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _control_status(ctx, d, 302))
        yield Probe("POST", reverse("custody:disposition_decide", args=[doc_id]), expected, data={"action": "destroy"})


@route("custody:holds")
def _holds(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:holds"), _staff_status(ctx, 200))
    for key in REGRADE_KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _control_status(ctx, d, 302), mutating=True)
        yield Probe("POST", reverse("custody:holds"), expected, data={"document": doc_id, "reason": "probe"})


@route("custody:hold_lift")
def _hold_lift(ctx: Ctx) -> Iterator[Probe]:
    for key in ("ns", "cts", "cp", "missing"):
        hold_id, pk, document = _hold_on(ctx, key)
        expected = _control_status(ctx, document, 302)
        url = reverse("custody:hold_lift", args=[hold_id])
        yield Probe("POST", url, expected, data={"reason": "probe"}, done=_lifted(pk))


@route("custody:disclosure")
def _disclosure(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", reverse("custody:disclosure"), _staff_status(ctx, 200))


@route("custody:disclosure_decide")
def _disclosure_decide(ctx: Ctx) -> Iterator[Probe]:
    body = {"decision": "retain", "authority": "probe", "review_in_years": "5"}
    for key in REGRADE_KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _control_status(ctx, d, 302))
        yield Probe("POST", reverse("custody:disclosure_decide", args=[doc_id]), expected, data=body)


@route("POST /api/v1/custody/documents/{public_id}/regrades")
def _api_regrade(ctx: Ctx) -> Iterator[Probe]:
    for key in REGRADE_KEYS:
        doc_id, _, expected, registration = ctx.target(key, lambda d, r: _declassify_status(ctx, d, 201), mutating=True)
        body = {"kind": "declassify", "authority": "probe"}
        url = f"{CUSTODY}/documents/{doc_id}/regrades"
        yield Probe("POST", url, expected, data=body, json=True, done=_declassified(registration))


@route("GET /api/v1/custody/documents/{public_id}/regrades")
def _api_regrades_of(ctx: Ctx) -> Iterator[Probe]:
    for key in REGRADE_KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _regrader_status(ctx, d, 200))
        yield Probe("GET", f"{CUSTODY}/documents/{doc_id}/regrades", expected)


@route("GET /api/v1/custody/regrades")
def _api_regrades(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/regrades", _staff_status(ctx, 200))


@route("POST /api/v1/custody/regrades/apply-due")
def _api_apply_due(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("POST", f"{CUSTODY}/regrades/apply-due", _staff_status(ctx, 200), data={}, json=True)


@route("POST /api/v1/custody/regrades/{public_id}/cancel")
def _api_regrade_cancel(ctx: Ctx) -> Iterator[Probe]:
    for key in ("ns", "cts", "cp", "missing"):
        regrade_id, pk, document = _scheduled(ctx, key)
        expected = _regrader_status(ctx, document, 200)
        url = f"{CUSTODY}/regrades/{regrade_id}/cancel"
        yield Probe("POST", url, expected, data={"reason": "probe"}, json=True, done=_withdrawn(pk))


@route("GET /api/v1/custody/notices")
def _api_notices(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/notices", 200)


@route("POST /api/v1/custody/notices/read")
def _api_notices_read(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("POST", f"{CUSTODY}/notices/read", 200, data={}, json=True)
    yield Probe("POST", f"{CUSTODY}/notices/read", 404, data={"notice": 999999}, json=True)


@route("GET /api/v1/custody/disposition")
def _api_disposition(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/disposition", _staff_status(ctx, 200))


@route("POST /api/v1/custody/documents/{public_id}/disposition")
def _api_disposition_decide(ctx: Ctx) -> Iterator[Probe]:
    for key in REGRADE_KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _control_status(ctx, d, 201))
        url = f"{CUSTODY}/documents/{doc_id}/disposition"
        yield Probe("POST", url, expected, data={"action": "destroy"}, json=True)


@route("GET /api/v1/custody/holds")
def _api_holds(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/holds", _staff_status(ctx, 200))


@route("POST /api/v1/custody/holds")
def _api_hold(ctx: Ctx) -> Iterator[Probe]:
    for key in REGRADE_KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _control_status(ctx, d, 201), mutating=True)
        body = {"document": doc_id, "reason": "probe"}
        yield Probe("POST", f"{CUSTODY}/holds", expected, data=body, json=True)


@route("POST /api/v1/custody/holds/{public_id}/lift")
def _api_hold_lift(ctx: Ctx) -> Iterator[Probe]:
    for key in ("ns", "cts", "cp", "missing"):
        hold_id, pk, document = _hold_on(ctx, key)
        expected = _control_status(ctx, document, 200)
        url = f"{CUSTODY}/holds/{hold_id}/lift"
        yield Probe("POST", url, expected, data={"reason": "probe"}, json=True, done=_lifted(pk))


@route("GET /api/v1/custody/disclosure")
def _api_disclosure(ctx: Ctx) -> Iterator[Probe]:
    yield Probe("GET", f"{CUSTODY}/disclosure", _staff_status(ctx, 200))


@route("POST /api/v1/custody/documents/{public_id}/disclosure")
def _api_disclosure_decide(ctx: Ctx) -> Iterator[Probe]:
    body = {"decision": "retain", "authority": "probe", "review_in_years": 5}
    for key in REGRADE_KEYS:
        doc_id, _, expected, _ = ctx.target(key, lambda d, r: _control_status(ctx, d, 201))
        yield Probe("POST", f"{CUSTODY}/documents/{doc_id}/disclosure", expected, data=body, json=True)


# The inventory ---------------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(qualified name, route) of every URL pattern, recursively."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            assert pattern.name, f"an unnamed URL pattern: {prefix}{pattern.pattern}"
            yield ":".join(part for part in (namespace, pattern.name) if part), prefix + str(pattern.pattern)


def _as_openapi_path(django_route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", django_route)


def test_every_url_is_probed(client: Client) -> None:
    """The routes probed above are exactly the site's: every named URL pattern, and every
    operation (path and method) of the API's published OpenAPI document."""
    schema = client.get(f"{API}/openapi.json").json()
    operations = {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item}
    found: set[str] = set(operations)
    api_paths: set[str] = set()
    for name, pattern in _walk(get_resolver().url_patterns):
        path = _as_openapi_path(pattern)
        if path.startswith(API + "/") and path in schema["paths"]:
            api_paths.add(path)  # an API operation: known by its OpenAPI path and method
        else:
            found.add(name)
    # Every API URL pattern that is not one of the API's own pages is a published operation.
    assert api_paths == set(schema["paths"])
    assert set(ROUTES) == found, (
        f"routes without probes: {sorted(found - set(ROUTES))}; probes without a route: {sorted(set(ROUTES) - found)}"
    )


# The run ---------------------------------------------------------------------------------------


def _body(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        # Consuming it whole closes it (the test client's wrapper does, keeping the connection).
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


# Probes after which the client's session or cookies are not the persona's plain ones.
SESSION_CHANGING = frozenset({"accounts:login", "accounts:logout", "accounts:sign_out_everywhere", "set_language"})


def _send(ctx: Ctx, route: Route, probe: Probe) -> HttpResponseBase:
    """One request, as the persona: a session for pages, the bearer token (and no session) for
    the API."""
    headers = dict(probe.headers)
    if probe.url.startswith(API + "/"):
        client = Client()
        if ctx.token:
            headers["Authorization"] = f"Bearer {ctx.token}"
    else:
        if ctx.client is None or route.key in SESSION_CHANGING:
            ctx.client = Client()
            if ctx.sender is not None:
                ctx.sender.refresh_from_db(fields=["session_epoch"])  # "sign out everywhere" raises it
                ctx.client.force_login(ctx.sender)
        client = ctx.client
        if route.key in SESSION_CHANGING:
            ctx.client = None
    method = getattr(client, probe.method.lower())
    if probe.method == "GET":
        return method(probe.url, headers=headers)
    if probe.json:
        return method(probe.url, probe.data, content_type="application/json", headers=headers)
    if probe.data is None:
        return method(probe.url, headers=headers)
    return method(probe.url, probe.data, headers=headers)


def _snapshot(site: Site) -> dict[str, Any]:
    """What a refused request must not change: the shared documents, whole."""
    out: dict[str, Any] = {}
    for key, registration in site.base.items():
        document = Document.objects.get(pk=registration.document_id)
        out[key] = (
            document.subject,
            document.originator_reference,
            list(Version.objects.filter(document=document).order_by("number").values_list("number", "sha256")),
            list(
                Access.objects.filter(document=document)
                .order_by("id")
                .values_list("reason", "source", "person_id", "unit_id", "registry_id")
            ),
            list(
                Registration.objects.filter(document=document)
                .order_by("id")
                .values_list("id", "registry_id", "voided_at", "direction", "external_addressees")
            ),
        )
    return out


def _needles(documents: list[Document]) -> list[bytes]:
    """What must not appear of these documents: subject, reference, registration numbers."""
    needles = [text.encode() for d in documents for text in (d.subject, d.originator_reference)]
    needles += [
        n.encode() for n in Registration.objects.filter(document__in=documents).values_list("number", flat=True)
    ]
    return needles


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_as_every_persona(site: Site, persona: str) -> None:
    sender = site.people.get(persona)
    token = issue_token(sender, sender, name="t") if sender is not None else ""
    if persona == "deactivated":
        assert sender is not None
        sender.is_active = False
        sender.save(update_fields=["is_active"])
    person = None if persona == "deactivated" else sender
    ctx = Ctx(site, persona, person, token, sender=sender)
    forbidden = [r.document for r in site.base.values() if not ctx.can(Action.READ, r.document)]
    # Another person's token, by its name.
    token_needles = [b"VICTIM-TOKEN-NAME"] if persona != "clerk" else []
    needles = _needles(forbidden) + token_needles
    before = _snapshot(site)
    failures: list[str] = []
    count = 0
    statuses: Counter[int] = Counter()
    for r in ROUTES.values():
        route_needles = needles if r.hidden is None else _needles(r.hidden(ctx)) + token_needles
        for probe in r.probes(ctx):
            expected = probe.expected
            anonymous_refused = person is None and not r.public
            if anonymous_refused:
                expected = 401 if probe.url.startswith(API + "/") else 302
            response = _send(ctx, r, probe)
            count += 1
            statuses[response.status_code] += 1
            body = _body(response)
            where = f"[{persona}] {r.key}: {probe.method} {probe.url}"
            if response.status_code != expected:
                failures.append(f"{where}: expected {expected}, got {response.status_code}: {body[:300]!r}")
            elif anonymous_refused and expected == 302 and not response["Location"].startswith(f"{LOGIN}?next="):
                failures.append(f"{where}: redirected to {response['Location']}, not to the login page")
            elif not anonymous_refused and expected in SUCCESS and probe.done is not None and not probe.done():
                failures.append(f"{where}: answered {expected} but did not do it: {body[:300]!r}")
            problem = probe.check(response) if probe.check is not None else ""
            if problem:
                failures.append(f"{where}: {problem}")
            searched = body.replace(probe.echo, b"") if probe.echo else body
            failures += [
                f"{where}: LEAK of {needle!r} (status {response.status_code})"
                for needle in route_needles
                if needle in searched
            ]
    assert _snapshot(site) == before, "a refused request changed a shared document"
    assert not failures, f"{len(failures)} of {count} probes failed:\n" + "\n".join(failures)
    print(f"{persona}: {count} probes {dict(sorted(statuses.items()))}, {site.copies} fresh documents")


def test_the_api_ignores_the_session(client: Client, site: Site) -> None:
    """A signed-in browser session is not an API credential (no cross-site requests): 401."""
    client.force_login(site.people["clerk"])
    document = site.base["ns"].document
    assert client.get(f"{API}/documents/{document.public_id}").status_code == 401
    response = client.post(
        f"{API}/documents/{document.public_id}/grants", {"grantee": "@admin"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not Access.objects.filter(document=document, person=site.people["admin"]).exists()


# Probes of the custody parts, in modules of their own (each registers its routes on import).
from tests.security import probes_custody_inventory  # noqa: E402, F401
