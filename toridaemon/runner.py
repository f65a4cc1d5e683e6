"""The runner: one task per inbox file, behind a resizable limiter (as arq runs jobs).

A file's task lives from the gate's verdict to its recorded outcome: detect, wait for a slot, one try
(`FileMachine.attempt`), and after a `Retry` a backoff and another try, until the file is finished or
its retry reason's cap fails it. There is a slot per worker, and a second one per worker when the
executor queues jobs ahead (`Executor.queues_ahead`): each worker then has its next file waiting in the
pool. Resizing changes the limiter; nothing else. `drain` is one wait under
one budget, then every task still running is cancelled and its file returned to pending.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from toridaemon.inbox.gate import Verdict
from toridaemon.logs import get_logger
from toridaemon.metrics import Metrics
from toridaemon.progress import ProgressTracker
from toridaemon.settings import Settings
from toridaemon.statemachine import BLOCKING, RUNNING, FileMachine, Item, Retry, State, finish_shielded, retry_cap

log = get_logger("toridaemon.runner")
CANCEL_GRACE_SECONDS = 5.0  # cancelled files finish recording or return their rows to pending within this
# Files waiting on a `BLOCKING` cause with none recorded for this long since the first of them: blocked. A lock held
# for a moment, or one file stuck among others that get through, is not.
BLOCKED_AFTER_SECONDS = 5.0


class Limiter:
    """At most `limit` holders at once, first come first served; the limit can change at any time."""

    def __init__(self, limit: int, on_change: Callable[[], None] = lambda: None) -> None:
        self.limit = limit
        self.used = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._on_change = on_change  # keeps the gauges true

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Callable[[], None]]:
        """Hold a slot for the block; the callable it yields gives the slot up earlier."""
        await self._acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.used -= 1
                self._hand_over()

        try:
            yield release
        finally:
            release()

    def resize(self, limit: int) -> None:
        """Holders above a lower limit keep their slot until they leave; a higher one lets waiters in now."""
        self.limit = limit
        self._hand_over()

    async def _acquire(self) -> None:
        if self.used < self.limit and not self._waiters:
            self.used += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._on_change()
        try:
            await waiter  # `_hand_over` counts the slot as ours before it wakes us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.used -= 1  # handed a slot in the same iteration as the cancel: give it back
                self._hand_over()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def _hand_over(self) -> None:
        while self._waiters and self.used < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.used += 1
                waiter.set_result(None)
        self._on_change()


def backoff_seconds(tries: int, base: float, most: float) -> float:
    """The wait before try `tries` + 1: `base` doubling per try up to `most`, ±20 % so that files failed together
    do not come back together. The doubling stops where it passed `most` long ago: 2.0 ** 1024 is an
    OverflowError, the 1,025th retry of a file held back a weekend at one try a minute."""
    return min(most, base * 2.0 ** min(tries - 1, 64)) * random.uniform(0.8, 1.2)


class Runner:
    """Owns the files in progress and their tasks; every method runs on the event loop."""

    def __init__(self, machine: FileMachine, settings: Callable[[], Settings], metrics: Metrics, *,
                 blocked_after_seconds: float = BLOCKED_AFTER_SECONDS) -> None:
        self.machine = machine
        self._settings = settings
        self.metrics = metrics
        self._blocked_after = blocked_after_seconds
        self.items: dict[Path, Item] = {}  # every file from its verdict to its outcome
        self._tasks: dict[Path, asyncio.Task[None]] = {}  # entered and left with `items`
        self._running: dict[Path, Item] = {}  # the files holding a slot
        self._held: dict[Path, tuple[str, str]] = {}  # files whose last try ended on a `BLOCKING` cause, latest last
        self._first_held = 0.0  # when the first of them since the last recorded outcome was held
        self._probe: Path | None = None  # while blocked, the one waiting file that keeps trying (`_turn`)
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()  # files waiting in `_turn`
        self._limiter = Limiter(self._slots(settings().max_parallel_workers), self._update_gauges)
        machine.when_started(lambda: self.resize(self._settings().max_parallel_workers))
        self._accepting = True
        self._accepted = 0
        self.progress = ProgressTracker(0, min_change=1.0, min_seconds=1.0, description="backlog")

    # ---- intake -------------------------------------------------------------------------------
    def knows(self, path: Path) -> bool:
        return path in self.items

    def accept(self, verdict: Verdict, origin: str) -> bool:
        """Take a decided inbox entry; True when it is new to the daemon (its journal row follows)."""
        if not self._accepting or verdict.path in self.items:
            return False
        special = verdict.detail if verdict.kind == "special" else None
        item = Item(verdict.path, verdict.size, verdict.mtime_ns, origin, special=special)
        self.items[item.path] = item
        self._tasks[item.path] = task = asyncio.get_running_loop().create_task(self._life(item))
        task.add_done_callback(lambda done: self._forget(item, done))
        self._accepted += 1
        self.progress.set_total(self._accepted)
        self._update_gauges()
        return True

    def _forget(self, item: Item, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:  # a bug: say so; the next rescan retries
            log.error("file_task_failed", file=item.path.name, error=repr(task.exception()))
        if self.items.get(item.path) is item:
            del self.items[item.path]
            del self._tasks[item.path]
            self._held.pop(item.path, None)
            if self._probe == item.path:
                self._probe = None
            self._look_again()
            self.progress.update()
        self._update_gauges()

    # ---- one file's task ----------------------------------------------------------------------
    async def _life(self, item: Item) -> None:
        try:
            while True:
                await self._turn(item)
                try:
                    if not await self._try(item):
                        continue  # blocked while it waited for a slot
                    return  # `_forget` wakes the waiting files
                except Retry as retry:
                    delay = await self._after(item, retry)
                if delay is None:
                    return
                await asyncio.sleep(delay)
                item.enter(State.NEW if item.row_id is None else State.QUEUED)
        except asyncio.CancelledError:
            if item.state in RUNNING:
                await finish_shielded(self.machine.release(item))
            raise

    async def _turn(self, item: Item) -> None:
        """While blocked, one waiting file (the probe) keeps trying at its backoff and the others wait for a try to get
        through: each retried at full cost before (a claim, a parse, two log lines), and 5,000 files behind a full
        output disk made 500 log lines a second and kept both workers busy for nothing."""
        while self._waits(item):
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            await turn
        self._probe = item.path if self.blocked() is not None else None

    def _waits(self, item: Item) -> bool:
        return self.blocked() is not None and self._probe not in (None, item.path)

    def _look_again(self) -> None:
        """Wake every file waiting for its turn once the block is over, or one of them when the probe role is free
        (waking all of them each time a waiting file left, one after another, was quadratic)."""
        if self.blocked() is None:
            while self._waiting:
                self._wake(self._waiting.popleft())
        elif self._probe is None:
            while self._waiting and not self._wake(self._waiting.popleft()):
                pass

    @staticmethod
    def _wake(turn: asyncio.Future[None]) -> bool:
        """False for a wait already over (its file was cancelled)."""
        if turn.done():
            return False
        turn.set_result(None)
        return True

    async def _try(self, item: Item) -> bool:
        """One try; False when the daemon was found blocked once a slot was free (the file waits for its turn)."""
        if item.state is State.NEW and not await self.machine.detect(item):
            return True
        async with self._limiter.slot() as parsed:  # the slot is a parse: recording gives it up
            if self._waits(item):  # the backlog queued for slots before the block was known
                return False
            self._running[item.path] = item
            self._update_gauges()
            try:
                await self.machine.attempt(item, self._running.values, parsed)
            finally:
                del self._running[item.path]
                self._update_gauges()
        return True

    async def _after(self, item: Item, retry: Retry) -> float | None:
        """Count a retry; returns the backoff before the next try, or None once the file is failed."""
        item.enter(State.WAITING)
        item.retries[retry.reason] += 1
        self.metrics.files_retried.labels(reason=retry.reason).inc()
        if retry.reason in BLOCKING:
            if not self._held or self._first_held < self.machine.last_recorded:
                self._first_held = time.monotonic()
            self._held.pop(item.path, None)  # put back last: the latest cause
            self._held[item.path] = (retry.reason, str(retry))
        else:
            self._held.pop(item.path, None)
            if self._probe == item.path:  # its tries no longer test the cause: another file takes the role
                self._probe = None
            self._look_again()
        settings = self._settings()
        cap = retry_cap(retry.reason, settings)
        if cap is not None and item.retries[retry.reason] >= cap and item.row_id is not None:
            try:
                await self.machine.fail(item, retry)
            except Retry as replaced:  # another file took the name: a new file, whose tries count from none
                item.retries.clear()
                return await self._after(item, replaced)
            except Exception:  # the file stays in the inbox; the next rescan finds it again
                log.exception("file_fail_unrecorded", file=item.path.name, reason=retry.reason)
            return None
        tries = sum(item.retries.values())
        delay = backoff_seconds(tries, settings.retry_base_seconds, settings.retry_max_seconds)
        log.warning("file_retry", file=item.path.name, sha256=item.sha256, reason=retry.reason,
                    message=str(retry), delay_seconds=round(delay, 2))
        return delay

    # ---- concurrency, status, shutdown --------------------------------------------------------
    def resize(self, workers: int) -> None:
        if not self._accepting:  # draining: the limit stays 0 (an executor that finished starting, or a reload,
            return  # lifted it, and a file retrying meanwhile started a new try)
        self._limiter.resize(self._slots(workers))

    def _slots(self, workers: int) -> int:
        """Files handed to the executor at once: one per worker, two when it queues them ahead."""
        executor = self.machine.executor
        return workers * 2 if executor is not None and executor.queues_ahead else workers

    def blocked(self) -> tuple[str, str] | None:
        """The latest `BLOCKING` reason and message while files wait on such causes and no outcome was recorded
        for `BLOCKED_AFTER_SECONDS` since the first of them: no file gets through until the cause clears."""
        if not self._held or self._first_held < self.machine.last_recorded:
            return None
        if time.monotonic() - self._first_held < self._blocked_after:
            return None
        return next(reversed(self._held.values()))

    @property
    def in_flight(self) -> list[Item]:
        """The files past their wait for a slot and not yet recorded."""
        return list(self._running.values())

    def status(self) -> dict[str, Any]:
        """The runner's part of `/status`: the backlog, each file holding a slot, the backlog's progress."""
        now = time.monotonic()
        in_flight = [{"file": item.path.name, "stage": item.state.value, "sha256": item.sha256,
                      "percent": item.progress.get_state()["percent"], "seconds": round(now - item.started, 3)}
                     for item in self._running.values()]
        return {"backlog": len(self.items), "in_flight": in_flight, "progress": self.progress.get_state()}

    def status_line(self) -> str:
        """One line for systemd's STATUS=."""
        state = self.progress.get_state()
        return (f"backlog {len(self.items)}, in flight {len(self._running)}, "
                f"{state['done']} finished since start, {state['rate_per_second']:.2f} files/s")

    def _update_gauges(self) -> None:
        self.metrics.queue_depth.set(self._limiter.waiting)
        self.metrics.in_flight.set(len(self._running))

    async def drain(self, timeout: float, forced: Callable[[], bool] = lambda: False) -> int:
        """Stop intake; files holding a slot may finish within `timeout` (less once `forced()`), then
        every file left is cancelled and stays pending in the journal. Returns how many were left."""
        self._accepting = False
        self._limiter.resize(0)  # no file starts now
        idle = [task for path, task in self._tasks.items() if self.items[path].state not in RUNNING]
        for task in idle:
            task.cancel()  # waiting for a slot or a retry: its row is pending already
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished(forced), timeout)
        left = [task for task in self._tasks.values() if not task.done() and task not in idle]
        for task in left:
            task.cancel()
        everything = [*idle, *left]
        if everything:
            await asyncio.wait(everything, timeout=CANCEL_GRACE_SECONDS)
        return len(everything)

    async def _finished(self, forced: Callable[[], bool]) -> None:
        while not forced():
            running = [self._tasks[path] for path in self._running if path in self._tasks]  # not every backlog task
            if not running:
                return
            await asyncio.wait(running, timeout=0.1)  # short, so a second signal cuts the wait
