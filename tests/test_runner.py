"""The runner and the per-file state machine in-process: drain, resize, duplicates, a file replaced
during its parse, retries and their caps, journal faults (see tests/core.py for what is real)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.core import Core, raising, result_for, sha, until
from toridaemon.executors.base import Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.journal import Journal
from toridaemon.runner import Limiter
from toridaemon.statemachine import Item, State

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
            assert sorted(p.name for p in core.inbox.iterdir()) == ["hung.pdf", "queued.pdf"]
            assert not core.results()
            assert not core.accept(core.inbox / "hung.pdf"), "a draining runner takes nothing new"

    asyncio.run(scenario())


def test_resize_changes_how_many_files_run_at_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, workers=1) as core:
            gate = asyncio.Event()

            async def wait_for_gate(job: Job) -> JobOutcome:
                await gate.wait()
                return result_for(job)

            core.executor.script = wait_for_gate
            for number in range(4):
                core.drop(f"f{number}.pdf", f"%PDF-1.4 {number}".encode())
            await until(lambda: core.executor.running == 1 and core.metric("toridaemon_queue_depth") == 3,
                        what="one file parsing, three waiting for a slot")
            await asyncio.sleep(0.05)
            assert core.executor.running == 1, "one slot: nobody else starts"
            core.runner.resize(3)
            await until(lambda: core.executor.running == 3, what="two more slots used at once")
            core.runner.resize(1)  # running files keep their slot; nothing new starts until below 1
            gate.set()
            await core.settled()
            assert core.executor.peak == 3 and len(core.results()) == 4

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


def test_identical_files_arriving_together_give_one_result(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, workers=3) as core:
            for name in ("copy-a.pdf", "copy-b.pdf", "copy-c.pdf"):
                core.drop(name, DATA)
            await core.settled()
            assert len(core.results()) == 1 and len(core.executor.jobs) == 1
            assert sorted(r.state for r in await core.rows()) == ["done", "duplicate", "duplicate"]
            assert len(list(core.processed.iterdir())) == 3

    asyncio.run(scenario())


def test_a_copy_of_content_that_fails_is_not_called_a_duplicate(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            async def bad(job: Job) -> JobOutcome:
                return JobOutcome(failure=Failure("text", "not_a_pdf", "no header"))

            core.executor.script = bad
            core.drop("bad-1.pdf", DATA)
            core.drop("bad-2.pdf", DATA)
            await core.settled()
            assert sorted(r.state for r in await core.rows()) == ["failed", "failed"]
            assert len(list(core.failed.glob("*.error.json"))) == 2

    asyncio.run(scenario())


def test_a_file_replaced_during_its_parse_is_never_moved_under_the_old_outcome(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            second = b"%PDF-1.4 the second version"

            async def replace_once(job: Job) -> JobOutcome:
                if len(core.executor.jobs) == 1:
                    (core.root / "next.pdf").write_bytes(second)
                    (core.root / "next.pdf").rename(job.path)  # as a writer renaming into place does
                return result_for(job)

            core.executor.script = replace_once
            core.drop("doc.pdf", DATA)
            await core.settled()
            assert (core.processed / "doc.pdf").read_bytes() == second
            assert [json.loads(p.read_bytes())["source"]["sha256"] for p in core.results()] == [sha(second)]
            assert core.metric("toridaemon_files_retried_total", reason="changed_during_processing") == 1

    asyncio.run(scenario())


def test_a_file_appended_to_during_its_failure_is_not_moved(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            async def append_then_fail(job: Job) -> JobOutcome:
                if len(core.executor.jobs) == 1:
                    with open(job.path, "ab") as handle:  # a writer that closed, re-opened and appended
                        handle.write(b" more pages")
                    return JobOutcome(failure=Failure("text", "corrupt_pdf", "truncated"))
                return result_for(job)

            core.executor.script = append_then_fail
            core.drop("scan.pdf", DATA)
            await core.settled()
            assert not list(core.failed.iterdir()), "the failure of the first half was never committed"
            assert (core.processed / "scan.pdf").read_bytes() == DATA + b" more pages"

    asyncio.run(scenario())


def test_internal_errors_are_capped_and_end_in_failed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=3) as core:
            core.executor.script = raising(RuntimeError("Unexpected error within the Pool"))
            core.drop("stuck.pdf", DATA)
            await core.settled()
            errors = [json.loads(p.read_bytes()) for p in core.failed.glob("*.error.json")]
            assert [e["reason"] for e in errors] == ["internal_error"]
            assert (core.failed / "stuck.pdf").exists() and len(core.executor.jobs) == 3
            assert core.metric("toridaemon_files_retried_total", reason="internal_error") == 3

    asyncio.run(scenario())


def test_worker_crashes_are_retried_then_failed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=2) as core:
            core.executor.script = raising(WorkerCrashed("worker exited with code 70"))
            core.drop("crash.pdf", DATA)
            await core.settled()
            assert [(r.state, r.reason, r.attempts) for r in await core.rows()] == [("failed", "worker_crashed", 2)]

    asyncio.run(scenario())


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


def test_a_failed_detect_keeps_the_file_queued_for_retry(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, busy_timeout=0.05) as core:
            holder = hold_journal_lock(core.root / "state" / "journal.sqlite3", 0.3)
            core.drop("early.pdf", DATA)
            await until(lambda: core.metric("toridaemon_files_retried_total", reason="journal") >= 1)
            assert core.runner.knows(core.inbox / "early.pdf"), "kept, not dropped until the next rescan"
            await core.settled()
            holder.join()
            assert len(core.results()) == 1

    asyncio.run(scenario())


def test_a_journal_locked_past_its_timeout_after_the_move_gives_done_and_no_second_result(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, busy_timeout=0.05) as core:
            db = core.root / "state" / "journal.sqlite3"
            holders: list[threading.Thread] = []
            write = core.outcomes._write

            def write_then_lock(path: Path, data: bytes) -> None:
                write(path, data)
                if path.suffix == ".json" and not holders:  # the result is durable; now the journal locks
                    holders.append(hold_journal_lock(db, 0.3))

            core.outcomes._write = write_then_lock
            core.drop("big.pdf", DATA)
            await core.settled()
            assert [(r.state, r.reason) for r in await core.rows()] == [("done", None)], "never `vanished`"
            core.drop("copy-of-big.pdf", DATA)
            await core.settled()
            assert len(core.results()) == 1, "the copy is a duplicate of the recorded result"
            assert sorted(r.state for r in await core.rows()) == ["done", "duplicate"]
            for holder in holders:
                holder.join()

    asyncio.run(scenario())


def test_a_file_moved_back_from_failed_is_tried_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            async def fail_first(job: Job) -> JobOutcome:
                if len(core.executor.jobs) == 1:
                    return JobOutcome(failure=Failure("text", "timeout", "no answer within 1 s"))
                return result_for(job)

            core.executor.script = fail_first
            core.drop("retry-me.pdf", DATA)
            await core.settled()
            (core.failed / "retry-me.pdf").rename(core.inbox / "retry-me.pdf")  # after fixing the config
            core.accept(core.inbox / "retry-me.pdf")
            await core.settled()
            assert len(core.results()) == 1 and len(core.executor.jobs) == 2
            assert not list(core.failed.iterdir()), "the old failure record is superseded"

    asyncio.run(scenario())


def test_forget_lets_a_result_be_regenerated(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            core.drop("paper.pdf", DATA)
            await core.settled()
            forgotten = await core.journal.run(Journal.forget, sha(DATA))
            assert [r.state for r in forgotten] == ["done"]
            for result in core.results():
                result.unlink()
            core.drop("paper-again.pdf", DATA)
            await core.settled()
            assert len(core.results()) == 1 and len(core.executor.jobs) == 2

    asyncio.run(scenario())


def test_special_entries_are_recorded_once_and_left_in_place(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            link = core.inbox / "link.pdf"
            link.symlink_to(tmp_path / "elsewhere.pdf")
            info = link.lstat()
            from toridaemon.inbox.gate import Verdict
            for _ in range(2):  # the second is a rescan finding it again
                core.runner.accept(Verdict(link, "special", info.st_size, info.st_mtime_ns, "symlink"), "rescan")
                await core.settled()
            assert [(r.state, r.reason) for r in await core.rows()] == [("failed", "not_regular_file")]
            assert link.is_symlink() and not core.executor.jobs

    asyncio.run(scenario())


def test_a_state_change_the_diagram_lacks_is_refused() -> None:
    item = Item(Path("/in/x.pdf"), 1, 1)
    with pytest.raises(RuntimeError, match="new -> record"):
        item.enter(State.RECORD)


def test_files_that_vanish_or_change_kind_before_the_claim(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            core.drop("vanishes.pdf", DATA).unlink()
            link = core.drop("becomes-link.pdf", b"%PDF-1.4 two")
            link.unlink()
            link.symlink_to(tmp_path / "target.pdf")
            await core.settled()
            assert sorted((r.reason or "") for r in await core.rows()) == ["not_regular_file", "vanished"]
            assert link.is_symlink() and not core.executor.jobs and not core.results()

    asyncio.run(scenario())


def test_the_result_is_fsynced_and_renamed_before_the_input_leaves_the_inbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order SIGKILL cannot show (the page cache survives a killed process): every durable step,
    recorded at the OS calls and at the outcome writer seam, in the order it happened."""
    steps: list[tuple[str, str]] = []
    fsync, rename = os.fsync, os.rename

    def recording_fsync(fd: int) -> None:
        steps.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def recording_rename(source: str | Path, target: str | Path) -> None:
        steps.append(("rename", f"{Path(source).name} -> {target}"))
        rename(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "rename", recording_rename)

    async def scenario() -> None:
        async with Core(tmp_path) as core:
            write = core.outcomes._write

            def seam(path: Path, data: bytes) -> None:
                write(path, data)
                steps.append(("written", str(path)))

            core.outcomes._write = seam
            core.drop("paper.pdf", DATA)
            await core.settled()
            (result,) = core.results()
            kinds = [(kind, detail.split("/")[-1].split(" ")[0]) for kind, detail in steps]
            temp = next(i for i, (kind, name) in enumerate(kinds) if kind == "fsync" and name.startswith(".tori-"))
            published = steps.index(("rename", f"{kinds[temp][1]} -> {result}"))
            outbox_synced = steps.index(("fsync", str(core.outbox)), published)
            written = steps.index(("written", str(result)))
            moved = steps.index(("rename", f"paper.pdf -> {core.processed / 'paper.pdf'}"))
            assert temp < published < outbox_synced < written < moved
            assert ("fsync", str(core.processed)) in steps[moved:] and ("fsync", str(core.inbox)) in steps[moved:]

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
