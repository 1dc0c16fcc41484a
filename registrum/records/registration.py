"""What a registration says, and how raw input (a form, a JSON body, a CSV row) becomes it.

One parser serves the web form, the API and the importer, so the three give the same errors,
each naming its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from registrum.org.models import Person, Registry, Unit
from registrum.policy import Level, Policy, active_policy
from registrum.records.models import Direction, Document, File, Registration

FIELDS = (
    "registry",
    "direction",
    "document_date",
    "originator",
    "originator_reference",
    "subject",
    "subject_level",
    "level",
    "categories",
    "releasable_to",
    "action",
    "info",
    "external_addressees",
    "file",
    "language",
    "pages",
    "annexes",
    "downgrade_instruction",
)
REQUIRED = ("registry", "direction", "originator", "subject", "level")
# What a correction may change: the description, not the classification (that is regrading)
# nor the addressees (their need-to-know is granted and revoked).
CORRECTABLE_FIELDS = (
    "direction",
    "document_date",
    "originator",
    "originator_reference",
    "subject",
    "external_addressees",
    "file",
    "language",
    "pages",
    "annexes",
)
# The largest counts a register accepts: beyond them the value is a typing error.
NUMBER_LIMITS = {"pages": 100_000, "annexes": 1_000}
LIMITS = {
    "originator": 200,
    "originator_reference": 100,
    "subject": 500,
    "external_addressees": 500,
    "downgrade_instruction": 300,
    "language": 10,
}
DIRECTION_WORDS = {
    "IN": Direction.INCOMING,
    "INCOMING": Direction.INCOMING,
    "OUT": Direction.OUTGOING,
    "OUTGOING": Direction.OUTGOING,
    "INT": Direction.INTERNAL,
    "INTERNAL": Direction.INTERNAL,
}


@dataclass
class RegistrationData:
    registry: Registry
    direction: str
    originator: str
    subject: str
    level: Level
    subject_level: Level
    category_mask: int = 0
    releasable_to: tuple[str, ...] = ()
    originator_reference: str = ""
    document_date: date | None = None
    external_addressees: str = ""
    file: File | None = None
    language: str = "en"
    pages: int | None = None
    annexes: int = 0
    downgrade_instruction: str = ""
    action_units: list[Unit] = field(default_factory=list)
    info_units: list[Unit] = field(default_factory=list)
    action_persons: list[Person] = field(default_factory=list)
    info_persons: list[Person] = field(default_factory=list)


class InvalidRegistration(Exception):
    """Every problem found in one input, as (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, message in self.errors:
            out.setdefault(name, []).append(message)
        return out


class Resolver:
    """Looks codes up once: an import of 100,000 rows names the same registries and units."""

    def __init__(self) -> None:
        self._registries: dict[str, Registry | None] = {}
        self._units: dict[str, Unit | None] = {}
        self._persons: dict[str, Person | None] = {}
        self._files: dict[str, File | None] = {}

    def registry(self, code: str) -> Registry | None:
        if code not in self._registries:
            self._registries[code] = Registry.objects.filter(code__iexact=code).first()
        return self._registries[code]

    def unit(self, code: str) -> Unit | None:
        if code not in self._units:
            self._units[code] = Unit.objects.filter(code__iexact=code).first()
        return self._units[code]

    def person(self, username: str) -> Person | None:
        if username not in self._persons:
            self._persons[username] = Person.objects.filter(Q(username=username), is_active=True).first()
        return self._persons[username]

    def file(self, code: str) -> File | None:
        if code not in self._files:
            self._files[code] = File.objects.filter(code__iexact=code).first()
        return self._files[code]


def text_problem(value: str) -> str:
    """Why a text cannot be stored, or "": no database keeps a NUL character (PostgreSQL refuses
    it), and a lone surrogate (JSON's "\\ud800") is not encodable text."""
    if value.isascii() and "\x00" not in value:
        return ""  # the usual case, decided without encoding
    if "\x00" in value:
        return _("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("contains an invalid character (a lone surrogate)")
    return ""


def registration_values(registration: Registration, document: Document) -> dict[str, str]:
    """A registration as the raw text values `parse_registration` reads (addressees left out:
    they are need-to-know rows, not descriptive fields)."""
    policy = active_policy()
    return {
        "registry": registration.registry.code,
        "direction": registration.direction,
        "document_date": document.document_date.isoformat() if document.document_date else "",
        "originator": document.originator,
        "originator_reference": document.originator_reference,
        "subject": document.subject,
        "subject_level": Level(document.subject_level).name,
        "level": Level(document.level).name,
        "categories": " ".join(policy.category_codes(document.category_mask)),
        "releasable_to": "/".join(document.releasable_nations),
        "action": "",
        "info": "",
        "external_addressees": registration.external_addressees,
        "file": registration.file.code if registration.file else "",
        "language": document.language,
        "pages": "" if document.pages is None else str(document.pages),
        "annexes": str(document.annexes),
        "downgrade_instruction": document.downgrade_instruction,
    }


def _split(value: str, separators: str) -> list[str]:
    for sep in separators[1:]:
        value = value.replace(sep, separators[0])
    return [part.strip() for part in value.split(separators[0]) if part.strip()]


def parse_registration(
    raw: Mapping[str, object], resolver: Resolver | None = None, policy: Policy | None = None
) -> RegistrationData:
    """Turn raw values into a RegistrationData, or raise InvalidRegistration naming each field."""
    resolver = resolver or Resolver()
    policy = policy or active_policy()
    errors: list[tuple[str, str]] = []
    values = {name: "" if (value := raw.get(name)) is None else str(value).strip() for name in FIELDS}
    for name, value in values.items():
        problem = text_problem(value)
        if problem:
            errors.append((name, problem))
            values[name] = ""

    for name in REQUIRED:
        if not values[name] and not any(field == name for field, _message in errors):
            errors.append((name, _("is required")))
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors.append((name, _("is longer than %(limit)d characters") % {"limit": limit}))

    registry = None
    if values["registry"]:
        registry = resolver.registry(values["registry"])
        if registry is None:
            errors.append(("registry", _("unknown registry %(code)s") % {"code": repr(values["registry"])}))

    direction = ""
    if values["direction"]:
        direction = DIRECTION_WORDS.get(values["direction"].upper(), "")
        if not direction:
            errors.append(
                (
                    "direction",
                    _("unknown direction %(code)s (use IN, OUT or INT)") % {"code": repr(values["direction"])},
                )
            )

    level = None
    if values["level"]:
        try:
            level = policy.level_from_text(values["level"])
        except ValueError as exc:
            errors.append(("level", str(exc)))
    subject_level = level
    if values["subject_level"]:
        try:
            subject_level = policy.level_from_text(values["subject_level"])
        except ValueError as exc:
            errors.append(("subject_level", str(exc)))
        if level is not None and subject_level is not None and subject_level > level:
            errors.append(("subject_level", _("the subject cannot be classified above the document")))

    category_mask = 0
    try:
        category_mask = policy.category_mask(_split(values["categories"], " ,+/"))
    except ValueError as exc:
        errors.append(("categories", str(exc)))

    nations: list[str] = []
    for code in _split(values["releasable_to"], "/ ,;"):
        try:
            nation = policy.check_nation(code)
        except ValueError as exc:
            errors.append(("releasable_to", str(exc)))
            continue
        if nation in policy.community:
            # Silently dropping it would turn "RELEASABLE TO DEU" into NATO releasable.
            errors.append(
                (
                    "releasable_to",
                    _(
                        "%(nation)s is a member nation and always has access: RELEASABLE TO names only "
                        "the nations beyond them (e.g. AUS/NZL)"
                    )
                    % {"nation": nation},
                )
            )
            continue
        nations.append(nation)

    document_date = None
    if values["document_date"]:
        try:
            document_date = date.fromisoformat(values["document_date"])
        except ValueError:
            errors.append(
                (
                    "document_date",
                    _("%(value)s is not a date (use YYYY-MM-DD)") % {"value": repr(values["document_date"])},
                )
            )

    file = None
    if values["file"]:
        file = resolver.file(values["file"])
        if file is None:
            errors.append(("file", _("unknown file %(code)s") % {"code": repr(values["file"])}))

    numbers: dict[str, int | None] = {"pages": None, "annexes": 0}
    for name in numbers:
        if values[name]:
            try:
                number = int(values[name])
                if number < 0:
                    raise ValueError
            except ValueError:
                errors.append((name, _("%(value)s is not a whole number") % {"value": repr(values[name])}))
                continue
            if number > NUMBER_LIMITS[name]:
                errors.append(
                    (name, _("%(value)d is more than %(limit)d") % {"value": number, "limit": NUMBER_LIMITS[name]})
                )
                continue
            numbers[name] = number

    addressees: dict[str, tuple[list[Unit], list[Person]]] = {}
    for name in ("action", "info"):
        units: list[Unit] = []
        persons: list[Person] = []
        for entry in _split(values[name], ";,"):
            if entry.startswith("@"):
                person = resolver.person(entry[1:])
                if person is None:
                    errors.append((name, _("unknown person %(name)s") % {"name": repr(entry)}))
                else:
                    persons.append(person)
            else:
                unit = resolver.unit(entry)
                if unit is None:
                    errors.append(
                        (name, _("unknown unit %(code)s (persons are written @username)") % {"code": repr(entry)})
                    )
                else:
                    units.append(unit)
        addressees[name] = (units, persons)

    if errors:
        raise InvalidRegistration(errors)
    if not (registry is not None and level is not None and subject_level is not None):  # guaranteed above
        raise RuntimeError(
            "internal check failed: registry is not None and level is not None and subject_level is not None"
        )
    return RegistrationData(
        registry=registry,
        direction=direction,
        originator=values["originator"],
        subject=values["subject"],
        level=level,
        subject_level=subject_level,
        category_mask=category_mask,
        releasable_to=tuple(sorted(set(nations))),
        originator_reference=values["originator_reference"],
        document_date=document_date,
        external_addressees=values["external_addressees"],
        file=file,
        language=values["language"] or "en",
        pages=numbers["pages"],
        annexes=numbers["annexes"] or 0,
        downgrade_instruction=values["downgrade_instruction"],
        action_units=addressees["action"][0],
        action_persons=addressees["action"][1],
        info_units=addressees["info"][0],
        info_persons=addressees["info"][1],
    )
