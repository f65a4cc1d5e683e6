"""A watchdog observer on one folder, kept watching by a supervisor thread.

An inotify watch follows an inode, not a name: when the folder is deleted and re-created, renamed away and
replaced (a deploy swapping `conf/` for a new one), or hidden by a mount (or revealed by an unmount), the kernel's
watch either dies or keeps watching a folder nobody writes to, and no event says so. A supervisor thread asks
`check` every `check_seconds` whether the watch must be re-armed. A re-arm starts the new observer before it
retires the old one, and nothing is swapped in once stopping; a check or re-arm that fails (an inotify limit
reached) is retried later and later, up to `MAX_BACKOFF` periods apart, so a broken watch neither stops being
retried nor floods the log. The inbox watcher and the config watcher are the two kinds.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from toridaemon.logs import get_logger

log = get_logger("toridaemon.watch")
Identity = tuple[int, int]
MAX_BACKOFF = 60  # check periods
RETIRE_SECONDS = 1.0  # a retired observer's threads end within one read timeout (inotify 0.5 s, polling 1 s)


def identity(path: Path) -> Identity | None:
    """(device, inode) of the directory at `path`, or None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


def observer_alive(observer: BaseObserver) -> bool:
    """The observer's thread and every emitter (one per watch) run: an emitter ends when its directory goes."""
    emitters = list(observer.emitters)
    return observer.is_alive() and bool(emitters) and all(emitter.is_alive() for emitter in emitters)


class SupervisedObserver:
    """Owns the current observer on `folder` and the supervisor thread that replaces it.

    A kind says how to build its observer (`_new_observer`), when to re-arm (`check`) and what a re-arm means
    (`_rearmed`); `_armed` runs under the lock as a new observer is swapped in.
    """

    def __init__(self, folder: Path, *, check_seconds: float, name: str) -> None:
        self.folder = folder
        self._check_seconds = check_seconds
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._observer: BaseObserver = PollingObserver()  # never started: `start` arms the first real one
        self._watched: Identity | None = None
        self._failures = 0
        self._supervisor = threading.Thread(target=self._supervise, name=name, daemon=True)

    def _new_observer(self, watched: Identity | None) -> BaseObserver:
        """An observer scheduled on the folder (`watched` is its identity now, None when it is missing), not
        started."""
        raise NotImplementedError

    def check(self) -> str | None:
        """Why the watch must be re-armed now, or None when it is intact (or cannot be re-armed yet)."""
        raise NotImplementedError

    def _armed(self, watched: Identity | None) -> None:
        """Called under the lock as an observer on `watched` becomes the current one."""

    def _rearmed(self, reason: str) -> None:
        """Called on the supervisor thread after each re-arm."""

    def start(self) -> None:
        self._arm()
        self._supervisor.start()

    def _arm(self) -> None:
        """Start an observer on whatever directory the folder path names now, then retire the old one. Nothing
        is swapped when the new one cannot start, nor once stopping."""
        watched = identity(self.folder)
        observer = self._new_observer(watched)
        observer.start()
        with self._lock:
            if self._stopping.is_set():
                old = observer
            else:
                old, self._observer, self._watched = self._observer, observer, watched
                self._armed(watched)
        if old.is_alive():
            old.stop()
            old.join(RETIRE_SECONDS)

    def period(self) -> float:
        """Seconds until the next check: `check_seconds`, doubled after each failure in a row."""
        return self._check_seconds * float(min(2**self._failures, MAX_BACKOFF))

    def _supervise(self) -> None:
        while not self._stopping.wait(self.period()):
            try:
                reason = self.check()
                if reason is not None:
                    self._arm()
                    self._rearmed(reason)
                self._failures = 0
            except Exception:  # the supervisor must outlive one odd failure; the next check retries, later
                self._failures += 1
                self._failed()

    def _failed(self) -> None:
        """Called on the supervisor thread, in an `except` block, after a check or re-arm raised."""
        log.exception("watch_supervisor_failed", folder=str(self.folder), failures=self._failures)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the supervisor and the observer, both within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout)
        with self._lock:  # after `_stopping`: no observer is swapped in any more
            observer = self._observer
        if observer.is_alive():
            observer.stop()
            observer.join(max(0.0, deadline - time.monotonic()))
