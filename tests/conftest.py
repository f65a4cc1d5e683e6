"""Shared fixtures: directories, the real daemon as a subprocess, corpus discovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from tests.polling import JsonLog, wait_for

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS_GOOD = SHARED / "corpus" / "good"
CORPUS_BAD = SHARED / "corpus" / "bad"
__all__ = ["CORPUS_BAD", "CORPUS_GOOD", "DaemonProcess", "Dirs", "good_corpus", "wait_for"]


def good_corpus(limit: int = 3) -> list[Path]:
    """Up to `limit` small real PDFs from the shared corpus, smallest first; empty when absent."""
    if not CORPUS_GOOD.is_dir():
        return []
    return sorted(CORPUS_GOOD.glob("*.pdf"), key=lambda p: p.stat().st_size)[:limit]


class Dirs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.outbox = root / "outbox"
        self.processed = root / "processed"
        self.failed = root / "failed"
        self.state = root / "state"
        for directory in (self.inbox, self.outbox, self.processed, self.failed, self.state):
            directory.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        return {
            "TORI_INBOX_DIR": str(self.inbox),
            "TORI_OUTBOX_DIR": str(self.outbox),
            "TORI_PROCESSED_DIR": str(self.processed),
            "TORI_FAILED_DIR": str(self.failed),
            "TORI_STATE_DIR": str(self.state),
        }

    def results(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.outbox.glob("*.json"))]

    def errors(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.failed.glob("*.error.json"))]


@pytest.fixture
def dirs(tmp_path: Path) -> Dirs:
    return Dirs(tmp_path)


class DaemonProcess:
    """`toridaemon run` as a real subprocess with JSON logs captured to a file."""

    def __init__(self, dirs: Dirs, extra_env: dict[str, str | None] | None = None,
                 args: list[str] | None = None, prefix: list[str] | None = None) -> None:
        self.dirs = dirs
        self.log_path = dirs.root / f"daemon-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TORI_")}
        env.update(dirs.env())
        env.update({"TORI_METRICS_PORT": "0", "TORI_STABILITY_SECONDS": "0.3", "TORI_MAX_PARALLEL_WORKERS": "2",
                    "TORI_LOG_FORMAT": "json", "TORI_RESCAN_INTERVAL_SECONDS": "5",
                    "TORI_RETRY_BASE_SECONDS": "0.1", "TORI_RETRY_MAX_SECONDS": "1"})
        for key, value in (extra_env or {}).items():  # None removes a default of the fixture
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self._events = JsonLog(self.log_path)
        command = [*(prefix or []), sys.executable, "-m", "toridaemon", "run", *(args or [])]
        self.proc = subprocess.Popen(command, env=env, cwd=dirs.root, stdout=self._log, stderr=subprocess.STDOUT)

    def events(self) -> list[dict[str, Any]]:
        """Every JSON log event so far; only lines new since the last call are parsed."""
        return self._events.events()

    def event(self, name: str) -> dict[str, Any] | None:
        return next((e for e in self.events() if e.get("event") == name), None)

    def wait_ready(self, timeout: float = 30.0) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode}: {self.log_path.read_text()}")
            return self.event("daemon_ready")
        ready_event: dict[str, Any] = wait_for(ready, timeout, what="daemon_ready")
        return ready_event

    @property
    def metrics_url(self) -> str:
        event = self.wait_ready()
        return str(event["metrics"])

    def get(self, route: str) -> tuple[int, bytes]:
        url = self.metrics_url.replace("/metrics", route)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback server
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())

    def blocked(self) -> str | None:
        """The reason /status gives for no file getting through; None when nothing blocks them."""
        blocked = json.loads(self.get("/status")[1])["blocked"]
        return str(blocked["reason"]) if blocked else None

    def metric(self, name: str, labels: str = "") -> float:
        _, body = self.get("/metrics")
        wanted = f"{name}{{{labels}}}" if labels else name
        for line in body.decode().splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            self._log.close()
        return code

    def kill(self) -> None:
        """SIGKILL the daemon (if still running) and close its log; safe to call twice."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._log.close()


@pytest.fixture
def daemon_factory(dirs: Dirs) -> Iterator[Callable[..., DaemonProcess]]:
    started: list[DaemonProcess] = []

    def start(extra_env: dict[str, str | None] | None = None, args: list[str] | None = None,
              prefix: list[str] | None = None) -> DaemonProcess:
        process = DaemonProcess(dirs, extra_env, args, prefix)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every e2e test starts a real daemon and waits for it: it belongs to the slow tier."""
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()
