"""Watches the YAML settings file and asks the loop for a reload when it changes.

Editors replace files by writing a temp file and renaming it over the original, so the directory
is watched, not the file; any event naming the file (written, created, moved onto) counts. The loop
coalesces bursts: the callback only raises a flag that the next tick acts on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer


class _ConfigEvents(FileSystemEventHandler):
    def __init__(self, config: Path, on_change: Callable[[], None]) -> None:
        self._config = config
        self._on_change = on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        names = {os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")}
        if str(self._config) in names:
            self._on_change()


class ConfigWatcher:
    """Owns an observer thread on the config file's directory."""

    def __init__(self, config: Path, on_change: Callable[[], None]) -> None:
        self.config = config.resolve()
        self._observer = Observer()
        self._observer.schedule(_ConfigEvents(self.config, on_change), str(self.config.parent), recursive=False)

    def start(self) -> None:
        self._observer.start()

    def is_alive(self) -> bool:
        return self._observer.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout)
