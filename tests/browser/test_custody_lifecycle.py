"""The life of a COSMIC TOP SECRET ATOMAL document in its copies, seen through a real browser, each
person in their own session: the central registry clerk registers it and numbers its copies,
dispatches one to the DGIMS sub-registry, whose clerk acknowledges it with a scanner; a copy is
charged out to a reader and checked in; an inventory finds a copy missing and opens a loss report;
a copy is reproduced with the originator's consent and an officer's approval; the officer
downgrades it and a holder is told; a copy is destroyed before a witness. Every PDF a person takes
away is opened and read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from registrum.org.models import Role
from registrum.policy import Level
from tests.browser.conftest import Session
from tests.conftest import make_person
from tests.custody.conftest import Custody, custody_world  # noqa: F401  (the fixture, used by name)
from tests.pdfs import assert_marked_on_every_page, page_texts

pytestmark = pytest.mark.browser

SUBJECT = "Nuclear planning: stockpile readiness review"
REFERENCE = "NPG/2026/0093"
MARKING = "COSMIC TOP SECRET ATOMAL"


def banner(page: Page, level: str) -> None:
    for position in ("top", "bottom"):
        expect(page.locator(f"#banner-{position}")).to_have_attribute("data-level", level)


def copy_card(page: Page, number: int) -> Locator:
    return page.locator(f"#copy-{number}")


def fetch_pdf(page: Page, link: Locator) -> bytes:
    """What the person takes away when they follow a PDF link: fetched with their own cookies."""
    href = link.get_attribute("href")
    assert href, "the PDF link has no address"
    response = page.context.request.get(href)
    assert response.status == 200, (href, response.status)
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    return body


def pdf_text(pdf: bytes) -> str:
    """The text of every page, its line breaks (where the PDF wraps a cell) as single spaces."""
    return " ".join(" ".join(page_texts(pdf)).split())


def scan(box: Locator, code: str) -> None:
    """A keyboard-wedge scanner types the code into the focused box and presses Enter."""
    expect(box).to_be_focused()
    box.page.keyboard.type(code)
    box.page.keyboard.press("Enter")


# 1. Registration and copies ---------------------------------------------------------------------


def register_and_number(page: Page) -> tuple[str, dict[int, str]]:
    """The central registry clerk registers the document in CR and numbers three copies into the
    CR safe; returns the document's public id and the copies' codes by number."""
    page.goto("/register/new/?direction=IN")
    expect(page.locator("#f-originator")).to_be_focused()
    page.keyboard.type("NPG")
    page.keyboard.press("Tab")
    page.keyboard.type(REFERENCE)
    page.keyboard.press("Tab")
    page.keyboard.type(SUBJECT)
    page.locator("#f-registry").select_option("CR")
    page.locator("#f-level").select_option(label="COSMIC TOP SECRET")
    page.locator("#f-subject_level").select_option(label="NATO UNCLASSIFIED")
    page.get_by_role("checkbox", name="ATOMAL").check()
    page.locator("#f-action").fill("ESO")
    page.get_by_role("button", name="Register", exact=True).click()
    page.wait_for_url(re.compile(r"/register/d/[a-z2-7]{16}/$"))
    registered = page.get_by_role("heading", level=1).inner_text().strip()
    assert re.fullmatch(r"CR/\d{4}/\d{6}", registered), registered
    expect(page.locator(".marking")).to_have_text(MARKING)
    found = re.search(r"/register/d/([a-z2-7]{16})/$", page.url)
    assert found
    public_id = found.group(1)

    page.get_by_role("link", name="Copies and their history").click()
    page.wait_for_url(f"**/custody/documents/{public_id}/")
    banner(page, "CTS")
    expect(page.get_by_text("This document has no numbered copies.")).to_be_visible()
    page.locator("#number-registry").select_option("CR")
    page.locator("#number-count").fill("3")
    page.locator("#number-container").select_option("CR-SAFE-1")
    page.get_by_role("button", name="Number", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Copies No. 1 to 3 numbered.")
    codes: dict[int, str] = {}
    for copy_number in (1, 2, 3):
        card = copy_card(page, copy_number)
        expect(card.get_by_role("heading")).to_have_text(f"Copy No. {copy_number} of 3")
        expect(card).to_contain_text("CR-SAFE-1")
        codes[copy_number] = card.locator("dd.num").inner_text().strip()
        assert re.fullmatch(r"RGC-[A-Z2-7]{16}", codes[copy_number]), codes[copy_number]

    # The NATO SECRET cabinet is no place for it: refused, with the policy's reason.
    card = copy_card(page, 3)
    card.get_by_label("Move to container").select_option("CR-CAB-2")
    card.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("CR-CAB-2 is not accredited for COSMIC TOP SECRET")
    expect(copy_card(page, 3).locator("dd").nth(2)).to_contain_text("CR-SAFE-1")

    cover = fetch_pdf(page, copy_card(page, 1).get_by_role("link", name="Cover sheet (PDF)"))
    assert_marked_on_every_page(cover, MARKING)
    text = pdf_text(cover)
    assert "Copy No. 1 of 3" in text
    assert registered in text, text
    return public_id, codes


# 2. Dispatch -------------------------------------------------------------------------------------


def copy_checkbox(page: Page, code: str) -> Locator:
    return page.locator(f"#copy-{code.removeprefix('RGC-').lower()}")


def refused_dispatches(page: Page, code: str) -> None:
    """OPS-CP is a control point accredited NATO CONFIDENTIAL, and a person's hand receipt is off
    the central registry chain: the copy goes to neither, and the page says why."""
    page.goto("/custody/transfers/new/")
    copy_checkbox(page, code).check()
    page.locator("select[name=to_registry]").select_option("OPS-CP")
    page.get_by_role("button", name="Dispatch", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("copy No. 2 of 3: OPS-CP is not accredited for COSMIC TOP SECRET")

    page.locator("select[name=to_registry]").select_option("")
    page.locator("input[name=to_person]").fill("@witness")
    expect(copy_checkbox(page, code)).to_be_checked()
    page.get_by_role("button", name="Dispatch", exact=True).click()
    expect(alert).to_have_text(
        "copy No. 2 of 3: COSMIC TOP SECRET ATOMAL moves only along the central registry chain"
        " (registry to parent or child registry)"
    )
    # Nothing moved: the copy is still offered for dispatch from CR.
    page.goto("/custody/transfers/new/")
    expect(copy_checkbox(page, code)).to_be_visible()


def dispatch_to_sub_registry(page: Page, code: str) -> str:
    page.goto("/custody/transfers/new/")
    banner(page, "CTS")
    copy_checkbox(page, code).check()
    page.locator("select[name=to_registry]").select_option("IMS-REG")
    page.locator("select[name=container]").select_option("IMS-SAFE-1")
    page.locator("input[name=note]").fill("for the DGIMS nuclear planning cell")
    page.get_by_role("button", name="Dispatch", exact=True).click()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.wait_for_url(re.compile(r"/custody/transfers/(?!new/)[^/]+/$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    transfer_number = heading.removeprefix("Transfer ").strip()
    expect(page.locator(".messages")).to_contain_text(f"{transfer_number} dispatched to")
    row = page.locator("main table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Copy No. 1 of 3")
    expect(row).to_contain_text("in transit")

    transmittal = fetch_pdf(page, page.get_by_role("link", name="Transmittal and receipt form (PDF)"))
    assert_marked_on_every_page(transmittal, MARKING)
    text = pdf_text(transmittal)
    assert transfer_number in text
    assert "Copy No. 1 of 3" in text, text
    assert "IMS-REG" in text
    return transfer_number


# 3. Receipt ---------------------------------------------------------------------------------------


def acknowledge_by_scanning(page: Page, transfer_number: str, code: str) -> str:
    page.get_by_role("link", name="Custody", exact=True).click()
    page.wait_for_url("**/custody/")
    receipts = page.locator("#receipts")
    expect(receipts.locator(".count")).to_have_text("1")
    expect(receipts).to_contain_text("from CR")
    receipts.get_by_role("link", name=transfer_number).click()
    page.wait_for_url(re.compile(r"/custody/transfers/[^/]+/$"))
    scan(page.locator("#scan-code"), code)
    expect(page.locator(".messages")).to_contain_text("Copy No. 1 of 3 received.")
    row = page.locator("main table tbody tr")
    expect(row).not_to_contain_text("in transit")
    registered = row.locator("td").last.inner_text().strip()
    assert re.fullmatch(r"IMS-REG/\d{4}/\d{6}", registered), registered
    return registered


# 4. Charge-out ----------------------------------------------------------------------------------


def charge_out(page: Page, code: str, reader: str) -> None:
    page.goto("/custody/chargeouts/?registry=CR")
    expect(page.locator("#co-copy")).to_be_focused()
    page.keyboard.type(code)
    page.get_by_label("Reader (user name)").fill(reader)
    page.get_by_role("button", name="Charge out", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"Copy No. 2 of 3 charged out to {reader}")
    expect(page.locator("table.register tbody tr")).to_contain_text(code)


def check_in(page: Page, code: str) -> None:
    page.goto("/custody/chargeouts/?registry=CR")
    page.locator("#ci-copy").focus()
    scan(page.locator("#ci-copy"), code)
    expect(page.locator(".messages")).to_contain_text("Copy No. 2 of 3 checked in.")
    expect(page.get_by_text("No copy is out on charge.")).to_be_visible()


# 5. Inventory -----------------------------------------------------------------------------------


def inventory_finds_copy_3_missing(page: Page, codes: dict[int, str], others: list[str]) -> None:
    """The CR clerk musters the registry: copy 2 is scanned, a bogus code and a copy held by
    IMS-REG are told apart, the other document's copies are checked by list; copy 3 is not there."""
    page.goto("/custody/inventories/?registry=CR")
    page.locator("#inv-container").select_option("")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Inventory started: 5 copies expected.")
    expect(page.locator("#count-expected")).to_have_text("5")
    box = page.locator("#scan-code")

    scan(box, codes[2])
    outcome = page.locator("#last-outcome")
    expect(outcome).to_have_class(re.compile(r"\boutcome-found\b"))
    expect(page.locator("#count-found")).to_have_text("1")

    expect(outcome).to_have_text(f"Found: {codes[2]}, copy No. 2 of 3 checked.")

    scan(box, "RGC-NOTACOPYATALL")
    expect(outcome).to_have_class(re.compile(r"\boutcome-not-a-copy\b"))
    expect(outcome).to_have_text("Not a copy: RGC-NOTACOPYATALL is no copy's code.")
    expect(page.locator("#count-unexpected")).to_have_text("1")

    scan(box, codes[1])
    expect(outcome).to_have_class(re.compile(r"\boutcome-other\b"))
    expect(outcome).to_have_text(f"Not a copy of this registry: {codes[1]}.")
    expect(page.locator("#count-unexpected")).to_have_text("2")

    scan(box, codes[2])
    expect(outcome).to_have_class(re.compile(r"\boutcome-already\b"))
    expect(outcome).to_have_text(f"Already checked: {codes[2]}, copy No. 2 of 3 was scanned before.")
    expect(page.locator("#count-found")).to_have_text("1")

    page.locator("#scan-codes").fill("\n".join(others))
    page.get_by_role("button", name="Check the list").click()
    expect(page.locator("#count-found")).to_have_text("4")
    expect(page.locator("#count-missing")).to_have_text("1")
    still_missing = page.locator("#scan-panel h2:has-text('Still missing') + ul > li")
    expect(still_missing).to_have_count(1)
    expect(still_missing).to_contain_text(f"{codes[3]} · Copy No. 3 of 3")

    page.get_by_role("button", name="Close the inventory").click()
    expect(page.locator(".messages")).to_contain_text("Inventory closed: 4 of 5 found, 1 missing.")
    report_link = page.get_by_role("link", name=re.compile(r"^Loss report "))
    expect(report_link).to_have_count(1)
    loss_id = report_link.inner_text().removeprefix("Loss report ").strip()

    report = fetch_pdf(page, page.get_by_role("link", name="Inventory report (PDF)"))
    assert_marked_on_every_page(report, MARKING)
    text = pdf_text(report)
    missing = text.split("Missing copies", 1)[1].split("A copy of this registry not on the list", 1)[0]
    assert f"{codes[3]} Copy No. 3 of 3" in missing, text
    assert codes[2] not in missing and codes[1] not in missing
    assert f"A copy held by another custodian {codes[1]}" in text, text
    assert "Not a copy's code RGC-NOTACOPYATALL" in text, text
    assert f"Scanned twice {codes[2]}" in text, text

    page.goto("/custody/losses/?registry=CR")
    row = page.locator("main table tbody tr", has_text=loss_id)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=loss_id).click()
    page.wait_for_url(f"**/custody/losses/{loss_id}/")
    expect(page.locator("main")).to_contain_text(codes[3])
    banner(page, "CTS")


