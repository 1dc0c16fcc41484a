"""The command line of charge-outs, inventories and loss reports: the same services."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command

from registrum.custody.models import ChargeOut, CopyStatus, Inventory, LossReport
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("custody", *args, stdout=out)
    return out.getvalue()


def test_charge_out_inventory_and_loss_from_the_command_line(custody_world, monkeypatch, tmp_path):
    w = custody_world
    monkeypatch.setenv("REGISTRUM_AS_PASSWORD", PASSWORD)
    code = w.copies[0].code
    assert "charged out to outsider" in run("--as", "crclerk", "charge-out", code, "outsider")
    assert "due" in run("--as", "crclerk", "charge-outs", "CR")
    assert "checked in" in run("--as", "crclerk", "check-in", code)
    assert ChargeOut.objects.get().checked_in_at is not None
    with pytest.raises(CommandError, match="reader"):
        run("--as", "crclerk", "charge-out", code, "reader")

    started = run("--as", "crclerk", "inventory-start", "CR", "--container", "CR-SAFE-1")
    public_id = started.split("\t")[0]
    assert "3 copies expected" in started
    scanned = run("--as", "crclerk", "inventory-scan", public_id, code, w.copies[1].code, "JUNK")
    assert scanned.splitlines()[0].startswith("checked") and scanned.splitlines()[-1].startswith("not_a_copy")
    status = run("--as", "crclerk", "inventory-status", public_id)
    assert "missing 1" in status and w.copies[2].code in status
    assert "1 missing" in run("--as", "crclerk", "inventory-close", public_id)
    out = tmp_path / "report.pdf"
    run("--as", "crclerk", "inventory-report", public_id, str(out))
    document = pdfium.PdfDocument(out.read_bytes())
    assert "Copy No. 3 of 3" in " ".join(document[0].get_textpage().get_text_range().split())
    assert Inventory.objects.get().state == "closed"
    report = LossReport.objects.get()
    assert report.public_id in run("--as", "crclerk", "loss-reports", "CR")
    with pytest.raises(CommandError, match="refused"):
        run("--as", "crclerk", "loss-update", report.public_id, "investigating")
    assert "investigating" in run("--as", "officer", "loss-update", report.public_id, "investigating", "--told", "NOS")
    assert "held again" in run("--as", "crclerk", "loss-found", report.public_id, w.copies[2].code)
    w.copies[2].refresh_from_db()
    assert w.copies[2].status == CopyStatus.HELD
    made = run(
        "--as", "crclerk", "loss-report", "CR", w.copies[1].code, "--kind", "compromise", "--circumstances", "Seen."
    )
    assert "compromise" in made
