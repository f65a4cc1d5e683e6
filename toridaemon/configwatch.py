"""Watches the YAML settings file and tells the loop when to reload it.

Editors replace files by writing a temp file and renaming it over the original, and Kubernetes
ConfigMaps swap a `..data` symlink to a new directory, so the directory holding the config path
(as given, symlinks not resolved) is watched, not the file: any event there that changes what the
path leads to (target, inode, size or mtime) counts. `ConfigDebounce` coalesces bursts: the
watcher thread only touches it, and the loop's tick asks it whether a reload is due.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from toridaemon.logs import get_logger
from toridaemon.settings import read_config_text
from toridaemon.watching import Identity, SupervisedObserver, identity, observer_alive

log = get_logger("toridaemon.config")

# An in-place rewrite truncates first: an empty file that held settings is applied only after it
# stayed empty this long, which no editor's or tool's rewrite takes, so a half-done save is never
# taken for "all defaults".
EMPTY_HOLD_SECONDS = 2.0
CHECK_SECONDS = 1.0  # how often the supervisor looks whether the config's folder is still the watched one
Fingerprint = tuple[str, int, int, int, int] | None


def fingerprint(path: Path) -> Fingerprint:
    """What `path` leads to now: the resolved target and its inode, size and mtime."""
    try:
        info = os.stat(path)
        return os.path.realpath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns
    except OSError:
        return None


def has_settings(path: Path | None) -> bool:
    """False for a missing file or one holding only blanks and comments."""
    if path is None:
        return False
    try:
        text = read_config_text(path)
    except (OSError, ValueError):  # not there, not a regular file, too large, not UTF-8: the reload says why
        return False
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


class ConfigDebounce:
    """Change notices (any thread) become one reload once the file has been quiet for `quiet`
    seconds (the loop's tick asks `due`)."""

    def __init__(self, path: Path | None, quiet: float, *, empty_hold: float = EMPTY_HOLD_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.quiet = quiet
        self.empty_hold = empty_hold
        self._clock = clock
        self._lock = threading.Lock()
        self._changed_at: float | None = None
        self._empty_since: float | None = None
        self._had_settings = has_settings(path)

    def touch(self) -> None:
        with self._lock:
            self._changed_at = self._clock()

    @property
    def pending(self) -> bool:
        """A change or an empty-file hold is waiting: only then does `due` need to look at the file."""
        return self._changed_at is not None or self._empty_since is not None

    def due(self) -> bool:
        # Reading and clearing the last change is one step: a save noted between the two would
        # otherwise be wiped out, and its content never loaded.
        with self._lock:
            changed_at, now = self._changed_at, self._clock()
            quiet = changed_at is not None and now - changed_at >= self.quiet
            if quiet:
                self._changed_at = None
        return self._settled(now) if quiet else self._empty_hold_over(now)

    def _settled(self, now: float) -> bool:
        """The file is quiet: reload now, unless it just became empty (then wait `empty_hold`)."""
        if has_settings(self.path) or not self._had_settings:
            self._had_settings, self._empty_since = has_settings(self.path), None
            return True
        if self._empty_since is None:
            self._empty_since = now
        return self._empty_hold_over(now)

    def _empty_hold_over(self, now: float) -> bool:
        if self._empty_since is None or now - self._empty_since < self.empty_hold:
            return False
        self._empty_since = None
        self._had_settings = has_settings(self.path)
        return True


class _ConfigEvents(FileSystemEventHandler):
    def __init__(self, config: Path, on_change: Callable[[], None]) -> None:
        self._config = config
        self._on_change = on_change
        self._seen = fingerprint(config)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        names = {os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")}
        now = fingerprint(self._config)
        if str(self._config) in names or now != self._seen:
            self._seen = now
            self._on_change()


class ConfigWatcher(SupervisedObserver):
    """Owns an observer thread on the directory that holds the config path, and a supervisor that re-arms it
    when that directory is replaced or re-created (a deploy swapping `conf/` for a new one): an inotify watch
    follows the old directory's inode and would never report another change. A re-arm counts as a change,
    since the file may have changed while the watch was blind."""

    def __init__(self, config: Path, on_change: Callable[[], None], *, check_seconds: float = CHECK_SECONDS
                 ) -> None:
        # Not resolved: with a ConfigMap the resolved directory is the one replaced at each update.
        self.config = config.absolute()
        super().__init__(self.config.parent, check_seconds=check_seconds, name="toridaemon-config-supervisor")
        self._on_change = on_change
        self._missing_logged = False

    def _new_observer(self, watched: Identity | None) -> BaseObserver:
        observer = Observer()
        if watched is not None:
            observer.schedule(_ConfigEvents(self.config, self._on_change), str(self.config.parent), recursive=False)
        return observer

    def check(self) -> str | None:
        """Re-arm when the config's folder is another one than the watched, or the watch died."""
        current = identity(self.config.parent)
        if current is None:
            if not self._missing_logged:
                log.warning("config_folder_missing", config=str(self.config),
                            hint="the settings in use stay; the watch re-arms when the folder is back")
                self._missing_logged = True
            return None
        self._missing_logged = False
        with self._lock:
            intact = current == self._watched and observer_alive(self._observer)
        return None if intact else "replaced"

    def _rearmed(self, reason: str) -> None:
        log.warning("config_watch_rearmed", config=str(self.config))
        self._on_change()

    def _failed(self) -> None:
        log.exception("config_watch_supervisor_failed", config=str(self.config), failures=self._failures)

    def is_alive(self) -> bool:
        """The supervisor and the current observer run."""
        with self._lock:
            return self._supervisor.is_alive() and self._observer.is_alive()
