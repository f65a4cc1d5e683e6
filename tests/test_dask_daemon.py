"""The real daemon with executor=dask against a real scheduler and two workers; one worker is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import SAMPLE_TEXT, pdf_bytes
from tests.test_chaos import _check_exactly_once
from tests.test_executor_dask import DaskProcesses, dask_processes, wait_busy, worker_child

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
__all__ = ["dask_processes"]  # the fixture, re-exported for this module's tests


def test_daemon_on_a_dask_cluster_survives_a_worker_kill(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], dask_processes: DaskProcesses, tmp_path: Path
) -> None:
    dask_processes.scheduler()
    dask_processes.wait_listening()
    workers = [dask_processes.worker(name) for name in ("w1", "w2")]
    inputs = [(f"cluster-{i:02d}.pdf", pdf_bytes([f"{SAMPLE_TEXT}\nCluster document {i}.\n"] * 20))
              for i in range(24)]
    daemon = daemon_factory({"TORI_EXECUTOR": "dask", "TORI_DASK_SCHEDULER_ADDRESS": dask_processes.address,
                             "TORI_DASK_SHARED_PATHS": "true", "TORI_MAX_PARALLEL_WORKERS": "2"})
    daemon.wait_ready(60)
    staging = tmp_path / "staging"
    staging.mkdir()
    for name, data in inputs:
        (staging / name).write_bytes(data)
        os.rename(staging / name, dirs.inbox / name)
    asyncio.run(wait_busy(dask_processes.address, "w1", 60))
    os.kill(worker_child(workers[0]), signal.SIGKILL)
    wait_for(lambda: not list(dirs.inbox.iterdir()), 180, interval=0.2, what="every input handled")
    wait_for(lambda: daemon.metric("toridaemon_pending") == 0, 30, what="nothing pending")
    # Connected (again) at the end: once in a full parallel suite run on two cores the gauge read 0 at this instant
    # (its cause not caught); what is asked is that the daemon is connected, not that it never reconnected.
    wait_for(lambda: daemon.metric("toridaemon_executor", 'backend="dask",kind="connected"') == 1, 60,
             what="connected to the scheduler")
    assert daemon.stop() == 0
    _check_exactly_once(dirs, inputs)
    assert len(list(dirs.outbox.glob("*.json"))) == len(inputs), "every file readable, so every file has a result"


def test_no_scheduler_yet_is_not_ready_from_the_start(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
                                                      ) -> None:
    """/readyz said 200 for the ten seconds of the first connection try to a scheduler that was not there."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = daemon_factory({"TORI_EXECUTOR": "dask", "TORI_DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{port}"})
    daemon.wait_ready(60)
    assert daemon.get("/readyz")[0] == 503
    assert daemon.get("/healthz")[0] == 200  # alive, and keeps trying
    wait_for(lambda: daemon.event("dask_connect_failed"), 60, what="the first connection try over")
    assert daemon.get("/readyz")[0] == 503
    assert daemon.stop() == 0


def test_a_cluster_without_workers_is_not_ready_and_files_wait_for_a_worker(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], dask_processes: DaskProcesses
) -> None:
    """The only worker gone (its nanny too): /readyz said 200 with no thread to run a file. Now it says 503
    until a worker joins, and a file dropped meanwhile is handled once one does."""
    dask_processes.scheduler()
    dask_processes.wait_listening()
    only = dask_processes.worker("w1")
    daemon = daemon_factory({"TORI_EXECUTOR": "dask", "TORI_DASK_SCHEDULER_ADDRESS": dask_processes.address,
                             "TORI_DASK_SHARED_PATHS": "true"})
    daemon.wait_ready(60)

    def threads_logged() -> list[int]:
        return [e["threads"] for e in daemon.events() if e.get("event") == "dask_worker_threads"]

    wait_for(lambda: 1 in threads_logged(), 60, what="the worker's thread seen by the daemon")
    assert daemon.get("/readyz")[0] == 200
    os.killpg(only.pid, signal.SIGKILL)
    wait_for(lambda: daemon.get("/readyz")[0] == 503, 30, what="unready without a worker")
    wait_for(lambda: threads_logged()[-1] == 0, 10, what="the lost worker threads logged")
    (dirs.inbox / "waits.pdf").write_bytes(pdf_bytes([SAMPLE_TEXT]))
    dask_processes.worker("w2")
    wait_for(lambda: daemon.get("/readyz")[0] == 200, 60, what="ready again once a worker joined")
    wait_for(lambda: list(dirs.outbox.glob("waits.*.json")), 60, what="the waiting file handled")
    assert daemon.stop() == 0
