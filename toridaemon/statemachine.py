"""The life of one inbox file, as a state machine that reads top to bottom.

    new ──detect──▶ queued ──slot──▶ hash ──▶ parse ──▶ record ──▶ (finished: done | failed | duplicate)
    │                                 │         │         │ ▲
    └─────────────────────── waiting ◀┴─────────┴─────────┘ │   a `Retry`: back to pending after a backoff,
                                └───────────────────────────┘   or, past its reason's cap, a failure

`Item.enter` is the one place a file changes state, and it refuses a transition the diagram lacks.
`FileMachine` does the work of each state; the runner (`toridaemon.runner`) decides when a file runs.
Whatever is recorded (a result, a failure, a duplicate) is recorded only while the input is still the
file that was read (device, inode, size, mtime); otherwise the file is tried again, never moved.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import functools
import os
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from toridaemon.executors.base import (
    CONCEPT_DB_UNAVAILABLE,
    Executor,
    ExecutorUnavailable,
    Failure,
    Job,
    JobOutcome,
    WorkerCrashed,
)
from toridaemon.fsutil import Replaced
from toridaemon.hashing import FileIdentity, FileState, NotRegularFile, sha256_file, still_there
from toridaemon.journal import Claim, Journal, JournalError, JournalThread
from toridaemon.logs import get_logger
from toridaemon.metrics import Metrics, observe_text
from toridaemon.outcome import OnSuccess, Outcomes
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.text.tessdata import ImageCounter, images_budget_seconds
from toridaemon.progress import ProgressTracker
from toridaemon.recovery import settle_moved
from toridaemon.settings import Settings

log = get_logger("toridaemon.file")
T = TypeVar("T")


class _Look(enum.Enum):
    AGAIN = "again"


LOOK_AGAIN = _Look.AGAIN  # the look for an earlier outcome failed with the hash: look again after the claim
OnDisk = JobOutcome | None | Literal[_Look.AGAIN]


class State(enum.Enum):
    NEW = "new"  # passed the gate; no journal row yet
    QUEUED = "queued"  # journal row `detected`; waiting for a slot
    HASH = "hash"  # holds a slot from here to the end of `record`
    PARSE = "parse"
    RECORD = "record"
    WAITING = "waiting"  # a retry's backoff


_ALLOWED: dict[State, frozenset[State]] = {
    State.NEW: frozenset({State.QUEUED, State.WAITING}),
    State.QUEUED: frozenset({State.HASH}),
    State.HASH: frozenset({State.PARSE, State.RECORD, State.WAITING}),
    State.PARSE: frozenset({State.RECORD, State.WAITING}),
    State.RECORD: frozenset({State.WAITING}),
    State.WAITING: frozenset({State.NEW, State.QUEUED, State.RECORD}),  # RECORD: failed past its cap
}
RUNNING = frozenset({State.HASH, State.PARSE, State.RECORD})


class Retry(Exception):
    """The file goes back to pending and is tried again after a backoff (or failed, past its cap)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# Retry reasons whose cause is mostly the daemon's, not the file's: the outputs' or the journal's disk, the open-file
# limit, a concept database the operator broke. Files waiting on one while none gets through block the daemon
# (`Runner.blocked`). The pool's state has probes of its own (`executor_unavailable` is not here).
BLOCKING = frozenset(("outcome_write", "journal", "out_of_resources", "inbox_unavailable", CONCEPT_DB_UNAVAILABLE))


def retry_cap(reason: str, settings: Settings) -> int | None:
    """Tries a retry reason allows before the file is failed with it; None: until the cause clears.

    A file that breaks our code or the pool, or that timed out while the daemon stood still, fails after
    `max_attempts`; an unreadable one after a few minutes of backoff. A full disk, a locked journal, a file
    still being written or a concept database the operator broke is not the file's fault: failing it would need
    the same disk and journal, would move a file still in use, or would fail every document until the fix."""
    if reason in ("internal_error", "stalled"):
        return settings.max_attempts
    if reason == "unreadable":
        return max(10, settings.max_attempts)
    return None


