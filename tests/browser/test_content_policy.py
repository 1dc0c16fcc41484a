"""Under the Content-Security-Policy (no inline script or style) the pages still look and work as
before: banners and level badges in the policy's colours, the language list switching at once.
Any policy violation in any browser test fails it (see the console listener in conftest)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registrum.policy import Level, active_policy

pytestmark = pytest.mark.browser


def rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def test_banners_and_badges_wear_the_policy_colours_without_inline_styles(world, new_session):
    world.register(level=Level.NS, subject="Reinforcement plan")
    page = new_session().login(world.clerk.username)
    page.goto("/register/")
    secret = active_policy().levels[Level.NS]
    banner = page.locator("#banner-top")
    expect(banner).to_have_text(secret.marking)
    expect(banner).to_have_css("background-color", rgb(secret.colour))
    expect(banner).to_have_css("color", rgb(secret.text_colour))
    expect(page.locator("td .level").first).to_have_css("background-color", rgb(secret.colour))


def test_the_language_list_switches_on_choice(world, new_session):
    page = new_session().login(world.clerk.username)
    page.select_option("#language", "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
