"""The state folder's lock: one daemon, or one journal rebuild, per state folder at a time."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

LOCK_NAME = "toridaemon.lock"


class StateLock:
    """An exclusive flock on the lock file and on the state folder itself: deleting the folder's contents
    (`rm -rf state/*`) removes the lock file, not the folder, so a second daemon still finds the folder held."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fds: list[int] = []

    def acquire(self) -> None:
        """Take both locks or neither; raises `BlockingIOError` when another process holds one, and `OSError`
        when the lock file is no regular file."""
        targets = ((self.path, os.O_WRONLY | os.O_CREAT), (self.path.parent, os.O_RDONLY | os.O_DIRECTORY))
        try:
            for target, flags in targets:
                fd = _open(target, flags)
                self._fds.append(fd)
                if target == self.path and not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(errno.EINVAL, "the lock file is not a regular file", str(target))
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            self.release()
            raise

    def folder_identity(self) -> tuple[int, int]:
        """The locked folder's (device, inode), from the descriptor the lock holds: the folder as it was locked,
        whatever happened at its path since."""
        info = os.fstat(self._fds[-1])
        return info.st_dev, info.st_ino

    def release(self) -> None:
        """Closing each descriptor releases its flock."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []


def _open(target: Path, flags: int) -> int:
    # Non-blocking: a FIFO put at the lock's path blocked the start (and `journal rebuild`) until a reader came.
    try:
        return os.open(target, flags | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO without a reader
            raise OSError(errno.ENXIO, "the lock file is not a regular file", str(target)) from None
        raise


Identity = tuple[int, int] | None
_SIDE_SUFFIXES = ("-wal", "-shm")  # SQLite's, beside a journal in WAL mode


@dataclass(frozen=True, slots=True)
class StateIdentity:
    """The state folder's, the journal's and its -wal and -shm files' (device, inode); None for one that is gone."""

    folder: Identity
    journal: Identity
    sides: tuple[Identity, ...]


def state_identity(state_dir: Path, journal: Path) -> StateIdentity:
    """The state as it is now. A running daemon compares it with the state it opened (`unchanged`)."""
    sides = tuple(path_identity(journal.with_name(journal.name + suffix)) for suffix in _SIDE_SUFFIXES)
    return StateIdentity(path_identity(state_dir), path_identity(journal), sides)


def unchanged(opened: StateIdentity, now: StateIdentity) -> StateIdentity | None:
    """`opened`, with side files seen for the first time taken in, or None when anything was deleted or replaced.

    `rm -rf state` takes the folder's lock with it, and a second daemon could start beside this one. SQLite makes
    the -wal and -shm files at the journal's first write and keeps them while it is open: a -wal deleted while
    running takes every row written since the last checkpoint with it at the next crash (266 of 300 `done` rows
    were left after a kill -9, and copies of the lost contents got second results)."""
    if (now.folder, now.journal) != (opened.folder, opened.journal):
        return None
    if any(old is not None and old != new for old, new in zip(opened.sides, now.sides, strict=True)):
        return None
    return replace(opened, sides=tuple(old or new for old, new in zip(opened.sides, now.sides, strict=True)))


def path_identity(path: Path) -> Identity:
    """None when `path` is gone; any other error (EIO, EACCES after a chmod of a parent) is raised: it says
    nothing about a replacement, and the caller looks again later."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return info.st_dev, info.st_ino