@dataclass(slots=True, eq=False)
class Item:
    """One inbox file the daemon is working on, from the gate's verdict to its recorded outcome."""

    path: Path
    size: int
    mtime_ns: int
    origin: str = "event"
    special: str | None = None  # what the gate found instead of a regular file (symlink, fifo…)
    row_id: int | None = None
    state: State = State.NEW
    sha256: str | None = None
    identity: FileIdentity | None = None
    retries: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    progress: ProgressTracker = field(default_factory=lambda: _file_progress())

    def enter(self, state: State) -> None:
        """The one place a file changes state."""
        if state not in _ALLOWED[self.state]:
            raise RuntimeError(f"{self.path.name}: no transition {self.state.value} -> {state.value}")
        if state in RUNNING:
            self.progress.update()
        elif state is State.WAITING:
            self.progress = _file_progress()
        self.state = state


def _file_progress() -> ProgressTracker:
    return ProgressTracker(len(RUNNING), min_change=0.0, description="file")


class FileMachine:
    """What each state does; every method runs on the event loop and never blocks it."""

    def __init__(self, settings: Callable[[], Settings], journal: JournalThread,
                 executor: asyncio.Future[Executor], outcomes: Outcomes, metrics: Metrics, *,
                 on_journal_error: Callable[[JournalError], None] = lambda exc: None,
                 stalled_since: Callable[[float], float] = lambda start: 0.0) -> None:
        self._settings = settings
        self._stalled_since = stalled_since  # seconds the loop stood still after a moment (`StallWatch`)
        self._on_journal_error = on_journal_error  # the daemon turns unready on a damaged journal
        self.last_recorded = 0.0  # monotonic time an outcome of a file's own was last recorded (not a vanished file)
        self.journal = journal
        self._executor = executor  # resolved once the pool has started: files wait for it, startup does not
        self.outcomes = outcomes
        self.metrics = metrics
        self._options: tuple[Settings, PipelineOptions] | None = None
        # Journal rows counted detected and still in `pending`: a row leaves with its outcome, not with its task (a
        # drain's cancel, a failure that could not be recorded); a rescan that finds it again does not count it again.
        self._pending_rows: set[int] = set()

    @property
    def executor(self) -> Executor | None:
        """The executor, once started."""
        done = self._executor.done() and not self._executor.cancelled() and self._executor.exception() is None
        return self._executor.result() if done else None

    def when_started(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the loop once the executor has started (or failed to)."""
        self._executor.add_done_callback(lambda _: callback())

    def _pipeline_options(self, settings: Settings) -> PipelineOptions:
        """The job options of a settings snapshot, built once per snapshot (settings are frozen; a
        reload makes a new object), not validated again for every file."""
        if self._options is None or self._options[0] is not settings:
            self._options = (settings, settings.pipeline_options())
        return self._options[1]

    # ---- new → queued -------------------------------------------------------------------------
    async def detect(self, item: Item) -> bool:
        """Give the file its journal row; False when it needs no work (left in place on purpose)."""
        return await self._retrying(item, self._detect(item))

    async def _detect(self, item: Item) -> bool:
        if item.special is not None:
            if not await self.journal.run(Journal.is_settled, item.path, item.size, item.mtime_ns):
                await self._record_special(item, item.special)
            return False
        item.row_id = await self.journal.detect(item.path, item.size, item.mtime_ns)
        if item.row_id is None:
            return False
        item.enter(State.QUEUED)
        if item.row_id not in self._pending_rows:
            self._pending_rows.add(item.row_id)
            self.metrics.files.change(detected=1, pending=1)
        if item.origin == "rescan":
            self.metrics.rescan_recovered.inc()
        log.debug("file_detected", file=item.path.name, origin=item.origin, bytes=item.size)
        return True

    async def _record_special(self, item: Item, kind: str) -> None:
        """A symlink, FIFO, directory… is recorded once as failed and left where it is."""
        await self.journal.run(Journal.record_final, item.path, size=item.size, mtime_ns=item.mtime_ns,
                               state="failed", reason="not_regular_file", error=kind)
        self.metrics.files.change(detected=1, outcome="failed")
        log.warning("file_not_regular", file=item.path.name, kind=kind, reason="not_regular_file")

    # ---- hash → parse → record ----------------------------------------------------------------
    async def attempt(self, item: Item, busy: Callable[[], Iterable[Item]],
                      parsed: Callable[[], None] = lambda: None) -> None:
        """One try at a file holding a slot; returns once its outcome is recorded, or raises `Retry`.

        `busy` lists the files being tried: identical content waits for their outcome. `parsed` is called
        when the file no longer needs its slot (recording, all fsyncs and moves, lets the next file parse)."""
        await self._retrying(item, self._attempt(item, busy, parsed))

    async def _retrying(self, item: Item, step: Coroutine[Any, Any, T]) -> T:
        """Run a step; any error becomes a `Retry` with its reason (the runner backs off or fails the file)."""
        try:
            return await step
        except Retry:
            raise
        except Replaced as exc:  # its outcome is on disk; the file now at the name is read next
            raise Retry("changed_during_processing", str(exc)) from exc
        except JournalError as exc:
            self.metrics.outcome_errors.labels(kind="journal").inc()
            self._on_journal_error(exc)
            raise Retry("journal", str(exc)) from exc
        except OSError as exc:
            self.metrics.outcome_errors.labels(kind=type(exc).__name__).inc()
            # "No such file or directory" alone names nothing; a move's missing folder is its target's.
            names = [str(name) for name in (exc.filename, exc.filename2) if name]
            where = f": {' -> '.join(names)}" if names else ""
            raise Retry("outcome_write", f"{exc.strerror or exc}{where}") from exc
        except Exception as exc:  # a bug on one file must not stop the others; capped by `retry_cap`
            log.exception("file_unexpected_error", file=item.path.name, sha256=item.sha256)
            raise Retry("internal_error", repr(exc)[:500]) from exc

    async def _attempt(self, item: Item, busy: Callable[[], Iterable[Item]], parsed: Callable[[], None]) -> None:
        settings = self._settings()  # the snapshot this try keeps, whatever reloads happen meanwhile
        options = self._pipeline_options(settings)
        item.enter(State.HASH)
        read = await self._hash(item, options)
        if read is None:
            return
        state, ocr_budget, on_disk = read
        if any(other.sha256 == state.sha256 for other in busy() if other is not item):
            raise Retry("same_content_in_flight", "identical content is being processed; wait for its outcome")
        # Set before the next await: a file with the same content that comes here meanwhile waits for it.
        item.sha256, item.identity = state.sha256, state.identity
        assert item.row_id is not None
        claim = await self.journal.run(Journal.claim_unless_done, item.row_id, state.sha256)
        if claim.done is not None:
            item.enter(State.RECORD)
            parsed()
            await finish_shielded(self._record_duplicate(item, state, settings))
            return
        outcome, kept = await self._earlier_outcome(item, state, claim, on_disk)
        if outcome is None:
            item.enter(State.PARSE)
            outcome = await self._execute(item, settings, options, ocr_budget)
        item.enter(State.RECORD)
        parsed()
        await finish_shielded(self._record(item, outcome, settings, kept))

    async def _hash(self, item: Item, options: PipelineOptions) -> tuple[FileState, float, OnDisk] | None:
        """Hash the input, count the seconds OCR may add to its timeout (`hash_and_budget`) and look for an
        outcome an earlier try left on disk, in one trip off the loop; None when the file turned out not to
        need parsing (gone, or not a regular file)."""
        try:
            return await asyncio.to_thread(self._read_and_look, item.path, options)
        except FileNotFoundError:
            await finish_shielded(self._record_gone(item))
        except NotRegularFile as exc:
            failure = Failure("claim", "not_regular_file", f"replaced by a {exc}")
            item.enter(State.RECORD)
            await finish_shielded(self._record_failure(item, failure, final=item.path))
        except OSError as exc:
            raise read_retry(exc) from exc
        return None

    def _read_and_look(self, path: Path, options: PipelineOptions) -> tuple[FileState, float, OnDisk]:
        """Off the loop. Looking before the claim finds what looking after it would: only this file's own
        earlier tries write outcomes under its name and content, and they are over. An output folder that
        cannot be read is no fault of the input: `LOOK_AGAIN` looks after the claim, where its error counts
        as the outputs' (`outcome_write`), not as an unreadable input's."""
        state, ocr_budget = hash_and_budget(path, options)
        try:
            return state, ocr_budget, self.outcomes.existing(path.name, state.sha256)
        except OSError:
            return state, ocr_budget, LOOK_AGAIN

    async def _earlier_outcome(self, item: Item, state: FileState, claim: Claim, on_disk: OnDisk
                               ) -> tuple[JobOutcome | None, Path | None]:
        """After the claim: an outcome already on disk, and the result file to keep when it is another input's."""
        if claim.attempt == 1:  # once an input: a retried one was counted again at each try
            self.metrics.file_bytes.observe(state.size)
        log.info("file_claimed", file=item.path.name, sha256=state.sha256, attempt=claim.attempt)
        elsewhere = await asyncio.to_thread(self._left_by_others, claim, state) if claim.others else None
        if elsewhere is not None:  # done with that result, so the content has a `done` row whatever its row becomes
            return JobOutcome(result=elsewhere[1]), elsewhere[0]
        return await self._claimed(item, state, claim, on_disk), None

    async def _claimed(self, item: Item, state: FileState, claim: Claim, on_disk: OnDisk) -> JobOutcome | None:
        """The outcome an earlier try of this input left on disk (`on_disk`, looked for with the hash)."""
        found = (await asyncio.to_thread(self.outcomes.existing, item.path.name, state.sha256)
                 if isinstance(on_disk, _Look) else on_disk)  # rare, as is any trip below
        if found is not None and found.failure is not None:
            # A failure record answers only for a try of this row. The same content failed before and is back in
            # the inbox (moved back by an operator): its old record is retired, whenever it was written; after a
            # journal rebuilt from the outbox, which knows no failures, when it was written before this row was
            # made (a crash between a try's record and its move leaves one written after).
            superseded = claim.failed is not None and claim.failed.id != item.row_id
            if await asyncio.to_thread(self.outcomes.retire_failure, item.path.name, state.sha256,
                                       None if superseded else claim.since):
                found = None
        if found is not None:
            log.info("file_outcome_found", file=item.path.name, sha256=state.sha256)
        return found

    def _left_by_others(self, claim: Claim, state: FileState) -> tuple[Path, dict[str, Any]] | None:
        """Off the loop: the result (its path and content) another pending input of this content has on disk
        already, left by a run that ended before recording it. It is this content's result: no second is written."""
        for other in claim.others:
            stored = self.outcomes.stored_result(Path(other).name, state.sha256)
            if stored is not None:
                return stored
        return None

    async def _execute(self, item: Item, settings: Settings, options: PipelineOptions,
                       ocr_budget: float) -> JobOutcome:
        assert item.sha256 is not None and item.row_id is not None
        job = Job(item.path, item.sha256, options, settings.file_timeout_seconds + ocr_budget)
        try:
            executor = await self._executor
        except Exception as exc:  # no file fails for it: the daemon stops (exit 3) and they stay pending
            raise Retry("executor_unavailable", f"the executor did not start: {exc!r}") from exc
        started = time.monotonic()
        try:
            outcome = await executor.run(job)
        except ExecutorUnavailable as exc:  # the pool cannot be rebuilt: /healthz fails, the file waits
            raise Retry("executor_unavailable", str(exc)) from exc
        except WorkerCrashed as exc:
            self.metrics.worker_restarts.inc()
            crashes = await self.journal.run(Journal.record_crash, item.row_id)
            if crashes >= settings.max_attempts:
                return JobOutcome(failure=Failure("text", "worker_crashed", f"{crashes} crashes, last: {exc}"))
            raise Retry("worker_crashed", str(exc)) from exc
        if outcome.failure is not None and outcome.failure.reason == "timeout":
            self.metrics.worker_restarts.inc()
            stood_still = self._stalled_since(started)
            if stood_still > 0 and time.monotonic() - started - stood_still < job.timeout_seconds:
                raise Retry("stalled", f"timed out while the daemon stood still for {stood_still:.1f} s "
                                       "(frozen or starved): its budget did not run out")
        if outcome.failure is not None and outcome.failure.reason in ("changed_during_processing",
                                                                      CONCEPT_DB_UNAVAILABLE):
            raise Retry(outcome.failure.reason, outcome.failure.message)  # neither is the document's fault
        if (outcome.failure is not None and outcome.failure.reason == "unreadable"
                and await asyncio.to_thread(_present_unchanged, item)):
            # The daemon read it a moment ago: the worker's view of it is at fault (with `dask_shared_paths`, a
            # worker without the inbox mounted failed every good file on its first try). Retried as a file the
            # daemon cannot read is, up to that cap: one file no worker can ever read (a mode only the daemon's
            # user may read) must not hold the others back.
            hint = " (with dask_shared_paths, every worker must see the inbox at the daemon's path)" \
                if executor.name == "dask" else ""
            raise Retry("unreadable", f"the daemon reads this file and a worker could not: "
                                      f"{outcome.failure.message}{hint}")
        return outcome

    # ---- record (run to the end even when the file's task is cancelled) -----------------------
    async def _record(self, item: Item, outcome: JobOutcome, settings: Settings, kept: Path | None = None) -> None:
        """Record an outcome; `kept` is a result already on disk for it (written under another input's name)."""
        if outcome.result is not None:
            await self._record_success(item, outcome.result, settings, kept)
        elif outcome.failure is not None:
            if not await asyncio.to_thread(_present_unchanged, item):
                # Deleted or renamed away meanwhile ("cannot open": no such file): no failure record for a file
                # that is not there; the outcome on disk says how it ended.
                await self._settle_gone(item)
                return
            await self._record_failure(item, outcome.failure)

    async def _check_unchanged(self, item: Item) -> None:
        await asyncio.to_thread(_ensure_unchanged, item)

    async def _record_success(self, item: Item, result: dict[str, Any], settings: Settings,
                              kept: Path | None = None) -> None:
        assert item.row_id is not None
        result_path, final = await asyncio.to_thread(self._write_and_settle, item, result, settings.on_success, kept)
        await self.journal.run(Journal.finish, item.row_id, "done", result_path=result_path, final_path=final)
        self._observe_result(result)
        self.last_recorded = time.monotonic()
        self._counted(item, "done")
        self.metrics.last_success.set(time.time())
        log.info("file_done", file=item.path.name, sha256=item.sha256, result=result_path.name,
                 pages=result["source"]["pages"], concepts=len(result["concepts"]),
                 seconds=round(time.monotonic() - item.started, 4), timings=result["timings_seconds"])

    def _write_and_settle(self, item: Item, result: dict[str, Any], on_success: OnSuccess,
                          kept: Path | None = None) -> tuple[Path, Path | None]:
        """Off the loop, one trip, in this order: the input is still the file that was read, its result
        is durable (fsynced, renamed, directory fsynced; or `kept`, durable already), then the input leaves the
        inbox."""
        _ensure_unchanged(item)
        result_path = kept or self.outcomes.write_result(item.path.name, result)
        return result_path, self.outcomes.settle_input(item.path, on_success, expect=item.identity)

    async def _record_failure(self, item: Item, failure: Failure, final: Path | None = None) -> None:
        assert item.row_id is not None
        if final is None and failure.reason != "vanished":
            final = await asyncio.to_thread(self.outcomes.write_failure, item.path, item.sha256, failure, item.identity)
        await self.journal.run(Journal.finish, item.row_id, "failed", reason=failure.reason,
                               error=failure.message, final_path=final)
        if final is not None:
            self.last_recorded = time.monotonic()
        self._counted(item, "failed")
        self.metrics.stage_seconds.labels(stage="total").observe(time.monotonic() - item.started)
        log.warning("file_failed", file=item.path.name, sha256=item.sha256, stage=failure.stage,
                    reason=failure.reason, message=failure.message)

    async def _record_duplicate(self, item: Item, state: FileState, settings: Settings) -> None:
        assert item.row_id is not None
        item.sha256, item.identity = state.sha256, state.identity
        await self._check_unchanged(item)
        await self.journal.run(Journal.require_in_use)  # the records that call it a duplicate are the ones in use
        await self.journal.run(Journal.record_sha, item.row_id, state.sha256)
        final = await asyncio.to_thread(
            functools.partial(self.outcomes.settle_input, item.path, settings.on_success, reuse_identical=False,
                              expect=item.identity))
        await self.journal.run(Journal.finish, item.row_id, "duplicate", reason="duplicate", final_path=final)
        self.last_recorded = time.monotonic()
        self.metrics.duplicates.inc()
        self._counted(item, "duplicate")
        log.info("file_duplicate", file=item.path.name, sha256=state.sha256)

    async def _record_gone(self, item: Item) -> None:
        """The input left the inbox. After an earlier try that moved it (its journal write then failed),
        the outcome on disk says how it ended: done, never `vanished`, when its result is there."""
        item.enter(State.RECORD)
        await self._settle_gone(item)

    async def _settle_gone(self, item: Item) -> None:
        assert item.row_id is not None
        row = await self.journal.run(Journal.get, item.row_id)
        if row is None or row.state not in ("detected", "claimed"):
            if row is not None:  # finished by an earlier try whose journal write reported an error after it
                self._counted(item, row.state)
            return
        how = await self.journal.run(settle_moved, self.outcomes, row)
        self._counted(item, "failed" if how == "vanished" else how)
        log.info("file_settled", file=item.path.name, sha256=row.sha256, outcome=how)

    def _counted(self, item: Item, outcome: str) -> None:
        """Count the outcome of a file's row and take the row out of `pending`, in one step (`FileCounts.change`);
        once a row."""
        if item.row_id in self._pending_rows:
            self._pending_rows.remove(item.row_id)
            self.metrics.files.change(pending=-1, outcome=outcome)

    async def fail(self, item: Item, retry: Retry) -> None:
        """A retry reason past its cap: the file ends in failed/ with that reason. Raises `Retry` when another
        file took its name meanwhile: that one is read afresh."""
        item.enter(State.RECORD)
        try:
            await finish_shielded(self._record_failure(item, Failure("daemon", retry.reason, str(retry))))
        except Replaced as exc:
            raise Retry("changed_during_processing", str(exc)) from exc

    async def release(self, item: Item) -> None:
        """Return a claimed row to pending (shutdown); the file is found again by the next start."""
        if item.row_id is not None:
            try:
                await self.journal.run(Journal.release, item.row_id)
            except (JournalError, RuntimeError) as exc:  # RuntimeError: the journal is closing
                log.warning("journal_release_failed", file=item.path.name, error=str(exc))

    def _observe_result(self, result: dict[str, Any]) -> None:
        for stage, seconds in result["timings_seconds"].items():
            if stage != "ocr":  # part of `text`, and observed on its own (`observe_text`)
                self.metrics.stage_seconds.labels(stage=stage).observe(seconds)
        self.metrics.file_pages.observe(result["source"]["pages"])
        self.metrics.concepts.observe(len(result["concepts"]))
        observe_text(self.metrics, result)


# The daemon's own shortage, not the file's: the file waits, uncapped, for the descriptors or memory to come back.
_SHORTAGES = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOMEM))
# The inbox's volume failing, not the file: an NFS or SMB server gone (stale handle, no connection, timed out), a
# FUSE mount whose process died, an I/O error. The file waits, uncapped, for the volume to come back.
_VOLUME_FAULTS = frozenset((errno.EIO, errno.ESTALE, errno.ENOTCONN, errno.EHOSTDOWN, errno.EHOSTUNREACH,
                            errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNABORTED, errno.ENODEV, errno.ENXIO))


