"""Levels, special categories, releasability and markings of a deployment's policy (NATO by default)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum


class Level(IntEnum):
    """Classification levels, low to high. The integer is what the database stores and compares."""

    NU = 0
    NR = 1
    NC = 2
    NS = 3
    CTS = 4


@dataclass(frozen=True)
class Category:
    """A special category (ATOMAL, BOHEMIA): a bit in the document's mask and a briefing to hold."""

    code: str
    bit: int
    briefing: str


@dataclass(frozen=True)
class LevelStyle:
    marking: str
    abbreviation: str
    colour: str  # banner background
    text_colour: str


@dataclass(frozen=True)
class Policy:
    name: str
    levels: dict[Level, LevelStyle]
    categories: tuple[Category, ...]
    # Nations every document is releasable to; RELEASABLE TO adds nations beyond them.
    community: frozenset[str]
    # Nations known outside the community (partners), for releasability lists and nationality.
    partners: frozenset[str]
    briefings: tuple[str, ...]
    # Below this level, no clearance is needed (NU and NR under NATO policy).
    clearance_needed_from: Level = Level.NC
    # Levels that need a briefing of their own on top of the clearance (NATO: COSMIC for CTS).
    level_briefings: dict[Level, str] = field(default_factory=dict)
    public_marking: str = "DECLASSIFIED - PUBLIC DISCLOSED"
    category_by_code: dict[str, Category] = field(init=False, repr=False, compare=False)
    level_by_text: dict[str, Level] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "category_by_code", {c.code: c for c in self.categories})
        by_text: dict[str, Level] = {}
        for level, style in self.levels.items():
            for text in (style.abbreviation, style.marking, level.name):
                by_text.setdefault(text, level)
        object.__setattr__(self, "level_by_text", by_text)

    @property
    def nations(self) -> frozenset[str]:
        return self.community | self.partners

    def level_from_text(self, text: str) -> Level:
        """Accept an abbreviation (NS), a marking (NATO SECRET) or the enum name, any case."""
        wanted = " ".join(text.strip().upper().split())
        level = self.level_by_text.get(wanted)
        if level is not None:
            return level
        known = ", ".join(s.abbreviation for s in self.levels.values())
        raise ValueError(f"unknown classification level {text!r} (known: {known})")

    def category_mask(self, codes: Iterable[str]) -> int:
        mask = 0
        for code in codes:
            category = self.category_by_code.get(code.strip().upper())
            if category is None:
                known = ", ".join(self.category_by_code)
                raise ValueError(f"unknown special category {code!r} (known: {known})")
            mask |= category.bit
        return mask

    def category_codes(self, mask: int) -> list[str]:
        return [c.code for c in self.categories if mask & c.bit]

    def check_nation(self, code: str) -> str:
        nation = code.strip().upper()
        if nation not in self.nations:
            raise ValueError(f"unknown nation {code!r} (use ISO 3166 three-letter codes, e.g. DEU, AUS)")
        return nation

    def marking(self, level: Level, category_mask: int = 0, releasable_to: Iterable[str] = ()) -> str:
        """The marking string, e.g. 'NATO SECRET RELEASABLE TO AUS/NZL' or 'COSMIC TOP SECRET ATOMAL'."""
        parts = [self.levels[level].marking]
        parts += self.category_codes(category_mask)
        nations = sorted(set(releasable_to))
        if nations:
            parts.append("RELEASABLE TO " + "/".join(nations))
        return " ".join(parts)


NATO_MEMBERS = frozenset(
    [
        "ALB",
        "BEL",
        "BGR",
        "CAN",
        "HRV",
        "CZE",
        "DNK",
        "EST",
        "FIN",
        "FRA",
        "DEU",
        "GRC",
        "HUN",
        "ISL",
        "ITA",
        "LVA",
        "LTU",
        "LUX",
        "MNE",
        "NLD",
        "MKD",
        "NOR",
        "POL",
        "PRT",
        "ROU",
        "SVK",
        "SVN",
        "ESP",
        "SWE",
        "TUR",
        "GBR",
        "USA",
    ]
)
# Partners with whom NATO exchanges information (Partners across the globe, Euro-Atlantic partners).
NATO_PARTNERS = frozenset(
    [
        "AUS",
        "NZL",
        "JPN",
        "KOR",
        "AUT",
        "CHE",
        "IRL",
        "MLT",
        "UKR",
        "GEO",
        "MDA",
        "BIH",
        "SRB",
        "ARM",
        "AZE",
        "KAZ",
        "UZB",
        "MNG",
        "IRQ",
        "JOR",
        "ISR",
        "EGY",
        "MAR",
        "TUN",
        "DZA",
        "MRT",
        "QAT",
        "KWT",
        "BHR",
        "ARE",
        "COL",
    ]
)

NATO = Policy(
    name="NATO",
    levels={
        Level.NU: LevelStyle("NATO UNCLASSIFIED", "NU", "#1b7f3b", "#ffffff"),
        Level.NR: LevelStyle("NATO RESTRICTED", "NR", "#2f5f8f", "#ffffff"),
        Level.NC: LevelStyle("NATO CONFIDENTIAL", "NC", "#0b3d91", "#ffffff"),
        Level.NS: LevelStyle("NATO SECRET", "NS", "#b5121b", "#ffffff"),
        Level.CTS: LevelStyle("COSMIC TOP SECRET", "CTS", "#f2a900", "#000000"),
    },
    categories=(
        Category("ATOMAL", 1, "ATOMAL"),
        Category("BOHEMIA", 2, "BOHEMIA"),
    ),
    community=NATO_MEMBERS,
    partners=NATO_PARTNERS,
    briefings=("COSMIC", "ATOMAL", "BOHEMIA"),
    level_briefings={Level.CTS: "COSMIC"},
)


def active_policy() -> Policy:
    """The deployment's policy. One place to swap it, so no caller hard-codes NATO."""
    return NATO
