"""The demo: NATO Headquarters' International Staff and International Military Staff, their
registries, a dozen people across levels, briefings and nationalities, and a few hundred
registrations. Everything is made through the services, as a real site would be."""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction

from registrum.accounts import second_factor
from registrum.org import services as org
from registrum.org.models import Person, Registry, RegistryKind, Role, Unit, UnitKind
from registrum.org.services import SYSTEM
from registrum.policy import Level, active_policy
from registrum.records import services as records
from registrum.records.models import Disposition, File, FilePlanClass, Registration, RetentionClass
from registrum.records.registration import RegistrationData

DEMO_PASSWORD = "Registrum-Demo-2026"  # noqa: S105 - the published demo password


def demo_totp_key(username: str) -> str:
    """The demo person's authenticator secret (hex): known and printed, so the demo stays usable
    with a second factor. Only the demo's people have such secrets; real people enrol on a page."""
    return hashlib.sha256(f"registrum-demo-totp:{username}".encode()).hexdigest()[:40]


SAMPLES = Path(__file__).parent / "samples"

# (code, name, kind, parent code)
UNITS: list[tuple[str, str, str, str | None]] = [
    ("HQ", "NATO Headquarters", UnitKind.ORGANISATION, None),
    ("IS", "International Staff", UnitKind.ORGANISATION, "HQ"),
    ("OSG", "Office of the Secretary General", UnitKind.OFFICE, "IS"),
    ("OSG-PO", "Private Office", UnitKind.BRANCH, "OSG"),
    ("OSG-CS", "Council Secretariat", UnitKind.BRANCH, "OSG"),
    ("OSG-PPU", "Policy Planning Unit", UnitKind.BRANCH, "OSG"),
    ("OSG-HSU", "Human Security Unit", UnitKind.BRANCH, "OSG"),
    ("PASP", "Political Affairs and Security Policy Division", UnitKind.DIVISION, "IS"),
    ("DPP", "Defence Policy and Planning Division", UnitKind.DIVISION, "IS"),
    ("OPS", "Operations Division", UnitKind.DIVISION, "IS"),
    ("DI", "Defence Investment Division", UnitKind.DIVISION, "IS"),
    ("IHC", "Innovation, Hybrid and Cyber Division", UnitKind.DIVISION, "IS"),
    ("PDD", "Public Diplomacy Division", UnitKind.DIVISION, "IS"),
    ("EM", "Executive Management Division", UnitKind.DIVISION, "IS"),
    ("OCIO", "Office of the Chief Information Officer", UnitKind.OFFICE, "IS"),
    ("OLA", "Office of Legal Affairs", UnitKind.OFFICE, "IS"),
    ("OIARM", "Office of Internal Audit and Risk Management", UnitKind.OFFICE, "IS"),
    ("OFC", "Office of Financial Control", UnitKind.OFFICE, "IS"),
    ("NOR", "NATO Office of Resources", UnitKind.OFFICE, "IS"),
    ("IMS", "International Military Staff", UnitKind.ORGANISATION, "HQ"),
    ("EXCO", "Executive Coordinator", UnitKind.OFFICE, "IMS"),
    ("ESO", "EXCO Support Office", UnitKind.BRANCH, "EXCO"),
    ("DGIMS-REG", "DGIMS Registry", UnitKind.BRANCH, "EXCO"),
    ("JISD", "Joint Intelligence and Security Division", UnitKind.DIVISION, "IMS"),
    ("JISD-INT", "Intelligence Pillar", UnitKind.BRANCH, "JISD"),
    ("JISD-SEC", "Security Pillar", UnitKind.BRANCH, "JISD"),
    ("JISD-SS", "Joint Intelligence and Security Support Staff", UnitKind.BRANCH, "JISD"),
]