# 6. Reproduction ---------------------------------------------------------------------------------


def request_reproduction(page: Page, public_id: str) -> str:
    page.goto(f"/custody/documents/{public_id}/")
    copy_card(page, 2).get_by_role("link", name="Reproduce, extract or translate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reproduce copy No. 2 of 3")
    page.get_by_label("Originator's consent (authority)").fill("NPG consent NPG/C(2026)7")
    page.get_by_role("button", name="Request the reproduction").click()
    expect(page.locator(".messages")).to_contain_text("Reproduction requested: a control officer approves it.")
    expect(page.get_by_role("button", name="Approve and make the copies")).to_have_count(0)
    return page.url


def approve_reproduction(page: Page, request_url: str) -> None:
    page.goto(request_url)
    banner(page, "CTS")
    page.get_by_role("button", name="Approve and make the copies").click()
    expect(page.locator(".messages")).to_contain_text("Approved: copy No. 4 made.")


def copy_4_with_its_provenance(page: Page, public_id: str) -> None:
    page.goto(f"/custody/documents/{public_id}/")
    card = copy_card(page, 4)
    expect(card.get_by_role("heading")).to_contain_text("Copy No. 4 of 4")
    expect(card).to_contain_text("copy No. 2")
    expect(card).to_contain_text("NPG consent NPG/C(2026)7")


