"""Shared fixtures: a small headquarters built through the services, and named personas.

clerk      CTS + ATOMAL, FRA, on the staff of REG (the registry), registers documents
reader     NS, DEU, member of ESO (the usual addressee)
nr_reader  NR only, CAN, member of ESO
partner    NS, AUS (outside NATO), member of ESO
expired    NS clearance that has run out, NOR, member of ESO
outsider   CTS + ATOMAL, GBR, in another division: cleared but no need-to-know
admin      system administrator, no clearance
"""

from __future__ import annotations

import base64
import io
import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from registrum import storage
from registrum.demo.pdf import text_to_pdf
from registrum.org import services as org
from registrum.org.models import Person, Registry, RegistryKind, Role, Unit, UnitKind
from registrum.org.services import SYSTEM
from registrum.policy import Level
from registrum.records import services as records
from registrum.records.models import Registration
from registrum.records.registration import RegistrationData

# Generated tests run the same examples on every run and machine (derandomized, no example
# database): a failure they find is reproducible, and becomes a fixed example.
hypothesis_settings.register_profile("registrum", derandomize=True, database=None, print_blob=True)
hypothesis_settings.load_profile("registrum")

# The key-encryption key of the test session's content, in the environment so the `registrum`
# processes tests start (and their children) open the same content.
os.environ.setdefault("REGISTRUM_KEK", base64.b64encode(secrets.token_bytes(32)).decode())

SAMPLES = Path(__file__).resolve().parent.parent / "registrum" / "demo" / "samples"
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture(autouse=True)
def _content_store(tmp_path):
    """Real files in a per-test folder, so tests never share or leave content behind."""
    storage.set_store(storage.LocalContentStore(tmp_path / "content"))
    yield
    storage.set_store(None)


@pytest.fixture(autouse=True)
def _audit_files(settings, tmp_path):
    """Each test signs audit checkpoints into its own file, with its own key (made on demand)."""
    settings.REGISTRUM_AUDIT_CHECKPOINTS = tmp_path / "audit" / "checkpoints.jsonl"
    settings.REGISTRUM_AUDIT_SIGNING_KEY = tmp_path / "keys" / "audit-signing.key"


def _flush_past_audit_triggers() -> None:
    """Transactional tests end with Django's flush (DELETE on SQLite, TRUNCATE on PostgreSQL),
    which the append-only audit triggers refuse. In tests only, the flush drops them, empties the
    tables and puts them back, all in its own transaction."""
    from django.db import transaction
    from django.db.backends.base.operations import BaseDatabaseOperations

    from registrum.audit import triggers

    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias):
            triggers.drop(self.connection)
            flush(self, sql_list)
            triggers.create(self.connection)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


_flush_past_audit_triggers()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_off(settings):
    """Tests sign people in with their password alone; tests/accounts turn the second factor on
    (settings.REGISTRUM_OTP_REQUIRED_FROM_LEVEL) and prove it is required."""
    settings.REGISTRUM_OTP_REQUIRED_FROM_LEVEL = "never"


@dataclass
class World:
    hq: Unit
    eso: Unit
    ops: Unit
    reg_unit: Unit
    registry: Registry
    control_point: Registry
    clerk: Person
    reader: Person
    nr_reader: Person
    partner: Person
    expired: Person
    outsider: Person
    admin: Person

    def register(
        self, *, level: Level = Level.NS, actor: Person | None = None, upload: Any = None, **kw: Any
    ) -> Registration:
        data = RegistrationData(
            registry=kw.pop("registry", self.registry),
            direction=kw.pop("direction", "IN"),
            originator=kw.pop("originator", "SHAPE"),
            subject=kw.pop("subject", "Exercise STEADFAST planning conference"),
            level=level,
            subject_level=kw.pop("subject_level", Level.NU),
            action_units=kw.pop("action_units", [self.eso]),
            **kw,
        )
        return records.register_document(actor or self.clerk, data, upload=upload)


