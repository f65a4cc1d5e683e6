"""Run the daemon inside this process, stop it with two SIGTERMs while a file is in flight, and print
what a test needs to know as one JSON line. A script rather than a test body: the daemon configures
process-wide logging (cached loggers), which must not leak into the rest of the suite.

Usage: python -m tests.daemon_in_process ROOT
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from tests.pdfgen import SAMPLE_TEXT, make_pdf
from tests.polling import wait_for
from toridaemon.daemon import Daemon
from toridaemon.settings import load_settings

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def main(root: Path) -> dict[str, object]:
    dirs = {name: root / name for name in ("inbox", "outbox", "processed", "failed", "state")}
    loaded = load_settings(None, {**{f"{name}_dir": path for name, path in dirs.items()}, "metrics_port": 0,
                                  "max_parallel_workers": 1, "shutdown_timeout_seconds": 60, "log_format": "json",
                                  "stability_seconds": 0.1}, environ={}, env_file=None)
    daemon = Daemon(loaded)
    before = [signal.getsignal(signum) for signum in SIGNALS]
    staged = make_pdf(root / "big.pdf", [f"{SAMPLE_TEXT}\nPage {n}.\n" for n in range(800)], salt="big")

    def operator() -> None:
        wait_for(lambda: daemon.ready, 30, what="ready")
        os.rename(staged, dirs["inbox"] / "big.pdf")
        wait_for(lambda: daemon.runner is not None and daemon.runner.in_flight, 30, what="the file in flight")
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for(lambda: daemon.draining, 10, what="the drain")
        os.kill(os.getpid(), signal.SIGTERM)  # the second: stop waiting for it

    helper = threading.Thread(target=operator, daemon=True)
    helper.start()
    code = daemon.run()
    helper.join(5)
    return {"code": code, "handlers_restored": [signal.getsignal(s) for s in SIGNALS] == before}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))), flush=True)
