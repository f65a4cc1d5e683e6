"""Round trip of `Bridge.run_sync` against bare `run_coroutine_threadsafe(...).result()`, in one run.

Each contender owns a loop thread of the same shape (a thread running `loop.run_forever()`); the main
thread calls a trivial coroutine through it and times the whole call. Contenders are interleaved in
short rounds whose order rotates, so drift of a shared machine hits all of them alike. For every
contender: median, p99 and p99.9 in µs, each as a ratio to the bare baseline, and how many of its
calls above the baseline's p99 overlapped a garbage collection.

Two references put the tail in context: the share of CPU time the hypervisor stole during the timed
rounds (/proc/stat), and a floor contender that spins on the calling thread for as long as a bridged
call's median, with no thread hop at all: its p99 is what the machine alone adds to a call of that
length. A diagnosis pass then reads each thread's schedstat around every call (run-queue wait, wake-ups).

Targets: median ≤ 1.0x and p99 ≤ 0.25x of the baseline.

Usage: python bench/bridge.py [--calls N] [--batch N] [--variants] [--switch-interval S] [--busy]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from _common import REPO, header, percentile, row, verdict

from toridaemon.bridge import Bridge
from toridaemon.metrics import Metrics

assert REPO  # the import above put the repository on sys.path

Call = Callable[[], object]
OBSERVED = "Bridge.run_sync + observe"
FLOOR = "floor: same time, no thread hop"


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
        return asyncio.run_coroutine_threadsafe(_answer(), self.loop).result()

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class Contender:
    name: str
    call: Call
    loop: asyncio.AbstractEventLoop | None  # None: the call never leaves the calling thread
    tid: int  # native id of the loop thread
    samples: list[float] = field(default_factory=list)  # µs
    gc_hit: list[bool] = field(default_factory=list)
    # diagnosis: (µs, run-queue wait µs of caller + loop thread, times either thread was put on a CPU)
    waits: list[tuple[float, float, int]] = field(default_factory=list)


class _GcCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.count += 1


def _measure(contender: Contender, calls: int, gc_counter: _GcCounter) -> None:
    perf, samples, gc_hit, call = time.perf_counter_ns, contender.samples, contender.gc_hit, contender.call
    for _ in range(calls):
        before_gc = gc_counter.count
        start = perf()
        call()
        elapsed = perf() - start
        samples.append(elapsed / 1000.0)
        gc_hit.append(gc_counter.count != before_gc)


def _schedstat(tid: int) -> Callable[[], tuple[int, int]]:
    """(ns thread `tid` spent runnable without a CPU, times it was put on a CPU): fields 2 and 3 of schedstat."""
    fd = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)

    def read() -> tuple[int, int]:
        fields = os.pread(fd, 128, 0).split()
        return int(fields[1]), int(fields[2])

    return read


def _diagnose(contender: Contender, calls: int) -> None:
    """Time calls again, with the run-queue wait of the calling and the loop thread during each."""
    caller = _schedstat(threading.get_native_id())
    loop = _schedstat(contender.tid) if contender.loop is not None else lambda: (0, 0)
    perf, call, waits = time.perf_counter_ns, contender.call, contender.waits
    for _ in range(calls):
        (caller_wait, caller_runs), (loop_wait, loop_runs) = caller(), loop()
        start = perf()
        call()
        elapsed = perf() - start
        (caller_wait2, caller_runs2), (loop_wait2, loop_runs2) = caller(), loop()
        wait = (caller_wait2 - caller_wait + loop_wait2 - loop_wait) / 1000.0
        waits.append((elapsed / 1000.0, wait, caller_runs2 - caller_runs + loop_runs2 - loop_runs))


def _busy(loop: asyncio.AbstractEventLoop, stop: threading.Event) -> None:
    """Background work on a loop, like the daemon's scheduler: ~200 µs of Python every ~1 ms."""

    async def churn() -> None:
        while not stop.is_set():
            deadline = time.perf_counter() + 0.0002
            while time.perf_counter() < deadline:
                pass
            await asyncio.sleep(0.001)

    asyncio.run_coroutine_threadsafe(churn(), loop)


class Spin:
    """The floor: on the calling thread, no hop and no wake-up, busy for as long as a bridged call takes."""

    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> None:
        deadline = time.perf_counter_ns() + self.ns
        while time.perf_counter_ns() < deadline:
            pass


