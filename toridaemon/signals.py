"""Process signals: the handlers only set flags, which the loop's tick reads; the previous handlers come
back on exit (uvicorn's `capture_signals`), so a daemon can also run inside a test process, unless the process
ends with the daemon."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class Flags:
    """Set by signal handlers on the main thread, read by the loop's tick."""

    stop: bool = False
    force: bool = False  # a second stop signal: skip the waits, still close what must be closed
    reload: bool = False

    def on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.force = self.stop
        self.stop = True

    def on_reload(self, signum: int, frame: FrameType | None) -> None:
        self.reload = True


@contextlib.contextmanager
def captured(flags: Flags, *, process_ends: bool = False) -> Iterator[Flags]:
    """SIGTERM and SIGINT set `flags.stop` (a second one `flags.force`), SIGHUP `flags.reload`, until exit. When
    the process ends with the daemon (`process_ends`), the three are ignored from then on instead of getting their
    previous handlers back: the stop is done, and a stop signal during the interpreter's teardown (the pool's, the
    log writer's) killed the process, exit 143 instead of 0. (A handler that ends the process at once does not do:
    Python puts the default action back for its own handlers late in its teardown, where a signal still killed it.
    An ignored one stays ignored. A teardown stuck on a hung mount then waits for SIGKILL, as systemd sends after
    TimeoutStopSec.)"""
    previous = {signum: signal.getsignal(signum) for signum in (*STOP_SIGNALS, signal.SIGHUP)}
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, flags.on_stop)
        signal.signal(signal.SIGHUP, flags.on_reload)
        yield flags
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_IGN if process_ends else handler)
