"""Crash consistency: SIGKILL the real daemon at random instants while files arrive, restart, verify.

At the end every input (by sha256) has exactly one result in outbox/ or exactly one failure record in
failed/, the inbox is empty, no journal row is pending and no temp file is left. `make test` runs
N=30 files and K=5 kills; `make chaos` runs N=200, K=20 (TORI_CHAOS_FILES, TORI_CHAOS_KILLS).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, good_corpus, wait_for
from tests.pdfgen import SAMPLE_TEXT, pdf_bytes

pytestmark = pytest.mark.e2e
FILES = int(os.environ.get("TORI_CHAOS_FILES", "30"))
KILLS = int(os.environ.get("TORI_CHAOS_KILLS", "5"))


def _make_inputs(count: int, rng: random.Random) -> list[tuple[str, bytes]]:
    inputs: list[tuple[str, bytes]] = []
    for real in good_corpus(min(8, count // 4)):
        inputs.append((real.name, real.read_bytes()))
    while len(inputs) < count:
        index = len(inputs)
        pages = [f"{SAMPLE_TEXT}\nSection {p} of document {index}.\n" * rng.randint(1, 3)
                 for p in range(rng.randint(1, 30))]
        data = pdf_bytes(pages, title=f"Chaos {index}")
        if index % 7 == 3:
            data = data[: len(data) // 2]  # a truncated file: must end in failed/, also exactly once
        inputs.append((f"chaos-{index:03d}.pdf", data))
    return inputs


def _drop_all(inputs: list[tuple[str, bytes]], inbox: Path, staging: Path, rng: random.Random) -> None:
    """Deliver files the three ways clients do: atomic rename, plain copy, slow chunked write."""
    for number, (name, data) in enumerate(inputs):
        mode = number % 3
        if mode == 0:
            (staging / name).write_bytes(data)
            os.rename(staging / name, inbox / name)
        elif mode == 1:
            (inbox / name).write_bytes(data)
        else:
            with open(inbox / name, "wb") as handle:
                for start in range(0, len(data), 16384):
                    handle.write(data[start : start + 16384])
                    handle.flush()
                    time.sleep(0.01)  # well under stability_seconds: a slow but steady writer
        time.sleep(rng.uniform(0.0, 0.08))


def _kill_at_random_instant(daemon: DaemonProcess, rng: random.Random, inbox: Path, arrivals: threading.Thread
                            ) -> bool:
    """Once `daemon` is ready, start `arrivals` and kill it at a random instant; whether files were in the inbox
    then."""
    daemon.wait_ready(60)
    arrivals.start()
    if rng.random() < 0.5:
        time.sleep(rng.uniform(0.0, 1.5))
    else:
        # Aim at the write-and-move window: just after some file finished, others are mid-outcome.
        seen = len([e for e in daemon.events() if e.get("event") == "file_done"])
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            if len([e for e in daemon.events() if e.get("event") == "file_done"]) > seen:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.03))
    busy = any(inbox.iterdir())
    daemon.kill()
    return busy


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_exactly_once(dirs: Dirs, inputs: list[tuple[str, bytes]]) -> None:
    expected = Counter(_sha(data) for _, data in inputs)
    results = Counter(json.loads(p.read_bytes())["source"]["sha256"] for p in dirs.outbox.glob("*.json"))
    failures = Counter(json.loads(p.read_bytes())["sha256"] for p in dirs.failed.glob("*.error.json"))
    for sha in expected:
        assert results[sha] + failures[sha] == 1, f"{sha[:8]}: {results[sha]} results, {failures[sha]} failures"
    assert set(results) | set(failures) <= set(expected), "an outcome for content that was never dropped"
    moved = Counter(_sha(p.read_bytes()) for d in (dirs.processed, dirs.failed) for p in d.glob("*.pdf"))
    assert moved == expected, "every input moved out of the inbox exactly once"
    assert not list(dirs.inbox.iterdir()), f"left in inbox: {list(dirs.inbox.iterdir())}"
    temps = [p for d in (dirs.outbox, dirs.failed, dirs.processed) for p in d.glob(".tori-*")]
    assert not temps, f"orphan temp files: {temps}"
    with sqlite3.connect(dirs.state / "journal.sqlite3") as db:
        pending = db.execute("SELECT COUNT(*) FROM files WHERE state IN ('detected', 'claimed')").fetchone()[0]
        done = db.execute("SELECT COUNT(DISTINCT sha256) FROM files WHERE state = 'done'").fetchone()[0]
    assert pending == 0
    assert done == len(results)


def test_kill_minus_nine_at_random_instants_loses_nothing(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    seed = int(os.environ.get("TORI_CHAOS_SEED", "20261122"))
    rng = random.Random(seed)
    inputs = _make_inputs(FILES, rng)
    staging = tmp_path / "staging"
    staging.mkdir()
    env = {"TORI_STABILITY_SECONDS": "0.5", "TORI_RESCAN_INTERVAL_SECONDS": "2"}
    # Each daemon gets files of its own, arriving from when it is ready and on past its kill: with every file
    # dropped at the start, the later kills met a daemon with every file done.
    writers, busy = [], 0
    for kill in range(KILLS):
        batch = inputs[kill::KILLS]
        paced = random.Random(seed + 1 + kill)  # each writer its own: draws of threads sharing one interleave
        writers.append(threading.Thread(target=_drop_all, args=(batch, dirs.inbox, staging, paced), daemon=True))
        busy += _kill_at_random_instant(daemon_factory(env), rng, dirs.inbox, writers[-1])
    for writer in writers:
        writer.join(300)
    final = daemon_factory(env)
    final.wait_ready(60)
    wait_for(lambda: not list(dirs.inbox.iterdir()), 300, interval=0.2, what="inbox drained")
    wait_for(lambda: final.metric("toridaemon_pending") == 0, 60, what="nothing pending")
    assert final.stop() == 0
    _check_exactly_once(dirs, inputs)
    print(f"chaos: {len(inputs)} files, {KILLS} SIGKILLs ({busy} with files in the inbox), "
          f"{len(list(dirs.outbox.glob('*.json')))} results, {len(list(dirs.failed.glob('*.error.json')))} failures")
    shutil.rmtree(staging)
