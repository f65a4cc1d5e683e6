"""Process signals: the handlers only set flags, which the loop's tick reads; the previous handlers come
back on exit (uvicorn's `capture_signals`), so a daemon can also run inside a test process."""

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
def captured(flags: Flags) -> Iterator[Flags]:
    """SIGTERM and SIGINT set `flags.stop` (a second one `flags.force`), SIGHUP `flags.reload`, until exit."""
    previous = {signum: signal.getsignal(signum) for signum in (*STOP_SIGNALS, signal.SIGHUP)}
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, flags.on_stop)
        signal.signal(signal.SIGHUP, flags.on_reload)
        yield flags
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
