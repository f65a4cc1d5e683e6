"""Local backend: a supervised pebble process pool.

pebble kills and replaces a worker whose job passes its timeout. What it does not survive is the pool
itself breaking: the forkserver killed (the OOM killer), every worker killed while none had a job, a
pipe error. pebble then puts the pool in its ERROR state for good and every submit raises
`RuntimeError("Unexpected error within the Pool")`. Here a supervisor looks at the pool every
`check_seconds` (and has a free worker answer a ping every `liveness_seconds`), and a job that finds
it broken asks for the same repair: the broken pool is stopped
and joined off the loop (its threads, pipes and live workers go with it), and a new one is built and
answers a ping before it takes jobs. When `build_attempts` builds in a row fail the executor reports
itself unhealthy (the daemon's /healthz turns 503 and systemd restarts it); the supervisor keeps
trying meanwhile.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import contextlib
import functools
import multiprocessing
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing import resource_tracker
from typing import Any

import pebble

from toridaemon.executors.base import ExecutorUnavailable, Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.executors.job import SentOptions, as_outcome, run_job
from toridaemon.faults import worker_fault
from toridaemon.logs import get_logger

log = get_logger("toridaemon.executor")
# The exit code multiprocessing reports for a forkserver child when the forkserver itself is gone
# and cannot tell the real one (popen_forkserver.Popen.poll); our workers die with it (PDEATHSIG).
_FORKSERVER_LOST = 255
# The fault seam's name for a worker's start: `TORI_FAULTS=crash:/worker-start` makes every worker
# die as it starts, a pool that cannot be built (no file name holds a "/", so no file triggers it).
WORKER_START = "/worker-start"


class PoolBroken(WorkerCrashed):
    """The whole pool broke (not this job's own worker) or cannot be rebuilt; the job may be retried."""


def _init_worker(limit_mb: int) -> None:
    """Worker initializer: cap the address space, so that a decompression bomb fails inside the worker."""
    worker_fault(WORKER_START)
    if limit_mb > 0:
        limit = limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _ping() -> int:
    return 0


_GROUP_SIGNALS = {signal.SIGHUP, signal.SIGINT}


@contextlib.contextmanager
def _group_signals_blocked() -> Iterator[None]:
    """Block SIGHUP and SIGINT in this thread while it may start the forkserver and its resource tracker.

    Both inherit the mask (and so do the workers the forkserver forks), so a signal to the whole process
    group reaches the daemon (or `ingest`) alone, which decides: a SIGHUP (a closed terminal, `pkill -HUP -f
    toridaemon`) reloads instead of killing the helpers, and a terminal's Ctrl-C never interrupts the
    forkserver while it imports its preload (seconds), before it can ignore SIGINT itself: it printed a
    traceback then. The parent's own handlers run on its main thread, which never blocks them.

    multiprocessing starts the resource tracker first, and unblocks SIGINT (and SIGTERM) in the calling thread
    once it has; so it is started here, and SIGINT blocked again before the forkserver starts.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _GROUP_SIGNALS)
    try:
        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, _GROUP_SIGNALS)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)




def _dispose(pool: pebble.ProcessPool, grace: float) -> None:
    """Let `pool` finish its jobs within `grace` seconds, then stop it and join its threads and workers."""
    if grace > 0:
        pool.close()
        with contextlib.suppress(TimeoutError, RuntimeError):
            pool.join(grace)
            return
    pool.stop()
    pool.join()


def _dispose_when_built(building: asyncio.Future[pebble.ProcessPool]) -> None:
    if not building.cancelled() and building.exception() is None:
        threading.Thread(target=_dispose, args=(building.result(), 0.0), name="toridaemon-pool-dispose",
                         daemon=True).start()


def new_pool(workers: int, memory_limit_mb: int) -> pebble.ProcessPool:
    """A pebble pool whose workers a forkserver forks; pebble starts them on the first submit."""
    # forkserver: workers never inherit the daemon's threads, locks or open sockets; its preload ties
    # each worker to it and warms the pipeline once in the server, so forked workers start ready.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["toridaemon.executors.pool_preload"])
    return pebble.ProcessPool(max_workers=workers, initializer=_init_worker, initargs=(memory_limit_mb,),
                              context=context)


class LocalExecutor:
    """Runs jobs in `workers` processes of a pebble pool that is rebuilt when it breaks."""

    name = "local"
    queues_ahead = True  # pebble runs `workers` jobs at once and times each from a worker's acknowledgement

    def __init__(self, workers: int, memory_limit_mb: int = 0, on_health: Callable[[bool], None] | None = None,
                 *, check_seconds: float = 0.5, build_timeout: float = 30.0, build_attempts: int = 3,
                 liveness_seconds: float = 30.0) -> None:
        self._workers = workers
        self._memory_limit_mb = memory_limit_mb
        self._on_health = on_health
        self._healthy: bool | None = None
        self._check_seconds = check_seconds
        self._build_timeout = build_timeout
        self._build_attempts = build_attempts
        self._liveness_seconds = liveness_seconds
        self._next_liveness = 0.0
        self._pool: pebble.ProcessPool | None = None
        self._repairing = asyncio.Lock()
        self._closed = False
        self._supervisor: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._retiring: set[asyncio.Future[None]] = set()
        self._in_flight = 0
        self._jobs: dict[concurrent.futures.Future[dict[str, Any]], pebble.ProcessPool] = {}
        self._deadlines: dict[concurrent.futures.Future[dict[str, Any]], float] = {}  # loop time, from the submit
        self._abandoned: set[concurrent.futures.Future[dict[str, Any]]] = set()
        self._condemned: pebble.ProcessPool | None = None
        self._as_sent = SentOptions()
        self.rebuilds = 0

    async def start(self) -> None:
        """Build the first pool in the background; the first jobs wait for it, startup does not."""
        self._supervisor = asyncio.create_task(self._supervise(), name="toridaemon-pool-supervisor")

    async def run(self, job: Job) -> JobOutcome:
        pool = await self._current_pool()
        try:
            return await self._run_on(pool, job)
        except PoolBroken as exc:
            # A breaking pool aborts every job in it, started or not. Jobs are pure, so this one
            # goes once to the rebuilt pool before the break counts against its file.
            log.warning("worker_pool_job_resubmitted", file=job.path.name, sha256=job.sha256, error=str(exc))
        return await self._run_on(await self._current_pool(), job)

    async def _run_on(self, pool: pebble.ProcessPool, job: Job) -> JobOutcome:
        future = self._submit(pool, job)
        self._jobs[future] = pool
        self._deadlines[future] = asyncio.get_running_loop().time() + job.timeout_seconds
        self._in_flight += 1
        try:
            answer: dict[str, Any] = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future in self._abandoned and not (task and task.cancelling()):
                raise PoolBroken("the worker pool was replaced before the job finished") from None
            raise
        except concurrent.futures.TimeoutError:
            return JobOutcome(failure=Failure("text", "timeout", f"no answer within {job.timeout_seconds:g} s"))
        except pebble.ProcessExpired as exc:
            if exc.exitcode == _FORKSERVER_LOST:  # pebble may carry on with it: do not trust it
                self._condemned = pool
                self._wake_supervisor()
                raise PoolBroken("the forkserver died under the job's worker") from exc
            raise WorkerCrashed(f"worker exited with code {exc.exitcode}") from exc
        except concurrent.futures.process.BrokenProcessPool as exc:
            self._wake_supervisor()
            raise PoolBroken(f"worker pool broke: {exc}") from exc
        finally:
            self._in_flight -= 1
            self._jobs.pop(future, None)
            self._deadlines.pop(future, None)
            self._abandoned.discard(future)
        return as_outcome(answer)

    async def resize(self, workers: int) -> None:
        """Swap in a pool of the new size; jobs already running finish on the old one, within their timeouts.
        One still there then (it was queued behind another) goes to the new pool once, as from a broken pool."""
        if workers == self._workers or self._closed:
            return
        self._workers = workers
        async with self._repairing:
            old = self._pool
            await self._build()
            if old is not None and old is not self._pool:
                self._retire(old, grace=max(self._build_timeout, self._time_left_on(old)))

    def _time_left_on(self, pool: pebble.ProcessPool) -> float:
        """Seconds until the last timeout of the jobs sent to `pool`, and one more for its worker to be killed."""
        now = asyncio.get_running_loop().time()
        return max((self._deadlines[future] - now + 1.0 for future, on in self._jobs.items() if on is pool),
                   default=0.0)

    async def close(self, timeout: float) -> None:
        self._closed = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        pool, self._pool = self._pool, None
        if pool is not None:
            self._retire(pool, grace=timeout)
        if self._retiring:
            await asyncio.wait(set(self._retiring), timeout=timeout + 5.0)

    def gauges(self) -> dict[str, float]:
        return {"workers": float(self._workers), "in_flight": float(self._in_flight),
                "pool_rebuilds": float(self.rebuilds), "pool_up": float(bool(self._healthy))}

    # -- the pool's life -----------------------------------------------------------------------

    def _submit(self, pool: pebble.ProcessPool, job: Job) -> concurrent.futures.Future[dict[str, Any]]:
        try:
            return pool.submit(run_job, job.timeout_seconds, str(job.path), self._as_sent(job.options), job.sha256)
        except RuntimeError as exc:  # it broke (or was swapped) since `_current_pool` looked
            self._wake_supervisor()
            raise PoolBroken(f"worker pool unavailable: {exc}") from exc

    async def _current_pool(self) -> pebble.ProcessPool:
        """The running pool, repaired first if it is broken; `ExecutorUnavailable` if it cannot be rebuilt now."""
        for _ in range(2):  # a pool that breaks again at once is not retried here: the scheduler retries the file
            if self._closed:
                raise RuntimeError("executor closed")
            pool = self._pool
            if pool is not None and self._usable(pool):
                return pool
            if pool is None and self._healthy is False:
                break  # the supervisor keeps rebuilding; jobs do not each wait through its attempts
            await self._repair(pool)
        raise ExecutorUnavailable("the worker pool cannot be rebuilt")

    async def _supervise(self) -> None:
        """Check the pool every `check_seconds` and repair it when broken, until `close`."""
        while not self._closed:
            pool = self._pool
            if pool is None or not self._usable(pool) or await self._unresponsive(pool):
                await self._repair(pool)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._check_seconds)

    async def _unresponsive(self, pool: pebble.ProcessPool) -> bool:
        """True if a free worker did not answer a ping within `liveness_seconds`.

        A pool can hang while pebble still calls it running (workers frozen, a ping lost with a
        killed worker), and a job that never starts never reaches its timeout. So every
        `liveness_seconds`, while a worker is free, the pool must answer a ping.
        """
        now = asyncio.get_running_loop().time()
        if now < self._next_liveness or self._in_flight >= self._workers:
            return False
        self._next_liveness = now + self._liveness_seconds
        try:
            await asyncio.wait_for(asyncio.wrap_future(pool.submit(_ping, None)), self._liveness_seconds)
        except TimeoutError:
            log.error("worker_pool_unresponsive", seconds=self._liveness_seconds)
            return True
        except Exception:  # broken meanwhile: the next check sees it
            return False
        return False

    def _usable(self, pool: pebble.ProcessPool) -> bool:
        """True while the pool runs; false once pebble marked it ERROR, or its forkserver died under a job."""
        return bool(pool.active) and pool is not self._condemned

    def _abandon(self, broken: pebble.ProcessPool) -> None:
        """Cancel the jobs still waiting on `broken`: a stopped pool never answers them (`_run_on` resubmits)."""
        for future, pool in list(self._jobs.items()):
            if pool is broken and not future.done():
                self._abandoned.add(future)
                future.cancel()

    def _wake_supervisor(self) -> None:
        self._wake.set()

    async def _repair(self, broken: pebble.ProcessPool | None) -> None:
        """Replace `broken` (None: build the first pool), unless another caller already did."""
        async with self._repairing:
            if self._pool is not broken or self._closed:
                return
            if broken is not None:
                log.error("worker_pool_broken", workers=self._workers, in_flight=self._in_flight)
                self._pool = None
                self._abandon(broken)
                self._retire(broken, grace=0.0)
            for attempt in range(1, self._build_attempts + 1):
                if attempt > 1:
                    await asyncio.sleep(min(2.0**attempt, 20.0) * self._check_seconds)
                if await self._build():
                    return
                log.error("worker_pool_build_failed", attempt=attempt, attempts=self._build_attempts)
            self._set_health(False)

    async def _build(self) -> bool:
        """Build a pool of `_workers` and make it current once a worker answered; False if that failed."""
        building = asyncio.ensure_future(asyncio.to_thread(self._new_started_pool, self._workers))
        try:
            pool = await asyncio.shield(building)
        except asyncio.CancelledError:  # closing: the thread finishes the build, so dispose of what it built
            building.add_done_callback(_dispose_when_built)
            raise
        except Exception as exc:  # every way a build fails is the same: retry, then report unhealthy
            log.warning("worker_pool_start_failed", error=repr(exc))
            return False
        if self._closed:
            self._retire(pool, grace=0.0)
            return True
        if self._healthy is not None:
            self.rebuilds += 1
            log.warning("worker_pool_rebuilt", workers=self._workers, rebuilds=self.rebuilds)
        self._pool = pool
        self._set_health(True)
        return True

    def _new_started_pool(self, workers: int) -> pebble.ProcessPool:
        """Runs off the loop: starting workers may (re)start the forkserver, which imports the pipeline."""
        pool = new_pool(workers, self._memory_limit_mb)
        try:
            with _group_signals_blocked():  # pebble starts its threads and workers in the first submit
                ping = pool.submit(_ping, self._build_timeout)
            ping.result(timeout=self._build_timeout + 1.0)
        except BaseException:
            _dispose(pool, grace=0.0)
            raise
        return pool

    def _retire(self, pool: pebble.ProcessPool, grace: float) -> None:
        """Dispose of `pool` on a thread; `close` waits for what is still being disposed of."""
        disposing = asyncio.ensure_future(asyncio.to_thread(_dispose, pool, grace))
        self._retiring.add(disposing)
        disposing.add_done_callback(functools.partial(self._retired, pool))

    def _retired(self, pool: pebble.ProcessPool, disposing: asyncio.Future[None]) -> None:
        # A stopped pool leaves the futures of the jobs it still ran unsettled: their files waited in `parse`
        # for ever, past their timeouts (the pool that timed them is gone). They go to the current pool once.
        self._abandon(pool)
        self._retiring.discard(disposing)
        if not disposing.cancelled() and disposing.exception() is not None:
            log.warning("worker_pool_dispose_failed", error=repr(disposing.exception()))

    def _set_health(self, healthy: bool) -> None:
        if healthy == self._healthy:
            return
        self._healthy = healthy
        if not healthy:
            log.error("worker_pool_unavailable", attempts=self._build_attempts)
        if self._on_health is not None:
            try:
                self._on_health(healthy)
            except Exception:  # a faulty callback must not stop the repairs
                log.exception("executor_health_callback_failed")
