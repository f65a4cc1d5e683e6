"""Stalls of the daemon's event loop: spans it did not run (a frozen container or process group, SIGSTOP, a
loop starved for seconds). A parse timed out across a stall may not have had its budget: the pool's timer in
the daemon kept counting while everything stood still, so the file is tried again rather than failed."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

BEAT_SECONDS = 0.1
STALL_SECONDS = 2.0  # a heartbeat this late: the loop was not running
_KEPT = 64  # the most recent stalls; older ones end before any parse still running began


class StallWatch:
    """Fed by a heartbeat task on the loop; asked, when a parse timed out, how long the loop stood still."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = clock()
        self._stalls: deque[tuple[float, float]] = deque(maxlen=_KEPT)

    def beat(self) -> None:
        now = self._clock()
        if now - self._last > STALL_SECONDS:
            self._stalls.append((self._last, now))
        self._last = now

    def stalled_since(self, start: float) -> float:
        """Seconds the loop stood still after `start`, counting a stall that ends only now (the timed-out
        parse's answer may be handled before the heartbeat runs again)."""
        now = self._clock()
        spans = list(self._stalls)
        if now - self._last > STALL_SECONDS:
            spans.append((self._last, now))
        return sum(end - max(begin, start) for begin, end in spans if end > start)

    async def run(self) -> None:
        """The heartbeat: one short sleep after another, until cancelled."""
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            self.beat()
