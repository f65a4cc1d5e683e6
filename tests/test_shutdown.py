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


@pytest.mark.timeout(90)
def test_a_reload_whose_reading_never_ends_holds_no_stop(tmp_path: Path) -> None:
    """The reload read its sources on a thread of the loop's executor, which the loop's close and the interpreter's
    exit both join: a reading that took 30 s (a database of a million names) held the exit 30 s past the stop's
    budget, and one on a mount that hangs held it for ever."""
    run = subprocess.run([sys.executable, "-m", "tests.reload_at_stop", str(tmp_path), "--hung"], cwd=REPO,
                         capture_output=True, text=True, timeout=80, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["code"] == 0 and summary["workers"] == 1


@pytest.mark.timeout(90)
def test_a_reload_under_way_when_the_stop_comes_changes_nothing_and_tells_systemd_nothing_more(
    tmp_path: Path,
) -> None:
    """A reload runs beside the tick. One still reading when SIGTERM came applied its settings during the drain
    (the runner's limit went from 0 to 6, so a retrying file could start a new try) and told systemd READY after
    STOPPING."""
    run = subprocess.run([sys.executable, "-m", "tests.reload_at_stop", str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=80, check=False)
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["code"] == 0, run.stderr[-3000:]
    assert summary["read_ended_in_drain"], "the reading did not end while the file drained: nothing was tried"
    told = summary["told"]
    assert "stopping" in told and "ready" not in told[told.index("stopping"):], told
    assert summary["limits_while_draining"] == [0], "the drain's limit was lifted"
    assert summary["workers"] == 1, "the reload's settings were applied under the drain"
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert not [e for e in events if e["event"] == "config_reloaded"]
