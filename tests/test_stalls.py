"""The stall watch, and a parse timed out across a stall: tried again, not failed.

The first tests script the freeze (a fake clock, a fake executor answering "timeout"); the last one freezes a
real daemon and its workers with SIGSTOP across a hanging parse's timeout.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.core import Core, result_for
from tests.pdfgen import make_pdf
from toridaemon.executors.base import Failure, Job, JobOutcome
from toridaemon.stalls import STALL_SECONDS, StallWatch


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_late_heartbeats_count_and_only_after_the_start_asked_about() -> None:
    clock = Clock()
    watch = StallWatch(clock)
    for _ in range(50):  # a running loop: heartbeats on time
        clock.now += 0.1
        watch.beat()
    assert watch.stalled_since(900.0) == 0.0
    start = clock.now
    clock.now += 30.0  # frozen: no heartbeat for 30 s
    assert watch.stalled_since(start) == 30.0  # a stall ending only now counts before the next beat
    watch.beat()
    clock.now += 0.1
    watch.beat()
    assert watch.stalled_since(start) == 30.0
    assert watch.stalled_since(start + 10.0) == 20.0  # only its part after the start
    assert watch.stalled_since(clock.now) == 0.0
    clock.now += STALL_SECONDS * 0.9  # a slow beat, not a stall
    watch.beat()
    assert watch.stalled_since(start + 31.0) == 0.0


def run_with_stall(tmp_path: Path, stood_still: float) -> tuple[list[str], list[tuple[str, str | None]]]:
    async def scenario() -> tuple[list[str], list[tuple[str, str | None]]]:
        async with Core(tmp_path, file_timeout_seconds=5.0) as core:
            core.machine._stalled_since = lambda start: stood_still
            answers = [JobOutcome(failure=Failure("text", "timeout", "killed after 5 s"))]

            async def timed_out_once(job: Job) -> JobOutcome:
                return answers.pop() if answers else result_for(job)

            core.executor.script = timed_out_once
            core.drop("paper.pdf", b"%PDF-1.4 frozen")
            await core.settled()
            return core.executor.jobs, [(r.state, r.reason) for r in await core.rows()]

    return asyncio.run(scenario())


def test_a_parse_timed_out_while_the_daemon_stood_still_is_tried_again(tmp_path: Path) -> None:
    jobs, rows = run_with_stall(tmp_path, stood_still=25.0)
    assert jobs == ["paper.pdf", "paper.pdf"] and rows == [("done", None)]


def test_a_parse_timed_out_on_its_own_fails_as_timeout(tmp_path: Path) -> None:
    jobs, rows = run_with_stall(tmp_path, stood_still=0.0)
    assert jobs == ["paper.pdf"] and rows == [("failed", "timeout")]


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants: the children of each of its threads (the worker pool is started by another
    thread than the main one)."""
    children = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    return [pid, *(p for child in children for p in _process_tree(child))]


def _hanging(pid: int) -> bool:
    """Whether a process of the tree under `pid` sleeps in `time.sleep`, as the `hang` fault seam does (the kernel's
    wait channel of its main thread): idle workers wait on a pipe, the daemon on epoll."""
    try:
        return any(Path(f"/proc/{each}/wchan").read_text() == "hrtimer_nanosleep" for each in _process_tree(pid))
    except (FileNotFoundError, ProcessLookupError):  # a process of the tree ended while it was read
        return False


@pytest.mark.e2e
def test_a_real_freeze_across_a_timeout_is_forgiven_once(dirs: Dirs,
                                                        daemon_factory: Callable[..., DaemonProcess]) -> None:
    """`docker pause` or SIGSTOP of the whole tree for longer than the file timeout: the parse (hanging, by the
    fault seam) times out on thaw and is tried again; its second timeout, with no freeze, fails it."""
    daemon = daemon_factory({"TORI_FILE_TIMEOUT_SECONDS": "2", "TORI_MAX_PARALLEL_WORKERS": "1",
                             "TORI_FAULTS": "hang:frozen"})
    daemon.wait_ready()
    wait_for(lambda: any(e.get("event") == "executor_health" and e.get("healthy") for e in daemon.events()), 60,
             what="the worker pool built")
    make_pdf(dirs.root / "frozen.pdf", salt="frozen").rename(dirs.inbox / "frozen.pdf")
    wait_for(lambda: daemon.event("file_claimed"), 30, what="the file claimed")
    wait_for(lambda: _hanging(daemon.proc.pid), 30, what="the worker in the hanging parse")
    tree = _process_tree(daemon.proc.pid)
    for pid in tree:
        os.kill(pid, signal.SIGSTOP)
    time.sleep(2.0 + STALL_SECONDS)  # past the file's timeout, and long enough to count as a stall
    for pid in tree:
        os.kill(pid, signal.SIGCONT)
    wait_for(lambda: dirs.errors(), 60, what="the file failed after its second timeout")
    assert daemon.metric("toridaemon_files_retried_total", 'reason="stalled"') == 1
    assert [e["reason"] for e in dirs.errors()] == ["timeout"]
    assert daemon.stop() == 0