# (code, name, kind, unit, accreditation, parent)
REGISTRIES: list[tuple[str, str, RegistryKind, str, Level, str | None]] = [
    ("HQ-CR", "NATO HQ Central Registry", RegistryKind.CENTRAL, "HQ", Level.CTS, None),
    ("IMS-REG", "DGIMS Registry", RegistryKind.SUB, "DGIMS-REG", Level.CTS, "HQ-CR"),
    ("JISD-REG", "JISD Registry", RegistryKind.SUB, "JISD-SS", Level.CTS, "HQ-CR"),
    ("OSG-REG", "Private Office Sub-Registry", RegistryKind.SUB, "OSG-PO", Level.CTS, "HQ-CR"),
    ("PASP-CP", "PASP Control Point", RegistryKind.CONTROL_POINT, "PASP", Level.NS, "HQ-CR"),
    ("DPP-CP", "DPP Control Point", RegistryKind.CONTROL_POINT, "DPP", Level.NC, "HQ-CR"),
    ("JISD-CP", "JISD Intelligence Control Point", RegistryKind.CONTROL_POINT, "JISD-INT", Level.NS, "JISD-REG"),
]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first: str
    last: str
    nationality: str
    unit: str
    position: str
    roles: tuple[Role, ...]
    level: Level | None
    briefings: tuple[str, ...] = ()
    registries: tuple[str, ...] = ()
    expired: bool = False


PEOPLE = [
    DemoPerson(
        "mdupont",
        "Marie",
        "Dupont",
        "FRA",
        "DGIMS-REG",
        "Staff Assistant (Registry)",
        (Role.CLERK,),
        Level.CTS,
        ("COSMIC", "ATOMAL"),
        ("IMS-REG",),
    ),
    DemoPerson(
        "jsmith",
        "John",
        "Smith",
        "GBR",
        "HQ",
        "Central Registry Clerk",
        (Role.CLERK,),
        Level.CTS,
        ("COSMIC", "ATOMAL", "BOHEMIA"),
        ("HQ-CR",),
    ),
    DemoPerson(
        "kmuller",
        "Klaus",
        "Müller",
        "DEU",
        "JISD-SS",
        "Staff Assistant (Registry/DSA)",
        (Role.CLERK, Role.ADMINISTRATOR),
        Level.NS,
        (),
        ("JISD-REG", "JISD-CP"),
    ),
    DemoPerson(
        "agarcia",
        "Ana",
        "García",
        "ESP",
        "HQ",
        "Registry Control Officer",
        (Role.CONTROL_OFFICER,),
        Level.CTS,
        ("COSMIC", "ATOMAL", "BOHEMIA"),
        ("HQ-CR", "OSG-REG", "IMS-REG", "JISD-REG", "PASP-CP", "JISD-CP"),
    ),
    DemoPerson(
        "pnowak",
        "Piotr",
        "Nowak",
        "POL",
        "PASP",
        "Political Officer",
        (Role.ACTION_OFFICER, Role.CLERK),
        Level.NS,
        (),
        ("PASP-CP",),
    ),
    DemoPerson("lrossi", "Luca", "Rossi", "ITA", "DPP", "Defence Planning Officer", (Role.ACTION_OFFICER,), Level.NC),
    DemoPerson(
        "ejohnson",
        "Emily",
        "Johnson",
        "USA",
        "OSG-PO",
        "Director, Private Office",
        (Role.READER,),
        Level.CTS,
        ("COSMIC", "ATOMAL"),
    ),
    DemoPerson(
        "ikowalska",
        "Irena",
        "Kowalska",
        "POL",
        "JISD-INT",
        "Intelligence Analyst",
        (Role.ACTION_OFFICER,),
        Level.CTS,
        ("COSMIC", "ATOMAL", "BOHEMIA"),
    ),
    DemoPerson("sbrown", "Sarah", "Brown", "CAN", "PDD", "Press Officer", (Role.READER,), Level.NR),
    DemoPerson(
        "hlarsen",
        "Henrik",
        "Larsen",
        "NOR",
        "ESO",
        "Staff Officer (clearance expired)",
        (Role.ACTION_OFFICER,),
        Level.NS,
        (),
        (),
        True,
    ),
    DemoPerson("jwilliams", "Jack", "Williams", "AUS", "OPS", "Liaison Officer (partner)", (Role.READER,), Level.NS),
    DemoPerson("mjensen", "Mette", "Jensen", "DNK", "OIARM", "Auditor", (Role.AUDITOR,), Level.NS),
    DemoPerson(
        "gpapadopoulos",
        "Georgios",
        "Papadopoulos",
        "GRC",
        "OCIO",
        "System Administrator (DSA)",
        (Role.ADMINISTRATOR,),
        Level.NC,
    ),
]