# 7. Downgrade ------------------------------------------------------------------------------------


def downgrade(page: Page, public_id: str) -> None:
    page.goto(f"/custody/documents/{public_id}/regrade/")
    expect(page.locator(".marking strong")).to_have_text(MARKING)
    page.locator("#r-kind").select_option("downgrade")
    page.locator("#r-level").select_option(label="NATO SECRET")
    page.get_by_role("checkbox", name="ATOMAL").check()
    page.get_by_label("Authority (who decided, reference)").fill("NPG decision NPG/D(2026)12")
    page.get_by_role("button", name="Record the regrade").click()
    expect(page.locator(".messages")).to_contain_text("Regraded: the marking is now NATO SECRET ATOMAL.")


def holder_is_told(page: Page, public_id: str) -> None:
    told = f"Document {public_id} was downgraded. Its marking is now NATO SECRET ATOMAL."
    page.goto("/custody/notices/")
    row = page.locator("main table tbody tr", has_text=told)
    expect(row).to_have_count(1)
    expect(row).to_have_class("unread")
    expect(row).to_contain_text(SUBJECT)
    page.get_by_role("link", name="Custody", exact=True).click()
    page.wait_for_url("**/custody/")
    notices = page.locator("#notices")
    expect(notices).to_contain_text(told)
    notices.get_by_role("link", name="document").first.click()
    page.wait_for_url(f"**/register/d/{public_id}/")
    expect(page.locator(".marking")).to_have_text("NATO SECRET ATOMAL")
    banner(page, "NS")
    expect(page.locator("#banner-top")).to_have_text("NATO SECRET")


