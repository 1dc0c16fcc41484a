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
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from registrum.accounts.models import ApiToken
from registrum.accounts.services import PREFIX_LENGTH, issue_token
from registrum.org import services as org
from registrum.org.models import Person, Registry, Role
from registrum.org.services import SYSTEM
from registrum.policy import Action, Level, RegistryTarget, active_policy, may
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
)


@dataclass
class Site:
    world: World
    people: dict[str, Person]
    base: dict[str, Registration] = field(default_factory=dict)
    copies: int = 0

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


ROUTES: dict[str, Route] = {}


def route(key: str, *, public: bool = False) -> Callable[[Callable[[Ctx], Iterator[Probe]]], Any]:
    def register(probes: Callable[[Ctx], Iterator[Probe]]) -> Callable[[Ctx], Iterator[Probe]]:
        assert key not in ROUTES, key
        ROUTES[key] = Route(key, probes, public)
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
    needles = [text.encode() for d in forbidden for text in (d.subject, d.originator_reference)]
    needles += [
        n.encode() for n in Registration.objects.filter(document__in=forbidden).values_list("number", flat=True)
    ]
    if persona != "clerk":
        needles.append(b"VICTIM-TOKEN-NAME")  # another person's token, by its name
    before = _snapshot(site)
    failures: list[str] = []
    count = 0
    statuses: Counter[int] = Counter()
    for r in ROUTES.values():
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
                for needle in needles
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
