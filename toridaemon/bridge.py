"""The only way from a thread into the daemon's persistent asyncio loop.

One loop runs in its own thread for the daemon's lifetime. Other threads hand it work with `post`
(fire and forget), `submit` (a concurrent future) or `run_sync` (wait for the answer, with a timeout
that cancels the coroutine). `run_sync` on the loop's own thread raises instead of deadlocking.

`run_sync` waits on a bare lock released by the task's done callback instead of chaining a
`concurrent.futures.Future` and waiting on its condition variable (see bench/bridge.py).
"""

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_CANCEL_GRACE_SECONDS = 1.0


class BridgeError(RuntimeError):
    """Misuse of the bridge: called on the loop's own thread, or after shutdown."""


class _Waiter(Generic[T]):
    __slots__ = ("error", "lock", "result", "task")

    def __init__(self) -> None:
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.result: T | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[T] | None = None

    def settle(self, task: asyncio.Task[T]) -> None:
        """Done callback on the loop: copy the outcome, then wake the waiting thread."""
        if task.cancelled():
            self.error = asyncio.CancelledError()
        elif (error := task.exception()) is not None:
            self.error = error
        else:
            self.result = task.result()
        self.lock.release()


class Bridge:
    """A persistent event loop in a daemon thread, reachable from any other thread."""

    def __init__(self, name: str = "toridaemon-loop", on_roundtrip: Callable[[float], None] | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._closed = False
        self._close_lock = threading.Lock()
        self._on_roundtrip = on_roundtrip
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0):
            raise BridgeError("event loop thread did not start")

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def in_loop_thread(self) -> bool:
        return threading.get_ident() == self._thread.ident

    def is_alive(self) -> bool:
        return self._thread.is_alive() and self._loop.is_running()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    def post(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` on the loop soon; never blocks."""
        self._check_open()
        self._loop.call_soon_threadsafe(callback, *args)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule `coro` on the loop and return a future for its result."""
        self._check_open(coro)
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run_sync(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for its result; on timeout cancel it and raise `TimeoutError`."""
        if self.in_loop_thread():
            coro.close()
            raise BridgeError("run_sync called on the event loop's own thread; await the coroutine instead")
        self._check_open(coro)
        started = time.perf_counter()
        waiter: _Waiter[T] = _Waiter()
        self._loop.call_soon_threadsafe(self._start, coro, waiter)
        if not waiter.lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            self._loop.call_soon_threadsafe(self._cancel, waiter)
            waiter.lock.acquire(timeout=_CANCEL_GRACE_SECONDS)
            raise TimeoutError(f"coroutine did not finish within {timeout} s and was cancelled")
        if self._on_roundtrip is not None:
            self._on_roundtrip(time.perf_counter() - started)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]  # set whenever error is None

    def _start(self, coro: Coroutine[Any, Any, T], waiter: _Waiter[T]) -> None:
        # A task cancelled before its first step still closes its coroutine and runs its callbacks,
        # so a timeout always wakes the caller and never leaves a coroutine unawaited.
        waiter.task = task = self._loop.create_task(coro)
        task.add_done_callback(waiter.settle)

    @staticmethod
    def _cancel(waiter: _Waiter[Any]) -> None:
        if waiter.task is not None:
            waiter.task.cancel()

    def _check_open(self, coro: Coroutine[Any, Any, Any] | None = None) -> None:
        if self._closed:
            if coro is not None:
                coro.close()
            raise BridgeError("the bridge is shut down")

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel what is left on the loop, stop it and join its thread; safe to call twice."""
        if self.in_loop_thread():
            raise BridgeError("shutdown called on the event loop's own thread")
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if self._thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._finish_tasks(), self._loop)
            with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
                future.result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()

    async def _finish_tasks(self) -> None:
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._loop.shutdown_asyncgens()
        await self._loop.shutdown_default_executor()
