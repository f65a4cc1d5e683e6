"""The scheduler on the event loop: queue, bounded concurrency, per-file jobs and their outcomes.

The flow of one file, top to bottom: `accept` (journal row, queue) → `_process`: hash and claim →
duplicate check → executor job (timeout, crash retries) → `_record` (shielded from cancellation):
result or failure record written durably, input moved, journal row finished, metrics and a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toridaemon.executors.base import Executor, Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.hashing import NotRegularFile, sha256_file, still_there
from toridaemon.inbox.gate import Verdict
from toridaemon.journal import Journal, JournalError
from toridaemon.logs import get_logger
from toridaemon.metrics import Metrics, observe_text
from toridaemon.outcome import Outcomes
from toridaemon.pipeline.text.tessdata import file_ocr_budget_seconds
from toridaemon.progress import ProgressTracker
from toridaemon.settings import Settings

log = get_logger("toridaemon.scheduler")
_RETRY_BASE_SECONDS = 1.0
_RETRY_MAX_SECONDS = 60.0
STAGES = ("hash", "parse", "record")


class Retry(Exception):
    """The file goes back to pending and is tried again after a backoff."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True)
class Item:
    row_id: int
    path: Path
    retries: int = 0
    sha256: str | None = None
    started: float = field(default_factory=time.monotonic)
    stage: str = "queued"
    identity: tuple[int, int, int, int] | None = None
    progress: ProgressTracker = field(
        default_factory=lambda: ProgressTracker(len(STAGES), min_change=0.0, description="file")
    )

    def enter(self, stage: str) -> None:
        """Move to the next stage of `STAGES`; the file's progress follows."""
        self.stage = stage
        self.progress.update()


