"""Run a command with REGISTRUM_DATABASE_URL pointing at a fresh PostgreSQL cluster on loopback.

python -m devtools.with_postgres -- pytest tests/
"""

from __future__ import annotations

import os
import subprocess
import sys

from devtools.pgcluster import running_cluster


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m devtools.with_postgres -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with running_cluster() as url:
        print(f"PostgreSQL test cluster at {url}", file=sys.stderr)
        return subprocess.call(argv, env={**os.environ, "REGISTRUM_DATABASE_URL": url})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
