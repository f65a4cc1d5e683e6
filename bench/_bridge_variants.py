"""Other designs of `toridaemon.bridge.Bridge.run_sync`, timed against it by `bench/bridge.py --variants`.

Each is the same `Bridge` with one part changed, so the benchmark shows what each part of the design buys:

- `lock wake-up`: the same eager task, but the caller waits on a per-call lock (a futex) instead of its
  thread's pipe;
- `done callback (previous)`: the design before the eager task: a task created in the wake-up callback,
  its outcome handed over by a done callback one loop iteration later, a per-call lock released at once.
"""

from __future__ import annotations

import _thread
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from toridaemon.bridge import Bridge, _Waiter, _Wakeup

T = TypeVar("T")


class _LockWakeup(_Wakeup):
    """One call's lock in place of the thread's pipe: `wake` releases it, `wait` acquires it."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:  # no pipe
        self.read_fd = self.write_fd = -1
        self._lock = _thread.allocate_lock()
        self._lock.acquire()

    def next_token(self) -> int:
        return 0

    def wait(self, token: int, timeout: float | None) -> bool:
        return self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0))

    def wake(self, token: int) -> None:
        self._lock.release()


class LockWakeupBridge(Bridge):
    _wakeup = staticmethod(_LockWakeup)


class DoneCallbackBridge(LockWakeupBridge):
    def _start(self, coro: Coroutine[Any, Any, T], waiter: _Waiter[T]) -> None:
        task = self._loop.create_task(coro)
        task.add_done_callback(lambda done: _settle_at_once(done, waiter))
        waiter.task = task  # type: ignore[assignment]  # a Task[T]: only cancelled through it


def _settle_at_once(task: asyncio.Task[T], waiter: _Waiter[T]) -> None:
    if task.cancelled():
        waiter.error = asyncio.CancelledError()
    elif (error := task.exception()) is not None:
        waiter.error = error
    else:
        waiter.result = task.result()
    waiter.wakeup.wake(waiter.token)


VARIANTS: dict[str, Callable[[], Bridge]] = {
    "variant: lock wake-up": lambda: LockWakeupBridge(name="lock-wakeup"),
    "variant: done callback (previous)": lambda: DoneCallbackBridge(name="done-callback"),
}
