"""The real daemon's worker pool under what machines and operators do: the OOM killer takes the
forkserver, a closed terminal sends SIGHUP to the whole process group, workers keep getting killed."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from tests.test_executor_local import forkserver_pid, pool_workers
from tests.test_notify_e2e import Listener
from toridaemon.executors.local import WORKER_START

pytestmark = pytest.mark.e2e


def _drop(dirs: Dirs, prefix: str, count: int) -> None:
    for index in range(count):
        make_pdf(dirs.inbox / f"{prefix}-{index}.pdf", salt=f"{prefix}{index}")


def _results(dirs: Dirs, prefix: str) -> int:
    return len(list(dirs.outbox.glob(f"{prefix}-*.json")))


def _wait_pool_up(daemon: DaemonProcess) -> None:
    wait_for(lambda: daemon.event("executor_health"), 60, what="the first pool up")
    wait_for(lambda: pool_workers(daemon.proc.pid, 2), 60, what="the pool's two workers")


def _helpers(pid: int) -> dict[str, int | None]:
    return {"forkserver": forkserver_pid(pid), **{f"worker{i}": w for i, w in enumerate(pool_workers(pid, 2))}}


def test_a_killed_forkserver_is_replaced_and_files_keep_flowing(
        dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_factory()
    daemon.wait_ready()
    _wait_pool_up(daemon)
    server = forkserver_pid(daemon.proc.pid)
    assert server is not None
    os.kill(server, signal.SIGKILL)  # while idle: pebble marks the pool ERROR for good
    wait_for(lambda: daemon.event("worker_pool_broken"), 30, what="the broken pool noticed")
    _drop(dirs, "after-kill", 3)
    wait_for(lambda: _results(dirs, "after-kill") == 3, 60, what="three results after the kill")
    assert not list(dirs.failed.iterdir())
    wait_for(lambda: daemon.metric("toridaemon_executor", 'backend="local",kind="pool_rebuilds"') >= 1, 10,
             what="the rebuild counted")  # the gauges are exported every few ticks
    code, body = daemon.get("/healthz")
    assert (code, json.loads(body)["executor"]) == (200, True)
    assert daemon.stop() == 0


def test_sighup_to_the_process_group_reloads_and_spares_the_pool(
        dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_factory(prefix=["setsid"])  # its own process group, as under a terminal or systemd
    daemon.wait_ready()
    _wait_pool_up(daemon)
    before = _helpers(daemon.proc.pid)
    os.killpg(daemon.proc.pid, signal.SIGHUP)
    wait_for(lambda: daemon.event("config_reloaded"), 30, what="the reload SIGHUP asks for")
    _drop(dirs, "after-hup", 3)
    wait_for(lambda: _results(dirs, "after-hup") == 3, 60, what="three results after the SIGHUP")
    assert _helpers(daemon.proc.pid) == before, "the forkserver and workers must survive a group SIGHUP"
    assert daemon.event("worker_pool_broken") is None
    assert daemon.stop() == 0


@pytest.mark.timeout(300)  # a build whose ping pebble loses waits out its 30 s timeout; three builds are tried
def test_a_pool_that_cannot_be_built_turns_healthz_unhealthy_and_stops_the_heartbeat(
        dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path) -> None:
    """Every worker dies as it starts: no pool can be built. /healthz and /readyz say so, and the
    watchdog heartbeat stops, so systemd (WatchdogSec) restarts the daemon."""
    listener = Listener(tmp_path / "notify.sock")
    daemon = daemon_factory({"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "400000",
                             "TORI_FAULTS": f"crash:{WORKER_START}"})
    try:
        daemon.wait_ready()
        wait_for(lambda: daemon.get("/healthz")[0] == 503, 150, what="/healthz 503")
        assert json.loads(daemon.get("/healthz")[1]) == {"loop": True, "watcher": True, "executor": False}
        assert daemon.get("/readyz")[0] == 503
        wait_for(lambda: daemon.event("worker_pool_unavailable"), 5, what="the lost pool logged")
        listener.drain()
        listener.messages.clear()
        time.sleep(1.0)  # five ping intervals: a healthy daemon would have pinged several times
        assert "WATCHDOG=1" not in listener.drain()
        assert daemon.stop() == 0
    finally:
        listener.sock.close()
