"""A CSV of N registrations in the import format, drawn from the demo's own vocabulary.

Every row is one the importing clerk may really register: a registry they are on the staff of,
a level within both that registry's accreditation and their clearance, special categories only
where they are briefed. Addressees are the demo's units (the Public Diplomacy Division among
them, so the NR reader has something to see), now and then a person or the whole International
Staff. The same seed gives the same file, and a smaller file is a prefix of a larger one.

Needs Django set up (the vocabulary comes from registrum.demo.builder).
"""

from __future__ import annotations

import contextlib
import csv
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# The demo's file plan (registrum.demo.builder._file_plan): five classes of two files each.
FILE_CODES = [f"{plan}-{n:02d}" for plan in ("1000", "2000", "3000", "4000", "5000") for n in (1, 2)]
# Now and then a person rather than a unit, and an information copy to the whole International Staff.
PERSON_ADDRESSEES = ["@ejohnson", "@ikowalska", "@lrossi", "@pnowak"]
WIDE_ADDRESSEES = ["IS", "IMS"]
RELEASABILITY = ["AUS", "AUS/NZL", "JPN", "UKR", "AUS/JPN/NZL"]
HOME_ORIGINATORS = [
    "International Staff",
    "International Military Staff",
    "Office of the Secretary General",
    "Defence Policy and Planning Division",
    "Operations Division",
]
EXTERNAL_ADDRESSEES = [
    "Permanent Representatives of the Allies",
    "Military Representatives to the Military Committee",
    "Delegation of Poland",
    "Mission of Japan",
    "SHAPE, attention J5",
]


@dataclass(frozen=True)
class Importer:
    """The clerk who imports the file and what bounds the rows they may register."""

    username: str
    registries: dict[str, int]  # code -> accreditation (a Level)
    clearance: int
    briefings: frozenset[str]


def importer_for(username: str) -> Importer:
    from registrum.demo import builder

    person = next((p for p in builder.PEOPLE if p.username == username), None)
    if person is None or person.level is None or not person.registries or person.expired:
        raise ValueError(f"{username!r} is not a demo clerk with a valid clearance and a registry")
    accreditation = {code: int(level) for code, _, _, _, level, _ in builder.REGISTRIES}
    return Importer(
        username=username,
        registries={code: accreditation[code] for code in person.registries},
        clearance=int(person.level),
        briefings=frozenset(person.briefings),
    )


def columns() -> tuple[str, ...]:
    from registrum.records.registration import FIELDS

    return FIELDS


def _rows(count: int, importer: Importer, rng: random.Random) -> Iterator[tuple[str, dict[str, str]]]:
    from registrum.demo import builder
    from registrum.policy import Level, active_policy

    policy = active_policy()
    today = date.today()
    year = today.year
    levels, weights = zip(*builder.LEVEL_WEIGHTS, strict=True)
    registries = sorted(importer.registries)
    # The central registry carries most of the traffic when a clerk staffs several.
    registry_weights = [4 if code == "HQ-CR" else 1 for code in registries]
    for _ in range(count):
        registry = rng.choices(registries, registry_weights)[0]
        ceiling = min(importer.registries[registry], importer.clearance)
        level = Level(min(rng.choices(levels, weights)[0], ceiling))
        subject_level = Level(min(level, rng.choice([Level.NU, Level.NR, level])))
        categories = []
        if level >= Level.NS:
            if "ATOMAL" in importer.briefings and rng.random() < 0.15:
                categories.append("ATOMAL")
            if "BOHEMIA" in importer.briefings and rng.random() < 0.10:
                categories.append("BOHEMIA")
        direction = rng.choices(["IN", "OUT", "INT"], [60, 25, 15])[0]
        originator, pattern = rng.choice(builder.ORIGINATORS)
        if direction != "IN":
            originator = rng.choice(HOME_ORIGINATORS)
        day = today - timedelta(days=rng.randint(0, 365))
        subject = rng.choice(builder.SUBJECTS).format(
            day=day.isoformat(), ex=rng.choice(builder.EXERCISES), city=rng.choice(builder.CITIES)
        )
        if rng.random() < 0.05:
            subject += ', "follow-up", revision 2'  # commas and quotes: the CSV must quote them
        units = rng.sample(builder.ADDRESSEE_UNITS, k=rng.randint(0, 4))
        split = rng.randint(0, len(units))
        action, info = units[:split], units[split:]
        if not action and rng.random() < 0.5:
            action.append(rng.choice(builder.ADDRESSEE_UNITS[:6]) if not info else info.pop())
        if rng.random() < 0.04:
            info.append(rng.choice(WIDE_ADDRESSEES))
        if rng.random() < 0.05:
            action.append(rng.choice(PERSON_ADDRESSEES))
        marking = policy.levels[level]
        yield (
            marking.abbreviation,
            {
                "registry": registry,
                "direction": direction,
                "document_date": day.isoformat() if rng.random() < 0.95 else "",
                "originator": originator,
                "originator_reference": pattern.format(year=year, n=rng.randint(1, 99999)),
                "subject": subject,
                "subject_level": policy.levels[subject_level].abbreviation,
                "level": marking.marking if rng.random() < 0.1 else marking.abbreviation,
                "categories": " ".join(categories),
                "releasable_to": rng.choice(RELEASABILITY) if rng.random() < 0.12 else "",
                "action": ";".join(action),
                "info": ";".join(info),
                "external_addressees": rng.choice(EXTERNAL_ADDRESSEES) if direction == "OUT" else "",
                "file": rng.choice(FILE_CODES) if rng.random() < 0.9 else "",
                "language": rng.choices(["en", "fr"], [85, 15])[0],
                "pages": str(rng.randint(1, 40)) if rng.random() < 0.95 else "",
                "annexes": str(rng.choice([0, 0, 0, 1, 2])),
                "downgrade_instruction": "Declassify on 31 Dec 2036"
                if level >= Level.NC and rng.random() < 0.3
                else "",
            },
        )


def write_csv(path: Path, count: int, importer: Importer, seed: int) -> dict[str, int]:
    """Write `count` rows to `path`; return a few counts describing what was written."""
    return write_csvs({path: count}, importer, seed)[path]


def write_csvs(counts: dict[Path, int], importer: Importer, seed: int) -> dict[Path, dict[str, int]]:
    """Write each file's first `count` rows in one pass (every file a prefix of the largest);
    return each file's counts describing what was written."""
    rng = random.Random(seed)
    header = columns()
    stats: dict[Path, Counter[str]] = {path: Counter() for path in counts}
    with contextlib.ExitStack() as stack:
        writers = {}
        for path in counts:
            out = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
            writers[path] = csv.writer(out)
            writers[path].writerow(header)
        for n, (level, row) in enumerate(_rows(max(counts.values(), default=0), importer, rng)):
            values = [row.get(name, "") for name in header]
            addressees = f"{row['action']};{row['info']}".split(";")
            for path, count in counts.items():
                if n >= count:
                    continue
                writers[path].writerow(values)
                counter = stats[path]
                counter["rows"] += 1
                counter[f"level_{level}"] += 1
                if "PDD" in addressees:
                    counter["addressed_to_PDD"] += 1
                if row["categories"]:
                    counter["special_category"] += 1
                if row["releasable_to"]:
                    counter["releasable_beyond_nato"] += 1
    return {path: dict(counter) for path, counter in stats.items()}
