"""The watchdog observer thread: turns filesystem events into calls on the event loop via the bridge.

The watch is supervised (`toridaemon.watching`): a supervisor compares the inbox path's (device, inode) with
the watched one a few times a second and re-arms the observer on any difference (the inbox deleted and
re-created, renamed away, or hidden by a mount), so events flow again within a second.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from watchdog.events import (
    EVENT_TYPE_EVENTS_LOST,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    EventsLostEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from toridaemon.inbox.fstype import choose_backend
from toridaemon.inbox.gate import EventKind
from toridaemon.inbox.rules import within_depth
from toridaemon.logs import get_logger
from toridaemon.watching import Identity, SupervisedObserver, identity, observer_alive

log = get_logger("toridaemon.inbox")
WatchMode = Literal["auto", "inotify", "polling"]
CHECK_SECONDS = 0.2
# A supervisor that has not finished a check for this long (a hung network mount) reports unhealthy.
STALE_SECONDS = 5.0
LOST_LOG_SECONDS = 10.0  # `watch_events_lost` is logged at most this often (every overflow still rescans)
# Events we act on: watchdog names -> gate kinds. A close without a write never changes a file.
_KINDS: dict[str, EventKind] = {
    "created": "created",
    "modified": "modified",
    "closed": "closed",
    "moved": "moved",
    "deleted": "deleted",
}
# The events behind `_KINDS`, the only ones watchdog asks inotify for. Opens are not among them: every input is
# opened twice, by the daemon's hash and by its worker, and those opens were half the events the watcher's threads
# handled and 13 % of the daemon's CPU in a burst. A writer shows itself without them (a write, a close after
# writing, a file created empty). Neither do a close without a write nor a folder's "modified" (one per rename in
# or out) wake those threads. An overflowed kernel queue (a copy of thousands of files at once) is reported:
# a rescan catches up at once, where the lost files waited for the periodic one (a minute by default).
_EVENT_FILTER = [FileCreatedEvent, DirCreatedEvent, FileModifiedEvent, FileClosedEvent,
                 FileMovedEvent, DirMovedEvent, FileDeletedEvent, DirDeletedEvent, EventsLostEvent]


def _text(path: bytes | str) -> str:
    return os.fsdecode(path)


class _Forwarder(FileSystemEventHandler):
    def __init__(self, inbox: Path, post: Callable[[EventKind, Path], None], recursive: bool,
                 on_lost: Callable[[], None]) -> None:
        self._inbox = inbox
        self._post = post
        self._recursive = recursive
        self._on_lost = on_lost
        self._lost_logged = -LOST_LOG_SECONDS

    def _inside(self, path: Path) -> bool:
        if path.parent == self._inbox:
            return True
        inside = self._recursive and self._inbox in path.parents
        return inside and within_depth(path.relative_to(self._inbox).as_posix())

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == EVENT_TYPE_EVENTS_LOST:
            if time.monotonic() - self._lost_logged >= LOST_LOG_SECONDS:  # a storm overflows again and again
                self._lost_logged = time.monotonic()
                log.warning("watch_events_lost", inbox=str(self._inbox), hint="the kernel's event queue overflowed "
                            "(fs.inotify.max_queued_events); a rescan finds the files it did not report")
            self._on_lost()
            return
        kind = _KINDS.get(event.event_type)
        if kind is None or (event.is_directory and kind not in ("created", "moved")):
            return
        if event.is_directory:
            self._folder_arrived(event, kind)
        if kind == "moved":
            # Renamed away: forget the old name; renamed into (or inside) the inbox: a complete file.
            # Either side may be empty when the other end lies outside the inbox.
            source, destination = _text(event.src_path), _text(event.dest_path)
            if source:
                self._post("deleted", Path(source))
            if destination and self._inside(Path(destination)):
                self._post("moved", Path(destination))
            return
        path = Path(_text(event.src_path))
        if self._inside(path):
            self._post(kind, path)

    def _folder_arrived(self, event: FileSystemEvent, kind: EventKind) -> None:
        """A folder created or moved directly into the inbox is reported (counted when ignored)."""
        path = Path(_text(event.dest_path if kind == "moved" else event.src_path))
        if path.parent == self._inbox and path.name:
            self._post("subfolder", path)


def _new_observer(backend: Literal["inotify", "polling"], strict: bool) -> BaseObserver:
    if backend == "polling":
        return PollingObserver(timeout=1.0)
    try:
        from watchdog.observers.inotify import InotifyObserver
        from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
    except ImportError:
        if strict:
            raise
        return PollingObserver(timeout=1.0)
    # watchdog holds every IN_MOVED_FROM for 0.5 s to pair it with an IN_MOVED_TO, and its queue is
    # ordered, so each file we move out of the inbox delayed every later event by up to 0.5 s
    # (bench/latency.py). We need no pairing: full events report a rename into the inbox as a move
    # with an empty source, which the gate takes as complete, and a rename out as one we ignore.
    InotifyMoveEventGrouper.delay = 0.0
    return InotifyObserver(timeout=0.5, generate_full_events=True)


class Watcher(SupervisedObserver):
    """Owns the observer and its supervisor; `post(kind, path)` must be thread-safe (the bridge's `post`).

    `on_rearm(reason)` is called on the supervisor thread after each re-arm (metrics, a rescan), and on the
    observer's thread with "events_lost" when the kernel's event queue overflowed (the watch holds; a rescan).
    """

    def __init__(self, inbox: Path, mode: WatchMode, post: Callable[[EventKind, Path], None], *,
                 recursive: bool = False, on_rearm: Callable[[str], None] = lambda _: None,
                 check_seconds: float = CHECK_SECONDS) -> None:
        super().__init__(inbox, check_seconds=check_seconds, name="toridaemon-watch-supervisor")
        self.inbox = inbox
        self.mode = mode
        self.recursive = recursive
        self._handler = _Forwarder(inbox, post, recursive, on_lost=lambda: on_rearm("events_lost"))
        self._on_rearm = on_rearm
        self._intact = False
        self._checked_at = time.monotonic()
        self._missing_logged = False
        self._rearming = False  # from a check that asks for a re-arm until the re-arm is reported or not needed
        self.reason = ""

    @property
    def backend(self) -> str:
        return type(self._observer).__name__

    def reports_closes(self) -> bool:
        """Whether the current observer reports a file's close-after-write (inotify does, polling cannot)."""
        return not isinstance(self._observer, PollingObserver)

    def start(self) -> None:
        super().start()
        log.info("watch_armed", inbox=str(self.inbox), backend=self.backend, why=self.reason)

    def _new_observer(self, watched: Identity | None) -> BaseObserver:
        backend, self.reason = choose_backend(self.mode, self.inbox)
        observer = _new_observer(backend, strict=self.mode == "inotify")
        observer.schedule(self._handler, str(self.inbox), recursive=self.recursive, event_filter=_EVENT_FILTER)
        return observer

    def _armed(self, watched: Identity | None) -> None:
        self._intact, self._checked_at = watched is not None, time.monotonic()

    def check(self) -> str | None:
        current = identity(self.inbox)
        with self._lock:
            watched = self._watched
            self._intact = current is not None and current == watched and observer_alive(self._observer)
            self._checked_at = time.monotonic()
        reason: str | None = None
        if current is None:
            if not self._missing_logged:
                log.error("inbox_missing", inbox=str(self.inbox), hint="re-create it; the watch re-arms on sight")
                self._missing_logged = True
        elif watched is None or current == watched:
            self._missing_logged = False
            # A directory deleted and re-created often gets its old inode number back: the dead
            # emitter (inotify dropped the watch with the directory) is what tells then.
            reason = None if self._intact else ("restored" if watched is None else "watch_lost")
        else:
            self._missing_logged = False
            reason = "mounted_or_unmounted" if current[0] != watched[0] else "replaced"
        with self._lock:  # every check says it anew: a re-arm that failed may find the watch intact next time
            self._rearming = reason is not None
        return reason

    def _rearmed(self, reason: str) -> None:
        log.warning("watch_rearmed", inbox=str(self.inbox), reason=reason, backend=self.backend)
        try:
            self._on_rearm(reason)
        finally:
            # Healthy again only now: the re-arm is counted and its rescan asked for, so whoever sees the watch
            # healthy also sees the re-arm (the new observer was swapped in, and looked intact, a moment before).
            with self._lock:
                self._rearming = False

    def _failed(self) -> None:
        log.exception("watch_supervisor_failed", inbox=str(self.inbox), failures=self._failures)

    def is_alive(self) -> bool:
        """The observer runs, the supervisor runs and checked recently, and the watched directory is
        still the one the inbox path names (no stat here: this is called from the loop)."""
        with self._lock:
            fresh = time.monotonic() - self._checked_at < STALE_SECONDS
            return (self._intact and not self._rearming and fresh and self._supervisor.is_alive()
                    and observer_alive(self._observer))
