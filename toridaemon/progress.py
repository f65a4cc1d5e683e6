"""Progress of a countable job (one file's pages, or the inbox backlog), reported sparingly.

A report is due when the percentage moved by at least `min_change` points since the last report
*and* at least `min_seconds` passed; everything else is counted silently. Entering a context
manager reports 0 %, a clean exit reports 100 % (an exit by exception reports the true figure).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypedDict

# Float division makes e.g. 7/700 land a hair under 1.0; a report must not be lost to that.
_EPSILON = 1e-9


class ProgressState(TypedDict):
    description: str
    done: int
    total: int
    percent: float
    elapsed_seconds: float
    rate_per_second: float
    eta_seconds: float | None


class ProgressTracker:
    """Thread-safe counter of `done` out of `total` with throttled percentage reports.

    `on_report` (optional) is called with the state of every report, under the tracker's lock,
    so reports arrive in order even from many threads. Keep it short.
    """

    def __init__(
        self,
        total: int,
        min_change: float = 1.0,
        min_seconds: float = 0.0,
        description: str = "",
        *,
        clock: Callable[[], float] = time.monotonic,
        on_report: Callable[[ProgressState], None] | None = None,
    ) -> None:
        if min_change < 0 or min_seconds < 0:
            raise ValueError("min_change and min_seconds must be >= 0")
        self._lock = threading.RLock()
        self._total = _check_count("total", total)
        self._min_change = min_change
        self._min_seconds = min_seconds
        self._description = description
        self._clock = clock
        self._on_report = on_report
        self._done = 0
        self._started = clock()
        # The baseline counts as a silent 0 % report, so the first update is throttled too.
        self._last_percent = 0.0
        self._last_time = self._started

    @property
    def description(self) -> str:
        return self._description

    def update(self, n: int = 1) -> float | None:
        """Count `n` more units; return the new percentage if a report is due, else None."""
        _check_count("n", n)
        with self._lock:
            self._done += n
            percent = self._percent()
            now = self._clock()
            moved = percent - self._last_percent >= self._min_change - _EPSILON
            waited = now - self._last_time >= self._min_seconds
            if not (moved and waited):
                return None
            return self._report(percent, now)

    async def update_async(self, n: int = 1) -> float | None:
        """`update` for coroutines: the lock guards a few arithmetic steps, so it never stalls the loop."""
        return self.update(n)

    def set_total(self, total: int) -> None:
        """Change the total (a growing backlog); the percentage may fall, and reports resume from there."""
        _check_count("total", total)
        with self._lock:
            self._total = total
            # Without a fresh baseline a lower percentage would stay silent until it climbed past the old one.
            self._last_percent = min(self._last_percent, self._percent())

    def start(self) -> float:
        """Report the current percentage regardless of the throttles and restart the clock."""
        with self._lock:
            self._started = self._clock()
            return self._report(self._percent(), self._started)

    def finish(self, *, complete: bool = True) -> float:
        """Report the final percentage regardless of the throttles; `complete` marks all units done."""
        with self._lock:
            if complete:
                self._done = max(self._done, self._total)
            return self._report(self._percent(), self._clock())

    def get_state(self) -> ProgressState:
        """A consistent snapshot; `eta_seconds` is None until a rate is known."""
        with self._lock:
            return self._state(self._clock())

    def __enter__(self) -> ProgressTracker:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.finish(complete=exc_type is None)

    async def __aenter__(self) -> ProgressTracker:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def _percent(self) -> float:
        if self._total == 0:
            return 100.0
        return min(100.0, 100.0 * self._done / self._total)

    def _report(self, percent: float, now: float) -> float:
        self._last_percent = percent
        self._last_time = now
        if self._on_report is not None:
            self._on_report(self._state(now))
        return percent

    def _state(self, now: float) -> ProgressState:
        elapsed = max(0.0, now - self._started)
        rate = self._done / elapsed if elapsed > 0 else 0.0
        remaining = max(0, self._total - self._done)
        if remaining == 0:
            eta: float | None = 0.0
        else:
            eta = remaining / rate if rate > 0 else None
        return ProgressState(
            description=self._description,
            done=self._done,
            total=self._total,
            percent=self._percent(),
            elapsed_seconds=elapsed,
            rate_per_second=rate,
            eta_seconds=eta,
        )


def _check_count(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value
