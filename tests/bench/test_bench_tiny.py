"""`make bench` at a tiny scale, so the harness cannot rot unseen: every figure it promises comes
out as a positive number, on SQLite and on a real PostgreSQL cluster of its own.

Marked sqlite_only only so the suite's PostgreSQL pass does not run it a second time: the
benchmark starts its own cluster and measures both databases in one run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import dataset, report

REPO = Path(__file__).resolve().parent.parent.parent

# The names the project asked for, spelled out so a rename here is a visible change.
REQUIRED = [
    "import_sqlite_per_s",
    "import_postgres_per_s",
    "import_sqlite_peak_rss_mb",
    "import_postgres_peak_rss_mb",
    "import_sqlite_tenth_peak_rss_mb",
    "import_postgres_tenth_peak_rss_mb",
    "list_page_p50_ms_cts_clerk",
    "list_page_p95_ms_cts_clerk",
    "list_page_p50_ms_nr_reader",
    "list_page_p95_ms_nr_reader",
    "list_api_p50_ms_cts_clerk",
    "list_api_p95_ms_cts_clerk",
    "list_api_p50_ms_nr_reader",
    "list_api_p95_ms_nr_reader",
    "server_peak_rss_mb",
    "list_page_p95_ms_cts_clerk_postgres",
    "list_api_p95_ms_nr_reader_postgres",
    "server_peak_rss_mb_postgres",
]


def test_csv_columns_are_the_import_format():
    from registrum.records.registration import FIELDS

    assert dataset.columns() == FIELDS


@pytest.mark.sqlite_only
def test_tiny_benchmark_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRUM_")}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "300", "--requests", "5", "--warmup", "1", "--json", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    result = json.loads(out.read_text())
    assert result["scale"] == 300
    figures = result["figures"]
    expected = set(report.expected_names()) | set(REQUIRED)
    missing = sorted(expected - set(figures))
    assert not missing, f"figures missing: {missing}"
    bad = {name: value for name, value in figures.items() if not (isinstance(value, float | int) and value > 0)}
    assert not bad, f"figures that are not positive numbers: {bad}"
    assert all(math.isfinite(value) for value in figures.values())
    assert result["skipped"] == {}
    # Each target carries a verdict; the table names every figure.
    assert set(result["passed"]) == {name for name in figures if report.target_for(name)}
    for name in REQUIRED:
        assert name in run.stdout
    # The data set gave both users something to see.
    assert result["context"]["visible_documents_cts_clerk"] >= 300
    assert result["context"]["visible_documents_nr_reader"] > 0
