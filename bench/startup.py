"""Startup: spawn → `/readyz` answering 200, against a bare interpreter importing the daemon's libraries.

The baseline is `python -c "import pydantic_settings, watchdog.observers, structlog, prometheus_client,
pypdfium2"`: what any daemon built on these libraries pays before it can do anything. Ours is
`python -m toridaemon run` on an empty inbox, timed until `/readyz` says ready. Both are spawned as
fresh processes, alternating, in the same run.

Target: ready within 3x the bare import time.

Usage: python bench/startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import Daemon, header, percentile, row, verdict, wait_until

IMPORTS = "import pydantic_settings, watchdog.observers, structlog, prometheus_client, pypdfium2"


def bare_imports() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], check=True)
    return time.perf_counter() - started


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback server
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def daemon_ready(root: Path) -> float:
    started = time.perf_counter()
    daemon = Daemon(root)
    try:
        event = wait_until(lambda: next((e for e in daemon.events() if e.get("event") == "daemon_ready"), None),
                           60, 0.002, "daemon_ready")
        readyz = str(event["metrics"]).replace("/metrics", "/readyz")
        wait_until(lambda: _ready(readyz), 10, 0.002, "/readyz 200")
        return time.perf_counter() - started
    finally:
        daemon.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    ours: list[float] = []
    base: list[float] = []
    bare_imports()  # warm the page cache for both
    for number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="tori-startup-") as tmp:
            if number % 2:
                base.append(bare_imports())
                ours.append(daemon_ready(Path(tmp)))
            else:
                ours.append(daemon_ready(Path(tmp)))
                base.append(bare_imports())
    med, base_med = percentile(ours, 50), percentile(base, 50)
    print(header("ready", "imports"))
    print(row("median", med, base_med, "s", f"≤ 3.00x {verdict(med <= 3.0 * base_med)}"))
    print(row("worst", max(ours), max(base), "s"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
