"""The whole run: set up, import, serve and measure, report.

Two scales: the base (default 100,000 registrations) and the big one (default 1,000,000; its
figures are named ..._1m). `--scale 100000` measures the base only.

1. Throw-away sites, each `registrum init` + `registrum demo --registrations 0`: SQLite in
   temporary data folders, PostgreSQL in a durable (fsync on) cluster on loopback (a database per
   site, cloned from the first). Set up in parallel; nothing is measured while anything else runs.
2. One pass writes the CSVs of N registrations (bench.dataset), of its first N/10 rows and of the
   big scale (the smaller files are prefixes of the larger). `registrum import` of each, as the
   demo clerk, into a site of its own: rows per second of wall time (process start included) and
   the import process's own peak RSS.
3. Signing in (bench.login), on the N/10-row SQLite site: one person at a time, and 50 wrong
   passwords at once (`login_p95_ms`, `login_flood_rss_growth_mb`).
4. `registrum serve` (its default workers) on the N-row site; the CTS clerk (jsmith) and the NR reader
   (sbrown) log in through the form and get API tokens from `registrum token` (giving their
   password); each request path is timed (p50/p95), and the server's peak memory is the sum of
   its processes' VmHWM. Then, on the same server: 8 clients (each with its own token of the
   importing clerk) register through the API at once, each request with an Idempotency-Key; and
   the NR reader downloads a sample document's PDF again and again while `registrum import` of N
   rows writes into the same site. On the big site only the list paths are timed, with fewer
   requests (--big-requests).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql

from bench import content, dataset, latency, load, login, procs, report, server
from bench.procs import Target
from devtools.pgcluster import running_cluster


def scales(text: str) -> list[int]:
    """`100000` or `100000,1000000`: the base scale and, optionally, the big one."""
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not one or two whole numbers: {text!r}") from None
    if not 1 <= len(values) <= 2 or min(values) < 10 or (len(values) == 2 and values[1] <= values[0]):
        raise argparse.ArgumentTypeError("one or two scales of at least 10, the second larger than the first")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "--scale",
        type=scales,
        default=[100_000, 1_000_000],
        help="registrations imported: BASE or BASE,BIG (default 100000,1000000; the big scale's figures end in _1m)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per path and user (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (default 5)")
    parser.add_argument(
        "--big-requests", type=int, default=60, help="timed requests per path and user at the big scale (default 60)"
    )
    parser.add_argument("--big-warmup", type=int, default=5, help="untimed requests first at the big scale (default 5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients registering (default 8)")
    parser.add_argument(
        "--registrations", type=int, default=150, help="timed API registrations per client (default 150)"
    )
    parser.add_argument(
        "--idle-downloads", type=int, default=30, help="downloads timed before the import starts (default 30)"
    )
    parser.add_argument(
        "--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)), help="gunicorn workers (default: serve's own)"
    )
    parser.add_argument("--clerk", default="jsmith", help="the demo clerk who imports and registers (default jsmith)")
    parser.add_argument("--registry", default="HQ-CR", help="where the API clients register (default HQ-CR)")
    parser.add_argument(
        "--inventory-copies",
        type=int,
        default=100_000,
        help="copies held for the inventory (default 100000)",
    )
    parser.add_argument("--inventory-scans", type=int, default=500, help="scans timed at the inventory (default 500)")
    parser.add_argument("--transfer-copies", type=int, default=1000, help="copies in the timed transfer (default 1000)")
    parser.add_argument("--cover-renders", type=int, default=40, help="cover sheet PDFs timed (default 40)")
    parser.add_argument(
        "--destruction-copies", type=int, default=1000, help="copies on the timed destruction (default 1000)"
    )
    parser.add_argument("--regrade-copies", type=int, default=10_000, help="copies of the regraded document")
    parser.add_argument(
        "--disposition-documents", type=int, default=100_000, help="documents behind the disposition queue"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-postgres-lists", action="store_true", help="measure the lists on SQLite only")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (SQLite sites, CSV, logs)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    args = parser.parse_args(argv)
    counts = (args.requests, args.big_requests, args.clients, args.registrations, args.idle_downloads)
    if min(counts) < 1 or args.warmup < 0 or args.big_warmup < 0:
        parser.error("request, client and registration counts must be at least 1, warm-ups not negative")
    args.base_scale = args.scale[0]
    args.big_scale = args.scale[1] if len(args.scale) > 1 else None
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
    big = f" and {args.big_scale:,} (figures ending in _1m)" if args.big_scale else ""
    print(f"\nRegistrum benchmark: {args.base_scale:,} registrations{big}\n")
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
        self._base_import_kb = 0  # the base-scale import's peak RSS, against which the big one's is compared
        self.context: dict[str, object] = {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "scale": args.base_scale,
            "big_scale": args.big_scale,
            "requests_per_series": args.requests,
            "warmup_per_series": args.warmup,
            "requests_per_series_1m": args.big_requests,
            "warmup_per_series_1m": args.big_warmup,
            "registering_clients": args.clients,
            "registrations_per_client": args.registrations,
            "workers": args.workers,
            "importing_clerk": args.clerk,
            "code": code_version(),
        }

    def run(self) -> report.Results:
        self._django()
        big = self.args.big_scale is not None
        sqlite = Target("sqlite", self.work / "sqlite")
        sqlite_tenth = Target("sqlite-tenth", self.work / "sqlite-tenth")
        sqlite_big = Target("sqlite-1m", self.work / "sqlite-1m")
        started = time.monotonic()
        started_at = time.time()
        with ThreadPoolExecutor(max_workers=2) as pool:
            log("setting up the SQLite sites (init, demo)")
            # Two more copies of the fresh SQLite site: the same import with and without security.
            secure_site, plain_site = (
                Target(f"sqlite-{kind}", self.work / f"sqlite-{kind}") for kind in ("secure", "plain")
            )
            copies = [sqlite_tenth, secure_site, plain_site, *([sqlite_big] if big else [])]
            sqlite_ready = pool.submit(self._set_up, sqlite, copies)
            csvs = self._write_csvs()
            log("starting a durable PostgreSQL cluster on loopback")
            with running_cluster(durable=True) as url:
                postgres = Target("postgres", self.work / "postgres", url)
                log("setting up the PostgreSQL site (init, demo)")
                self._set_up(postgres, [])
                postgres_tenth = Target("postgres-tenth", postgres.home, clone_database(url, "registrum_tenth"))
                postgres_big = Target("postgres-1m", postgres.home, clone_database(url, "registrum_1m"))
                audit_urls = {"postgres": clone_database(url, "registrum_audit")}
                if big:
                    audit_urls["postgres_1m"] = clone_database(url, "registrum_audit_1m")
                self.context["postgres"] = server_version(url)
                sqlite_ready.result()
                log(f"set-up done in {time.monotonic() - started:.0f} s")

                for db, site, tenth, big_site in (
                    ("sqlite", sqlite, sqlite_tenth, sqlite_big),
                    ("postgres", postgres, postgres_tenth, postgres_big),
                ):
                    self._imports(db, site, tenth, csvs)
                    if db == "sqlite":
                        self._security_overhead(secure_site, plain_site, csvs["base"])
                        self._login(tenth)  # a site of its own, so the flood touches no other figure
                    self._settle(site)
                    lists = db == "sqlite" or not self.args.skip_postgres_lists
                    self._serve(db, site, csvs["base"], pool, lists=lists, load=True)
                    if db == "sqlite":
                        self._content(site)
                        self._custody()
                    self._audit(db, audit_urls.get(db), self.args.base_scale, big=False)
                    if big:
                        self._import_big(db, big_site, csvs["big"])
                        self._settle(big_site)
                        self._serve(db, big_site, csvs["base"], pool, lists=lists, load=False)
                        self._audit(db, audit_urls.get(f"{db}_1m"), self.args.big_scale, big=True)
                    if not lists:
                        for name in report.list_names(db) + (report.list_names(db, big=True) if big else []):
                            self.skipped[name] = "--skip-postgres-lists"
                    if db == "sqlite" and not self.args.keep:
                        for done in (sqlite_tenth, sqlite_big):  # disk space: a 1M-row site is gigabytes
                            shutil.rmtree(done.home, ignore_errors=True)
        if not big:
            for name in set(report.expected_names()) - set(report.expected_names(big=False)):
                self.skipped[name] = "base scale only (--scale with one value)"
        self.context["load_average_at_end"] = os.getloadavg()
        self.context["code_at_end"] = code_version()
        if self.context["code_at_end"] != self.context["code"] or tree_changed(started_at):
            # Each `registrum` process runs the code of the moment it started: a mixed run.
            self.context["code_changed_during_run"] = True
            log("the code changed during the run: the figures may come from different versions")
        self.context["total_seconds"] = round(time.monotonic() - started, 1)
        return report.Results(self.args.base_scale, self.args.big_scale, self.figures, self.skipped, self.context)

    def _django(self) -> None:
        """This process reads the demo's vocabulary from the code; it never opens a database."""
        os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
        os.environ["REGISTRUM_HOME"] = str(self.work / "django")
        os.environ.pop("REGISTRUM_DATABASE_URL", None)
        import django

        django.setup()

    def _set_up(self, target: Target, copies: list[Target]) -> None:
        procs.run(target, "init", logs=self.logs)
        procs.run(target, "demo", "--registrations", "0", logs=self.logs)
        for copy in copies:
            shutil.copytree(target.home, copy.home)

    def _security_overhead(self, secure: Target, plain: Target, base_csv: tuple[Path, int]) -> None:
        """What the audit chain and encryption cost an import: the same CSV into two fresh copies of
        the same site, once as shipped and once through bench.plain (both replaced by no-ops in that
        process only). Imports store no content, so this is mostly the chain's linking."""
        csv_path, rows = base_csv
        log(f"sqlite: import of {rows:,} rows with and without the audit chain and encryption")
        real = self._import(secure, csv_path, rows)
        without = self._import(plain, csv_path, rows, module="bench.plain")
        real_rate, plain_rate = rows / real.seconds, rows / without.seconds
        self.figures["import_sqlite_security_overhead_pct"] = 100.0 * (1.0 - real_rate / plain_rate)
        self.context["import_sqlite_secure_per_s"] = round(real_rate)
        self.context["import_sqlite_without_security_per_s"] = round(plain_rate)
        log(f"sqlite: {real_rate:,.0f} rows/s as shipped, {plain_rate:,.0f} rows/s without security")
        if not self.args.keep:
            for done in (secure, plain):
                shutil.rmtree(done.home, ignore_errors=True)

    def _custody(self) -> None:
        """Custody of copies, each part in a SQLite site of its own made by its module (bench.custody_*):
        an inventory of a registry holding N copies, a transfer of 1,000 copies, cover sheet PDFs,
        a witnessed destruction. Each module prints `name value` lines."""
        parts = [
            ("inventory", ["--copies", str(self.args.inventory_copies), "--scans", str(self.args.inventory_scans)]),
            ("transfer", ["--copies", str(self.args.transfer_copies)]),
            ("pdf", ["--renders", str(self.args.cover_renders)]),
            ("destruction", ["--copies", str(self.args.destruction_copies)]),
            (
                "regrading",
                ["--copies", str(self.args.regrade_copies), "--documents", str(self.args.disposition_documents)],
            ),
        ]
        for part, options in parts:
            log(f"custody: {part} ({' '.join(options)})")
            env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRUM_")}
            done = subprocess.run(
                [sys.executable, "-m", f"bench.custody_{part}", *options],
                cwd=Path(__file__).resolve().parent.parent,
                env={**env, "TMPDIR": str(self.work)},
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            (self.logs / f"custody-{part}.out").write_text(done.stdout + done.stderr)
            if done.returncode != 0:
                raise RuntimeError(f"bench.custody_{part} failed: {done.stderr[-2000:]}")
            for line in done.stdout.splitlines():
                name, _, value = line.strip().partition(" ")
                try:
                    figure = float(value)
                except ValueError:
                    continue
                if re.fullmatch(r"[a-z0-9_]+", name):
                    self.figures[name] = figure
                    log(f"custody: {name} {figure:g}")

    def _content(self, target: Target) -> None:
        """Encryption at rest: the cipher's rates in this process, and a 50 MiB upload's memory in a
        one-worker server on the site (see bench.content)."""
        log("content: sealing and opening 1 MiB blobs")
        encrypt, decrypt = content.cipher_rates()
        self.figures["content_encrypt_mib_s"] = encrypt
        self.figures["content_decrypt_mib_s"] = decrypt
        self.context["content_sha256_alone_mib_s"] = round(content.fingerprint_rate(), 0)
        log(f"content: {encrypt:,.0f} MiB/s sealed, {decrypt:,.0f} MiB/s opened; a 50 MiB upload through the API")
        token = self._token(target, self.args.clerk, "bench-upload")
        growth = content.upload_peak_growth_mb(target, self.logs, token, self.work / "uploads", 50)
        self.figures["upload_50mib_peak_growth_mb"] = growth
        log(f"content: a 50 MiB upload took the worker {growth:.1f} MiB above idle")

    def _audit(self, db: str, database_url: str | None, events: int, *, big: bool) -> None:
        """The audit chain's own figures (bench.audit), on a database of their own."""
        out = self.work / f"audit-{db}{'-1m' if big else ''}.json"
        argv = [
            sys.executable,
            "-m",
            "bench.audit",
            "--events",
            str(events),
            "--json",
            str(out),
            "--dir",
            str(self.work),
        ]
        if database_url:
            argv += ["--database-url", database_url]
        if big:
            argv.append("--no-writes")
        log(f"{db}: audit chain, {events:,} events")
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRUM_")}
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
        suffix = report._suffix(db, big)
        for name, value in json.loads(out.read_text()).items():
            self.figures[f"{name}{suffix}"] = value

    def _settle(self, target: Target) -> None:
        """On PostgreSQL, what autovacuum does within minutes of a bulk load; done now so the plans are settled."""
        if target.database_url:
            log(f"{target.name}: VACUUM ANALYZE")
            vacuum_analyze(target.database_url)

    def _write_csvs(self) -> dict[str, tuple[Path, int]]:
        importer = dataset.importer_for(self.args.clerk)
        self.context["import_registries"] = sorted(importer.registries)
        base = self.args.base_scale
        files = {
            "base": (self.work / "registrations.csv", base),
            "tenth": (self.work / "registrations-tenth.csv", max(1, base // 10)),
        }
        if self.args.big_scale:
            files["big"] = (self.work / "registrations-1m.csv", self.args.big_scale)
        log(f"writing {max(rows for _, rows in files.values()):,} registrations (and their prefixes) to CSV")
        stats = dataset.write_csvs(dict(files.values()), importer, self.args.seed)
        self.context["csv"] = stats[files["base"][0]]
        self.context["csv_mb"] = round(files["base"][0].stat().st_size / 2**20, 1)
        if "big" in files:
            self.context["csv_mb_1m"] = round(files["big"][0].stat().st_size / 2**20, 1)
        return files

    def _imports(self, db: str, full: Target, tenth: Target, csvs: dict[str, tuple[Path, int]]) -> None:
        self.context[f"load_average_before_import_{db}"] = os.getloadavg()
        (tenth_csv, tenth_rows), (full_csv, rows) = csvs["tenth"], csvs["base"]
        log(f"{db}: importing {tenth_rows:,} rows (a tenth)")
        small = self._import(tenth, tenth_csv, tenth_rows)
        log(f"{db}: importing {rows:,} rows")
        big = self._import(full, full_csv, rows)
        self.figures[f"import_{db}_per_s"] = rows / big.seconds
        self.figures[f"import_{db}_per_s_excl_startup"] = reported_rate(big.stdout) or rows / big.seconds
        self.figures[f"import_{db}_peak_rss_mb"] = big.peak_rss_kb / 1024
        self.figures[f"import_{db}_tenth_per_s"] = tenth_rows / small.seconds
        self.figures[f"import_{db}_tenth_peak_rss_mb"] = small.peak_rss_kb / 1024
        self.figures[f"import_{db}_rss_growth_ratio"] = big.peak_rss_kb / small.peak_rss_kb
        for label, finished in (("", big), ("_tenth", small)):
            self.context[f"import_{db}{label}_peak_rss_anon_mb"] = round(finished.peak_rss_anon_kb / 1024, 1)
            self.context[f"import_{db}{label}_peak_rss_file_mb"] = round(finished.peak_rss_file_kb / 1024, 1)
        self.context[f"import_{db}_seconds"] = round(big.seconds, 2)
        self.context[f"import_{db}_output"] = big.stdout.strip()
        self._base_import_kb = big.peak_rss_kb
        log(f"{db}: {self.figures[f'import_{db}_per_s']:,.0f} rows/s, {big.peak_rss_kb / 1024:.0f} MB peak")

    def _import_big(self, db: str, target: Target, big_csv: tuple[Path, int]) -> None:
        path, rows = big_csv
        self.context[f"load_average_before_import_{db}_1m"] = os.getloadavg()
        log(f"{db}: importing {rows:,} rows")
        big = self._import(target, path, rows)
        self.figures[f"import_{db}_per_s_1m"] = rows / big.seconds
        self.figures[f"import_{db}_per_s_excl_startup_1m"] = reported_rate(big.stdout) or rows / big.seconds
        self.figures[f"import_{db}_peak_rss_mb_1m"] = big.peak_rss_kb / 1024
        self.figures[f"import_{db}_rss_growth_ratio_1m"] = big.peak_rss_kb / self._base_import_kb
        self.context[f"import_{db}_peak_rss_anon_mb_1m"] = round(big.peak_rss_anon_kb / 1024, 1)
        self.context[f"import_{db}_peak_rss_file_mb_1m"] = round(big.peak_rss_file_kb / 1024, 1)
        self.context[f"import_{db}_seconds_1m"] = round(big.seconds, 2)
        self.context[f"import_{db}_output_1m"] = big.stdout.strip()
        log(f"{db}: {self.figures[f'import_{db}_per_s_1m']:,.0f} rows/s, {big.peak_rss_kb / 1024:.0f} MB peak")

    def _import(self, target: Target, csv_path: Path, rows: int, *, module: str = "registrum.cli") -> procs.Finished:
        finished = procs.run(
            target, "import", str(csv_path), "--as", self.args.clerk, "--no-progress", logs=self.logs, module=module
        )
        if f"registered {rows} of {rows} row(s)" not in finished.stdout:
            raise procs.CommandFailed(f"unexpected import output: {finished.stdout}\n{finished.stderr}")
        return finished

    def _token(self, target: Target, username: str, name: str) -> str:
        from registrum.demo.builder import DEMO_PASSWORD

        finished = procs.run(
            target,
            *("token", username, "--name", name, "--password-stdin"),
            logs=self.logs,
            stdin=DEMO_PASSWORD + "\n",
        )
        return finished.stdout.strip().splitlines()[-1]

    def _serve(
        self, db: str, target: Target, base_csv: tuple[Path, int], pool: ThreadPoolExecutor, *, lists: bool, load: bool
    ) -> None:
        big = target.name.endswith("-1m")
        suffix = report._suffix(db, big)
        log(f"{target.name}: serving the register with {self.args.workers} workers")
        with server.serving(target, self.logs, self.args.workers) as site:
            # Tokens come from `registrum token` processes, two at a time while the server starts.
            tokens = {username: pool.submit(self._token, target, username, "bench") for _, username in report.USERS}
            clients: list[Future[str]] = []
            if load:
                clients = [
                    pool.submit(self._token, target, self.args.clerk, f"bench-client-{i}")
                    for i in range(self.args.clients)
                ]
            site.wait_ready()
            for future in [*tokens.values(), *clients]:
                future.result()
            site.sample_memory()
            if lists:
                self._lists(site, target, suffix, {u: f.result() for u, f in tokens.items()}, big=big)
            if load:
                self._register(db, site, [f.result() for f in clients])
                self._download_during_import(db, site, target, tokens, base_csv, pool)
            site.sample_memory()
            if lists:
                self.figures[f"server_peak_rss_mb{suffix}"] = site.peak_rss_mb()
            self.context[f"server_processes{suffix}"] = len(site.peak_kb)
            self.context[f"server_vmhwm_mb_by_process{suffix}"] = [round(kb / 1024, 1) for kb in site.peak_kb.values()]
            self.context[f"server_rss_at_end_mb{suffix}"] = site.rss_now_mb()

    def _login(self, target: Target) -> None:
        from registrum.demo.builder import DEMO_PASSWORD

        log(f"{target.name}: signing in one at a time, and a flood of {login.FLOOD_ATTEMPTS} wrong passwords")
        self.context["load_average_before_login"] = os.getloadavg()
        with server.serving(target, self.logs, self.args.workers) as site:
            site.wait_ready()
            figures = login.measure_site(site, username=login.USER, password=DEMO_PASSWORD)
        self.figures.update(figures.as_figures())
        self.context["login_p50_ms"] = round(figures.login_p50_ms, 1)
        self.context["login_flood_peak_growth_mb"] = round(figures.flood_peak_growth_mb, 1)
        self.context["login_flood_answers"] = figures.flood_answers
        log(
            f"sign-in p95 {figures.login_p95_ms:.0f} ms; after the flood the server holds"
            f" {figures.flood_rss_growth_mb:.1f} MB more (peak +{figures.flood_peak_growth_mb:.0f} MB)"
        )

    def _lists(self, site: server.Server, target: Target, suffix: str, tokens: dict[str, str], *, big: bool) -> None:
        from registrum.demo.builder import DEMO_PASSWORD, demo_totp_key

        requests_count = self.args.big_requests if big else self.args.requests
        warmup = self.args.big_warmup if big else self.args.warmup
        self.context[f"load_average_before_lists{suffix or '_sqlite'}"] = os.getloadavg()
        for label, username in report.USERS:
            browser = server.login(site.base, username, DEMO_PASSWORD, demo_totp_key(username))
            api = server.api_session(tokens[username])
            count = api.get(f"{site.base}/api/v1/registrations?page_size=1", timeout=300).json()["count"]
            self.context[f"visible_documents_{label}{suffix}"] = count
            for series in latency.SERIES:
                timing = latency.measure(
                    api if series.api else browser,
                    site.base + series.path,
                    requests_count=requests_count,
                    warmup=warmup,
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

    def _register(self, db: str, site: server.Server, tokens: list[str]) -> None:
        log(f"{db}: {len(tokens)} clients registering through the API, {self.args.registrations} each")
        self.context[f"load_average_before_register_{db}"] = os.getloadavg()
        outcome = load.register_concurrently(
            site.base, tokens, per_client=self.args.registrations, warmup=2, registry=self.args.registry
        )
        site.sample_memory()
        self.figures[f"register_api_per_s_{db}"] = len(outcome.latencies_ms) / outcome.seconds
        self.figures[f"register_api_p50_ms_{db}"] = outcome.quantile_ms(0.50)
        self.figures[f"register_api_p99_ms_{db}"] = outcome.quantile_ms(0.99)
        self.figures[f"register_api_failures_{db}"] = outcome.failure_count
        self.context[f"register_api_requests_{db}"] = outcome.count
        self.context[f"register_api_max_ms_{db}"] = round(max(outcome.latencies_ms, default=0), 1)
        self.context[f"register_api_failure_kinds_{db}"] = dict(outcome.failures.most_common(5))
        log(
            f"{db}: {self.figures[f'register_api_per_s_{db}']:,.0f} registrations/s,"
            f" p99 {self.figures[f'register_api_p99_ms_{db}']:.0f} ms, {outcome.failure_count} failed"
        )

    def _download_during_import(
        self,
        db: str,
        site: server.Server,
        target: Target,
        tokens: dict[str, Future[str]],
        base_csv: tuple[Path, int],
        pool: ThreadPoolExecutor,
    ) -> None:
        download = None
        for label, username in reversed(report.USERS):  # the NR reader first
            session = server.api_session(tokens[username].result())
            download = load.find_download(site.base, session)
            if download is not None:
                self.context[f"download_by_{db}"] = f"{label} ({username}): {download.url.split('/api/', 1)[1]}"
                break
            session.close()
        if download is None:
            raise procs.CommandFailed("no demo document with a PDF version visible to the bench's users")
        idle = load.download_repeatedly(session, download, self.args.idle_downloads)
        self.figures[f"download_p95_ms_idle_{db}"] = idle.quantile_ms(0.95)
        if idle.failure_count:
            raise procs.CommandFailed(f"downloads fail with no import running: {dict(idle.failures)}")
        path, rows = base_csv
        log(f"{db}: downloading while importing {rows:,} rows into the same site")
        importing = pool.submit(self._import, target, path, rows)
        during = load.download_while(session, download, lambda: not importing.done())
        finished = importing.result()
        session.close()
        site.sample_memory()
        self.figures[f"download_p50_ms_during_import_{db}"] = during.quantile_ms(0.50)
        self.figures[f"download_p95_ms_during_import_{db}"] = during.quantile_ms(0.95)
        self.figures[f"download_max_ms_during_import_{db}"] = max(during.latencies_ms, default=float("nan"))
        self.figures[f"download_failures_during_import_{db}"] = during.failure_count
        self.context[f"downloads_during_import_{db}"] = during.count
        self.context[f"download_failure_kinds_{db}"] = dict(during.failures.most_common(5))
        self.context[f"import_{db}_per_s_while_downloading"] = round(rows / finished.seconds)
        log(
            f"{db}: {during.count} downloads during the import, p95"
            f" {self.figures[f'download_p95_ms_during_import_{db}']:.0f} ms, {during.failure_count} failed"
        )


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    git = ["git", "-C", str(procs.REPO)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" with uncommitted changes" if status.stdout.strip() else "")


def tree_changed(since: float) -> bool:
    """Whether a Python file of the application changed (or was committed) after `since`."""
    return any(path.stat().st_mtime > since for path in (procs.REPO / "registrum").rglob("*.py"))


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
