"""The watchdog observer thread: turns filesystem events into calls on the event loop via the bridge."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from toridaemon.inbox.gate import EventKind

WatchMode = Literal["auto", "inotify", "polling"]
# Events we act on: watchdog names -> gate kinds. Opened/closed-without-write never change a file.
_KINDS: dict[str, EventKind] = {
    "created": "created",
    "modified": "modified",
    "closed": "closed",
    "moved": "moved",
    "deleted": "deleted",
}


def _text(path: bytes | str) -> str:
    return os.fsdecode(path)


class _Forwarder(FileSystemEventHandler):
    def __init__(self, inbox: Path, post: Callable[[EventKind, Path], None]) -> None:
        self._inbox = inbox
        self._post = post

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = _KINDS.get(event.event_type)
        if kind is None:
            return
        if kind == "moved":
            # Renamed away: forget the old name; renamed into (or inside) the inbox: a complete file.
            # Either side may be empty when the other end lies outside the inbox.
            source, destination = _text(event.src_path), _text(event.dest_path)
            if source:
                self._post("deleted", Path(source))
            if destination and Path(destination).parent == self._inbox:
                self._post("moved", Path(destination))
            return
        path = Path(_text(event.src_path))
        if path.parent == self._inbox:
            self._post(kind, path)


def _new_observer(mode: WatchMode) -> BaseObserver:
    if mode == "polling":
        return PollingObserver(timeout=1.0)
    try:
        from watchdog.observers.inotify import InotifyObserver
        from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
    except ImportError:
        if mode == "inotify":
            raise
        return PollingObserver(timeout=1.0)
    # watchdog holds every IN_MOVED_FROM for 0.5 s to pair it with an IN_MOVED_TO, and its queue is
    # ordered, so each file we move out of the inbox delayed every later event by up to 0.5 s
    # (bench/latency.py). We need no pairing: full events report a rename into the inbox as a move
    # with an empty source, which the gate takes as complete, and a rename out as one we ignore.
    InotifyMoveEventGrouper.delay = 0.0
    return InotifyObserver(timeout=0.5, generate_full_events=True)


class Watcher:
    """Owns the observer thread; `post(kind, path)` must be thread-safe (the bridge's `post`)."""

    def __init__(self, inbox: Path, mode: WatchMode, post: Callable[[EventKind, Path], None]) -> None:
        self.inbox = inbox
        self.mode = mode
        self._handler = _Forwarder(inbox, post)
        self._observer = _new_observer(mode)

    @property
    def backend(self) -> str:
        return type(self._observer).__name__

    def start(self) -> None:
        self._observer.schedule(self._handler, str(self.inbox), recursive=False)
        self._observer.start()

    def is_alive(self) -> bool:
        """The dispatcher and every emitter thread run, and the watched directory still exists
        (an emitter whose directory was deleted or unmounted stops reporting anything)."""
        emitters = list(self._observer.emitters)
        return (self._observer.is_alive() and bool(emitters) and all(e.is_alive() for e in emitters)
                and self.inbox.is_dir())

    def stop(self, timeout: float = 5.0) -> None:
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout)
