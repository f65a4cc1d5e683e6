"""The small async interface every executor backend implements, and the job it runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from toridaemon.pipeline.options import PipelineOptions


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


class Executor(Protocol):
    """Runs the pure pipeline somewhere else than the event loop."""

    name: str

    async def start(self) -> None: ...

    async def run(self, job: Job) -> JobOutcome:
        """Run one job; a timeout is a `failure` with reason `timeout`; a dead worker raises `WorkerCrashed`."""
        ...

    async def resize(self, workers: int) -> None: ...

    async def close(self, timeout: float) -> None: ...

    def gauges(self) -> dict[str, float]:
        """Backend-specific figures for the metrics endpoint (workers, tasks in flight)."""
        ...
