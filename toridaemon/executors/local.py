"""Local backend: a pebble process pool; a job past its timeout has its worker killed and replaced."""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import contextlib
import multiprocessing
import resource
from typing import Any

import pebble

from toridaemon.executors.base import Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.executors.job import run_job


def _limit_memory(limit_mb: int) -> None:
    """Worker initializer: cap the address space so a decompression bomb fails inside the worker."""
    if limit_mb > 0:
        limit = limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _ping() -> int:
    return 0


class LocalExecutor:
    """Runs jobs in `workers` processes of a pebble pool."""

    name = "local"

    def __init__(self, workers: int, memory_limit_mb: int = 0) -> None:
        self._workers = workers
        self._memory_limit_mb = memory_limit_mb
        self._pool: pebble.ProcessPool | None = None
        self._in_flight = 0
        self.restarts = 0

    async def start(self) -> None:
        """Start the pool and have every worker start warming up; the first files wait for it, startup does not."""
        self._pool = pool = await asyncio.to_thread(self._new_pool, self._workers)  # the forkserver starts off the loop
        for _ in range(self._workers):
            pool.submit(_ping, 60.0)

    def _new_pool(self, workers: int) -> pebble.ProcessPool:
        # forkserver: workers never inherit the daemon's threads, locks or open sockets; the preload
        # module warms the pipeline once in the server so forked workers start ready.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["toridaemon.executors.preload"])
        return pebble.ProcessPool(
            max_workers=workers,
            initializer=_limit_memory,
            initargs=(self._memory_limit_mb,),
            context=context,
        )

    async def run(self, job: Job) -> JobOutcome:
        if self._pool is None:
            raise RuntimeError("executor not started")
        future = self._pool.submit(
            run_job, job.timeout_seconds, str(job.path), job.options.model_dump(), job.sha256
        )
        self._in_flight += 1
        try:
            answer: dict[str, Any] = await asyncio.wrap_future(future)
        except concurrent.futures.TimeoutError:
            self.restarts += 1
            return JobOutcome(failure=Failure("text", "timeout", f"no answer within {job.timeout_seconds:g} s"))
        except pebble.ProcessExpired as exc:
            self.restarts += 1
            raise WorkerCrashed(f"worker exited with code {exc.exitcode}") from exc
        except concurrent.futures.process.BrokenProcessPool as exc:
            # Workers died outside any task (e.g. in the initializer): start over with a fresh pool.
            self.restarts += 1
            self._replace_pool()
            raise WorkerCrashed(f"worker pool broke: {exc}") from exc
        finally:
            self._in_flight -= 1
        return _outcome(answer)

    def _replace_pool(self) -> None:
        old, self._pool = self._pool, self._new_pool(self._workers)
        if old is not None:
            old.stop()

    async def resize(self, workers: int) -> None:
        """Swap in a pool of the new size; jobs already running finish on the old one."""
        if workers == self._workers or self._pool is None:
            return
        old, self._pool, self._workers = self._pool, self._new_pool(workers), workers
        old.close()
        asyncio.get_running_loop().run_in_executor(None, old.join)

    async def close(self, timeout: float) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        pool.close()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, pool.join), timeout)
        except TimeoutError:
            pool.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(loop.run_in_executor(None, pool.join), 5.0)

    def gauges(self) -> dict[str, float]:
        return {"workers": float(self._workers), "in_flight": float(self._in_flight)}


def _outcome(answer: dict[str, Any]) -> JobOutcome:
    if "failure" in answer:
        return JobOutcome(failure=Failure(**answer["failure"]))
    return JobOutcome(result=answer["result"])
