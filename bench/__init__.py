"""The benchmark run by `make bench`: import throughput and memory on SQLite and PostgreSQL, and
the latency of the register list (pages and API) for a CTS clerk and an NR reader.

    python -m bench --scale 100000 [--json FILE]

Everything runs against throw-away data folders and a throw-away PostgreSQL cluster on
loopback; the application is driven only through its own command line and HTTP, as a site would.
"""
