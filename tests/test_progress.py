"""ProgressTracker: throttles, monotonic percentages, context managers, state, threads."""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toridaemon.progress import ProgressState, ProgressTracker


class FakeClock:
    """A clock the test moves by hand, so throttles are checked without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


steps = st.lists(
    st.tuples(st.integers(min_value=0, max_value=50), st.floats(min_value=0.0, max_value=5.0)),
    max_size=60,
)


@given(
    total=st.integers(min_value=0, max_value=500),
    min_change=st.floats(min_value=0.0, max_value=30.0),
    min_seconds=st.floats(min_value=0.0, max_value=3.0),
    script=steps,
)
def test_reports_exactly_when_both_throttles_allow(
    total: int, min_change: float, min_seconds: float, script: list[tuple[int, float]]
) -> None:
    clock = FakeClock()
    tracker = ProgressTracker(total, min_change=min_change, min_seconds=min_seconds, clock=clock)
    last_percent, last_time, previous = 0.0, clock.now, 0.0
    for n, advance in script:
        clock.now += advance
        reported = tracker.update(n)
        percent = tracker.get_state()["percent"]
        assert previous <= percent <= 100.0
        previous = percent
        due = percent - last_percent >= min_change - 1e-9 and clock.now - last_time >= min_seconds
        if due:
            assert reported == percent
            last_percent, last_time = percent, clock.now
        else:
            assert reported is None


@given(script=steps, total=st.integers(min_value=1, max_value=300))
def test_reported_percentages_never_fall_and_stay_within_100(
    script: list[tuple[int, float]], total: int
) -> None:
    seen: list[float] = []
    tracker = ProgressTracker(total, min_change=0.0, on_report=lambda s: seen.append(s["percent"]))
    with tracker:
        for n, _ in script:
            tracker.update(n)
    assert seen[0] == 0.0
    assert seen[-1] == 100.0
    assert all(a <= b <= 100.0 for a, b in itertools.pairwise(seen))


def test_many_threads_count_every_unit_and_report_in_order() -> None:
    total, threads, per_thread = 40_000, 16, 2_500
    seen: list[float] = []
    tracker = ProgressTracker(total, min_change=0.5, on_report=lambda s: seen.append(s["percent"]))
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait(timeout=10)
        for _ in range(per_thread):
            tracker.update()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive()
    assert tracker.get_state()["done"] == total
    assert seen[-1] == 100.0
    assert all(b - a >= 0.5 - 1e-9 for a, b in itertools.pairwise(seen))


def test_context_manager_reports_zero_then_hundred_ignoring_throttles() -> None:
    seen: list[ProgressState] = []
    with ProgressTracker(10, min_change=50.0, min_seconds=1e9, on_report=seen.append) as tracker:
        assert tracker.update(3) is None
    assert [s["percent"] for s in seen] == [0.0, 100.0]
    assert seen[-1]["done"] == 10


def test_context_manager_exit_by_exception_reports_true_figure() -> None:
    seen: list[float] = []
    tracker = ProgressTracker(4, on_report=lambda s: seen.append(s["percent"]))
    with pytest.raises(RuntimeError), tracker:
        tracker.update(1)
        raise RuntimeError("parse failed")
    assert seen == [0.0, 25.0, 25.0]


def test_async_context_manager_and_update() -> None:
    seen: list[float] = []

    async def run() -> list[float | None]:
        tracker = ProgressTracker(4, min_change=50.0, on_report=lambda s: seen.append(s["percent"]))
        async with tracker:
            return [await tracker.update_async() for _ in range(4)]

    assert asyncio.run(run()) == [None, 50.0, None, 100.0]
    assert seen == [0.0, 50.0, 100.0, 100.0]


def test_zero_total_is_complete() -> None:
    tracker = ProgressTracker(0)
    state = tracker.get_state()
    assert state["percent"] == 100.0
    assert state["eta_seconds"] == 0.0


def test_state_rate_and_eta_follow_the_clock() -> None:
    clock = FakeClock()
    tracker = ProgressTracker(100, description="backlog", clock=clock)
    assert tracker.get_state()["eta_seconds"] is None  # no rate yet
    clock.now += 10.0
    tracker.update(25)
    state = tracker.get_state()
    assert state == ProgressState(
        description="backlog", done=25, total=100, percent=25.0,
        elapsed_seconds=10.0, rate_per_second=2.5, eta_seconds=30.0,
    )


def test_growing_total_lowers_percent_and_reports_from_the_new_level() -> None:
    tracker = ProgressTracker(10, min_change=10.0)
    assert tracker.update(5) == 50.0
    tracker.set_total(20)
    assert tracker.get_state()["percent"] == 25.0
    assert tracker.update(1) is None  # 30 %: moved 5 points from the new level
    assert tracker.update(1) == 35.0


def test_done_beyond_total_caps_at_100() -> None:
    tracker = ProgressTracker(2)
    tracker.update(5)
    assert tracker.get_state()["percent"] == 100.0


@pytest.mark.parametrize(
    "kwargs", [{"total": -1}, {"total": 1, "min_change": -0.1}, {"total": 1, "min_seconds": -1.0}]
)
def test_rejects_negative_arguments(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        ProgressTracker(**kwargs)  # type: ignore[arg-type]


def test_rejects_negative_update() -> None:
    with pytest.raises(ValueError, match="n must be"):
        ProgressTracker(1).update(-1)
