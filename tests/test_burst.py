"""Burst: thousands of small PDFs dropped at once are all processed, and the counters reconcile
(2,000 here; `make chaos` runs 10,000)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
FILES = int(os.environ.get("TORI_BURST_FILES", "2000"))  # `make chaos` runs 10,000


def _reconciled(daemon: DaemonProcess) -> tuple[float, float]:
    _, body = daemon.get("/metrics")
    values: dict[str, float] = {}
    for line in body.decode().splitlines():
        if line.startswith("toridaemon_") and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    detected = values["toridaemon_files_detected_total"]
    outcomes = ("done", "failed", "duplicate")
    accounted = sum(values[f'toridaemon_files_completed_total{{outcome="{o}"}}'] for o in outcomes)
    return detected, accounted + values["toridaemon_pending"]


def _empty(directory: Path) -> bool:
    with os.scandir(directory) as entries:  # stops at the first entry: cheap on a folder of 10,000
        return next(entries, None) is None


def test_thousands_of_files_at_once(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    for number in range(FILES):
        (staging / f"burst-{number:05d}.pdf").write_bytes(pdf_bytes([f"Burst document {number}: graph networks."]))
    daemon = daemon_factory({"TORI_RESCAN_INTERVAL_SECONDS": "30"})
    daemon.wait_ready()
    for entry in os.scandir(staging):
        os.rename(entry.path, dirs.inbox / entry.name)
    wait_for(lambda: daemon.metric("toridaemon_files_detected_total") == FILES, 300, interval=0.5,
             what="every file detected")
    wait_for(lambda: _empty(dirs.inbox), 840, interval=1.0, what="every file processed")
    wait_for(lambda: daemon.metric("toridaemon_pending") == 0, 60, what="nothing pending")
    detected, accounted = _reconciled(daemon)
    assert detected == accounted == FILES
    assert daemon.metric("toridaemon_files_completed_total", 'outcome="done"') == FILES
    assert len(os.listdir(dirs.outbox)) == FILES and len(os.listdir(dirs.processed)) == FILES
    assert daemon.stop() == 0
