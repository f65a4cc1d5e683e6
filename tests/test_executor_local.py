"""LocalExecutor on a real pebble pool and forkserver: a broken pool is joined, replaced, or reported.

The faults are real: SIGKILL of a worker or of the forkserver, and a worker whose answer the parent
cannot unpickle (pebble's own path to a BrokenProcessPool). Processes are found through /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.pdfgen import make_pdf
from tests.polling import wait_for
from toridaemon.executors.base import ExecutorUnavailable, Job
from toridaemon.executors.local import WORKER_START, LocalExecutor
from toridaemon.pipeline import PipelineOptions

T = TypeVar("T")
# Real forkservers, pools and signals, each test building and breaking pools for seconds: the slow tier.
pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def forkserver_pid(parent: int | None = None) -> int | None:
    """The live forkserver started by `parent` (default: this process)."""
    for child in _children(parent or os.getpid()):
        if "multiprocessing.forkserver" in _cmdline(child):
            return child
    return None


def pool_workers(parent: int | None = None, count: int = 1) -> list[int]:
    """The workers the forkserver forked once there are at least `count` of them, else []."""
    server = forkserver_pid(parent)
    workers = _children(server) if server else []
    return workers if len(workers) >= count else []


def _exactly(found: list[int], count: int) -> list[int]:
    """`found` if it holds exactly `count` pids (no worker of an earlier pool still exiting), else []."""
    return found if len(found) == count else []


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie or a reused pid of another program counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


class _Unpicklable:
    """Pickles in the worker, fails to unpickle in the parent (int([]) raises TypeError)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return int, ([],)


def _answer_unpicklable_after(seconds: float) -> _Unpicklable:
    time.sleep(seconds)
    return _Unpicklable()


def _sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _job(folder: Path, name: str = "paper.pdf") -> Job:
    path = make_pdf(folder / name, salt=name)
    return Job(path, hashlib.sha256(path.read_bytes()).hexdigest(), PipelineOptions(), 60.0)


def run(body: Callable[[LocalExecutor], Awaitable[T]], **kwargs: Any) -> tuple[T, list[bool]]:
    """Start an executor, run `body` with it, close it; also return the health reports it made."""
    health: list[bool] = []

    async def main() -> T:
        executor = LocalExecutor(2, on_health=health.append, check_seconds=0.2, **kwargs)
        await executor.start()
        try:
            return await body(executor)
        finally:
            await executor.close(timeout=5.0)

    return asyncio.run(main()), health


def test_jobs_run_and_health_is_reported(tmp_path: Path) -> None:
    async def body(executor: LocalExecutor) -> Any:
        return await executor.run(_job(tmp_path))

    outcome, health = run(body)
    assert outcome.result is not None and outcome.result["source"]["name"] == "paper.pdf"
    assert health == [True]


def test_a_job_queued_behind_busy_workers_is_timed_from_its_own_start() -> None:
    """The daemon queues a file per worker ahead (`queues_ahead`): that is only sound while the pool
    times a job from the moment a worker takes it. Six 1 s jobs on two workers, each allowed 1.5 s:
    the last ones finish about 3 s after they were submitted, and none of them timed out."""
    async def body(executor: LocalExecutor) -> list[int]:
        pool = await executor._current_pool()  # the pool the executor submits its jobs to
        futures = [pool.submit(_sleep, 1.5, 1.0) for _ in range(6)]
        return await asyncio.wait_for(asyncio.gather(*(asyncio.wrap_future(f) for f in futures)), 60)

    started = time.monotonic()
    pids, _ = run(body)
    assert len(pids) == 6 and time.monotonic() - started > 2.5


