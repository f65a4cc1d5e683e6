"""Executor backends behind one async interface (`Executor`).

`LocalExecutor` loads on first use: it imports the whole pipeline, which the daemon loads off its
startup path (see `Daemon._start_executor`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toridaemon.executors.base import Executor, Failure, Job, JobOutcome, WorkerCrashed

if TYPE_CHECKING:
    from toridaemon.executors.local import LocalExecutor, PoolBroken

__all__ = ["Executor", "Failure", "Job", "JobOutcome", "LocalExecutor", "PoolBroken", "WorkerCrashed"]


def __getattr__(name: str) -> Any:
    if name in ("LocalExecutor", "PoolBroken"):
        from toridaemon.executors import local

        return getattr(local, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
