"""`python -m bench.durability` at a tiny count, so the script cannot rot unseen: it runs the real
settings on a database of its own and reports both settings for both workloads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.mark.sqlite_only
def test_durability_benchmark_prints_both_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRUM_")}
    run = subprocess.run(
        [sys.executable, "-m", "bench.durability", "--count", "6", "--rounds", "2", "--dir", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    for workload in ("register_document", "insert"):
        for mode in ("NORMAL", "FULL"):
            assert re.search(rf"^{workload}\s+{mode}\s+[\d,]+\s+[\d.]+\s+[\d.]+$", run.stdout, re.M), run.stdout
    assert list(tmp_path.iterdir()) == []  # its database is removed afterwards
