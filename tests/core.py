"""The daemon's core in-process: a real journal (its own thread), real outcome files, the real runner
and state machine, and a scripted executor in place of the worker pool (the one part replaced: tests
choose what a parse returns, when it returns, and what crashes)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from toridaemon.executors.base import Executor, Job, JobOutcome
from toridaemon.inbox.gate import Verdict
from toridaemon.journal import JournalThread, Row
from toridaemon.metrics import Metrics
from toridaemon.outcome import Outcomes
from toridaemon.runner import Runner
from toridaemon.settings import Settings, load_settings
from toridaemon.statemachine import FileMachine

Script = Callable[[Job], Awaitable[JobOutcome]]


def result_for(job: Job) -> JobOutcome:
    """What the pipeline would return, reduced to the fields the daemon reads."""
    return JobOutcome(result={"schema_version": 1, "concepts": [], "timings_seconds": {"total": 0.001},
                              "source": {"name": job.path.name, "sha256": job.sha256, "pages": 1}})


def raising(error: Exception) -> Script:
    """A script whose every parse raises `error` (a broken pool, a dead worker)."""
    async def run(job: Job) -> JobOutcome:
        raise error

    return run


class FakeExecutor:
    """Answers each job with `script(job)` (a result by default) and records the peak concurrency."""

    name = "fake"
    queues_ahead = False  # a test that wants files handed over ahead sets it

    def __init__(self) -> None:
        self.script: Script | None = None
        self.jobs: list[str] = []
        self.running = 0
        self.peak = 0

    async def start(self) -> None:
        return None

    async def run(self, job: Job) -> JobOutcome:
        self.jobs.append(job.path.name)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            if self.script is not None:
                return await self.script(job)
            await asyncio.sleep(0)
            return result_for(job)
        finally:
            self.running -= 1

    async def resize(self, workers: int) -> None:
        return None

    async def close(self, timeout: float) -> None:
        return None

    def gauges(self) -> dict[str, float]:
        return {"in_flight": float(self.running)}


class Core:
    """Directories under `root`, and the runner over them; use `async with Core(root) as core`."""

    def __init__(self, root: Path, workers: int = 2, busy_timeout: float = 2.0, blocked_after: float = 0.2,
                 **settings: Any) -> None:
        self.root = root
        self.inbox, self.outbox = root / "inbox", root / "outbox"
        self.processed, self.failed = root / "processed", root / "failed"
        for directory in (self.inbox, self.outbox, self.processed, self.failed):
            directory.mkdir(parents=True, exist_ok=True)
        overrides = {"inbox_dir": self.inbox, "outbox_dir": self.outbox, "processed_dir": self.processed,
                     "failed_dir": self.failed, "state_dir": root / "state", "max_parallel_workers": workers,
                     "retry_base_seconds": 0.01, "retry_max_seconds": 0.05}
        self.settings: Settings = load_settings(None, {**overrides, **settings}, environ={}, env_file=None).settings
        self.busy_timeout = busy_timeout
        self.blocked_after = blocked_after
        self.start_executor = True  # False: the test resolves `started` itself (a pool still warming up)
        self.executor = FakeExecutor()
        self.metrics = Metrics()
        self.outcomes = Outcomes(self.outbox, self.processed, self.failed, self.settings.on_success)

    async def __aenter__(self) -> Core:
        self.journal = await JournalThread.open(self.root / "state" / "journal.sqlite3", self.busy_timeout)
        self.started: asyncio.Future[Executor] = asyncio.get_running_loop().create_future()
        if self.start_executor:
            self.started.set_result(self.executor)
        started = self.started
        self.machine = FileMachine(lambda: self.settings, self.journal, started, self.outcomes, self.metrics)
        self.runner = Runner(self.machine, lambda: self.settings, self.metrics,
                             blocked_after_seconds=self.blocked_after)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.drain(1.0)
        await self.journal.close()

    def drop(self, name: str, data: bytes) -> Path:
        """Put a file into the inbox and hand its verdict to the runner, as the gate does."""
        path = self.inbox / name
        path.write_bytes(data)
        self.accept(path)
        return path

    def accept(self, path: Path) -> bool:
        info = os.lstat(path)
        return self.runner.accept(Verdict(path, "ready", info.st_size, info.st_mtime_ns), "event")

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until the runner has nothing left."""
        await until(lambda: not self.runner.items, timeout, "every file settled")

    async def rows(self) -> list[Row]:
        return await self.journal.run(lambda journal: journal._many("SELECT * FROM files ORDER BY id", ()))

    def results(self) -> list[Path]:
        return sorted(self.outbox.glob("*.json"))

    def metric(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels or None)
        return 0.0 if value is None else value


async def until(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hold_journal_lock(db: Path, seconds: float) -> threading.Thread:
    """Another process's view of the journal: an exclusive transaction held for `seconds`."""
    locked = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        locked.set()
        threading.Event().wait(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    locked.wait(5)
    return thread
