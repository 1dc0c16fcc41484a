"""Markings and banners in templates, always from the active policy."""

from __future__ import annotations

from django import template

from registrum.policy import Level, active_policy
from registrum.policy.model import LevelStyle

register = template.Library()


@register.simple_tag
def level_style(level: int | None) -> LevelStyle:
    return active_policy().levels[Level(level or 0)]


@register.filter
def level_abbreviation(level: int) -> str:
    return active_policy().levels[Level(level)].abbreviation


@register.filter
def level_marking(level: int) -> str:
    return active_policy().levels[Level(level)].marking
