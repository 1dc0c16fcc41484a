"""Markings and banners in templates, always from the active policy."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

from registrum.policy import Level, active_policy
from registrum.policy.model import LevelStyle

register = template.Library()


@register.simple_tag
def level_style(level: int | None) -> LevelStyle:
    return active_policy().levels[Level(level or 0)]


@register.filter
def level_class(level: int | None) -> str:
    """The CSS class carrying the level's colours (see /levels.css): no inline style needed."""
    return f"level-{int(Level(level or 0))}"


@register.filter
def level_abbreviation(level: int) -> str:
    return active_policy().levels[Level(level)].abbreviation


@register.filter
def level_marking(level: int) -> str:
    return active_policy().levels[Level(level)].marking


# The register's direction column, abbreviated in the reader's language.
DIRECTION_ABBREVIATIONS = {
    "IN": pgettext_lazy("direction abbreviation", "IN"),
    "OUT": pgettext_lazy("direction abbreviation", "OUT"),
    "INT": pgettext_lazy("direction abbreviation", "INT"),
}


@register.filter
def direction_abbreviation(code: str) -> str:
    return str(DIRECTION_ABBREVIATIONS.get(code, code))
