"""The runner in-process: one task per file behind a resizable limiter, the drain, the wait for the
executor, slots given up while recording (see tests/core.py for what is real)."""

from __future__ import annotations

import asyncio
import errno
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.core import Core, hold_journal_lock, raising, result_for, sha, until
from toridaemon.executors.base import (
    CONCEPT_DB_UNAVAILABLE,
    ExecutorUnavailable,
    Failure,
    Job,
    JobOutcome,
    WorkerCrashed,
)
from toridaemon.fsutil import write_atomic
from toridaemon.outcome import Outcomes
from toridaemon.runner import Limiter, backoff_seconds
from toridaemon.statemachine import Item

DATA = b"%PDF-1.4 one"


def test_a_file_becomes_one_result_and_moves(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            core.drop("paper.pdf", DATA)
            await core.settled()
            assert [json.loads(p.read_bytes())["source"]["sha256"] for p in core.results()] == [sha(DATA)]
            assert (core.processed / "paper.pdf").read_bytes() == DATA
            assert [(r.state, r.attempts) for r in await core.rows()] == [("done", 1)]
            assert core.metric("toridaemon_files_completed_total", outcome="done") == 1
            assert core.metric("toridaemon_pending") == 0

    asyncio.run(scenario())


def test_drain_lets_in_flight_work_finish_within_the_budget(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            release = asyncio.Event()

            async def slow(job: Job) -> JobOutcome:
                await release.wait()
                return result_for(job)

            core.executor.script = slow
            core.drop("slow.pdf", DATA)
            await until(lambda: core.executor.running == 1, what="the parse started")
            asyncio.get_running_loop().call_later(0.1, release.set)
            assert await core.runner.drain(5.0) == 0
            assert (core.processed / "slow.pdf").exists() and len(core.results()) == 1

    asyncio.run(scenario())


def test_drain_past_its_budget_returns_work_to_pending(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, workers=1) as core:
            cancelled = asyncio.Event()

            async def hang(job: Job) -> JobOutcome:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    cancelled.set()
                    raise
                raise AssertionError("unreachable")

            core.executor.script = hang
            core.drop("hung.pdf", DATA)
            core.drop("queued.pdf", b"%PDF-1.4 two")
            await until(lambda: core.executor.running == 1, what="the first parse started")
            assert await core.runner.drain(0.2) == 2
            assert cancelled.is_set()
            assert {r.state for r in await core.rows()} == {"detected"}, "both rows are pending again"
            assert _counts(core) == (2, 0, 2), "pending as their rows are: the counters still reconcile"
            assert sorted(p.name for p in core.inbox.iterdir()) == ["hung.pdf", "queued.pdf"]
            assert not core.results()
            assert not core.accept(core.inbox / "hung.pdf"), "a draining runner takes nothing new"

    asyncio.run(scenario())


@pytest.mark.parametrize("queues_ahead", [False, True])
def test_resize_changes_how_many_files_run_at_once(tmp_path: Path, queues_ahead: bool) -> None:
    """A slot per worker; two when the executor queues each worker's next file ahead (as pebble does)."""
    per_worker = 2 if queues_ahead else 1

    async def scenario() -> None:
        core = Core(tmp_path, workers=1)
        core.executor.queues_ahead = queues_ahead  # read once the executor has started
        async with core:
            gate = asyncio.Event()

            async def wait_for_gate(job: Job) -> JobOutcome:
                await gate.wait()
                return result_for(job)

            core.executor.script = wait_for_gate
            for number in range(7):
                core.drop(f"f{number}.pdf", f"%PDF-1.4 {number}".encode())
            await until(lambda: core.executor.running == per_worker
                        and core.metric("toridaemon_queue_depth") == 7 - per_worker,
                        what="one worker's files handed over, the others waiting for a slot")
            await asyncio.sleep(0.05)
            assert core.executor.running == per_worker, "one worker: nobody else starts"
            core.runner.resize(3)
            await until(lambda: core.executor.running == 3 * per_worker, what="two more workers' slots used at once")
            core.runner.resize(1)  # running files keep their slot; nothing new starts until below 1
            gate.set()
            await core.settled()
            assert core.executor.peak == 3 * per_worker and len(core.results()) == 7

    asyncio.run(scenario())


def test_limiter_hands_a_slot_back_when_its_waiter_is_cancelled() -> None:
    async def scenario() -> None:
        limiter = Limiter(1)
        inside = asyncio.Event()

        async def hold() -> None:
            async with limiter.slot():
                inside.set()
                await asyncio.sleep(3600)

        holder = asyncio.create_task(hold())
        await inside.wait()
        waiter = asyncio.create_task(hold())
        await asyncio.sleep(0)
        assert limiter.waiting == 1
        holder.cancel()
        waiter.cancel()  # cancelled in the same iteration the slot is handed to it
        await asyncio.gather(holder, waiter, return_exceptions=True)
        assert limiter.used == 0 and limiter.waiting == 0

    asyncio.run(scenario())


def test_files_wait_for_the_executor_and_none_fails_when_it_cannot_start(tmp_path: Path) -> None:
    async def scenario() -> None:
        core = Core(tmp_path, max_attempts=1)
        core.start_executor = False
        async with core:
            core.drop("early.pdf", DATA)
            await until(lambda: core.runner.in_flight, what="the file waiting for the executor")
            await asyncio.sleep(0.05)
            assert not core.executor.jobs and core.runner.knows(core.inbox / "early.pdf")
            core.started.set_exception(OSError("the forkserver did not start"))
            await until(lambda: core.metric("toridaemon_files_retried_total", reason="executor_unavailable") >= 2)
            assert not list(core.failed.iterdir()) and (core.inbox / "early.pdf").exists()

    asyncio.run(scenario())


def test_a_pool_that_cannot_be_rebuilt_fails_no_file(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=1) as core:
            core.executor.script = raising(ExecutorUnavailable("the worker pool cannot be rebuilt"))
            core.drop("innocent.pdf", DATA)
            await until(lambda: core.metric("toridaemon_files_retried_total", reason="executor_unavailable") >= 2)
            assert not list(core.failed.iterdir()) and (core.inbox / "innocent.pdf").exists()
            assert core.metric("toridaemon_worker_restarts_total") == 0

    asyncio.run(scenario())


def test_a_locked_journal_blocks_the_runner_until_a_try_gets_through(tmp_path: Path) -> None:
    """No file can get past a journal another process holds locked: once none got through for a while, the runner
    says so (the daemon's /readyz reads it); a try that gets through ends it."""
    async def scenario() -> None:
        async with Core(tmp_path, busy_timeout=0.05) as core:
            assert core.runner.blocked() is None
            holder = hold_journal_lock(tmp_path / "state" / "journal.sqlite3", 1.5)
            core.drop("paper.pdf", DATA)
            await until(lambda: core.runner.blocked() is not None, what="blocked on the journal")
            blocked = core.runner.blocked()
            assert blocked is not None and blocked[0] == "journal" and "locked" in blocked[1]
            await core.settled()
            holder.join(5)
            assert len(core.results()) == 1 and core.runner.blocked() is None

    asyncio.run(scenario())


def _stuck_on_the_database(name: str) -> Callable[[Job], Awaitable[JobOutcome]]:
    """A parse whose files named `name`* wait on a concept database that will not read; the others get through."""
    async def run(job: Job) -> JobOutcome:
        if job.path.name.startswith(name):
            return JobOutcome(failure=Failure("concepts", CONCEPT_DB_UNAVAILABLE, "concepts.json: line 1"))
        return result_for(job)

    return run


def test_one_file_stuck_among_others_that_get_through_blocks_nothing_until_they_stop(tmp_path: Path) -> None:
    """A file that keeps failing on a cause that is mostly global (one language's database broken) while others get
    through: the daemon is not blocked, nor does it flip to blocked and back at each of its retries. Once nothing
    else comes, the file waits with none getting through: then it is."""
    async def scenario() -> None:
        async with Core(tmp_path, blocked_after=2.0) as core:  # ten times the gaps between the others' outcomes
            core.executor.script = _stuck_on_the_database("stuck")
            core.drop("stuck.pdf", DATA)
            seen = []
            for n in range(12):
                core.drop(f"flowing-{n}.pdf", f"%PDF-1.4 flowing {n}".encode())
                await asyncio.sleep(0.05)
                seen.append(core.runner.blocked())
            await until(lambda: len(core.results()) == 12, what="the others through")
            assert seen == [None] * 12
            await until(lambda: core.runner.blocked() is not None, what="blocked once the others stopped")
            assert core.runner.blocked() == ("concept_db_unavailable", "concepts.json: line 1")
            core.executor.script = _stuck_on_the_database("nothing")
            await core.settled()
            assert core.runner.blocked() is None

    asyncio.run(scenario())


def _full_disk(core: Core) -> dict[str, bool]:
    """Result writes fail with ENOSPC while the returned flag says so."""
    state = {"full": True}

    def write(path: Path, data: bytes) -> None:
        if state["full"]:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write_atomic(path, data)

    core.outcomes = Outcomes(core.outbox, core.processed, core.failed, core.settings.on_success, write=write)
    core.machine.outcomes = core.outcomes
    return state


def test_a_full_output_disk_blocks_until_a_result_is_written_and_a_file_taken_away_changes_nothing(
    tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            disk = _full_disk(core)
            core.drop("a.pdf", DATA)
            core.drop("b.pdf", b"%PDF-1.4 two")
            await until(lambda: core.runner.blocked() is not None, what="blocked on the full disk")
            blocked = core.runner.blocked()
            assert blocked is not None and blocked[0] == "outcome_write"
            (core.inbox / "a.pdf").unlink()  # its owner took it away: b still cannot get through
            for _ in range(20):
                await asyncio.sleep(0.02)
                assert core.runner.blocked() is not None
            core.drop("c.pdf", b"%PDF-1.4 three")
            await asyncio.sleep(0.2)
            assert "c.pdf" not in core.executor.jobs, "a file that comes while blocked waits for a try to get through"
            disk["full"] = False
            await until(lambda: core.metric("toridaemon_files_completed_total", outcome="done") >= 1, what="one done")
            assert core.runner.blocked() is None, "one got through: the other need not retry for it to show"
            await core.settled()
            assert sorted(p.name[:2] for p in core.results()) == ["b.", "c."] and core.runner.blocked() is None
            assert core.metric("toridaemon_files_completed_total", outcome="failed") == 1, "a settled as vanished"

    asyncio.run(scenario())


def test_while_blocked_one_file_keeps_trying_and_the_others_wait_for_it(tmp_path: Path) -> None:
    """Each waiting file retried at full cost behind a full disk: 5,000 files made 500 log lines a second and kept
    both workers parsing. Now one file (the probe) tries at its backoff; the others try once it got through."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            disk = _full_disk(core)
            for n in range(20):
                core.drop(f"f{n}.pdf", f"%PDF-1.4 {n}".encode())
            await until(lambda: core.runner.blocked() is not None, what="blocked on the full disk")
            await asyncio.sleep(0.3)  # the files tried meanwhile end their tries and their backoffs
            seen = len(core.executor.jobs)
            # Three more tries, however slowly the loop turns here: all of them are the one probe's.
            await until(lambda: len(core.executor.jobs) >= seen + 3, what="three more tries")
            tried = core.executor.jobs[seen:]
            assert len(set(tried)) == 1, tried
            disk["full"] = False
            await core.settled()
            assert len(core.results()) == 20 and core.runner.blocked() is None

    asyncio.run(scenario())


def test_a_crash_is_the_documents_doing_and_blocks_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=50) as core:
            core.executor.script = raising(WorkerCrashed("the worker died on this document"))
            core.drop("crashes.pdf", DATA)
            await until(lambda: core.metric("toridaemon_files_retried_total", reason="worker_crashed") >= 2)
            await asyncio.sleep(0.3)
            assert core.runner.blocked() is None

    asyncio.run(scenario())


def test_a_file_being_recorded_leaves_its_slot_to_the_next_parse(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, workers=1) as core:
            unblock = threading.Event()
            write = core.outcomes._write

            def slow_disk(path: Path, data: bytes) -> None:
                if "first" in path.name:
                    unblock.wait(10)  # the first result's fsyncs take their time
                write(path, data)

            core.outcomes._write = slow_disk
            core.drop("first.pdf", DATA)
            await until(lambda: core.executor.jobs == ["first.pdf"])
            core.drop("second.pdf", b"%PDF-1.4 two")
            await until(lambda: core.executor.jobs == ["first.pdf", "second.pdf"], what="the second parse")
            assert not list(core.outbox.glob("first.*")), "the first file was still recording"
            unblock.set()
            await core.settled()
            assert len(core.results()) == 2

    asyncio.run(scenario())


def test_the_backoff_stays_at_its_cap_however_many_tries() -> None:
    """2.0 ** 1024 overflows: the 1,025th retry of a file held back for a weekend killed its task."""
    assert 0.8 <= backoff_seconds(1, 1.0, 60.0) <= 1.2
    assert 3.2 <= backoff_seconds(3, 1.0, 60.0) <= 4.8
    for tries in (7, 1025, 100_000):
        assert 48.0 <= backoff_seconds(tries, 1.0, 60.0) <= 72.0


def test_the_backoff_follows_the_retry_settings_as_they_are_reloaded(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=100) as core:  # retries 10 to 50 ms apart
            core.executor.script = raising(WorkerCrashed("the worker died on this document"))
            core.drop("crashes.pdf", DATA)
            def retries() -> float:
                return core.metric("toridaemon_files_retried_total", reason="worker_crashed")

            await until(lambda: retries() >= 3, what="quick retries")
            core.settings = core.settings.model_copy(update={"retry_base_seconds": 30.0, "retry_max_seconds": 30.0})
            reloaded = retries()
            await asyncio.sleep(0.5)
            assert retries() <= reloaded + 1, "only a wait begun before the reload may end so soon"

    asyncio.run(scenario())


def test_a_probe_that_fails_for_a_cause_of_its_own_hands_its_role_on(tmp_path: Path) -> None:
    """The probe kept its role while its tries failed for its own reason (a writer rewriting it): once the disk was
    freed, no other file was tried again and the daemon stayed blocked."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            disk = _full_disk(core)
            stuck: list[str] = []

            async def parse(job: Job) -> JobOutcome:
                if core.runner.blocked() is not None and not stuck:
                    stuck.append(job.path.name)  # the probe's next try
                if job.path.name in stuck:
                    return JobOutcome(failure=Failure("read", "changed_during_processing", "rewritten"))
                return result_for(job)

            core.executor.script = parse
            for n in range(8):
                core.drop(f"f{n}.pdf", f"%PDF-1.4 {n}".encode())
            await until(lambda: bool(stuck), what="the probe failing for its own reason")
            disk["full"] = False
            await until(lambda: len(core.results()) == 7, what="the others, once the disk is free")
            await until(lambda: core.runner.blocked() is None, what="no longer blocked")

    asyncio.run(scenario())


def test_waiting_files_that_leave_one_by_one_wake_the_others_a_bounded_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each waiting file that left (taken out of the inbox during an outage) woke every other: 4,000 took 84 s."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            _full_disk(core)
            for n in range(300):
                core.drop(f"f{n}.pdf", f"%PDF-1.4 {n}".encode())
            await until(lambda: core.runner.blocked() is not None, what="blocked")
            await until(lambda: len(core.runner._waiting) >= 290, what="the others waiting their turn")
            looks = []
            real = core.runner._waits

            def counted(item: Item) -> bool:
                looks.append(item)
                return real(item)

            monkeypatch.setattr(core.runner, "_waits", counted)
            for path in core.inbox.glob("*.pdf"):
                path.unlink()
            await core.settled(30)
            assert len(looks) <= 4 * 300, len(looks)

    asyncio.run(scenario())


def _counts(core: Core) -> tuple[float, float, float]:
    """(files detected, completed of every outcome, pending)."""
    completed = sum(core.metric("toridaemon_files_completed_total", outcome=o) for o in ("done", "failed", "duplicate"))
    return core.metric("toridaemon_files_detected_total"), completed, core.metric("toridaemon_pending")


def test_a_row_whose_failure_could_not_be_written_stays_pending_and_counts_once(tmp_path: Path) -> None:
    """A failure record the outputs' disk refused ends the file's task with its row claimed: the row stays pending,
    and the rescan that finds the file again finishes it without counting it detected a second time."""
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=1) as core:
            core.executor.script = raising(RuntimeError("a bug in one file's parse"))
            written = core.outcomes.write_failure

            def disk_full(*args: object, **kwargs: object) -> Path:
                raise OSError(errno.ENOSPC, "No space left on device")

            core.outcomes.write_failure = disk_full  # type: ignore[method-assign]
            path = core.drop("paper.pdf", DATA)
            await core.settled()
            assert [r.state for r in await core.rows()] == ["claimed"]
            assert _counts(core) == (1, 0, 1)
            core.outcomes.write_failure = written  # type: ignore[method-assign]
            core.executor.script = None
            assert core.accept(path)  # as the next rescan does
            await core.settled()
            assert [r.state for r in await core.rows()] == ["done"]
            assert _counts(core) == (1, 1, 0)

    asyncio.run(scenario())


def test_every_scrape_during_a_burst_reconciles(tmp_path: Path) -> None:
    """detected = done + failed + duplicate + pending in every scrape, taken on another thread (as the HTTP server's)
    while a burst is detected in batches and finished: done, failed and duplicate outcomes alike."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    files = 150
    counts = (0.0, 0.0, 0.0)
    names = ("toridaemon_files_detected_total", "toridaemon_pending", "toridaemon_files_completed_total")
    scrapes: list[dict[str, float]] = []
    stop = threading.Event()

    def scrape(registry: CollectorRegistry) -> None:
        while not stop.is_set():
            body = generate_latest(registry).decode()
            scrapes.append({f"{s.name}{s.labels.get('outcome', '')}": s.value
                            for family in text_string_to_metric_families(body) for s in family.samples
                            if s.name in names})
            stop.wait(0.002)

    async def failing_some(job: Job) -> JobOutcome:
        await asyncio.sleep(0)
        if job.path.name.startswith("bad"):
            return JobOutcome(failure=Failure("text", "unreadable", "not a PDF"))
        return result_for(job)

    async def scenario() -> None:
        async with Core(tmp_path) as core:
            core.executor.script = failing_some
            scraper = threading.Thread(target=scrape, args=(core.metrics.registry,))
            scraper.start()
            try:
                for number in range(files):
                    name = f"bad-{number}.pdf" if number % 7 == 0 else f"doc-{number}.pdf"
                    content = DATA if number % 50 == 1 else f"%PDF-1.4 {number}".encode()  # some duplicates
                    core.drop(name, content)
                await core.settled(60)
            finally:
                stop.set()
                scraper.join(10)
            nonlocal counts
            counts = _counts(core)
            assert core.metric("toridaemon_files_completed_total", outcome="duplicate") > 0
            assert core.metric("toridaemon_files_completed_total", outcome="failed") > 0

    asyncio.run(scenario())
    assert counts == (files, files, 0)
    during = [s for s in scrapes if 0 < s["toridaemon_files_detected_total"] < files or s["toridaemon_pending"] > 0]
    assert during, "no scrape fell inside the burst"
    for values in scrapes:
        completed = sum(values[f"toridaemon_files_completed_total{o}"] for o in ("done", "failed", "duplicate"))
        assert values["toridaemon_files_detected_total"] == completed + values["toridaemon_pending"], values
