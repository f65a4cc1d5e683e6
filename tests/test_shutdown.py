"""Shutdown: one budget that fits the unit's TimeoutStopSec, a second signal that skips the waits,
and signal handlers given back on exit (the daemon runs in this process here, with its real pool)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.pdfgen import SAMPLE_TEXT, make_pdf
from tests.test_systemd_unit import service_section
from toridaemon.daemon import STOP_OVERHEAD_SECONDS, Daemon
from toridaemon.settings import Settings, load_settings


def _seconds(value: str) -> float:
    """A systemd time span as the unit writes it (`45`, `45s`, `1min 30s`)."""
    units = {"min": 60.0, "s": 1.0, "ms": 0.001}
    total = 0.0
    for part in value.split():
        number = part.rstrip("mins")
        total += float(number) * units.get(part[len(number):] or "s", 1.0)
    return total


def test_the_whole_stop_fits_the_units_timeout_stop_sec() -> None:
    budget = Settings.model_fields["shutdown_timeout_seconds"].default + STOP_OVERHEAD_SECONDS
    assert budget < _seconds(service_section()["TimeoutStopSec"]), (
        f"drain + the fixed steps take up to {budget} s: systemd would SIGKILL the daemon first")


@pytest.mark.timeout(60)
def test_a_second_signal_skips_the_drain_closes_the_journal_and_restores_handlers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dirs = {name: tmp_path / name for name in ("inbox", "outbox", "processed", "failed", "state")}
    loaded = load_settings(None, {**{f"{name}_dir": path for name, path in dirs.items()}, "metrics_port": 0,
                                  "max_parallel_workers": 1, "shutdown_timeout_seconds": 60, "log_format": "json",
                                  "stability_seconds": 0.1}, environ={}, env_file=None)
    daemon = Daemon(loaded)
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    staged = make_pdf(tmp_path / "big.pdf", [f"{SAMPLE_TEXT}\nPage {n}.\n" for n in range(800)], salt="big")

    def operator() -> None:
        wait_for(lambda: daemon.ready, 30, what="ready")
        os.rename(staged, dirs["inbox"] / "big.pdf")
        wait_for(lambda: daemon.runner is not None and daemon.runner.in_flight, 30, what="the file in flight")
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for(lambda: daemon.draining, 10, what="the drain")
        os.kill(os.getpid(), signal.SIGTERM)  # the second: stop waiting for it

    helper = threading.Thread(target=operator, daemon=True)
    helper.start()
    assert daemon.run() == 0
    helper.join(5)
    assert {signum: signal.getsignal(signum) for signum in before} == before
    with sqlite3.connect(dirs["state"] / "journal.sqlite3") as db:
        assert list(db.execute("SELECT state FROM files")) == [("detected",)], "returned to pending"
    assert (dirs["inbox"] / "big.pdf").exists() and not list(dirs["outbox"].iterdir())
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    stopped = [e for e in events if e["event"] == "daemon_stopped"]
    assert stopped and stopped[0]["forced"] is True and stopped[0]["returned_to_pending"] == 1
