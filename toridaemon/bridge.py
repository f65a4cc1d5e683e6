"""The only way from a thread into the daemon's persistent asyncio loop.

One loop runs in its own thread for the daemon's lifetime. Other threads hand it work with `post`
(fire and forget: the watcher's events), `submit` (a concurrent future) or `run_sync` (wait for the
answer; on timeout the coroutine is cancelled). All three rest on `call_soon_threadsafe` and
`asyncio.run_coroutine_threadsafe`. `run_sync` on the loop's own thread raises instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BridgeError(RuntimeError):
    """Misuse of the bridge: called on the loop's own thread, or after shutdown."""


class Bridge:
    """A persistent event loop in a daemon thread, reachable from any other thread."""

    def __init__(self, name: str = "toridaemon-loop") -> None:
        self._loop = asyncio.new_event_loop()
        self._closed = False
        self._close_lock = threading.Lock()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name=name, daemon=True)
        self._thread.start()
        if not ready.wait(10.0):
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

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
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
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            if future.done():
                raise  # the coroutine's own TimeoutError (the same class since Python 3.11)
            future.cancel()  # cancels the task on the loop (run_coroutine_threadsafe links the two)
            raise TimeoutError(f"coroutine did not finish within {timeout} s and was cancelled") from None

    def _check_open(self, coro: Coroutine[Any, Any, Any] | None = None) -> None:
        if self._closed:
            if coro is not None:
                coro.close()
            raise BridgeError("the bridge is shut down")

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel what is left on the loop, stop it and join its thread; safe to call twice."""
        if self.in_loop_thread():
            raise BridgeError("shutdown called on the event loop's own thread")
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if self._thread.is_alive():
            deadline = time.monotonic() + timeout  # one budget for both waits
            future = asyncio.run_coroutine_threadsafe(self._finish_tasks(), self._loop)
            with contextlib.suppress(concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                future.result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(max(0.0, deadline - time.monotonic()))
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
