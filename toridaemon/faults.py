"""Fault-injection seams for the reliability tests; inert unless `TORI_FAULTS` is set.

`TORI_FAULTS` is a comma-separated list of `point:arg[:count]`:

- `write:ENOSPC:3` — the first 3 durable writes of outcomes fail with that errno (any errno name);
- `crash:NAME` — a worker analysing a file whose name contains NAME exits at once (like a segfault);
- `hang:NAME` — a worker analysing such a file blocks until it is killed by the timeout.

These sit at the boundaries (the outcome writer, the worker entry point), so tests exercise the real
daemon and its real recovery paths rather than patched internals.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

FAULTS_ENV = "TORI_FAULTS"


def _specs(environ: dict[str, str] | None = None) -> list[list[str]]:
    raw = (environ if environ is not None else os.environ).get(FAULTS_ENV, "")
    return [part.split(":") for part in raw.split(",") if part.strip()]


def worker_fault(name: str) -> None:
    """Called by the worker before analysing `name`: crash or hang when a spec asks for it."""
    for spec in _specs():
        if len(spec) >= 2 and spec[1] and spec[1] in name:
            if spec[0] == "crash":
                os._exit(70)
            if spec[0] == "hang":
                while True:
                    time.sleep(3600)


def faulty_writer(write: Callable[[Path, bytes], None]) -> Callable[[Path, bytes], None]:
    """Wrap the durable writer so that the first `count` writes fail with the configured errno."""
    specs = [spec for spec in _specs() if spec[0] == "write" and len(spec) >= 2]
    if not specs:
        return write
    code = getattr(errno, specs[0][1])
    remaining = [int(specs[0][2]) if len(specs[0]) > 2 else 1]
    lock = threading.Lock()

    def wrapped(path: Path, data: bytes) -> None:
        with lock:
            fail = remaining[0] > 0
            remaining[0] -= fail
        if fail:
            raise OSError(code, os.strerror(code), str(path))
        write(path, data)

    return wrapped