ORIGINATORS = [
    ("SHAPE", "SH/PLANS/J5/{year}-{n:06d}"),
    ("JFC Brunssum", "JFCBS/J3/{year}/{n:04d}"),
    ("JFC Naples", "JFCNP/J2/{n:04d}/{year}"),
    ("Allied Command Transformation", "ACT/SPP/TT-{n:04d}/{year}"),
    ("Military Committee", "MCM-{n:04d}-{year}"),
    ("International Military Staff", "IMSM-{n:04d}-{year}"),
    ("North Atlantic Council", "PO({year}){n:04d}"),
    ("Council Secretariat", "C-M({year}){n:04d}"),
    ("NATO Communications and Information Agency", "NCIA/CSU/{year}/{n:05d}"),
    ("NATO Support and Procurement Agency", "NSPA/LOG/{n:05d}"),
    ("Delegation of France", "FRA-DEL/{year}/{n:03d}"),
    ("Delegation of Germany", "DEU-DEL/{year}/{n:03d}"),
    ("Delegation of the United States", "USNATO/{year}/{n:04d}"),
    ("Mission of Australia", "AUS-MSN/{year}/{n:03d}"),
]

SUBJECTS = [
    "Military Committee in Permanent Session: agenda for the meeting of {day}",
    "Decision sheet of the North Atlantic Council meeting of {day}",
    "Request for information on force readiness reporting",
    "Exercise STEADFAST {ex}: main planning conference",
    "Annual review of the NATO Defence Planning Process targets",
    "Intelligence assessment: maritime activity in the High North",
    "Intelligence assessment: hybrid threats to critical undersea infrastructure",
    "Nuclear Planning Group: preparation of the ministerial meeting",
    "Revision of the NATO Security Policy implementation directives",
    "Vacancy notice: Staff Assistant (Registry) – IMS",
    "Budget execution report, Military Budget, third quarter",
    "Travel of the Chair of the Military Committee to {city}",
    "Partnership cooperation menu: comments from the nations",
    "Cyber defence pledge: national self-assessments",
    "Briefing book for the meeting of Chiefs of Defence",
    "Minutes of the Military Intelligence Committee",
    "Crisis Management Exercise {ex}: lessons identified",
    "Air policing arrangements over the Baltic States",
    "Counter-terrorism action plan: progress report",
    "Readiness of the Allied Reaction Force",
    "Administrative instruction on the handling of classified documents",
    "Daily Read File for the Director General IMS",
]
EXERCISES = ["DEFENDER", "JACKAL", "NOBLE", "TRIDENT", "ARCTIC"]
CITIES = ["Washington", "Ottawa", "Warsaw", "Vilnius", "Rome", "Oslo", "Ankara", "Canberra"]
LEVEL_WEIGHTS = [(Level.NU, 22), (Level.NR, 30), (Level.NC, 20), (Level.NS, 20), (Level.CTS, 8)]
ADDRESSEE_UNITS = ["OSG-PO", "OSG-CS", "PASP", "DPP", "OPS", "DI", "IHC", "EXCO", "ESO", "JISD-INT", "JISD-SEC", "PDD"]


def is_loaded() -> bool:
    return Registry.objects.filter(code="HQ-CR").exists()