def test_a_pool_in_error_state_is_replaced(tmp_path: Path) -> None:
    """A worker killed while no job runs puts pebble's pool in ERROR for good; the next job still runs."""
    job = _job(tmp_path)

    async def body(executor: LocalExecutor) -> Any:
        await executor.run(job)
        workers = await asyncio.to_thread(wait_for, lambda: pool_workers(count=2), 30, what="two workers")
        os.kill(workers[0], signal.SIGKILL)
        # Until pebble's manager thread sees the death, the pool runs on with its other worker: a job sent at once
        # ran there and nothing was replaced.
        await asyncio.to_thread(wait_for, lambda: executor.rebuilds, 60, what="the broken pool replaced")
        return await asyncio.wait_for(executor.run(job), 60), executor.rebuilds

    # No liveness ping: one taken by the surviving worker as pebble saw the death kept the pool running.
    (outcome, rebuilds), health = run(body, liveness_seconds=3600)
    assert outcome.result is not None and rebuilds == 1
    assert health == [True]  # replaced at the first attempt: never reported unhealthy


def test_a_broken_pool_is_joined_so_its_live_workers_exit(tmp_path: Path) -> None:
    """pebble aborts every job of a broken pool; the worker still busy in it must be stopped, not
    leaked, and the aborted job goes once to the rebuilt pool."""
    job = _job(tmp_path)

    async def body(executor: LocalExecutor) -> tuple[int, Any]:
        await executor.run(job)
        pool = executor._pool  # the test drives pebble directly to break it in a known state
        assert pool is not None
        pool.submit(_sleep, None, 120.0)
        pool.submit(_answer_unpicklable_after, None, 1.0)
        busy_pid = await asyncio.to_thread(wait_for, lambda: _sleeping_worker(), 30, what="a busy worker")
        outcome = await asyncio.wait_for(executor.run(job), 60)  # queued behind both: aborted with the pool
        return busy_pid, outcome

    (busy_pid, outcome), health = run(body)
    assert outcome.result is not None
    assert health == [True]
    wait_for(lambda: not alive(busy_pid), 30, what="the broken pool's busy worker to exit")


def _sleeping_workers(parent: int | None = None) -> list[int]:
    """The workers whose main thread sleeps (its wchan is a timed sleep)."""
    sleeping = []
    for pid in pool_workers(parent):
        try:
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            continue
        if "nanosleep" in wchan or "hrtimer" in wchan:
            sleeping.append(pid)
    return sleeping


def _sleeping_worker() -> int | None:
    return next(iter(_sleeping_workers()), None)


def test_a_killed_forkserver_is_replaced_and_its_workers_die(tmp_path: Path) -> None:
    job = _job(tmp_path)

    async def body(executor: LocalExecutor) -> tuple[list[int], Any, int]:
        await executor.run(job)
        workers = await asyncio.to_thread(wait_for, lambda: pool_workers(count=2), 30, what="two workers")
        server = forkserver_pid()
        assert server is not None
        os.kill(server, signal.SIGKILL)
        # As above: a job sent before the pool was seen broken ran on a worker still alive.
        await asyncio.to_thread(wait_for, lambda: executor.rebuilds, 60, what="the broken pool replaced")
        return workers, await asyncio.wait_for(executor.run(job), 60), executor.rebuilds

    (workers, outcome, rebuilds), health = run(body, liveness_seconds=3600)  # as above
    assert outcome.result is not None and rebuilds == 1
    assert health == [True]
    wait_for(lambda: not any(alive(pid) for pid in workers), 30, what="the orphaned workers to exit")


# A pool whose workers all hang in their initializer (the fault seam), in a process of its own: the
# forkserver is started once per process, and this one must inherit the fault from its environment.
_STARTING_POOL = """
import os, time
from toridaemon.executors.local import new_pool
pool = new_pool(2, 0)
pool.submit(os.getpid, None)
time.sleep(600)
"""


def test_workers_still_starting_die_with_a_killed_forkserver(tmp_path: Path) -> None:
    """The tie to the forkserver is made at the fork, not when a worker gets to its initializer: a
    forkserver killed while its workers were still starting left them running, reparented, for good."""
    environ = {**os.environ, "TORI_FAULTS": f"hang:{WORKER_START}"}
    script = subprocess.Popen([sys.executable, "-c", _STARTING_POOL], env=environ, cwd=tmp_path)
    workers: list[int] = []
    try:
        workers = wait_for(lambda: _exactly(_sleeping_workers(script.pid), 2), 60,
                           what="two workers hanging before their initializer's own code")
        server = forkserver_pid(script.pid)
        assert server is not None
        os.kill(server, signal.SIGKILL)
        wait_for(lambda: not any(alive(pid) for pid in workers), 30, what="the starting workers to exit")
    finally:
        for pid in [script.pid, *workers]:  # hung workers that outlived a failing check must not stay behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        script.wait(10)


