"""Other designs of `toridaemon.bridge.Bridge.run_sync`, timed against it by `bench/bridge.py --variants`.

Each keeps the loop thread of `Bridge` and changes one thing, so the benchmark shows what each part of the
design buys:

- `lock wake-up`: the same eager task, but the caller waits on a per-call lock (a futex) instead of its
  thread's pipe;
- `done callback (previous)`: the design before the eager task: a task created in the wake-up callback,
  its outcome handed over by a done callback one loop iteration later, a per-call lock released at once.
"""

from __future__ import annotations

import _thread
import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from toridaemon.bridge import Bridge, BridgeError, _BridgeLoop, _settle

T = TypeVar("T")


class _LockWaiter(Generic[T]):
    """Quacks like the bridge's waiter and its wake-up at once: the loop's `wakeup.wake()` releases the lock."""

    def __init__(self) -> None:
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.wakeup = self
        self.token = 0
        self.result: T | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[Any] | None = None

    def wake(self, token: int) -> None:
        self.lock.release()

    def settle(self, task: asyncio.Task[T]) -> None:
        if task.cancelled():
            self.error = asyncio.CancelledError()
        elif (error := task.exception()) is not None:
            self.error = error
        else:
            self.result = task.result()
        self.lock.release()


class _LockBridge(Bridge):
    def run_sync(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if self.in_loop_thread():
            coro.close()
            raise BridgeError("run_sync called on the event loop's own thread")
        self._check_open(coro)
        started = time.perf_counter()
        waiter: _LockWaiter[T] = _LockWaiter()
        self._loop.call_soon_threadsafe(self._begin, coro, waiter)
        if not waiter.lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            self._loop.call_soon_threadsafe(self._cancel, waiter)  # type: ignore[arg-type]
            waiter.lock.acquire(timeout=1.0)
            raise TimeoutError(f"coroutine did not finish within {timeout} s and was cancelled")
        if self._on_roundtrip is not None:
            self._on_roundtrip(time.perf_counter() - started)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]

    def _begin(self, coro: Coroutine[Any, Any, T], waiter: _LockWaiter[T]) -> None:
        raise NotImplementedError


class LockWakeupBridge(_LockBridge):
    def _begin(self, coro: Coroutine[Any, Any, T], waiter: _LockWaiter[T]) -> None:
        loop = self._loop
        assert isinstance(loop, _BridgeLoop)
        waiter.task = loop.start_task(_settle(coro, waiter, loop.selector.finished))  # type: ignore[arg-type]


class DoneCallbackBridge(_LockBridge):
    def _begin(self, coro: Coroutine[Any, Any, T], waiter: _LockWaiter[T]) -> None:
        task = self._loop.create_task(coro)
        waiter.task = task
        task.add_done_callback(waiter.settle)


VARIANTS: dict[str, Callable[[], Bridge]] = {
    "variant: lock wake-up": lambda: LockWakeupBridge(name="lock-wakeup"),
    "variant: done callback (previous)": lambda: DoneCallbackBridge(name="done-callback"),
}
