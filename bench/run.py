"""The whole run: set up, import, serve and measure, report.

1. Two throw-away sites, each `registrum init` + `registrum demo --registrations 0`: SQLite in a
   temporary data folder, PostgreSQL in a durable (fsync on) cluster on loopback. Set up in
   parallel; nothing is measured while anything else runs.
2. A CSV of N registrations (bench.dataset), and its first N/10 rows. `registrum import` of each,
   as the demo clerk, into a copy of the site (N/10) and into the site itself (N): rows per second
   of wall time (process start included) and the import process's own peak RSS.
3. `registrum serve --workers 2` on the N-row site; the CTS clerk (jsmith) and the NR reader
   (sbrown) log in through the form and get API tokens from `registrum token` (giving their
   password); each request path is timed (p50/p95), and the server's peak memory is the sum of
   its processes' VmHWM.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql

from bench import dataset, latency, procs, report, server
from bench.procs import Target
from devtools.pgcluster import running_cluster


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--scale", type=int, default=100_000, help="registrations imported (default 100000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per path and user (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--clerk", default="jsmith", help="the demo clerk who imports (default jsmith, HQ-CR)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-postgres-lists", action="store_true", help="measure the lists on SQLite only")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (SQLite sites, CSV, logs)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    args = parser.parse_args(argv)
    if args.scale < 10 or args.requests < 1 or args.warmup < 0:
        parser.error("--scale must be at least 10, --requests at least 1 and --warmup not negative")
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="registrum-bench-"))
    try:
        results = Bench(args, work).run()
    finally:
        if args.keep:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nRegistrum benchmark: {args.scale:,} registrations\n")
    print(results.table())
    if args.json:
        results.write_json(args.json)
        log(f"figures written to {args.json}")
    failures = results.failures()
    if failures:
        log(f"missed targets: {', '.join(failures)}")
    return 1 if failures and args.strict else 0


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.logs = work / "logs"
        self.figures: dict[str, float] = {}
        self.skipped: dict[str, str] = {}
        self.context: dict[str, object] = {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "requests_per_series": args.requests,
            "warmup_per_series": args.warmup,
            "workers": args.workers,
            "importing_clerk": args.clerk,
            "code": code_version(),
        }

    def run(self) -> report.Results:
        self._django()
        sqlite = Target("sqlite", self.work / "sqlite")
        sqlite_tenth = Target("sqlite-tenth", self.work / "sqlite-tenth")
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=2) as pool:
            log("setting up the SQLite site (init, demo)")
            sqlite_ready = pool.submit(self._set_up, sqlite, sqlite_tenth)
            full_csv, tenth_csv, tenth_rows = self._write_csvs()
            log("starting a durable PostgreSQL cluster on loopback")
            with running_cluster(durable=True) as url:
                postgres = Target("postgres", self.work / "postgres", url)
                log("setting up the PostgreSQL site (init, demo)")
                self._set_up(postgres, None)
                postgres_tenth = Target("postgres-tenth", postgres.home, clone_database(url, "registrum_tenth"))
                self.context["postgres"] = server_version(url)
                sqlite_ready.result()
                log(f"set-up done in {time.monotonic() - started:.0f} s")

                self._imports("sqlite", sqlite, sqlite_tenth, full_csv, tenth_csv, tenth_rows)
                self._lists(sqlite, "", pool)
                self._imports("postgres", postgres, postgres_tenth, full_csv, tenth_csv, tenth_rows)
                if self.args.skip_postgres_lists:
                    for name in report.list_names("postgres"):
                        self.skipped[name] = "--skip-postgres-lists"
                else:
                    # What autovacuum does within minutes of a bulk load; done now so the plans are settled.
                    vacuum_analyze(url)
                    self._lists(postgres, "_postgres", pool)
        self.context["load_average_at_end"] = os.getloadavg()
        self.context["total_seconds"] = round(time.monotonic() - started, 1)
        return report.Results(self.args.scale, self.figures, self.skipped, self.context)

    def _django(self) -> None:
        """This process reads the demo's vocabulary from the code; it never opens a database."""
        os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
        os.environ["REGISTRUM_HOME"] = str(self.work / "django")
        os.environ.pop("REGISTRUM_DATABASE_URL", None)
        import django

        django.setup()

    def _set_up(self, target: Target, copy_to: Target | None) -> None:
        procs.run(target, "init", logs=self.logs)
        procs.run(target, "demo", "--registrations", "0", logs=self.logs)
        if copy_to is not None:
            shutil.copytree(target.home, copy_to.home)

    def _write_csvs(self) -> tuple[Path, Path, int]:
        importer = dataset.importer_for(self.args.clerk)
        self.context["import_registries"] = sorted(importer.registries)
        full, tenth = self.work / "registrations.csv", self.work / "registrations-tenth.csv"
        tenth_rows = max(1, self.args.scale // 10)
        log(f"writing {self.args.scale:,} registrations to {full.name}")
        self.context["csv"] = dataset.write_csv(full, self.args.scale, importer, self.args.seed)
        self.context["csv_mb"] = round(full.stat().st_size / 2**20, 1)
        dataset.write_csv(tenth, tenth_rows, importer, self.args.seed)
        return full, tenth, tenth_rows

    def _imports(self, db: str, full: Target, tenth: Target, full_csv: Path, tenth_csv: Path, tenth_rows: int) -> None:
        self.context[f"load_average_before_import_{db}"] = os.getloadavg()
        log(f"{db}: importing {tenth_rows:,} rows (a tenth)")
        small = self._import(tenth, tenth_csv, tenth_rows)
        log(f"{db}: importing {self.args.scale:,} rows")
        big = self._import(full, full_csv, self.args.scale)
        self.figures[f"import_{db}_per_s"] = self.args.scale / big.seconds
        self.figures[f"import_{db}_per_s_excl_startup"] = reported_rate(big.stdout) or self.args.scale / big.seconds
        self.figures[f"import_{db}_peak_rss_mb"] = big.peak_rss_kb / 1024
        self.figures[f"import_{db}_tenth_per_s"] = tenth_rows / small.seconds
        self.figures[f"import_{db}_tenth_peak_rss_mb"] = small.peak_rss_kb / 1024
        self.figures[f"import_{db}_rss_growth_ratio"] = big.peak_rss_kb / small.peak_rss_kb
        for label, finished in (("", big), ("_tenth", small)):
            self.context[f"import_{db}{label}_peak_rss_anon_mb"] = round(finished.peak_rss_anon_kb / 1024, 1)
            self.context[f"import_{db}{label}_peak_rss_file_mb"] = round(finished.peak_rss_file_kb / 1024, 1)
        self.context[f"import_{db}_seconds"] = round(big.seconds, 2)
        self.context[f"import_{db}_output"] = big.stdout.strip()
        log(f"{db}: {self.figures[f'import_{db}_per_s']:,.0f} rows/s, {big.peak_rss_kb / 1024:.0f} MB peak")

    def _import(self, target: Target, csv_path: Path, rows: int) -> procs.Finished:
        finished = procs.run(target, "import", str(csv_path), "--as", self.args.clerk, "--no-progress", logs=self.logs)
        if f"registered {rows} of {rows} row(s)" not in finished.stdout:
            raise procs.CommandFailed(f"unexpected import output: {finished.stdout}\n{finished.stderr}")
        return finished

    def _lists(self, target: Target, suffix: str, pool: ThreadPoolExecutor) -> None:
        from registrum.demo.builder import DEMO_PASSWORD

        log(f"{target.name}: serving the register with {self.args.workers} workers")
        with server.serving(target, self.logs, self.args.workers) as site:
            tokens = {
                username: pool.submit(
                    procs.run,
                    target,
                    *("token", username, "--name", "bench", "--password-stdin"),
                    logs=self.logs,
                    stdin=DEMO_PASSWORD + "\n",
                )
                for _, username in report.USERS
            }
            site.wait_ready()
            site.sample_memory()
            self.context[f"load_average_before_lists{suffix or '_sqlite'}"] = os.getloadavg()
            for label, username in report.USERS:
                browser = server.login(site.base, username, DEMO_PASSWORD)
                api = server.api_session(tokens[username].result().stdout.strip().splitlines()[-1])
                count = api.get(f"{site.base}/api/v1/registrations?page_size=1", timeout=120).json()["count"]
                self.context[f"visible_documents_{label}{suffix}"] = count
                for series in latency.SERIES:
                    timing = latency.measure(
                        api if series.api else browser,
                        site.base + series.path,
                        requests_count=self.args.requests,
                        warmup=self.args.warmup,
                        check=latency.check_api if series.api else latency.check_page,
                    )
                    self.figures[f"{series.name}_p50_ms_{label}{suffix}"] = timing.p50_ms
                    self.figures[f"{series.name}_p95_ms_{label}{suffix}"] = timing.p95_ms
                    site.sample_memory()
                    log(
                        f"{target.name}: {label} {series.path}: p50 {timing.p50_ms:.0f} ms,"
                        f" p95 {timing.p95_ms:.0f} ms, max {timing.max_ms:.0f} ms"
                    )
                browser.close()
                api.close()
            site.sample_memory()
            self.figures[f"server_peak_rss_mb{suffix}"] = site.peak_rss_mb()
            self.context[f"server_processes{suffix}"] = len(site.peak_kb)
            self.context[f"server_vmhwm_mb_by_process{suffix}"] = [round(kb / 1024, 1) for kb in site.peak_kb.values()]
            self.context[f"server_rss_at_end_mb{suffix}"] = site.rss_now_mb()


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    git = ["git", "-C", str(procs.REPO)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" with uncommitted changes" if status.stdout.strip() else "")


def reported_rate(output: str) -> float | None:
    """The import command's own rate, e.g. '... in 30.1 s (3,322/s)': the import without process start."""
    match = re.search(r"\(([\d,]+)/s\)", output)
    return float(match.group(1).replace(",", "")) if match else None


def _admin_url(url: str, database: str = "postgres") -> str:
    return url.rsplit("/", 1)[0] + "/" + database


def clone_database(url: str, name: str) -> str:
    """A copy of the freshly set-up database (CREATE DATABASE ... TEMPLATE), for the N/10 import."""
    source = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(source)))
    return _admin_url(url, name)


def vacuum_analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""