def _steal_ticks() -> tuple[int, int]:
    """(ticks stolen by the hypervisor, all ticks) of all CPUs so far, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return ticks[7], sum(ticks[:8])


def _tid(thread: threading.Thread) -> int:
    assert thread.native_id is not None
    return thread.native_id


def _caller(bridge: Bridge) -> Call:
    return lambda: bridge.run_sync(_answer())


def build(variants: bool) -> tuple[list[Contender], Callable[[], None]]:
    bare = BareLoop()
    ours = Bridge(name="ours")
    observed = Bridge(name="ours-observed", on_roundtrip=Metrics().bridge_seconds.observe)
    contenders = [
        Contender("bare run_coroutine_threadsafe", bare.call, bare.loop, _tid(bare.thread)),
        Contender("Bridge.run_sync", lambda: ours.run_sync(_answer()), ours.loop, _tid(ours.thread)),
        Contender(OBSERVED, lambda: observed.run_sync(_answer()), observed.loop, _tid(observed.thread)),
    ]
    contenders.append(Contender(FLOOR, Spin(), None, threading.get_native_id()))
    closers: list[Callable[[], None]] = [bare.shutdown, ours.shutdown, observed.shutdown]
    if variants:
        from _bridge_variants import VARIANTS

        for name, factory in VARIANTS.items():
            bridge = factory()
            contenders.append(Contender(name, _caller(bridge), bridge.loop, _tid(bridge.thread)))
            closers.append(bridge.shutdown)

    def close() -> None:
        for closer in closers:
            closer()

    return contenders, close


def run(calls: int, batch: int, variants: bool, busy: bool, diagnose: int) -> tuple[list[Contender], float]:
    """The contenders with their samples, and the share of CPU time the hypervisor stole meanwhile."""
    contenders, close = build(variants)
    stop = threading.Event()
    if busy:
        for contender in contenders:
            if contender.loop is not None:
                _busy(contender.loop, stop)
    gc_counter = _GcCounter()
    gc.callbacks.append(gc_counter)
    try:
        for contender in contenders:  # warm-up, discarded
            _measure(contender, 500 if contender.name != OBSERVED else 3000, gc_counter)
            if contender.name == OBSERVED:  # the floor spins as long as a bridged call's median
                floor = next(c for c in contenders if c.name == FLOOR)
                assert isinstance(floor.call, Spin)
                floor.call.ns = int(percentile(contender.samples, 50) * 1000)
            contender.samples.clear()
            contender.gc_hit.clear()
        stolen, total = _steal_ticks()
        rounds = max(1, calls // batch)
        for index in range(rounds):
            shift = index % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                _measure(contender, batch, gc_counter)
        stolen, total = (now - then for now, then in zip(_steal_ticks(), (stolen, total), strict=True))
        for index in range(max(1, diagnose // batch) if diagnose else 0):
            shift = index % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                _diagnose(contender, batch)
    finally:
        gc.callbacks.remove(gc_counter)
        stop.set()
        close()
    return contenders, stolen / max(total, 1)


def report(contenders: list[Contender], steal: float) -> bool:
    base = contenders[0]
    base_med, base_p99, base_p999 = (percentile(base.samples, p) for p in (50, 99, 99.9))
    print(header("contender", "bare"))
    ok = True
    for contender in contenders[1:]:
        med, p99, p999 = (percentile(contender.samples, p) for p in (50, 99, 99.9))
        print(f"{contender.name}  ({len(contender.samples)} calls)")
        targets = contender.loop is not None
        print(row("median", med, base_med, "µs", f"≤ 1.00x {verdict(med <= base_med)}" if targets else ""))
        print(row("p99", p99, base_p99, "µs", f"≤ 0.25x {verdict(p99 <= 0.25 * base_p99)}" if targets else ""))
        print(row("p99.9", p999, base_p999, "µs"))
        if contender.name == OBSERVED:
            ok = med <= base_med and p99 <= 0.25 * base_p99
    for contender in contenders:
        slow = [i for i, s in enumerate(contender.samples) if s > base_p99]
        gc_share = sum(contender.gc_hit[i] for i in slow) / len(slow) if slow else 0.0
        print(f"  {contender.name:<34} calls above the bare p99: {len(slow):>5}, of them during a gc: {gc_share:6.1%}")
    print(f"\nThe hypervisor stole {steal:.1%} of the CPU time during the timed rounds. The floor spins on the")
    print("calling thread for the median time of a bridged call: its p99 is what this machine adds to any call")
    print("of that length, with no thread hop at all.")
    if contenders[0].waits:
        _report_waits(contenders)
    return ok


def _report_waits(contenders: list[Contender]) -> None:
    print("\nDiagnosis pass (schedstat of the calling and the loop thread): 'rq wait' is time either sat runnable")
    print("without a CPU; 'wakeups' is how often either was put on a CPU during one call.")
    columns = ("median µs", "rq wait", "wakeups", "p99+ mean µs", "rq wait", "share")
    print("  {:<34} {:>9} {:>8} {:>7}   {:>12} {:>8} {:>6}".format("", *columns))
    for contender in contenders:
        waits = contender.waits
        cut = percentile([w[0] for w in waits], 99)
        tail = [w for w in waits if w[0] >= cut]
        med = percentile([w[0] for w in waits], 50)
        med_rq = percentile([w[1] for w in waits], 50)
        med_runs = percentile([float(w[2]) for w in waits], 50)
        tail_us = sum(w[0] for w in tail) / len(tail)
        tail_rq = sum(w[1] for w in tail) / len(tail)
        print(
            f"  {contender.name:<34} {med:>9.1f} {med_rq:>8.1f} {med_runs:>7.0f}   {tail_us:>12.1f} {tail_rq:>8.1f}"
            f" {tail_rq / tail_us:>6.1%}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000, help="timed calls per contender")
    parser.add_argument("--batch", type=int, default=50, help="calls per contender per round")
    parser.add_argument("--variants", action="store_true", help="also time the prototypes in _bridge_variants.py")
    parser.add_argument("--switch-interval", type=float, default=None, help="sys.setswitchinterval(S) first")
    parser.add_argument(
        "--diagnose", type=int, default=5_000, help="calls per contender of the schedstat diagnosis pass (0: skip)"
    )
    parser.add_argument("--busy", action="store_true", help="keep every loop busy (~20%% CPU) during the calls")
    args = parser.parse_args(argv)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    print(
        f"bridge round trip: {args.calls} calls per contender in rounds of {args.batch}, "
        f"switch interval {sys.getswitchinterval() * 1000:g} ms, busy loops: {args.busy}"
    )
    started = time.perf_counter()
    contenders, steal = run(args.calls, args.batch, args.variants, args.busy, args.diagnose)
    ok = report(contenders, steal)
    print(f"\n{time.perf_counter() - started:.1f} s; targets (with the daemon's observer): {verdict(ok)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
