"""Restart storm: start and stop the real daemon again and again while files keep arriving (8 cycles;
`make chaos` runs 50)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import SAMPLE_TEXT, pdf_bytes
from tests.test_chaos import _check_exactly_once

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
CYCLES = int(os.environ.get("TORI_STORM_CYCLES", "8"))  # `make chaos` runs 50
FILES_PER_CYCLE = 5


def test_restarts_while_files_arrive_lose_nothing_and_duplicate_nothing(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    rng = random.Random(50)
    inputs = [(f"storm-{i:03d}.pdf", pdf_bytes([f"{SAMPLE_TEXT}\nStorm document {i}.\n"] * rng.randint(1, 4)))
              for i in range(FILES_PER_CYCLE * CYCLES)]
    staging = tmp_path / "staging"
    staging.mkdir()

    def drop(batch: list[tuple[str, bytes]], paced: random.Random) -> None:
        for name, data in batch:
            (staging / name).write_bytes(data)
            os.rename(staging / name, dirs.inbox / name)
            time.sleep(paced.uniform(0.0, 0.3))

    # Each cycle has files of its own arriving while its daemon starts, runs and stops: one writer of all the
    # files was done within the first cycles, and the rest restarted a daemon with nothing to do.
    writers, codes = [], []
    for cycle in range(CYCLES):
        writers.append(threading.Thread(target=drop, args=(inputs[cycle::CYCLES], random.Random(51 + cycle)),
                                        daemon=True))
        writers[-1].start()
        daemon = daemon_factory({"TORI_SHUTDOWN_TIMEOUT_SECONDS": "2"})
        daemon.wait_ready(60)
        time.sleep(rng.uniform(0.0, 0.3))
        codes.append(daemon.stop())
    for writer in writers:
        writer.join(120)
    assert codes == [0] * CYCLES, "every stop is clean"
    final = daemon_factory()
    final.wait_ready(60)
    wait_for(lambda: not list(dirs.inbox.iterdir()), 120, interval=0.2, what="inbox drained")
    wait_for(lambda: final.metric("toridaemon_pending") == 0, 60, what="nothing pending")
    assert final.stop() == 0
    _check_exactly_once(dirs, inputs)