class Scheduler:
    """Owns the queue and the workers; every method runs on the event loop."""

    def __init__(self, settings: Callable[[], Settings], journal: Journal, executor: Executor,
                 outcomes: Outcomes, metrics: Metrics) -> None:
        self._settings = settings
        self.journal = journal
        self.executor = executor
        self.outcomes = outcomes
        self.metrics = metrics
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        self._active: dict[Path, Item] = {}
        self._shas_in_flight: set[str] = set()
        self._running: dict[Path, Item] = {}
        self._bookkeeping: set[asyncio.Task[None]] = set()
        self._idle: set[asyncio.Task[Any]] = set()
        self._retiring: set[asyncio.Task[None]] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._retry_handles: set[asyncio.TimerHandle] = set()
        self._accepting = True
        self.progress = ProgressTracker(0, min_change=1.0, min_seconds=1.0, description="backlog")
        self._accepted = 0

    # ---- intake -------------------------------------------------------------------------------
    def knows(self, path: Path) -> bool:
        return path in self._active

    def accept(self, verdict: Verdict, origin: str) -> bool:
        """Record a decided inbox entry; returns True when it became (or was recorded as) work."""
        if not self._accepting or verdict.path in self._active:
            return False
        try:
            if self.journal.is_settled(verdict.path, verdict.size, verdict.mtime_ns):
                return False
            if verdict.kind == "special":
                return self._record_special(verdict)
            row_id, _ = self.journal.detect(verdict.path, verdict.size, verdict.mtime_ns)
        except JournalError as exc:
            self.metrics.outcome_errors.labels(kind="journal").inc()
            log.error("journal_unavailable", file=verdict.path.name, error=str(exc))
            return False
        self._enqueue(Item(row_id, verdict.path))
        self.metrics.files_detected.inc()
        log.debug("file_detected", file=verdict.path.name, origin=origin, bytes=verdict.size)
        return True

    def _record_special(self, verdict: Verdict) -> bool:
        self.journal.record_final(verdict.path, size=verdict.size, mtime_ns=verdict.mtime_ns, state="failed",
                                  reason="not_regular_file", error=verdict.detail)
        self.metrics.files_detected.inc()
        self.metrics.files_completed.labels(outcome="failed").inc()
        log.warning("file_not_regular", file=verdict.path.name, kind=verdict.detail, reason="not_regular_file")
        return True

    def _enqueue(self, item: Item) -> None:
        self._accepted += 1
        self.progress.set_total(self._accepted)
        self._active[item.path] = item
        item.stage = "queued"
        self._queue.put_nowait(item)
        self._update_gauges()

    # ---- workers ------------------------------------------------------------------------------
    def start(self) -> None:
        self.resize(self._settings().max_parallel_workers)

    def resize(self, workers: int) -> None:
        """Run `workers` jobs at once; a retired worker finishes its current file, an idle one stops now."""
        self._workers = [task for task in self._workers if not task.done()]
        while len(self._workers) < workers:
            self._workers.append(asyncio.create_task(self._work(), name=f"worker-{len(self._workers)}"))
        for task in self._workers[workers:]:
            task.set_name("retiring")
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
            if task in self._idle:
                task.cancel()
        self._workers = self._workers[:workers]

    async def _work(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while task.get_name() != "retiring":
            self._idle.add(task)
            try:
                item = await self._queue.get()
            finally:
                self._idle.discard(task)
            try:
                await self._process(item)
            except Exception as exc:  # a bug on one file must not cost a worker slot
                log.exception("file_unexpected_error", file=item.path.name, sha256=item.sha256)
                await self._shielded(self._retry_later(item, Retry("internal_error", repr(exc))))
            finally:
                self._queue.task_done()

    @property
    def in_flight(self) -> list[Item]:
        return list(self._running.values())

    @property
    def backlog(self) -> int:
        return len(self._active)

    def _update_gauges(self) -> None:
        self.metrics.queue_depth.set(self._queue.qsize())
        self.metrics.pending.set(len(self._active))
        self.metrics.in_flight.set(len(self.in_flight))

    # ---- one file -----------------------------------------------------------------------------
    async def _process(self, item: Item) -> None:
        """Take one file as far as its job's answer; recording the outcome (fsyncs, a move, the
        journal) goes on in the background so the worker slot takes the next file at once."""
        self._running[item.path] = item
        recording: asyncio.Task[None] | None = None
        try:
            recording = await self._process_once(item)
        finally:
            if recording is None:
                self._settled(item)
            else:
                recording.add_done_callback(lambda _: self._settled(item))

    def _settled(self, item: Item) -> None:
        self._running.pop(item.path, None)
        # Only now: until its outcome is recorded, identical content must wait rather than
        # be claimed again or settled as a duplicate of a result that may never exist.
        if item.sha256:
            self._shas_in_flight.discard(item.sha256)
        self._update_gauges()

    async def _process_once(self, item: Item) -> asyncio.Task[None] | None:
        settings = self._settings()  # the snapshot this file keeps, whatever reloads happen meanwhile
        item.started = time.monotonic()
        self._update_gauges()
        try:
            outcome = await self._run(item, settings)
        except Retry as retry:
            await self._shielded(self._retry_later(item, retry))
            return None
        except asyncio.CancelledError:
            await self._shielded(self._release(item))
            raise
        return None if outcome is None else self._bookkeep(self._record(item, outcome, settings))

    def _bookkeep(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run bookkeeping to its end whatever happens to the file's task; `drain` waits for it."""
        task = asyncio.ensure_future(coro)
        self._bookkeeping.add(task)
        task.add_done_callback(self._bookkeeping.discard)
        return task

    def _shielded(self, coro: Coroutine[Any, Any, None]) -> Awaitable[None]:
        return asyncio.shield(self._bookkeep(coro))

    async def _run(self, item: Item, settings: Settings) -> JobOutcome | None:
        item.enter("hash")
        item.sha256 = None
        try:
            state = await asyncio.to_thread(sha256_file, item.path)
        except FileNotFoundError:
            return JobOutcome(failure=Failure("claim", "vanished", "the file disappeared before it was read"))
        except NotRegularFile as exc:
            return JobOutcome(failure=Failure("claim", "not_regular_file", f"replaced by a {exc}"))
        except OSError as exc:
            raise Retry("unreadable", f"cannot read: {exc.strerror}") from exc
        if self.journal.done_with_sha(state.sha256):
            await self._shielded(self._record_duplicate(item, state.sha256, settings))
            return None
        if state.sha256 in self._shas_in_flight:
            raise Retry("same_content_in_flight", "identical content is being processed; wait for its outcome")
        item.sha256, item.identity = state.sha256, state.identity
        self._shas_in_flight.add(state.sha256)
        attempt = self.journal.claim(item.row_id, state.sha256)
        self.metrics.file_bytes.observe(state.size)
        log.info("file_claimed", file=item.path.name, sha256=state.sha256, attempt=attempt)
        existing = await asyncio.to_thread(self.outcomes.existing, item.path.name, state.sha256)
        if existing is not None:
            log.info("file_outcome_found", file=item.path.name, sha256=state.sha256)
            return existing
        return await self._execute(item, settings)

    async def _execute(self, item: Item, settings: Settings) -> JobOutcome:
        item.enter("parse")
        assert item.sha256 is not None
        options = settings.pipeline_options()
        ocr_budget = await asyncio.to_thread(file_ocr_budget_seconds, item.path, options)  # seconds per scanned page
        job = Job(item.path, item.sha256, options, settings.file_timeout_seconds + ocr_budget)
        try:
            outcome = await self.executor.run(job)
        except WorkerCrashed as exc:
            self.metrics.worker_restarts.inc()
            crashes = self.journal.record_crash(item.row_id)
            if crashes >= settings.max_attempts:
                return JobOutcome(failure=Failure("text", "worker_crashed", f"{crashes} crashes, last: {exc}"))
            raise Retry("worker_crashed", str(exc)) from exc
        if outcome.failure is not None and outcome.failure.reason == "timeout":
            self.metrics.worker_restarts.inc()
        if outcome.failure is not None and outcome.failure.reason == "changed_during_processing":
            raise Retry("changed_during_processing", outcome.failure.message)
        return outcome

    # ---- outcomes (shielded) ------------------------------------------------------------------
    async def _record(self, item: Item, outcome: JobOutcome, settings: Settings) -> None:
        item.enter("record")
        try:
            if item.identity and not await asyncio.to_thread(still_there, item.path, item.identity):
                # Another file took this name while we parsed: never move it under this outcome.
                raise Retry("changed_during_processing", "the file was replaced while it was processed")
            if outcome.result is not None:
                await self._record_success(item, outcome.result, settings)
            elif outcome.failure is not None:
                await self._record_failure(item, outcome.failure)
        except Retry as retry:
            await self._retry_later(item, retry)
        except OSError as exc:
            self.metrics.outcome_errors.labels(kind=type(exc).__name__).inc()
            await self._retry_later(item, Retry("outcome_write", f"{exc.strerror or exc}"))
        except JournalError as exc:
            self.metrics.outcome_errors.labels(kind="journal").inc()
            await self._retry_later(item, Retry("journal", str(exc)))
        else:
            self._forget(item)

    async def _record_success(self, item: Item, result: dict[str, Any], settings: Settings) -> None:
        result_path = await asyncio.to_thread(self.outcomes.write_result, item.path.name, result)
        final = await asyncio.to_thread(self.outcomes.settle_input, item.path, settings.on_success)
        self.journal.finish(item.row_id, "done", result_path=result_path, final_path=final)
        self._observe_result(result)
        self.metrics.files_completed.labels(outcome="done").inc()
        self.metrics.last_success.set(time.time())
        log.info("file_done", file=item.path.name, sha256=item.sha256, result=result_path.name,
                 pages=result["source"]["pages"], concepts=len(result["concepts"]),
                 seconds=round(time.monotonic() - item.started, 4), timings=result["timings_seconds"])

    async def _record_failure(self, item: Item, failure: Failure) -> None:
        final: Path | None = None
        if failure.reason not in ("vanished", "not_regular_file"):
            final = await asyncio.to_thread(self.outcomes.write_failure, item.path, item.sha256, failure)
        elif failure.reason == "not_regular_file":
            final = item.path
        self.journal.finish(item.row_id, "failed", reason=failure.reason, error=failure.message, final_path=final)
        self.metrics.files_completed.labels(outcome="failed").inc()
        self.metrics.stage_seconds.labels(stage="total").observe(time.monotonic() - item.started)
        log.warning("file_failed", file=item.path.name, sha256=item.sha256, stage=failure.stage,
                    reason=failure.reason, message=failure.message)

    async def _record_duplicate(self, item: Item, sha256: str, settings: Settings) -> None:
        try:
            self.journal.record_sha(item.row_id, sha256)
            final = await asyncio.to_thread(self.outcomes.settle_input, item.path, settings.on_success)
            self.journal.finish(item.row_id, "duplicate", reason="duplicate", final_path=final)
        except (OSError, JournalError) as exc:
            await self._retry_later(item, Retry("outcome_write", str(exc)))
            return
        self.metrics.duplicates.inc()
        self.metrics.files_completed.labels(outcome="duplicate").inc()
        log.info("file_duplicate", file=item.path.name, sha256=sha256)
        self._forget(item)

    def _observe_result(self, result: dict[str, Any]) -> None:
        for stage, seconds in result["timings_seconds"].items():
            self.metrics.stage_seconds.labels(stage=stage).observe(seconds)
        self.metrics.file_pages.observe(result["source"]["pages"])
        self.metrics.concepts.observe(len(result["concepts"]))
        observe_text(self.metrics, result)

    # ---- retries, release ---------------------------------------------------------------------
    async def _retry_later(self, item: Item, retry: Retry) -> None:
        """Keep the input in the inbox, return its row to pending and queue it again after a backoff."""
        await self._release(item, forget=False)
        item.retries += 1
        delay = min(_RETRY_MAX_SECONDS, _RETRY_BASE_SECONDS * 2 ** (item.retries - 1)) * random.uniform(0.8, 1.2)
        self.metrics.files_retried.labels(reason=retry.reason).inc()
        log.warning("file_retry", file=item.path.name, sha256=item.sha256, reason=retry.reason,
                    message=str(retry), delay_seconds=round(delay, 2))
        item.stage = "waiting"
        item.progress = ProgressTracker(len(STAGES), min_change=0.0, description="file")
        handle = asyncio.get_running_loop().call_later(delay, self._requeue, item)
        now = asyncio.get_running_loop().time()
        self._retry_handles = {h for h in self._retry_handles if not h.cancelled() and h.when() > now}
        self._retry_handles.add(handle)

    def _requeue(self, item: Item) -> None:
        if self._accepting and self._active.get(item.path) is item:
            item.stage = "queued"
            self._queue.put_nowait(item)
            self._update_gauges()

    async def _release(self, item: Item, forget: bool = True) -> None:
        with contextlib.suppress(JournalError):
            self.journal.release(item.row_id)
        if forget:
            self._forget(item)

    def _forget(self, item: Item) -> None:
        if self._active.get(item.path) is item:
            del self._active[item.path]
            self.progress.update()
        self._update_gauges()

    # ---- shutdown -----------------------------------------------------------------------------
    async def drain(self, timeout: float) -> int:
        """Stop intake, let in-flight files finish within `timeout`, return the rest to pending."""
        self._accepting = False
        for handle in self._retry_handles:
            handle.cancel()
        for item in [item for item in self._active.values() if item.stage == "waiting"]:
            self._forget(item)
        while not self._queue.empty():
            self._forget(self._queue.get_nowait())
            self._queue.task_done()
        busy = [task for task in [*self._workers, *self._retiring] if not task.done()]
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        unfinished = len(self.in_flight)
        for task in busy:
            task.cancel()
        await asyncio.gather(*busy, return_exceptions=True)
        if self._bookkeeping:  # outcomes being recorded finish before the journal closes
            await asyncio.wait(set(self._bookkeeping), timeout=30.0)
        return unfinished
