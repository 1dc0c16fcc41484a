"""`registrum --help` lists the commands without setting Django up, and lists exactly what Django
would list: the fast path may never drift from the truth, new commands included."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.management import ManagementUtility, get_commands

from registrum import cli


def test_commands_found_without_setup_are_djangos():
    assert cli.commands_without_setup() == get_commands()


@pytest.mark.parametrize("args", [(), ("help",), ("--help",), ("-h",), ("help", "--commands"), ("--version",)])
def test_listing_is_what_django_prints(args, capsys):
    ManagementUtility(["registrum", *args]).execute()
    assert cli.listing_text(args) + "\n" == capsys.readouterr().out


def test_every_registrum_command_is_listed():
    listed = cli.listing_text(("help", "--commands")) or ""
    for name in ("init", "serve", "demo", "import", "export", "token", "org", "migrate"):
        assert name in listed.split()


PROBE = """
import io, json, sys
from contextlib import redirect_stdout
from registrum import cli
sys.argv = ["registrum", "--help"]
out = io.StringIO()
with redirect_stdout(out):
    cli.main()
from django.apps import apps
heavy = sorted(m for m in ("ninja", "pydantic", "pypdfium2") if m in sys.modules)
models = sorted(m for m in sys.modules if m.startswith("registrum.") and m.endswith(".models"))
print(json.dumps({"ready": apps.ready, "heavy": heavy, "models": models, "text": out.getvalue()}))
"""


def test_help_in_a_fresh_process_sets_nothing_up(tmp_path):
    env = {**os.environ, "REGISTRUM_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "registrum.settings"}
    env.pop("DJANGO_AUTO_COMPLETE", None)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    probe = json.loads(done.stdout)
    assert probe == {**probe, "ready": False, "heavy": [], "models": []}
    assert "[records]\n    export\n    import" in probe["text"]


def test_a_command_help_still_goes_through_django(tmp_path):
    env = {**os.environ, "REGISTRUM_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "registrum.settings"}
    done = subprocess.run(
        [sys.executable, "-m", "registrum.cli", "import", "--help"], env=env, capture_output=True, text=True, check=True
    )
    assert "usage: registrum import" in done.stdout
    assert "--dry-run" in done.stdout
