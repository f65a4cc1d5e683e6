"""Executor backends behind one async interface (`Executor`)."""

from toridaemon.executors.base import Executor, Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.executors.local import LocalExecutor, PoolBroken

__all__ = ["Executor", "Failure", "Job", "JobOutcome", "LocalExecutor", "PoolBroken", "WorkerCrashed"]