def make_person(
    username: str, nationality: str, unit: Unit | None, level: Level | None, briefings=(), roles=(), expired=False
):
    person = org.create_person(
        SYSTEM,
        username=username,
        first_name=username.capitalize(),
        last_name="Test",
        nationality=nationality,
        unit=unit,
        password=PASSWORD,
        roles=roles,
    )
    if level is not None:
        today = date.today()
        org.set_clearance(
            SYSTEM,
            person,
            level=level,
            granted=today - timedelta(days=800),
            expires=today - timedelta(days=1) if expired else today + timedelta(days=365),
            briefings=briefings,
        )
    return Person.objects.select_related("clearance", "unit").get(pk=person.pk)


@pytest.fixture
def world(db) -> World:
    hq = org.create_unit(SYSTEM, code="HQ", name="Headquarters", kind=UnitKind.ORGANISATION)
    ims = org.create_unit(
        SYSTEM, code="IMS", name="International Military Staff", kind=UnitKind.ORGANISATION, parent=hq
    )
    eso = org.create_unit(SYSTEM, code="ESO", name="EXCO Support Office", parent=ims)
    ops = org.create_unit(SYSTEM, code="OPS", name="Operations Division", kind=UnitKind.DIVISION, parent=hq)
    reg_unit = org.create_unit(SYSTEM, code="DGIMS-REG", name="DGIMS Registry", parent=ims)
    central = org.create_registry(
        SYSTEM, code="CR", name="Central Registry", kind=RegistryKind.CENTRAL, unit=hq, accreditation=Level.CTS
    )
    registry = org.create_registry(
        SYSTEM,
        code="IMS-REG",
        name="DGIMS Registry",
        kind=RegistryKind.SUB,
        unit=reg_unit,
        accreditation=Level.CTS,
        parent=central,
    )
    control_point = org.create_registry(
        SYSTEM,
        code="OPS-CP",
        name="OPS Control Point",
        kind=RegistryKind.CONTROL_POINT,
        unit=ops,
        accreditation=Level.NC,
        parent=central,
    )
    clerk = make_person("clerk", "FRA", reg_unit, Level.CTS, ("COSMIC", "ATOMAL"), (Role.CLERK,))
    org.add_registry_staff(SYSTEM, registry, clerk)
    org.add_registry_staff(SYSTEM, control_point, clerk)
    return World(
        hq=hq,
        eso=eso,
        ops=ops,
        reg_unit=reg_unit,
        registry=registry,
        control_point=control_point,
        clerk=Person.objects.select_related("clearance", "unit").get(pk=clerk.pk),
        reader=make_person("reader", "DEU", eso, Level.NS, (), (Role.READER,)),
        nr_reader=make_person("nrreader", "CAN", eso, Level.NR, (), (Role.READER,)),
        partner=make_person("partner", "AUS", eso, Level.NS, (), (Role.READER,)),
        expired=make_person("expired", "NOR", eso, Level.NS, (), (Role.READER,), expired=True),
        outsider=make_person("outsider", "GBR", ops, Level.CTS, ("COSMIC", "ATOMAL"), (Role.ACTION_OFFICER,)),
        admin=make_person("admin", "GRC", hq, None, (), (Role.ADMINISTRATOR,)),
    )


@pytest.fixture
def sample_pdf() -> bytes:
    text = (SAMPLES / "ims-vacancy-staff-assistant-registry.txt").read_text(encoding="utf-8")
    return text_to_pdf(text, title="Vacancy notice")


@pytest.fixture
def pdf_upload(sample_pdf):
    return records.Upload("vacancy.pdf", io.BytesIO(sample_pdf))


@pytest.fixture
def max_upload(settings):
    settings.REGISTRUM_MAX_UPLOAD_BYTES = 64 * 1024
    return settings.REGISTRUM_MAX_UPLOAD_BYTES


__all__ = ["PASSWORD", "World", "database_url", "make_person"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file, not memory, so other processes (the concurrency test) share it."""
    db = settings.DATABASES["default"]
    if "sqlite" in str(db["ENGINE"]):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def database_url() -> str:
    """The URL of the test database the current connection uses, for child processes."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