def test_a_pool_whose_workers_hang_is_replaced(tmp_path: Path) -> None:
    """Frozen workers (SIGSTOP) leave pebble's pool RUNNING; a job queued behind them would never
    start, so never time out. The liveness ping finds the pool unresponsive and it is replaced."""
    job = _job(tmp_path)

    async def body(executor: LocalExecutor) -> tuple[list[int], Any]:
        await executor.run(job)
        workers = await asyncio.to_thread(wait_for, lambda: _exactly(pool_workers(), 2), 30,
                                          what="the pool's two workers and no other")
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        return workers, await asyncio.wait_for(executor.run(job), 60)

    (workers, outcome), health = run(body, liveness_seconds=1.0)
    assert outcome.result is not None
    assert health == [True]
    wait_for(lambda: not any(alive(pid) for pid in workers), 30, what="the frozen workers killed")


class WorkerKiller:
    """Kills every worker of the forkserver started by `parent` as soon as it appears, until stopped:
    an OOM killer that does not let up, so no pool can be built meanwhile."""

    def __init__(self, parent: int | None = None) -> None:
        self.parent = parent
        self.killed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerKiller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            for pid in pool_workers(self.parent):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    self.killed += 1


def test_a_pool_that_cannot_be_rebuilt_is_reported_unhealthy_until_it_can(tmp_path: Path) -> None:
    job = _job(tmp_path)

    async def body(executor: LocalExecutor) -> BaseException | None:
        await executor.run(job)
        with WorkerKiller():
            await asyncio.to_thread(wait_for, lambda: executor.gauges()["pool_up"] == 0, 120, what="unhealthy")
            try:
                await executor.run(job)
                error = None
            except ExecutorUnavailable as exc:  # not a crash: no file is failed for a pool that cannot be built
                error = exc
        await asyncio.to_thread(wait_for, lambda: executor.gauges()["pool_up"] == 1, 120, what="healthy again")
        assert (await executor.run(job)).result is not None
        return error

    error, health = run(body, build_timeout=2.5)
    assert isinstance(error, ExecutorUnavailable)
    # A build can slip between two kills, so health may flap while the killer runs; it ends up.
    assert health[:2] == [True, False] and health[-1] is True


_RESIZE_UNDER_A_HUNG_JOB = """
import asyncio, hashlib, sys
from pathlib import Path
from toridaemon.executors.base import Job
from toridaemon.executors.local import LocalExecutor
from toridaemon.pipeline import PipelineOptions

async def main():
    executor = LocalExecutor(2, build_timeout=1.0)
    await executor.start()
    path = Path(sys.argv[1])
    job = Job(path, hashlib.sha256(path.read_bytes()).hexdigest(), PipelineOptions(), 4.0)
    running = asyncio.ensure_future(executor.run(job))
    await asyncio.sleep(1.5)  # taken by a worker, which hangs (the fault seam) until its timeout kills it
    await executor.resize(1)
    try:
        outcome = await asyncio.wait_for(running, 40)
        print(outcome.failure.reason if outcome.failure else "result")
    except TimeoutError:
        print("still waiting")
    await executor.close(5.0)

asyncio.run(main())
"""


