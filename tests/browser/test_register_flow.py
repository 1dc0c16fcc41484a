"""The register seen through a real browser: a clerk registers incoming correspondence with its PDF,
an addressee with the clearance finds, reads and downloads it, and people without the clearance or
outside the releasability find nothing, whether they search for it or guess its address.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from registrum.policy import Level

pytestmark = pytest.mark.browser

SUBJECT = "Exercise STEADFAST JUPITER host nation support arrangements"
REFERENCE = "SH/PLANS/2026/0417"
# Seen by every persona of the scenario (NR needs no clearance, releasable to AUS): proves that an
# empty result is the access filter at work, not a broken list or search.
CONTROL_SUBJECT = "Canteen opening hours during the summer period"


def banner_levels(page: Page, level: str) -> None:
    """Both classification banners are on the page and carry the level."""
    for position in ("top", "bottom"):
        banner = page.locator(f"#banner-{position}")
        expect(banner).to_have_count(1)
        expect(banner).to_have_attribute("data-level", level)


def search(page: Page, text: str) -> None:
    """Type into the register's search box as a person does (an empty text clears it with the
    keyboard); htmx replaces the results a moment after the last key."""
    box = page.get_by_role("searchbox")
    box.click()
    box.press("Control+A")
    box.press("Backspace")
    box.press_sequentially(text)
    expect(box).to_have_value(text)


def result_count(page: Page):
    return page.locator("#results [role=status] span").first


def register_incoming_as_clerk(page: Page, pdf_path) -> tuple[str, str]:
    page.get_by_role("link", name="Register incoming").click()
    page.wait_for_url("**/register/new/?direction=IN")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register incoming correspondence")
    banner_levels(page, "NU")

    # The clerk types from the first field without touching the mouse: originator has the focus,
    # Tab moves to the reference and then to the subject.
    expect(page.locator("#f-originator")).to_be_focused()
    page.keyboard.type("SHAPE")
    page.keyboard.press("Tab")
    expect(page.locator("#f-originator_reference")).to_be_focused()
    page.keyboard.type(REFERENCE)
    page.keyboard.press("Tab")
    expect(page.locator("#f-subject")).to_be_focused()
    page.keyboard.type(SUBJECT)
    page.locator("#f-level").select_option(label="NATO SECRET")
    page.locator("#f-action").fill("ESO")
    page.locator("#f-content").set_input_files(pdf_path)
    page.get_by_role("button", name="Register", exact=True).click()

    page.wait_for_url(re.compile(r"/register/d/[a-z2-7]{16}/$"))
    number = page.get_by_role("heading", level=1).inner_text().split("·")[0].strip()
    assert re.fullmatch(r"IMS-REG/\d{4}/\d{6}", number), number
    expect(page.locator(".messages")).to_contain_text(f"Registered as {number}.")
    expect(page.locator(".marking")).to_have_text("NATO SECRET")
    banner_levels(page, "NS")
    expect(page.locator("#banner-top")).to_have_text("NATO SECRET")
    meta = page.locator("dl.meta").first
    expect(meta).to_contain_text(f"(NS) {SUBJECT}")
    expect(meta).to_contain_text(REFERENCE)
    versions = page.locator("section", has=page.get_by_role("heading", name="Versions")).locator("tbody tr")
    expect(versions).to_have_count(1)
    expect(versions.first.locator("td").first).to_have_text("1")
    expect(versions.first.get_by_role("link", name="vacancy.pdf")).to_be_visible()
    found = re.search(r"/register/d/([a-z2-7]{16})/$", page.url)
    assert found, page.url
    return found.group(1), number


def assert_finds_nothing(page: Page, public_id: str, number: str) -> None:
    page.get_by_role("link", name="Register", exact=True).click()
    page.wait_for_url("**/register/")
    expect(result_count(page)).to_have_text("1 registration")
    expect(page.locator("#results tbody tr")).to_contain_text(CONTROL_SUBJECT)
    banner_levels(page, "NR")

    for text in ("STEADFAST JUPITER", number):
        search(page, text)
        expect(result_count(page)).to_have_text("0 registrations")
        expect(page.locator("#results")).to_contain_text("No registrations found.")
        expect(page.locator("#results")).not_to_contain_text(SUBJECT)
        expect(page).to_have_url(re.compile(r"[?&]q=[^&]"))
        banner_levels(page, "NU")
        # Back to the unfiltered list before the next search, so each result is a fresh one.
        search(page, "")
        expect(result_count(page)).to_have_text("1 registration")
        banner_levels(page, "NR")

    response = page.goto(f"/register/d/{public_id}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("STEADFAST")
    download = page.context.request.get(f"/register/d/{public_id}/versions/1/download/")
    assert download.status == 404
    assert not download.body().startswith(b"%PDF")


def test_registered_pdf_reaches_the_cleared_addressee_and_no_one_else(world, new_session, sample_pdf, tmp_path):
    world.register(level=Level.NR, releasable_to=("AUS",), subject=CONTROL_SUBJECT, originator="IMS")
    pdf_path = tmp_path / "vacancy.pdf"
    pdf_path.write_bytes(sample_pdf)

    clerk = new_session()
    clerk.login(world.clerk.username)
    public_id, number = register_incoming_as_clerk(clerk.page, pdf_path)

    # The addressee: NS clearance, member of the ESO, a NATO nation. A fresh context, its own login.
    reader = new_session()
    page = reader.login(world.reader.username)
    page.get_by_role("link", name="Register", exact=True).click()
    page.wait_for_url("**/register/")
    expect(result_count(page)).to_have_text("2 registrations")
    banner_levels(page, "NS")

    search(page, "steadfast jup")
    expect(result_count(page)).to_have_text("1 registration")
    row = page.locator("#results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text(number)
    expect(page).to_have_url(re.compile(r"[?&]q=steadfast(\+|%20)jup"))
    banner_levels(page, "NS")

    row.get_by_role("link", name=number).click()
    page.wait_for_url(f"**/register/d/{public_id}/")
    top = page.locator("#banner-top")
    expect(top).to_have_text("NATO SECRET")
    banner_levels(page, "NS")
    expect(page.locator(".marking")).to_have_text("NATO SECRET")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="vacancy.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "vacancy.pdf"
    downloaded = download.path().read_bytes()
    assert downloaded.startswith(b"%PDF")
    assert downloaded == sample_pdf

    # Same unit, same register page, but an NR clearance: the NS document does not exist for them.
    nr_reader = new_session()
    assert_finds_nothing(nr_reader.login(world.nr_reader.username), public_id, number)

    # Cleared NS and an addressee, but Australian: the document is not releasable to AUS.
    partner = new_session()
    assert_finds_nothing(partner.login(world.partner.username), public_id, number)


def test_register_banner_follows_the_highest_level_shown(world, new_session):
    world.register(level=Level.NU, subject="Parking permits renewal")
    world.register(level=Level.NR, subject="Canteen menu")
    world.register(level=Level.NS, subject="Readiness report")
    world.register(level=Level.CTS, subject="Nuclear planning", category_mask=1)

    reader = new_session()
    page = reader.login(world.reader.username)
    banner_levels(page, "NS")  # the home page lists the recent registrations too
    page.goto("/register/")
    expect(result_count(page)).to_have_text("3 registrations")
    banner_levels(page, "NS")

    search(page, "canteen")
    expect(result_count(page)).to_have_text("1 registration")
    banner_levels(page, "NR")
    expect(page.locator("#banner-top")).to_have_text("NATO RESTRICTED")

    search(page, "parking")
    expect(result_count(page)).to_have_text("1 registration")
    banner_levels(page, "NU")

    # A filter that is a select, not the search box: htmx fires on change.
    search(page, "")
    expect(result_count(page)).to_have_text("3 registrations")
    banner_levels(page, "NS")
    page.get_by_label("Classification").select_option("NR")
    expect(result_count(page)).to_have_text("1 registration")
    banner_levels(page, "NR")

    clerk = new_session()
    page = clerk.login(world.clerk.username)
    page.goto("/register/")
    expect(result_count(page)).to_have_text("4 registrations")
    banner_levels(page, "CTS")
    expect(page.locator("#banner-bottom")).to_have_text("COSMIC TOP SECRET")


def test_clerk_corrects_and_voids_a_registration_from_the_detail_page(world, new_session):
    registered = world.register(level=Level.NS, subject="Readines report")
    number = registered.number

    reader = new_session()
    page = reader.login(world.reader.username)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Register", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Register incoming")).to_have_count(0)
    page.goto(f"/register/d/{registered.document.public_id}/")
    expect(page.get_by_role("link", name="Correct")).to_have_count(0)
    expect(page.get_by_text("Void", exact=True)).to_have_count(0)

    clerk = new_session()
    page = clerk.login(world.clerk.username)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Register incoming")).to_be_visible()
    page.goto(f"/register/d/{registered.document.public_id}/")
    page.get_by_role("link", name="Correct").click()
    page.wait_for_url(f"**/register/r/{registered.public_id}/correct/")
    banner_levels(page, "NS")
    page.locator("#c-subject").fill("Readiness report")
    page.get_by_role("button", name="Save the correction").click()
    page.wait_for_url(f"**/register/d/{registered.document.public_id}/")
    expect(page.locator(".messages")).to_contain_text(f"{number} corrected.")
    expect(page.locator("dl.meta").first).to_contain_text("(NU) Readiness report")
    history = page.locator("section", has=page.get_by_role("heading", name="History"))
    expect(history).to_contain_text(f"{number} corrected: subject")

    page.get_by_text("Void", exact=True).click()
    page.get_by_label("Reason for voiding").fill("registered twice")
    page.get_by_role("button", name="Void this registration").click()
    expect(page.locator(".messages")).to_contain_text(f"{number} is void.")
    registrations = page.locator("section", has=page.get_by_role("heading", name="Registrations"))
    expect(registrations.locator("tbody tr").first).to_contain_text("VOID")
    expect(registrations).to_contain_text("registered twice")
    expect(page.get_by_role("link", name="Correct")).to_have_count(0)  # a void registration stays as it is
    expect(history).to_contain_text(f"{number} voided: registered twice")

    page.get_by_role("link", name="Register", exact=True).click()
    page.wait_for_url("**/register/")
    row = page.locator("#results tbody tr", has_text=number)
    expect(row).to_contain_text("VOID")
    expect(row).to_contain_text("Readiness report")