def build(registrations: int = 300, seed: int = 2026) -> dict[str, Person]:
    """Create the demo organisation and register the documents. Not idempotent: check is_loaded()."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, nothing secret
    people = _organisation()
    _file_plan()
    _sample_documents(people)
    _registrations(people, registrations, rng)
    _custody(people, rng)
    return people


@transaction.atomic
def _organisation() -> dict[str, Person]:
    units: dict[str, Unit] = {}
    for code, name, kind, parent in UNITS:
        units[code] = org.create_unit(SYSTEM, code=code, name=name, kind=kind, parent=units.get(parent or ""))
    registries: dict[str, Registry] = {}
    for code, name, rkind, unit, level, rparent in REGISTRIES:
        registries[code] = org.create_registry(
            SYSTEM,
            code=code,
            name=name,
            kind=rkind,
            unit=units[unit],
            accreditation=level,
            parent=registries.get(rparent or ""),
        )
    today = date.today()
    people: dict[str, Person] = {}
    for p in PEOPLE:
        person = org.create_person(
            SYSTEM,
            username=p.username,
            first_name=p.first,
            last_name=p.last,
            nationality=p.nationality,
            unit=units[p.unit],
            position=p.position,
            password=DEMO_PASSWORD,
            roles=p.roles,
            email=f"{p.username}@hq.example",
        )
        if p.level is not None:
            granted = today - timedelta(days=6 * 365 if p.expired else 400)
            expires = today - timedelta(days=30) if p.expired else today + timedelta(days=5 * 365)
            org.set_clearance(SYSTEM, person, level=p.level, granted=granted, expires=expires, briefings=p.briefings)
        second_factor.enrol_known_secret(SYSTEM, person, demo_totp_key(p.username))
        for code in p.registries:
            org.add_registry_staff(SYSTEM, registries[code], person)
        people[p.username] = person
    return people


@transaction.atomic
def _file_plan() -> None:
    # Reference data, loaded once at set-up like a migration would; the file-plan services
    # (opening and closing files with their audit events) arrive with retention and disposition.
    permanent = RetentionClass.objects.create(
        code="P", name="Permanent value", years=30, disposition=Disposition.REVIEW
    )
    ten = RetentionClass.objects.create(code="T10", name="Ten years", years=10, disposition=Disposition.DESTROY)
    five = RetentionClass.objects.create(code="T5", name="Five years", years=5, disposition=Disposition.DESTROY)
    classes = [
        ("1000", "Governance and committees", permanent),
        ("2000", "Operations and exercises", ten),
        ("3000", "Intelligence", ten),
        ("4000", "Administration and personnel", five),
        ("5000", "Security", ten),
    ]
    opened = date(date.today().year, 1, 1)
    for code, title, retention in classes:
        plan = FilePlanClass.objects.create(code=code, title=title)
        for n, suffix in enumerate(("General", "Correspondence with nations"), start=1):
            File.objects.create(
                plan_class=plan,
                code=f"{code}-{n:02d}",
                title=f"{title}: {suffix}",
                retention_class=retention,
                opened=opened,
            )


def _sample_documents(people: dict[str, Person]) -> None:
    from registrum.demo.pdf import text_to_pdf

    clerk = people["mdupont"]
    registry = Registry.objects.get(code="IMS-REG")
    samples = [
        (
            "ims-vacancy-staff-assistant-registry.txt",
            "International Military Staff",
            "IMS/HR/VN/2026-017",
            "Vacancy notice: Staff Assistant (Registry); Staff Assistant (Registry/DSA)",
            "4000-01",
            ["DGIMS-REG", "JISD-SS"],
        ),
        (
            "nato-international-staff-overview.txt",
            "NATO Public Diplomacy Division",
            "PDD/WEB/2024-0328",
            "The International Staff: organisation overview",
            "1000-01",
            ["IS", "IMS"],
        ),
    ]
    for filename, originator, reference, subject, file_code, units in samples:
        text = (SAMPLES / filename).read_text(encoding="utf-8")
        data = RegistrationData(
            registry=registry,
            direction="IN",
            originator=originator,
            originator_reference=reference,
            subject=subject,
            level=Level.NU,
            subject_level=Level.NU,
            file=File.objects.get(code=file_code),
            language="en",
            pages=max(1, len(text) // 3000),
            action_units=list(Unit.objects.filter(code__in=units)),
            document_date=date(2026, 6, 1),
        )
        pdf = text_to_pdf(text, title=subject)
        upload = records.Upload(filename.replace(".txt", ".pdf"), io.BytesIO(pdf))
        registration = records.register_document(clerk, data, upload=upload)
        records.add_version(
            clerk, registration.document.public_id, records.Upload(filename, io.BytesIO(text.encode("utf-8")))
        )


def _registrations(people: dict[str, Person], count: int, rng: random.Random) -> None:
    registries = {r.code: r for r in Registry.objects.all()}
    clerks = {
        "HQ-CR": people["jsmith"],
        "IMS-REG": people["mdupont"],
        "JISD-REG": people["kmuller"],
        "OSG-REG": people["agarcia"],
        "PASP-CP": people["pnowak"],
        "JISD-CP": people["kmuller"],
    }
    units = {u.code: u for u in Unit.objects.filter(code__in=ADDRESSEE_UNITS)}
    files = list(File.objects.all())
    levels, weights = zip(*LEVEL_WEIGHTS, strict=True)
    year = date.today().year
    for _ in range(count):
        registry_code = rng.choice(list(clerks))
        registry, clerk = registries[registry_code], clerks[registry_code]
        ceiling = min(registry.accreditation, clerk.subject().clearance or Level.NR)
        level = rng.choices(levels, weights)[0]
        level = Level(min(level, ceiling))
        briefings = clerk.subject().briefings
        mask = 0
        if level >= Level.NS and "ATOMAL" in briefings and rng.random() < 0.15:
            mask |= 1
        if level >= Level.NS and "BOHEMIA" in briefings and registry_code in ("HQ-CR",) and rng.random() < 0.2:
            mask |= 2
        originator, pattern = rng.choice(ORIGINATORS)
        day = date.today() - timedelta(days=rng.randint(0, 240))
        subject = rng.choice(SUBJECTS).format(day=day.isoformat(), ex=rng.choice(EXERCISES), city=rng.choice(CITIES))
        direction = rng.choices(["IN", "OUT", "INT"], [60, 25, 15])[0]
        releasable = tuple(rng.choice([("AUS",), ("AUS", "NZL"), ("JPN",), ("UKR",)])) if rng.random() < 0.12 else ()
        action = rng.sample(list(units.values()), k=rng.randint(0, 2))
        info = rng.sample(list(units.values()), k=rng.randint(0, 2))
        data = RegistrationData(
            registry=registry,
            direction=direction,
            originator=originator if direction == "IN" else "International Military Staff",
            originator_reference=pattern.format(year=year, n=rng.randint(1, 9999)),
            subject=subject,
            level=level,
            subject_level=Level(min(level, rng.choice([Level.NU, Level.NR, level]))),
            category_mask=mask,
            releasable_to=releasable,
            document_date=day,
            external_addressees="Permanent Representatives of the Allies" if direction == "OUT" else "",
            file=rng.choice(files),
            language=rng.choices(["en", "fr"], [85, 15])[0],
            pages=rng.randint(1, 40),
            annexes=rng.choice([0, 0, 0, 1, 2]),
            downgrade_instruction="Declassify on 31 Dec 2036" if level >= Level.NC and rng.random() < 0.3 else "",
            action_units=action,
            info_units=[u for u in info if u not in action],
        )
        registration = records.register_document(clerk, data)
        # Some of what the central registry registers goes on to the DGIMS registry, which
        # registers its receipt in its own register: one document, two registrations.
        if registry_code == "HQ-CR" and mask == 0 and rng.random() < 0.25:
            document_id = registration.document.public_id
            records.grant_access(clerk, document_id, registry=registries["IMS-REG"], note="sent to DGIMS")
            records.register_receipt(clerks["IMS-REG"], document_id, registry=registries["IMS-REG"])


# (registry, code, name, kind, accreditation, categories)
CONTAINERS: list[tuple[str, str, str, str, Level, tuple[str, ...]]] = [
    ("HQ-CR", "HQ-CR-SR1", "Central Registry strongroom", "strongroom", Level.CTS, ("ATOMAL", "BOHEMIA")),
    ("HQ-CR", "HQ-CR-S2", "Central Registry safe 2", "safe", Level.NS, ()),
    ("IMS-REG", "IMS-S1", "DGIMS Registry safe 1", "safe", Level.CTS, ("ATOMAL",)),
    ("JISD-REG", "JISD-S1", "JISD Registry safe", "safe", Level.CTS, ("ATOMAL", "BOHEMIA")),
    ("OSG-REG", "OSG-S1", "Private Office safe", "safe", Level.CTS, ("ATOMAL",)),
    ("PASP-CP", "PASP-C1", "PASP security cabinet", "cabinet", Level.NS, ()),
    ("JISD-CP", "JISD-CP-C1", "JISD Control Point cabinet", "cabinet", Level.NS, ()),
]


def _custody(people: dict[str, Person], rng: random.Random) -> None:
    """Security containers in every registry, and numbered copies of the accountable documents
    each registry registered first (1 to 3 copies, in a container accredited for them)."""
    from registrum.custody import copies as custody
    from registrum.custody.models import Container
    from registrum.policy.custody import CopyNumbering, handling_for

    officer = people["agarcia"]
    registries = {r.code: r for r in Registry.objects.all()}
    for registry_code, code, name, kind, level, categories in CONTAINERS:
        custody.create_container(
            officer,
            registry=registries[registry_code],
            code=code,
            name=name,
            kind=kind,
            accreditation=level,
            categories=categories,
            room=f"Room {rng.randint(100, 399)}",
        )
    containers = list(Container.objects.all())
    clerks = {"HQ-CR": "jsmith", "IMS-REG": "mdupont", "JISD-REG": "kmuller", "OSG-REG": "agarcia"}
    clerks |= {"PASP-CP": "pnowak", "JISD-CP": "kmuller"}
    policy = active_policy()
    first_registrations = Registration.objects.filter(received_from__isnull=True).select_related("document", "registry")
    for registration in first_registrations.order_by("id"):
        document = registration.document
        if handling_for(policy, Level(document.level), document.category_mask).copies is not CopyNumbering.REQUIRED:
            continue
        fitting = [
            c
            for c in containers
            if c.registry_id == registration.registry_id
            and c.accreditation >= document.level
            and document.category_mask & ~c.category_mask == 0
        ]
        clerk = people[clerks[registration.registry.code]]
        custody.number_copies(
            clerk,
            document.public_id,
            registry=registration.registry,
            count=rng.randint(1, 3),
            container=fitting[0] if fitting else None,
        )
    _custody_at_work(people, registries)


def _custody_at_work(people: dict[str, Person], registries: dict[str, Registry]) -> None:
    """Work in progress for the dashboards: a transfer from the central registry to the DGIMS
    registry awaiting its receipt, a copy charged out to a reader, a scheduled downgrade."""
    from registrum.custody import chargeouts, regrading, transfers
    from registrum.custody.models import Container, Copy, CopyStatus

    central, dgims = registries["HQ-CR"], registries["IMS-REG"]
    held = Copy.objects.filter(registry=central, status=CopyStatus.HELD, category_mask=0)
    used: list[int] = []
    secret = held.filter(level=Level.NS).order_by("document_id", "number").first()
    if secret is not None:
        chargeouts.charge_out(people["jsmith"], secret.public_id, people["ejohnson"], note="for the Director's meeting")
        used.append(secret.document_id)
    # The highest-classified copy left goes to the DGIMS registry: it awaits their receipt.
    outgoing = held.exclude(document_id__in=used).order_by("-level", "document_id", "number").first()
    if outgoing is not None:
        safe = Container.objects.filter(registry=dgims, accreditation__gte=outgoing.level).first()
        transfers.dispatch(people["jsmith"], [outgoing.public_id], to_registry=dgims, to_container=safe)
        used.append(outgoing.document_id)
    to_downgrade = held.filter(level=Level.NS).exclude(document_id__in=used).order_by("document_id").first()
    if to_downgrade is not None:
        regrading.record_regrade(
            people["agarcia"],
            to_downgrade.document.public_id,
            kind="downgrade",
            to_level=Level.NC,
            authority="Originator's instruction on the document: downgrade to NATO CONFIDENTIAL on 2029-01-01",
            effective_on=date(2029, 1, 1),
        )
