"""The only way from a thread into the daemon's persistent asyncio loop.

One loop runs in its own thread for the daemon's lifetime. Other threads hand it work with `post`
(fire and forget), `submit` (a concurrent future) or `run_sync` (wait for the answer, with a timeout
that cancels the coroutine). `run_sync` on the loop's own thread raises instead of deadlocking.

`run_sync` is built for a short round trip (see bench/bridge.py): the coroutine starts as an eager task
inside the wake-up callback, so one that does not suspend finishes in the loop iteration that received
it; its outcome is handed over from the task's last step, not from a done callback one iteration later;
and the caller waits for the call's token on its thread's pipe, written just before the loop goes back to
sleep, instead of a `concurrent.futures.Future` and its condition variable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import itertools
import math
import os
import select
import selectors
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_CANCEL_GRACE_SECONDS = 1.0


class BridgeError(RuntimeError):
    """Misuse of the bridge: called on the loop's own thread, or after shutdown."""


_MAX_POLL_MS = 86_400_000  # poll() takes a C int of milliseconds: wait in chunks of a day at most


class _Wakeup:
    """A calling thread's pipe, reused by its calls: the loop writes a call's token when that call is over.

    A pipe rather than a lock: Linux wakes a pipe's reader as a synchronous hand-off, so the caller tends
    to run on the CPU the loop thread is about to leave, while a futex wakes it on whichever CPU it last
    used, which on a virtual machine often has to be woken first. Tokens make the pipe safe to reuse: a
    call its caller gave up on (timeout, or a signal handler that raised) writes a token nobody waits for,
    and a signal handler's own call on the same thread can wait while the interrupted one's token arrives.
    """

    __slots__ = ("_arrived", "_poll", "_tokens", "_waiting", "read_fd", "write_fd")

    def __init__(self) -> None:
        self.read_fd = self.write_fd = -1
        self._tokens = itertools.count(1)  # next() is atomic, even against a signal handler on this thread
        self._arrived: set[int] = set()  # tokens read while waiting for another
        self._waiting = 0
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)  # the loop never blocks on a pipe full of unread tokens
        self._poll = self._poller()

    def _poller(self) -> select.poll:
        poller = select.poll()
        poller.register(self.read_fd, select.POLLIN)
        return poller

    def next_token(self) -> int:
        return next(self._tokens)

    def wait(self, token: int, timeout: float | None) -> bool:
        """Block until `token` arrives (True) or `timeout` seconds pass (False)."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        poller = self._poll if not self._waiting else self._poller()  # a poll object serves one wait at a time
        self._waiting += 1
        try:
            while token not in self._arrived:
                if deadline is None:
                    wait_ms = _MAX_POLL_MS
                else:
                    wait_ms = min(math.ceil((deadline - time.monotonic()) * 1000), _MAX_POLL_MS)
                    if wait_ms <= 0:
                        self._drain()
                        break
                if poller.poll(wait_ms):
                    self._drain()
            found = token in self._arrived
            self._arrived.discard(token)
            return found
        finally:
            self._waiting -= 1
            if not self._waiting:
                self._arrived.clear()  # what is left belongs to calls whose callers gave up

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            data = os.read(self.read_fd, 4096)  # whole tokens: writes of 8 bytes to a pipe are atomic
            self._arrived.update(int.from_bytes(data[i : i + 8], "little") for i in range(0, len(data), 8))

    def wake(self, token: int) -> None:
        """On the loop: the call with `token` is over."""
        with contextlib.suppress(BlockingIOError):  # full only of tokens nobody waits for (thousands of them)
            os.write(self.write_fd, token.to_bytes(8, "little"))

    def __del__(self) -> None:
        # Only when no waiter holds it any more, so the loop can no longer write to these descriptors.
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)


_thread_state = threading.local()


def _forget_wakeup() -> None:
    _thread_state.wakeup = None  # a forked child must not share its parent's pipe


os.register_at_fork(after_in_child=_forget_wakeup)


def _thread_wakeup() -> _Wakeup:
    wakeup: _Wakeup | None = getattr(_thread_state, "wakeup", None)
    if wakeup is None:
        wakeup = _thread_state.wakeup = _Wakeup()
    return wakeup


class _Waiter(Generic[T]):
    __slots__ = ("error", "result", "task", "token", "wakeup")

    def __init__(self, wakeup: _Wakeup) -> None:
        self.wakeup = wakeup
        self.token = wakeup.next_token()
        self.result: T | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None


class _WakeBeforeSleep(selectors.DefaultSelector):
    """The loop's selector: wakes the threads whose calls are over just before the loop blocks.

    A woken caller needs the GIL at once; woken earlier, it would find the loop thread still holding it for
    the rest of the iteration, sleep again on the GIL and need a second wake-up.
    """

    def __init__(self) -> None:
        super().__init__()
        self.finished: list[_Waiter[Any]] = []  # touched on the loop thread only

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self.wake_finished()
        return super().select(timeout)

    def wake_finished(self) -> None:
        for waiter in self.finished:
            waiter.wakeup.wake(waiter.token)
        self.finished.clear()  # in place: tasks still running hold this very list


class _BridgeLoop(asyncio.SelectorEventLoop):
    """An event loop that can start a task eagerly: its first step runs now, inside the current callback.

    Python 3.12 has `Task(eager_start=True)`; on 3.11 the first step, which `Task.__init__` hands to
    `call_soon`, is taken and run at once. Either way the step runs as the task, so `current_task()`,
    `asyncio.timeout` and cancellation behave as in any task.
    """

    def __init__(self) -> None:
        self.selector = _WakeBeforeSleep()
        self._first_step: list[tuple[Callable[..., object], tuple[Any, ...], contextvars.Context | None]] | None
        self._first_step = None
        super().__init__(self.selector)

    def start_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        if asyncio.current_task(self) is not None:  # 3.11 cannot step a task inside another: start it soon
            return self.create_task(coro)
        if sys.version_info >= (3, 12):
            return asyncio.Task(coro, loop=self, eager_start=True)
        self._first_step = []
        try:
            task = asyncio.Task(coro, loop=self)
        finally:
            steps, self._first_step = self._first_step, None
        ((callback, args, context),) = steps
        if context is None:
            callback(*args)
        else:
            context.run(callback, *args)
        return task

    def call_soon(  # type: ignore[override]  # same signature; typeshed spells the callback generically
        self, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        if self._first_step is not None:
            self._first_step.append((callback, args, context))
            return asyncio.Handle(callback, args, self, context)  # never scheduled: the step runs now
        return super().call_soon(callback, *args, context=context)


async def _settle(coro: Coroutine[Any, Any, T], waiter: _Waiter[T], finished: list[_Waiter[Any]]) -> None:
    """Run `coro` as the task's body and hand its outcome to the waiting thread from the task's last step."""
    try:
        waiter.result = await coro
    except BaseException as error:
        waiter.error = error
        if isinstance(error, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
            raise  # the task ends cancelled, and the loop stops on an interrupt, as for any other task
    finally:
        finished.append(waiter)


class Bridge:
    """A persistent event loop in a daemon thread, reachable from any other thread."""

    _wakeup = staticmethod(_thread_wakeup)  # how a caller is woken; bench/_bridge_variants.py times others

    def __init__(self, name: str = "toridaemon-loop", on_roundtrip: Callable[[float], None] | None = None) -> None:
        self._loop = _BridgeLoop()
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
        try:
            self._loop.run_forever()
        finally:
            self._loop.selector.wake_finished()  # calls settled in the loop's last iteration

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
        waiter: _Waiter[T] = _Waiter(self._wakeup())
        self._loop.call_soon_threadsafe(self._start, coro, waiter)
        if not waiter.wakeup.wait(waiter.token, timeout):
            self._loop.call_soon_threadsafe(self._cancel, waiter)
            waiter.wakeup.wait(waiter.token, _CANCEL_GRACE_SECONDS)
            raise TimeoutError(f"coroutine did not finish within {timeout} s and was cancelled")
        if self._on_roundtrip is not None:
            self._on_roundtrip(time.perf_counter() - started)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]  # set whenever error is None

    def _start(self, coro: Coroutine[Any, Any, T], waiter: _Waiter[T]) -> None:
        # Started eagerly: a coroutine that does not suspend is finished before this callback returns,
        # and a task can no longer be cancelled before it starts (which would leave `coro` never awaited).
        waiter.task = self._loop.start_task(_settle(coro, waiter, self._loop.selector.finished))

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
