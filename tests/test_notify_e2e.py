"""sd_notify against the real daemon: a real AF_UNIX datagram socket passed as NOTIFY_SOCKET."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for

pytestmark = pytest.mark.e2e


class Listener:
    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(65536).decode())
            except TimeoutError:
                return self.messages

    def has(self, prefix: str) -> bool:
        return any(m.startswith(prefix) for m in self.drain())


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    instance = Listener(tmp_path / "notify.sock")
    yield instance
    instance.sock.close()


def test_ready_status_watchdog_reload_and_stopping(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], listener: Listener, tmp_path: Path
) -> None:
    daemon = daemon_factory({"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "1000000"})
    daemon.wait_ready()
    wait_for(lambda: listener.has("READY=1"), 10, what="READY=1")
    wait_for(lambda: listener.has("STATUS=backlog"), 10, what="STATUS=")
    wait_for(lambda: sum(m == "WATCHDOG=1" for m in listener.drain()) >= 2, 10, what="watchdog pings")
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: listener.has("RELOADING=1"), 10, what="RELOADING=1")
    reloading = next(m for m in listener.drain() if m.startswith("RELOADING=1"))
    stamp = int(reloading.split("MONOTONIC_USEC=")[1])
    assert before <= stamp <= time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    wait_for(lambda: "READY=1" in listener.drain()[listener.drain().index(reloading) + 1 :], 10,
             what="READY=1 after the reload")
    assert daemon.stop() == 0
    assert listener.has("STOPPING=1")


def test_watchdog_pings_stop_when_the_watcher_dies(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], listener: Listener, tmp_path: Path
) -> None:
    daemon = daemon_factory({"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "400000"})
    daemon.wait_ready()
    wait_for(lambda: "WATCHDOG=1" in listener.drain(), 10, what="first ping")
    dirs.inbox.rmdir()  # the inotify watch goes with the directory, and the observer thread with it
    wait_for(lambda: daemon.get("/healthz")[0] == 503, 15, what="unhealthy")
    wait_for(lambda: daemon.metric("toridaemon_watcher_up") == 0, 5, what="the gauge follows on the next tick")
    listener.messages.clear()
    time.sleep(1.0)  # five ping intervals: a healthy daemon would have pinged several times
    assert "WATCHDOG=1" not in listener.drain()
    daemon.kill()
