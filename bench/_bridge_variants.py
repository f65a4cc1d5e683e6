"""Prototypes of `toridaemon.bridge.Bridge.run_sync`, timed against it by `bench/bridge.py --variants`.

`EagerBridge` runs the coroutine's first step inside the wake-up callback itself: a coroutine that
finishes without suspending (most `run_sync` calls: status snapshots, journal reads) completes in the
loop iteration that received the wake-up, with no Task, no further iteration and less time holding the
GIL after the caller was released. A coroutine that suspends continues as a Task once the future it
awaits is done, so its semantics (cancellation on timeout, results, exceptions) stay those of a Task.
Caveat: `asyncio.current_task()` is None during the first step (Python 3.12's eager tasks fix that).

The prototype reuses only the loop plumbing of `Bridge` (its loop thread, `in_loop_thread`,
`_check_open`, `_on_roundtrip`) and carries its own waiter, so it keeps working while `Bridge.run_sync`
itself changes.
"""

from __future__ import annotations

import _thread
import asyncio
import time
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar

from toridaemon.bridge import Bridge, BridgeError

T = TypeVar("T")


class _Waiter(Generic[T]):
    __slots__ = ("error", "lock", "pending", "result")

    def __init__(self) -> None:
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.result: T | None = None
        self.error: BaseException | None = None
        # What a timeout cancels: the future the first step awaits, then the Task that continues it.
        self.pending: asyncio.Future[Any] | None = None

    def finish(self, result: T | None, error: BaseException | None) -> None:
        self.result, self.error = result, error
        self.lock.release()


class _Continue(Generic[T]):
    """Awaitable that continues an already started coroutine, forwarding what the Task sends or throws."""

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, Any, T]:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                yielded = self._coro.send(value) if error is None else self._coro.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            try:
                value, error = (yield yielded), None
            except BaseException as exc:
                value, error = None, exc


async def _resume(coro: Coroutine[Any, Any, T], waiter: _Waiter[T]) -> None:
    try:
        result = await _Continue(coro)
    except BaseException as exc:
        waiter.finish(None, exc)
    else:
        waiter.finish(result, None)


class EagerBridge(Bridge):
    def run_sync(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if self.in_loop_thread():
            coro.close()
            raise BridgeError("run_sync called on the event loop's own thread; await the coroutine instead")
        self._check_open(coro)
        started = time.perf_counter()
        waiter: _Waiter[T] = _Waiter()
        self._loop.call_soon_threadsafe(self._step, coro, waiter)
        if not waiter.lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            self._loop.call_soon_threadsafe(self._cancel_pending, waiter)
            waiter.lock.acquire(timeout=1.0)
            raise TimeoutError(f"coroutine did not finish within {timeout} s and was cancelled")
        if self._on_roundtrip is not None:
            self._on_roundtrip(time.perf_counter() - started)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]  # set whenever error is None

    def _step(self, coro: Coroutine[Any, Any, T], waiter: _Waiter[T]) -> None:
        try:
            yielded = coro.send(None)
        except StopIteration as stop:
            waiter.finish(stop.value, None)
            return
        except BaseException as exc:
            waiter.finish(None, exc)
            return
        if yielded is None:  # a bare yield (asyncio.sleep(0)): continue on the next iteration
            waiter.pending = self._loop.create_task(_resume(coro, waiter))
            return
        awaited: asyncio.Future[Any] = yielded
        awaited._asyncio_future_blocking = False

        def resume(_: asyncio.Future[Any]) -> None:
            waiter.pending = self._loop.create_task(_resume(coro, waiter))

        waiter.pending = awaited  # cancelling it makes the coroutine see CancelledError where it awaits
        awaited.add_done_callback(resume)

    @staticmethod
    def _cancel_pending(waiter: _Waiter[Any]) -> None:
        if waiter.pending is not None:
            waiter.pending.cancel()


VARIANTS: dict[str, Callable[[], Bridge]] = {
    "variant: eager first step": lambda: EagerBridge(name="eager"),
}


def _selftest() -> None:
    """The prototype keeps Task semantics: suspending coroutines, errors and timeouts."""
    bridge = EagerBridge(name="selftest")

    async def sleepy(value: int) -> int:
        await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        return value

    async def boom() -> None:
        raise ValueError("boom")

    async def hang() -> None:
        await asyncio.sleep(10)

    assert bridge.run_sync(sleepy(7)) == 7
    try:
        bridge.run_sync(boom())
    except ValueError:
        pass
    else:
        raise AssertionError("error not propagated")
    try:
        bridge.run_sync(hang(), timeout=0.05)
    except TimeoutError:
        pass
    else:
        raise AssertionError("timeout not raised")
    bridge.shutdown()
    print("EagerBridge self-test passed")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _selftest()
