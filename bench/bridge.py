"""Round trip of `Bridge.run_sync` against bare `run_coroutine_threadsafe(...).result()`, in one run.

`Bridge.run_sync` is built on `run_coroutine_threadsafe`; this checks that its own checks (the loop
thread, shutdown, cancellation on timeout) cost next to nothing. Each contender owns a loop thread of
the same shape; the main thread calls a trivial coroutine through it and times the whole call, in
short rounds whose order alternates, so drift of a shared machine hits both alike.

Target: median and p99 within 1.10x of the baseline.

Usage: python bench/bridge.py [--calls N] [--batch N]
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Callable

from _common import REPO, header, percentile, row, verdict

from toridaemon.bridge import Bridge

assert REPO  # the import above put the repository on sys.path


async def _answer() -> int:
    return 42


class BareLoop:
    """The baseline: a loop in a daemon thread, reached with `run_coroutine_threadsafe(...).result()`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), name="bare-loop", daemon=True)
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()

    def call(self) -> object:
        return asyncio.run_coroutine_threadsafe(_answer(), self.loop).result(10)

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _time(call: Callable[[], object], samples: list[float], batch: int) -> None:
    for _ in range(batch):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1000)


def run(calls: int, batch: int) -> tuple[list[float], list[float]]:
    bare, bridge = BareLoop(), Bridge()
    ours: list[float] = []
    base: list[float] = []
    try:
        for _ in range(200):  # warm-up of both
            bare.call()
            bridge.run_sync(_answer(), 10)
        for number in range(calls // batch):
            pair = [(bare.call, base), (lambda: bridge.run_sync(_answer(), 10), ours)]
            for call, samples in pair if number % 2 else reversed(pair):
                _time(call, samples, batch)
    finally:
        bare.shutdown()
        bridge.shutdown()
    return ours, base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args(argv)
    ours, base = run(args.calls, args.batch)
    med, base_med = percentile(ours, 50), percentile(base, 50)
    p99, base_p99 = percentile(ours, 99), percentile(base, 99)
    print(header("run_sync", "bare"))
    print(row("median", med, base_med, "µs", f"≤ 1.10x {verdict(med <= 1.10 * base_med)}"))
    print(row("p99", p99, base_p99, "µs", f"≤ 1.10x {verdict(p99 <= 1.10 * base_p99)}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
