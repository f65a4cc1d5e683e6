"""The small async interface every executor backend implements, and the job it runs."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from toridaemon.pipeline.options import PipelineOptions

if TYPE_CHECKING:
    from toridaemon.settings import Settings


# A worker could not use the concept databases: a user's file does not read and the worker had no good version
# of it to go on with (it broke before the worker first read it), the files hold too many names, or the bundled
# one is damaged. Not the document's fault: the file is retried, never failed, for it.
CONCEPT_DB_UNAVAILABLE = "concept_db_unavailable"


@dataclass(frozen=True, slots=True)
class Job:
    """One file to analyse, with the settings snapshot it started with."""

    path: Path
    sha256: str
    options: PipelineOptions
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class Failure:
    stage: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """Exactly one of `result` (a `DocumentResult.to_dict()`) or `failure` is set."""

    result: dict[str, Any] | None = None
    failure: Failure | None = None


class WorkerCrashed(Exception):
    """The process running a job died before answering; the job may be retried."""


class ExecutorUnavailable(Exception):
    """The backend cannot run jobs now (its worker pool cannot be rebuilt): not the file's fault, so the
    job waits and is tried again; no file is failed for it."""


class Executor(Protocol):
    """Runs the pure pipeline somewhere else than the event loop."""

    name: str
    # True when the backend itself starts at most its worker count of jobs at once and starts a job's
    # timeout only when a worker takes it: the daemon then hands it each worker's next file ahead of
    # time, so a worker that finishes one file starts the next at once instead of idling through the
    # daemon's bookkeeping (hash, journal, result writes) between the two.
    queues_ahead: bool

    async def start(self) -> None: ...

    async def run(self, job: Job) -> JobOutcome:
        """Run one job; a timeout is a `failure` with reason `timeout`; a dead worker raises `WorkerCrashed`."""
        ...

    async def resize(self, workers: int) -> None: ...

    async def close(self, timeout: float) -> None: ...

    def gauges(self) -> dict[str, float]:
        """Backend-specific figures for the metrics endpoint (workers, tasks in flight)."""
        ...


async def open_executor(settings: Settings, on_health: Callable[[bool], None]) -> Executor:
    """The backend `settings.executor` names, started. Its module (and with it the whole pipeline) is
    imported on a thread: the daemon calls this after READY, and files wait for it."""
    if settings.executor == "dask":
        dask = await asyncio.to_thread(importlib.import_module, "toridaemon.executors.dask")
        assert settings.dask_scheduler_address is not None
        executor: Executor = dask.DaskExecutor(settings.dask_scheduler_address, settings.dask_max_inflight,
                                               settings.dask_shared_paths, on_health=on_health)
    else:
        local = await asyncio.to_thread(importlib.import_module, "toridaemon.executors.local")
        executor = local.LocalExecutor(settings.max_parallel_workers, settings.worker_memory_limit_mb,
                                          on_health=on_health)
    await executor.start()
    return executor
