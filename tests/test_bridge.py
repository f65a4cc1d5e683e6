"""Bridge: results and errors cross threads, timeouts cancel, misuse raises instead of hanging."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import inspect
import threading
import time
import warnings
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

from tests.conftest import wait_for
from toridaemon.bridge import Bridge, BridgeError


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    instance = Bridge(name="test-loop")
    yield instance
    instance.shutdown(timeout=5.0)


class Boom(Exception):
    pass


async def square(value: int) -> int:
    await asyncio.sleep(0)
    return value * value


async def fail() -> None:
    await asyncio.sleep(0)
    raise Boom("from the loop")


async def sleep_until_cancelled(started: threading.Event, cancelled: threading.Event) -> None:
    started.set()
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        cancelled.set()
        raise


def test_run_sync_returns_the_result_computed_on_the_loop_thread(bridge: Bridge) -> None:
    async def where() -> int | None:
        return threading.get_ident()

    assert bridge.run_sync(square(7), timeout=5) == 49
    assert bridge.run_sync(where()) == bridge.thread.ident
    assert bridge.thread.ident != threading.get_ident()


def test_run_sync_propagates_the_same_exception(bridge: Bridge) -> None:
    with pytest.raises(Boom, match="from the loop"):
        bridge.run_sync(fail(), timeout=5)


@pytest.mark.timeout(10)
def test_a_timeout_inside_the_coroutine_reaches_the_caller_as_its_own_error(bridge: Bridge) -> None:
    async def times_out() -> None:
        async with asyncio.timeout(0.05):
            await asyncio.sleep(10)

    with pytest.raises(TimeoutError) as raised:
        bridge.run_sync(times_out(), timeout=5)
    assert "was cancelled" not in str(raised.value)  # asyncio's own, not the bridge's timeout
    assert bridge.run_sync(square(4), timeout=5) == 16


@pytest.mark.timeout(10)
def test_timeout_cancels_the_coroutine_and_raises_timeout_error(bridge: Bridge) -> None:
    cancelled = threading.Event()
    started = threading.Event()
    begin = time.monotonic()
    with pytest.raises(TimeoutError):
        bridge.run_sync(sleep_until_cancelled(started, cancelled), timeout=0.1)
    elapsed = time.monotonic() - begin
    assert started.is_set()
    wait_for(cancelled.is_set, timeout=2, what="the coroutine cancelled on the loop")
    assert 0.1 <= elapsed < 0.9, elapsed
    assert bridge.run_sync(square(3), timeout=5) == 9  # the loop is still usable


@pytest.mark.timeout(10)
def test_timeout_while_the_loop_is_busy_still_cancels_the_coroutine(bridge: Bridge) -> None:
    """The loop is held up longer than the timeout, so start and cancel reach it in the same turn."""
    release = threading.Event()
    bridge.post(release.wait, 5.0)
    # Far longer than the timeout and the bound below: a wake-up delayed on a loaded machine fails nothing.
    threading.Timer(1.5, release.set).start()

    async def forever() -> None:
        await asyncio.sleep(60)

    coro = forever()
    begin = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            bridge.run_sync(coro, timeout=0.05)
        elapsed = time.monotonic() - begin
        wait_for(lambda: inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED, timeout=5,
                 what="the coroutine closed once the loop is free")
    finally:
        release.set()
        coro.close()  # keep the unawaited coroutine from warning at garbage collection
    assert elapsed < 1.0, f"run_sync waited for the busy loop ({elapsed:.2f} s)"


@pytest.mark.timeout(10)
def test_run_sync_from_a_coroutine_on_the_loop_refuses_promptly(bridge: Bridge) -> None:
    async def nested() -> str:
        inner = square(2)
        try:
            bridge.run_sync(inner, timeout=5)
        except BridgeError as exc:
            assert inspect.getcoroutinestate(inner) == inspect.CORO_CLOSED
            return str(exc)
        return "no error"

    message = bridge.submit(nested()).result(timeout=5)
    assert "own thread" in message


@pytest.mark.timeout(10)
def test_run_sync_from_a_callback_on_the_loop_refuses_promptly(bridge: Bridge) -> None:
    outcome: list[str] = []

    def callback() -> None:
        try:
            bridge.run_sync(square(2))
        except BridgeError:
            outcome.append("refused")
        else:
            outcome.append("ran")

    bridge.post(callback)
    wait_for(lambda: outcome, timeout=5, what="callback on the loop")
    assert outcome == ["refused"]


def test_submit_returns_a_concurrent_future(bridge: Bridge) -> None:
    future = bridge.submit(square(12))
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(timeout=5) == 144
    with pytest.raises(Boom):
        bridge.submit(fail()).result(timeout=5)


def test_post_runs_callbacks_on_the_loop_in_order(bridge: Bridge) -> None:
    seen: list[tuple[int, int | None]] = []
    for value in range(50):
        bridge.post(lambda v: seen.append((v, threading.get_ident())), value)
    wait_for(lambda: len(seen) == 50, timeout=5, what="50 posted callbacks")
    assert [value for value, _ in seen] == list(range(50))
    assert {ident for _, ident in seen} == {bridge.thread.ident}


@pytest.mark.timeout(30)
def test_many_threads_at_once_all_get_their_own_results(bridge: Bridge) -> None:
    threads, calls = 32, 200
    wrong: list[tuple[int, int]] = []
    done = [0] * threads
    barrier = threading.Barrier(threads)

    def worker(index: int) -> None:
        barrier.wait()
        for call in range(calls):
            value = index * 10_000 + call
            if bridge.run_sync(square(value), timeout=10) != value * value:
                wrong.append((index, call))
            done[index] += 1

    pool = [threading.Thread(target=worker, args=(index,)) for index in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(25)
    assert wrong == []
    assert done == [calls] * threads


@pytest.mark.timeout(10)
def test_shutdown_cancels_outstanding_work_and_is_idempotent() -> None:
    instance = Bridge()
    cancelled = threading.Event()
    running = threading.Event()
    future = instance.submit(sleep_until_cancelled(running, cancelled))
    wait_for(running.is_set, timeout=5, what="job running")
    assert instance.is_alive()
    instance.shutdown(timeout=5)
    instance.shutdown(timeout=5)
    assert cancelled.is_set()
    assert future.cancelled()
    assert not instance.thread.is_alive()
    assert not instance.is_alive()
    assert instance.loop.is_closed()


def test_calls_after_shutdown_raise_bridge_error_and_close_the_coroutine() -> None:
    instance = Bridge()
    instance.shutdown()
    for call in (instance.run_sync, instance.submit):
        coro = square(1)
        with pytest.raises(BridgeError, match="shut down"):
            call(coro)
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED
    with pytest.raises(BridgeError):
        instance.post(print, "never")


def test_error_paths_leave_no_unawaited_coroutines() -> None:
    """Refused and timed-out coroutines are closed, so none warns 'was never awaited'."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        instance = Bridge()

        async def slow() -> None:
            await asyncio.sleep(60)

        async def on_loop() -> None:
            with pytest.raises(BridgeError):
                instance.run_sync(square(1))

        instance.submit(on_loop()).result(5)
        with pytest.raises(TimeoutError):
            instance.run_sync(slow(), timeout=0.05)
        instance.shutdown()
        coros: list[Coroutine[Any, Any, Any]] = [square(2), square(3)]
        with pytest.raises(BridgeError):
            instance.run_sync(coros.pop())
        with pytest.raises(BridgeError):
            instance.submit(coros.pop())
        gc.collect()
    never_awaited = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert never_awaited == []


@pytest.mark.timeout(10)
def test_refused_shutdown_on_the_loop_thread_does_not_disable_a_later_shutdown() -> None:
    instance = Bridge()

    async def stop_from_inside() -> str:
        try:
            instance.shutdown()
        except BridgeError as exc:
            return str(exc)
        return "no error"

    try:
        assert "own thread" in instance.submit(stop_from_inside()).result(5)
        instance.shutdown(timeout=2)
        stopped = not instance.thread.is_alive()
    finally:  # stop the loop by hand when shutdown() did not
        if instance.thread.is_alive():
            instance.loop.call_soon_threadsafe(instance.loop.stop)
            instance.thread.join(5)
            instance.loop.close()
    assert stopped, "the loop thread is still running after shutdown()"