# 8. Destruction ----------------------------------------------------------------------------------


def propose_destruction(page: Page, code: str) -> str:
    page.goto("/custody/registries/CR/destructions/new/")
    page.locator(f"#c-{code.removeprefix('RGC-').lower()}").check()
    page.locator("#d-reason").fill("superseded by the 2027 review")
    page.locator("#d-method").fill("cross-cut shredder")
    page.get_by_role("button", name="Propose the destruction").click()
    expect(page.locator(".messages")).to_contain_text("proposed.")
    expect(page.get_by_role("button", name=re.compile("^Sign as"))).to_have_count(0)
    return page.url


def witnessed_destruction(clerk: Session, officer: Page, witness: Page, url: str, code: str) -> None:
    # The officer finds it in the registry's list of destructions.
    officer.goto("/custody/registries/CR/destructions/")
    officer.locator("main table tbody tr", has_text="proposed").get_by_role("link").click()
    officer.wait_for_url(f"**{url.split('/custody', 1)[1]}")
    officer.get_by_role("button", name="Approve", exact=True).click()
    expect(officer.locator(".messages")).to_contain_text("approved.")

    page = clerk.page
    page.goto(url)
    # A second tab of the clerk's, left open on the page before they sign.
    second = clerk.context.new_page()
    second.on("pageerror", lambda error: clerk.page_errors.append(str(error)))
    second.goto(url)
    page.get_by_role("button", name="Sign as destroyer").click()
    expect(page.locator(".messages")).to_contain_text("awaiting witnesses")
    expect(page.get_by_role("button", name=re.compile("^Sign as"))).to_have_count(0)
    with second.expect_response(lambda response: response.request.method == "POST") as refused:
        second.get_by_role("button", name="Sign as destroyer").click()
    assert refused.value.status == 403
    expect(second.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(second.locator("main")).to_contain_text("nobody witnesses their own destruction")
    second.close()

    witness.goto(url)
    witness.get_by_role("button", name="Sign as witness").click()
    expect(witness.locator(".messages")).to_contain_text("Signed.")
    signatures = witness.locator("main section", has=witness.get_by_role("heading", name="Signatures"))
    expect(signatures).to_contain_text("@crclerk")
    expect(signatures).to_contain_text("@witness")
    copies = witness.locator("main section", has=witness.get_by_role("heading", name="Copies", exact=True))
    expect(copies).to_contain_text("destroyed")
    expect(copies).to_contain_text(code)

    page.goto(url)
    certificate = fetch_pdf(page, page.get_by_role("link", name="Destruction certificate (PDF)"))
    assert_marked_on_every_page(certificate, "NATO SECRET ATOMAL")
    text = pdf_text(certificate)
    # Copy 2 was numbered "of 3" on paper; the reproduction made later does not renumber it.
    assert "Copy No. 2 of 3" in text, text
    assert code in text
    assert "destroyed by Crclerk Test (@crclerk)" in text, text
    assert "witnessed by Witness Test (@witness)" in text, text


# The test -----------------------------------------------------------------------------------------


def test_the_life_of_a_cosmic_top_secret_atomal_document_in_its_copies(
    custody_world: Custody,  # noqa: F811
    new_session: Callable[[], Session],
) -> None:
    cw = custody_world
    atomal_reader = make_person("npgreader", "DNK", cw.world.ops, Level.CTS, ("COSMIC", "ATOMAL"), (Role.READER,))

    clerk = new_session()
    cr = clerk.login(cw.cr_clerk.username)
    public_id, codes = register_and_number(cr)

    refused_dispatches(cr, codes[2])
    transfer_number = dispatch_to_sub_registry(cr, codes[1])

    sub = new_session()
    ims = sub.login(cw.sub_clerk.username)
    acknowledge_by_scanning(ims, transfer_number, codes[1])

    reader = new_session()
    rd = reader.login(atomal_reader.username)
    response = rd.goto(f"/register/d/{public_id}/")
    assert response is not None and response.status == 404
    charge_out(cr, codes[2], atomal_reader.username)
    rd.goto("/custody/chargeouts/mine/")
    expect(rd.locator("main")).to_contain_text("Copy No. 2 of 3")
    rd.goto(f"/register/d/{public_id}/")
    expect(rd.locator(".marking")).to_have_text(MARKING)
    expect(rd.locator("dl.meta").first).to_contain_text(SUBJECT)
    check_in(cr, codes[2])
    response = rd.goto(f"/register/d/{public_id}/")
    assert response is not None and response.status == 404
    expect(rd.locator("body")).not_to_contain_text(SUBJECT)

    others = [copy.code for copy in cw.copies]  # the fixture's document, also in CR-SAFE-1
    inventory_finds_copy_3_missing(cr, codes, others)

    officer = new_session()
    oc = officer.login(cw.officer.username)
    request_url = request_reproduction(cr, public_id)
    approve_reproduction(oc, request_url)
    copy_4_with_its_provenance(cr, public_id)

    downgrade(oc, public_id)
    holder_is_told(ims, public_id)

    destruction_url = propose_destruction(cr, codes[2])
    witness = new_session()
    wp = witness.login(cw.witness.username)
    witnessed_destruction(clerk, oc, wp, destruction_url, codes[2])
    cr.goto(f"/custody/documents/{public_id}/")
    expect(copy_card(cr, 2)).to_contain_text("destroyed")