def test_a_job_running_across_a_resize_ends_by_its_own_timeout(tmp_path: Path) -> None:
    """The old pool was stopped `build_timeout` after the swap, whatever its jobs' timeouts: the future of the job
    it still ran was never settled, and the file stayed in `parse` for ever (its timer was that pool's), or, when
    pebble settled it after all, the job went to the new pool and its timeout started over. A process
    of its own, so that its forkserver, and the workers forked from it, have the fault seam set."""
    path = make_pdf(tmp_path / "stuck.pdf", salt="resize")
    done = subprocess.run([sys.executable, "-c", _RESIZE_UNDER_A_HUNG_JOB, str(path)], capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "TORI_FAULTS": "hang:stuck"})
    assert done.stdout.splitlines()[-1:] == ["timeout"], done.stdout[-2000:] + done.stderr[-2000:]
    # On the old pool, by its own timer: not stopped under it and sent again (its timeout starting over), nor lost.
    assert "worker_pool_job_resubmitted" not in done.stdout


@pytest.mark.parametrize("workers", [1, 3])
def test_resize_swaps_in_a_pool_of_the_new_size(tmp_path: Path, workers: int) -> None:
    job = _job(tmp_path)

    async def body(executor: LocalExecutor) -> Any:
        await executor.run(job)
        await executor.resize(workers)
        outcome = await executor.run(job)
        await asyncio.to_thread(wait_for, lambda: len(pool_workers()) == workers, 30, what=f"{workers} workers")
        return outcome

    outcome, health = run(body)
    assert outcome.result is not None and health == [True]


def test_the_daemon_process_hands_jobs_over_without_loading_the_concept_engine() -> None:
    """The daemon's process imports `run_job` to hand it to its workers by name. Importing the pipeline with it
    built the English resources there (some 0.5 s, and 48 MB of the daemon's 103 MB) that only workers use."""
    script = (
        "import sys, toridaemon.daemon, toridaemon.executors.local\n"
        "heavy = ('analyze', 'candidates', 'conceptdb', 'concepts', 'language')\n"
        "print(sorted(m for m in sys.modules if m.startswith('toridaemon.pipeline.') and m.split('.')[2] in heavy))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_the_preload_warms_every_language_path_and_freezes_it() -> None:
    """What the forkserver imports once for all its workers: English with its database, the detector, the
    undetermined-language fallback, the English lexicon's tags every other language's boundaries are made of,
    and the warm state frozen so the collector never walks it."""
    script = (
        "import gc, toridaemon.executors.preload\n"
        "from toridaemon.pipeline import conceptdb\n"
        "from toridaemon.pipeline.language import detect, lexicon\n"
        "print(gc.get_freeze_count() > 100_000, sorted(key[1] for key in conceptdb._built), bool(detect._identifier),"
        " lexicon._read.cache_info().currsize)"  # English's, with its tags
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "['en',", "'und']", "True", "1"]


def test_a_worker_whose_pool_is_gone_before_it_starts_exits_without_a_traceback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool closed right after its first jobs removed its lock's semaphore while a worker was still starting:
    the forkserver's child printed the worker's FileNotFoundError on the terminal of `toridaemon ingest`. The lock
    is rebuilt here from a semaphore that does not exist, as that worker rebuilt it."""
    from multiprocessing import synchronize

    from toridaemon.executors.forktie import quiet_when_the_pool_is_gone

    shown: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, trace: shown.append(error))
    quiet_when_the_pool_is_gone()
    lock = synchronize.Lock.__new__(synchronize.Lock)
    with pytest.raises(FileNotFoundError) as gone:
        # Unpickled, as a worker's lock is (`__setstate__` is not in the stubs).
        lock.__setstate__((0, 1, 1, f"/toridaemon-no-such-semaphore-{os.getpid()}"))  # type: ignore[attr-defined]
    sys.excepthook(gone.type, gone.value, gone.tb)
    assert shown == []
    with pytest.raises(FileNotFoundError) as other:
        open(f"/nonexistent-{os.getpid()}/file")  # noqa: SIM115  # any other missing file is shown
    sys.excepthook(other.type, other.value, other.tb)
    with pytest.raises(TypeError) as broken:  # another error rebuilding the lock is shown too
        lock.__setstate__(("no handle",))  # type: ignore[attr-defined]
    sys.excepthook(broken.type, broken.value, broken.tb)
    assert shown == [other.value, broken.value]
