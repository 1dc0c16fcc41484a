"""`registrum custody --as USER container|combination|number|holdings|copies|store`."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from registrum.custody.models import CombinationChange, Container, Copy
from registrum.policy import Level
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def custody_command(monkeypatch: pytest.MonkeyPatch, username: str, *args: str) -> str:
    out = io.StringIO()
    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    call_command("custody", "--as", username, *args, stdout=out)
    return out.getvalue()


def test_containers_listed_and_taken_into_service(custody_world, monkeypatch):
    listed = custody_command(monkeypatch, "crclerk", "container", "CR")
    assert "CR-SAFE-1" in listed and "CR-CAB-2" in listed and "ATOMAL" in listed
    with pytest.raises(CommandError, match="refused"):
        custody_command(monkeypatch, "crclerk", "container", "CR", "CR-NEW-1", "New safe", "--level", "NS")
    made = custody_command(monkeypatch, "officer", "container", "CR", "CR-NEW-1", "New safe", "--level", "NS")
    assert "CR-NEW-1 taken into service in CR" in made
    assert Container.objects.get(code="CR-NEW-1").accreditation == Level.NS
    with pytest.raises(CommandError, match="level"):
        custody_command(monkeypatch, "officer", "container", "CR", "CR-NEW-2", "Other", "--level", "HIGH")
    with pytest.raises(CommandError, match="refused"):
        custody_command(monkeypatch, "clerk", "container", "CR")


def test_a_combination_change_is_recorded(custody_world, monkeypatch):
    out = custody_command(
        monkeypatch, "crclerk", "combination", "CR-SAFE-1", "--on", "2026-01-05", "--reason", "personnel"
    )
    assert "combination of CR-SAFE-1 changed on 2026-01-05 (personnel)" in out
    assert CombinationChange.objects.filter(container__code="CR-SAFE-1", reason="personnel").exists()
    with pytest.raises(CommandError, match="not a date"):
        custody_command(monkeypatch, "crclerk", "combination", "CR-SAFE-1", "--on", "soon", "--reason", "routine")
    with pytest.raises(CommandError, match="unknown container"):
        custody_command(monkeypatch, "crclerk", "combination", "NOPE", "--reason", "routine")


def test_number_holdings_copies_and_store(custody_world, monkeypatch):
    doc = custody_world.registration.document.public_id
    out = custody_command(monkeypatch, "crclerk", "number", doc, "--registry", "CR", "--count", "2")
    assert "Copy No. 4 of 5" in out and "Copy No. 5 of 5" in out and "COSMIC TOP SECRET ATOMAL" in out
    holdings = custody_command(monkeypatch, "crclerk", "holdings", "CR", "--level", "CTS")
    assert holdings.strip().endswith("5 copies")
    assert (
        custody_command(monkeypatch, "crclerk", "holdings", "CR", "--container", "CR-SAFE-1")
        .strip()
        .endswith("3 copies")
    )
    history = custody_command(monkeypatch, "crclerk", "copies", doc)
    assert "Copy No. 1 of 3" in history and "created" in history and "CR-SAFE-1" in history
    code = custody_world.copies[0].code
    stored = custody_command(monkeypatch, "crclerk", "store", code, "--container", "")
    assert "Copy No. 1 of 3 now in no container" in stored
    assert Copy.objects.get(pk=custody_world.copies[0].pk).container_id is None
    with pytest.raises(CommandError, match="not accredited"):
        custody_command(monkeypatch, "crclerk", "store", code, "--container", "CR-CAB-2")


def test_what_the_person_may_not_see_is_not_found(custody_world, monkeypatch):
    doc = custody_world.registration.document.public_id
    with pytest.raises(CommandError, match="no such document"):
        custody_command(monkeypatch, "outsider", "copies", doc)
    with pytest.raises(CommandError, match="no such document"):
        custody_command(monkeypatch, "outsider", "number", doc, "--registry", "CR", "--count", "1")
    with pytest.raises(CommandError, match="no such copy"):
        custody_command(monkeypatch, "outsider", "store", custody_world.copies[0].code)
    with pytest.raises(CommandError, match="not a copy"):
        custody_command(monkeypatch, "crclerk", "store", "hello")
    with pytest.raises(CommandError, match="refused"):
        custody_command(monkeypatch, "outsider", "holdings", "CR")
    assert Copy.objects.count() == 3
