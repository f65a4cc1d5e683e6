"""The supervised observer both watchers share: re-arms, failures, stopping (real observer threads)."""

from __future__ import annotations

import threading
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from tests.polling import wait_for
from toridaemon.inbox.watcher import Watcher
from toridaemon.watching import Identity, SupervisedObserver, identity


class _Scripted(SupervisedObserver):
    """Re-arms whenever told to; its checks raise while `failing` is set."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, check_seconds=0.01, name="test-supervisor")
        self.failing = threading.Event()
        self.rearm = threading.Event()
        self.checks = 0
        self.rearms: list[str] = []

    def _new_observer(self, watched: Identity | None) -> BaseObserver:
        observer = PollingObserver(timeout=0.1)
        observer.schedule(FileSystemEventHandler(), str(self.folder))
        return observer

    def check(self) -> str | None:
        self.checks += 1
        if self.failing.is_set():
            raise OSError(28, "inotify watch limit reached")
        if self.rearm.is_set():
            self.rearm.clear()
            return "told"
        return None

    def _rearmed(self, reason: str) -> None:
        self.rearms.append(reason)


def test_failing_checks_back_off_and_the_supervisor_recovers(tmp_path: Path) -> None:
    watch = _Scripted(tmp_path)
    watch.failing.set()
    watch.start()
    try:
        wait_for(lambda: watch._failures >= 3, 5, what="three failed checks")
        assert watch._supervisor.is_alive()
        assert watch.period() >= 8 * 0.01  # each failure in a row doubles the wait
        first = watch._observer
        watch.failing.clear()
        watch.rearm.set()
        wait_for(lambda: watch.rearms == ["told"], 10, what="a re-arm once checks pass again")
        wait_for(lambda: watch._failures == 0, 5, what="the failures forgotten")  # set just after the re-arm
        assert watch.period() == 0.01
        assert watch._observer is not first and watch._observer.is_alive() and not first.is_alive()
    finally:
        watch.stop()
    assert not watch._observer.is_alive()


class _Recording(Watcher):
    def __init__(self, inbox: Path) -> None:
        super().__init__(inbox, "inotify", lambda kind, path: None)
        self.made: list[BaseObserver] = []

    def _new_observer(self, watched: Identity | None) -> BaseObserver:
        self.made.append(super()._new_observer(watched))
        return self.made[-1]


def test_no_observer_is_swapped_in_once_stopping(tmp_path: Path) -> None:
    """A re-arm that ends after `stop` (a supervisor held up past the stop's join by a hung mount) leaves no
    observer running and the stopped one in place."""
    watcher = _Recording(tmp_path)
    watcher.start()
    current = watcher._observer
    watcher.stop()
    watcher._arm()  # as the held-up supervisor would
    assert len(watcher.made) == 2
    assert watcher._observer is current
    assert not any(observer.is_alive() for observer in watcher.made)
    assert watcher._watched == identity(tmp_path)
