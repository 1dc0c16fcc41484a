"""A clerk reaches every custody page from the dashboard and the copy history, and every link
there opens; someone who only reads the document is offered none of the clerk's acts."""

from __future__ import annotations

import re

from django.test import Client

from registrum.records import services as records


def links(html: str) -> list[str]:
    return sorted({href.replace("&amp;", "&") for href in re.findall(r'href="(/custody/[^"]*)"', html)})


def test_every_link_of_the_dashboard_and_the_copy_history_opens_for_the_clerk(custody_world):
    client = Client()
    client.force_login(custody_world.cr_clerk)
    dashboard = client.get("/custody/")
    assert dashboard.status_code == 200
    document_id = custody_world.registration.document.public_id
    history = client.get(f"/custody/documents/{document_id}/")
    html = dashboard.content.decode() + history.content.decode()
    found = links(html)
    for expected in ("/custody/transfers/", "/custody/inventories/", "/custody/disposition/", "/custody/losses/"):
        assert expected in found
    assert any(link.startswith("/custody/transfers/new/?source=CR") for link in found)
    assert any(link.endswith("/reproduce/") for link in found)
    assert any(link.endswith("/regrade/") for link in found)
    assert "/custody/registries/CR/destructions/new/" in found
    for link in found:
        response = client.get(link)
        assert response.status_code == 200, (link, response.status_code)
    assert b"Disposition due" in dashboard.content


def test_a_reader_of_the_document_is_offered_none_of_the_clerks_acts(custody_world):
    world = custody_world.world
    document_id = custody_world.registration.document.public_id
    records.grant_access(custody_world.cr_clerk, document_id, person=world.outsider)
    client = Client()
    client.force_login(world.outsider)
    history = client.get(f"/custody/documents/{document_id}/")
    assert history.status_code == 200
    found = links(history.content.decode())
    assert not [link for link in found if "reproduce" in link or "regrade" in link or "destructions" in link]
    assert not [link for link in found if link.startswith("/custody/transfers/new/")]
    dashboard = client.get("/custody/")
    assert b"Disposition due" not in dashboard.content
