"""Content hashing of inbox files without following symlinks or blocking on FIFOs."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1024 * 1024


class NotRegularFile(Exception):
    """The path turned out to be a symlink, FIFO, socket, device or directory."""


FileIdentity = tuple[int, int, int, int]  # device, inode, size, mtime (ns): the file that was read


@dataclass(frozen=True, slots=True)
class FileState:
    """What a file was when it was hashed; `identity` tells whether the same file is still there."""

    sha256: str
    size: int
    mtime_ns: int
    identity: FileIdentity


def identity_of(info: os.stat_result) -> FileIdentity:
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def open_regular(path: Path, *, follow_symlinks: bool = False) -> tuple[BinaryIO, os.stat_result]:
    """Open a regular file for reading without blocking on a FIFO, and without following a symlink unless
    asked (settings may be one); raises `NotRegularFile` (symlink, FIFO, socket, device, directory) or
    `OSError`. The check is made on the opened file: a swap after a stat cannot slip past it."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:  # the name is a symlink (followed: a loop of them)
            raise NotRegularFile("symlink") from exc
        kind = None
        if exc.errno == errno.ENXIO:  # a socket, or a device without its driver, refuses the open itself
            with contextlib.suppress(OSError):
                kind = special_kind(os.stat(path).st_mode)
        if kind is not None:
            raise NotRegularFile(kind) from exc
        raise
    info = os.fstat(fd)  # before fdopen: on a folder it raised IsADirectoryError naming the descriptor ("… : 3")
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotRegularFile(stat.filemode(info.st_mode))
    return os.fdopen(fd, "rb"), info


_SPECIAL_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISLNK, "symlink"),
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "device"),
    (stat.S_ISBLK, "device"),
)


def special_kind(mode: int) -> str | None:
    """The kind of entry a mode names when it is none we would open as a file (symlink, fifo, …); else None."""
    return next((kind for test, kind in _SPECIAL_KINDS if test(mode)), None)


def sha256_file(path: Path, also: Callable[[bytes], None] | None = None) -> FileState:
    """Hash a regular file, handing each chunk read to `also` as well (one read serves both); raises
    `NotRegularFile` or `OSError`."""
    handle, info = open_regular(path)
    with handle:
        digest = hashlib.sha256()
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if also is not None:
                also(chunk)
    return FileState(digest.hexdigest(), info.st_size, info.st_mtime_ns, identity_of(info))


def still_there(path: Path, identity: FileIdentity) -> bool:
    """False only when a different file now has this name (it was replaced while we worked)."""
    try:
        return identity_of(os.lstat(path)) == identity
    except FileNotFoundError:
        return True