def read_retry(exc: OSError) -> Retry:
    """The retry for an input that could not be read: `unreadable` (capped: a file no one may read fails in
    the end); `out_of_resources` when the daemon ran out of descriptors or memory (uncapped: a sound file
    failed after ten tries while the open-file limit was exhausted); `inbox_unavailable` when the volume it is on
    fails (uncapped: every sound file on a network share went to failed/ while its server was down)."""
    if exc.errno in _SHORTAGES:
        return Retry("out_of_resources", f"cannot read: {exc.strerror}")
    if exc.errno in _VOLUME_FAULTS:
        return Retry("inbox_unavailable", f"cannot read: {exc.strerror}")
    return Retry("unreadable", f"cannot read: {exc.strerror}")


def hash_and_budget(path: Path, options: PipelineOptions) -> tuple[FileState, float]:
    """One read of an input: its hash, and the seconds OCR may add to its timeout (per page image)."""
    if options.ocr == "off":  # OCR adds no time: nothing to count
        return sha256_file(path), 0.0
    counter = ImageCounter(options.max_file_bytes)
    return sha256_file(path, counter.feed), images_budget_seconds(counter.count, options)


def _present_unchanged(item: Item) -> bool:
    """False when the input left the inbox; raises `Retry` as `_ensure_unchanged` does."""
    _ensure_unchanged(item)
    return os.path.lexists(item.path)


def _ensure_unchanged(item: Item) -> None:
    """Raise `Retry` when another file took this name, or a writer came back to it, since it was read:
    its outcome is not this one. It is read again; nothing is moved."""
    if item.identity and not still_there(item.path, item.identity):
        raise Retry("changed_during_processing", "the file changed while it was processed")


async def finish_shielded(coro: Coroutine[Any, Any, T]) -> T:
    """Run bookkeeping (fsyncs, a move, the journal) to its end even if the caller is cancelled meanwhile;
    the cancellation is delivered once it is over (arq shields its result recording the same way)."""
    task = asyncio.ensure_future(coro)
    interrupted = False
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                raise
            interrupted = True
            continue
        if interrupted:
            raise asyncio.CancelledError
        return result
