"""Shutdown: one budget that fits the unit's TimeoutStopSec, a second signal that skips the waits,
and signal handlers given back on exit (the daemon run inside a script's process, with its real pool)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_systemd_unit import service_section
from toridaemon.daemon import STOP_OVERHEAD_SECONDS
from toridaemon.settings import Settings


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


@pytest.mark.timeout(90)
def test_a_second_signal_skips_the_drain_closes_the_journal_and_restores_handlers(tmp_path: Path) -> None:
    """The daemon runs inside a process of its own making (tests/daemon_in_process.py), not a `toridaemon`
    subprocess: its signal handlers must be given back to that process when it returns."""
    run = subprocess.run([sys.executable, "-m", "tests.daemon_in_process", str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=80, check=False)
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary == {"code": 0, "handlers_restored": True}, run.stderr[-3000:]
    with sqlite3.connect(tmp_path / "state" / "journal.sqlite3") as db:
        assert list(db.execute("SELECT state FROM files")) == [("detected",)], "returned to pending"
    assert (tmp_path / "inbox" / "big.pdf").exists() and not list((tmp_path / "outbox").iterdir())
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    stopped = [e for e in events if e["event"] == "daemon_stopped"]
    assert stopped and stopped[0]["forced"] is True and stopped[0]["returned_to_pending"] == 1
