"""Content hashing of inbox files without following symlinks or blocking on FIFOs."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

_CHUNK = 1024 * 1024


class NotRegularFile(Exception):
    """The path turned out to be a symlink, FIFO, socket, device or directory."""


def sha256_file(path: Path) -> tuple[str, int, int]:
    """Return (sha256, size, mtime_ns) of a regular file; raises `NotRegularFile` or `OSError`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the name is a symlink
            raise NotRegularFile("symlink") from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(stat.filemode(info.st_mode))
        digest = hashlib.sha256()
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest(), info.st_size, info.st_mtime_ns
