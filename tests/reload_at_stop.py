"""Run the daemon inside this process, ask for a reload, and stop the daemon while it reads, the reading ending
during the drain; print what the systemd notifier was told and what the runner's limit did, as one JSON line. A
script rather than a test body, as tests/daemon_in_process.py, whose layout it follows.

With `--hung`, the reading never ends (a configuration on a mount that hangs): the process must still end.

Usage: python -m tests.reload_at_stop ROOT [--hung]
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import toridaemon.daemon as daemon_module
from tests.pdfgen import SAMPLE_TEXT, make_pdf
from tests.polling import wait_for
from toridaemon.settings import LoadedSettings, load_settings


class Told:
    """A notifier that records what systemd would have been told."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self.said.append(name)

    def watchdog_ping_interval(self) -> None:
        return None


def main(root: Path, hung: bool = False) -> dict[str, object]:
    dirs = {name: root / name for name in ("inbox", "outbox", "processed", "failed", "state")}
    base = {**{f"{name}_dir": path for name, path in dirs.items()}, "metrics_port": 0, "max_parallel_workers": 1,
            "shutdown_timeout_seconds": 20, "log_format": "json", "stability_seconds": 0.1}
    reading, stopping = threading.Event(), threading.Event()
    ended_in_drain: list[bool] = []

    def slow_load(config: object, overrides: object) -> LoadedSettings:
        reading.set()
        if hung:
            threading.Event().wait()
        # The reading ends as soon as the stop has begun, while the big file still drains: a reading of a fixed
        # second outlasted the whole drain on a fast machine, and the daemon exited before it could apply anything.
        stopping.wait(10)
        ended_in_drain.append(daemon.runner is not None and bool(daemon.runner.in_flight))
        return load_settings(None, {**base, "max_parallel_workers": 3}, environ={}, env_file=None)

    setattr(daemon_module, "load_settings", slow_load)  # noqa: B010 - this process only
    daemon = daemon_module.Daemon(load_settings(None, base, environ={}, env_file=None), None, base)
    told = Told()
    daemon.notifier = told  # type: ignore[assignment]
    staged = make_pdf(root / "big.pdf", [f"{SAMPLE_TEXT}\nPage {n}.\n" for n in range(800)], salt="big")
    limits: list[int] = []

    def operator() -> None:
        wait_for(lambda: daemon.ready, 30, what="ready")
        os.rename(staged, dirs["inbox"] / "big.pdf")
        wait_for(lambda: daemon.runner is not None and daemon.runner.in_flight, 30, what="the file in flight")
        os.kill(os.getpid(), signal.SIGHUP)
        wait_for(reading.is_set, 10, what="the reload reading")
        os.kill(os.getpid(), signal.SIGTERM)
        runner = daemon.runner
        assert runner is not None
        while runner._accepting:  # the drain has set its limit of 0 from here on
            time.sleep(0.01)
        stopping.set()
        deadline = time.monotonic() + 3.0  # past the reload's end
        while time.monotonic() < deadline:
            limits.append(runner._limiter.limit)
            time.sleep(0.02)

    helper = threading.Thread(target=operator, daemon=True)
    helper.start()
    code = daemon.run()
    helper.join(5)
    return {"code": code, "told": told.said, "limits_while_draining": sorted(set(limits)),
            "workers": daemon.settings.max_parallel_workers, "read_ended_in_drain": ended_in_drain == [True]}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), hung="--hung" in sys.argv)), flush=True)
