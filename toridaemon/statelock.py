"""The state folder's lock: one daemon, or one journal rebuild, per state folder at a time."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "toridaemon.lock"


class StateLock:
    """An exclusive flock on the lock file and on the state folder itself: deleting the folder's contents
    (`rm -rf state/*`) removes the lock file, not the folder, so a second daemon still finds the folder held."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fds: list[int] = []

    def acquire(self) -> None:
        """Take both locks or neither; raises `BlockingIOError` when another process holds one."""
        targets = ((self.path, os.O_WRONLY | os.O_CREAT), (self.path.parent, os.O_RDONLY | os.O_DIRECTORY))
        try:
            for target, flags in targets:
                fd = os.open(target, flags | os.O_CLOEXEC, 0o644)
                self._fds.append(fd)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Closing each descriptor releases its flock."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []
