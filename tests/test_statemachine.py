"""The per-file state machine in-process: duplicates, a file replaced or appended to during its parse,
retries and their caps, journal faults, the order of durable steps (see tests/core.py for what is real)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.core import Core, hold_journal_lock, raising, result_for, sha, until
from toridaemon.executors.base import Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.journal import Journal
from toridaemon.settings import Settings
from toridaemon.statemachine import BLOCKING, Item, State, read_retry, retry_cap

DATA = b"%PDF-1.4 one"
OTHER = b"%PDF-1.4 two, other content"


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


def test_a_copy_is_no_duplicate_of_records_in_a_journal_deleted_under_the_daemon(tmp_path: Path) -> None:
    """`rm -rf var` and made again while running: within the second before the daemon noticed, a copy of done
    content was called a duplicate by the deleted journal's records and moved out, with no result anywhere (the
    outbox went too), and no later start knew of it. It now waits in the inbox, where the next start finds it."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            core.drop("first.pdf", DATA)
            await core.settled()
            journal = core.root / "state" / "journal.sqlite3"
            journal.rename(journal.with_name("deleted.sqlite3"))  # what unlink does, the file still open
            for result in core.results():
                result.unlink()
            core.drop("copy.pdf", DATA)
            await until(lambda: core.metric("toridaemon_files_retried_total", reason="journal") >= 1)
            assert (core.inbox / "copy.pdf").exists() and not list(core.processed.glob("copy*"))
            assert core.executor.jobs == ["first.pdf"]

    asyncio.run(scenario())


def test_a_worker_that_cannot_read_a_file_the_daemon_reads_retries_it_without_holding_others(tmp_path: Path) -> None:
    """A Dask worker without the inbox mounted (`dask_shared_paths`) failed every good file as `unreadable` on its
    first try. The daemon read the file a moment before: it is retried as a file the daemon cannot read is, up to
    that cap, and one no worker can ever read ends in failed/ without holding the others back."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            async def cannot_open_some(job: Job) -> JobOutcome:
                if job.path.name == "never.pdf" or core.executor.jobs.count(job.path.name) < 3:
                    return JobOutcome(failure=Failure("read", "unreadable", f"cannot open {job.path.name}: denied"))
                return result_for(job)

            core.executor.script = cannot_open_some
            core.drop("later.pdf", DATA)
            core.drop("never.pdf", OTHER)
            await core.settled()
            assert [path.name for path in core.results()] == [f"later.{sha(DATA)[:8]}.json"]
            [record] = [json.loads(path.read_text()) for path in core.failed.glob("*.error.json")]
            assert record["reason"] == "unreadable" and "a worker could not" in record["message"]
            assert core.executor.jobs.count("never.pdf") >= 10
            assert core.metric("toridaemon_files_retried_total", reason="unreadable") >= 11

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


NEXT_SCAN = b"%PDF-1.4 the next scan"


def rename_over_at_first_write(core: Core, name: str, data: bytes) -> Callable[[Path, bytes], None]:
    """An outcome writer that, at its first write (after the last check of the input), has a scanner rename a
    new file over the inbox's `name`; then it writes as before."""
    write = core.outcomes._write
    done: list[bool] = []

    def seam(path: Path, content: bytes) -> None:
        if not done:
            done.append(True)
            (core.root / "next.pdf").write_bytes(data)
            (core.root / "next.pdf").rename(core.inbox / name)
        write(path, content)

    return seam


@pytest.mark.parametrize("ending", ["done", "failed"])
def test_a_file_renamed_over_the_input_after_its_last_check_stays_in_the_inbox(tmp_path: Path, ending: str) -> None:
    """A scanner renames a new scan.pdf into place while the outcome of the old one is being written (after the
    last identity check, before the move): the move must not take the new file under the old one's outcome."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            async def fail_the_first(job: Job) -> JobOutcome:
                if ending == "failed" and len(core.executor.jobs) == 1:
                    return JobOutcome(failure=Failure("text", "corrupt_pdf", "truncated"))
                return result_for(job)

            core.outcomes._write = rename_over_at_first_write(core, "scan.pdf", NEXT_SCAN)
            core.executor.script = fail_the_first
            core.drop("scan.pdf", DATA)
            await core.settled()
            assert [p.read_bytes() for p in core.processed.iterdir()] == [NEXT_SCAN]
            assert sha(NEXT_SCAN) in [json.loads(p.read_bytes())["source"]["sha256"] for p in core.results()]
            assert not list(core.failed.iterdir()), "no failure record without its input"
            assert not list(core.inbox.iterdir())
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


# A crash is counted in the journal and the third ends as a failure; an internal error's third retry does.
@pytest.mark.parametrize(("error", "reason", "retries"), [
    (RuntimeError("Unexpected error within the Pool"), "internal_error", 3),
    (WorkerCrashed("worker exited with code 70"), "worker_crashed", 2),
])
def test_a_file_that_keeps_breaking_the_pool_ends_in_failed_after_max_attempts(
    tmp_path: Path, error: Exception, reason: str, retries: int
) -> None:
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=3) as core:
            core.executor.script = raising(error)
            core.drop("stuck.pdf", DATA)
            await core.settled()
            errors = [json.loads(p.read_bytes()) for p in core.failed.glob("*.error.json")]
            assert [e["reason"] for e in errors] == [reason]
            assert (core.failed / "stuck.pdf").exists() and len(core.executor.jobs) == 3
            assert [(r.state, r.reason, r.attempts) for r in await core.rows()] == [("failed", reason, 3)]
            assert core.metric("toridaemon_files_retried_total", reason=reason) == retries
            assert core.metric("toridaemon_file_bytes_count") == 1, "one input, counted once whatever its tries"

    asyncio.run(scenario())


def test_a_file_renamed_over_one_failed_at_its_retry_cap_is_read_afresh(tmp_path: Path) -> None:
    """The failure at a retry cap runs outside a try: a file renamed over the input while its record was written
    escaped as an error, and the new file waited for a rescan."""
    async def scenario() -> None:
        async with Core(tmp_path, max_attempts=3) as core:
            async def break_the_first(job: Job) -> JobOutcome:
                if sha(job.path.read_bytes()) == sha(DATA):
                    raise RuntimeError("Unexpected error within the Pool")
                return result_for(job)

            core.executor.script = break_the_first
            core.outcomes._write = rename_over_at_first_write(core, "scan.pdf", NEXT_SCAN)
            core.drop("scan.pdf", DATA)
            await core.settled()
            assert [p.read_bytes() for p in core.processed.iterdir()] == [NEXT_SCAN]
            assert not list(core.failed.iterdir()) and not list(core.inbox.iterdir())
            assert [r.state for r in await core.rows()] == ["done"]

    asyncio.run(scenario())


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


@pytest.mark.parametrize("failed_looks", [1, 2])
def test_an_output_folder_that_cannot_be_read_is_not_the_inputs_fault(tmp_path: Path, failed_looks: int) -> None:
    """The look for an earlier outcome rides on the hash's trip off the loop; its error must not count as an
    unreadable input (capped: the file would fail), but as the outputs' (`outcome_write`, looked at again)."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            looks: list[str] = []
            existing = core.outcomes.existing

            def denied_at_first(name: str, sha256: str) -> JobOutcome | None:
                looks.append(name)
                if len(looks) <= failed_looks:
                    raise PermissionError(errno.EACCES, "Permission denied", str(core.outbox))
                return existing(name, sha256)

            core.outcomes.existing = denied_at_first  # type: ignore[method-assign]
            core.drop("paper.pdf", DATA)
            await core.settled()
            assert [r.state for r in await core.rows()] == ["done"] and len(core.results()) == 1
            assert core.metric("toridaemon_files_retried_total", reason="unreadable") == 0
            assert core.metric("toridaemon_files_retried_total", reason="outcome_write") == failed_looks - 1
            assert len(looks) == failed_looks + 1 and len(core.executor.jobs) == 1

    asyncio.run(scenario())


def test_a_copy_takes_the_result_a_crash_left_under_another_name(tmp_path: Path) -> None:
    """kill -9 after zzz.pdf's result was durable, before its move and `done`: at the restart a copy under another
    name (aaa.pdf) came first, found no finished row of its content, and wrote a second result."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            left = core.inbox / "zzz.pdf"
            left.write_bytes(DATA)  # in the inbox, its row claimed, its result written: where the crash left it
            info = os.lstat(left)
            row = await core.journal.run(Journal.detect_unless_settled, left, info.st_size, info.st_mtime_ns)
            assert row is not None
            await core.journal.run(Journal.claim, row, sha(DATA))
            core.outcomes.write_result("zzz.pdf", {"source": {"name": "zzz.pdf", "sha256": sha(DATA)}})
            core.drop("aaa.pdf", DATA)
            await core.settled()
            assert [path.name for path in core.results()] == [f"zzz.{sha(DATA)[:8]}.json"]
            # Done with that result: the content has a `done` row, whatever becomes of zzz's (rewritten in place
            # here, and claimed under its new content, a third copy got a second result).
            assert {Path(r.path).name: r.state for r in await core.rows()} == {"zzz.pdf": "claimed", "aaa.pdf": "done"}
            assert (core.processed / "aaa.pdf").exists()
            left.write_bytes(OTHER)
            core.accept(left)
            await core.settled()
            core.drop("bbb.pdf", DATA)
            await core.settled()
            assert sum(1 for path in core.results() if sha(DATA)[:8] in path.name) == 1
            assert {Path(r.path).name: r.state for r in await core.rows()} == {
                "zzz.pdf": "done", "aaa.pdf": "done", "bbb.pdf": "duplicate"}

    asyncio.run(scenario())


def test_a_file_moved_back_from_failed_after_a_journal_rebuild_is_tried_again(tmp_path: Path) -> None:
    """A rebuild writes `done` rows only: the moved-back file's old failure record, its input no longer beside it,
    was read as a crash's half-recorded failure and failed the file again, unparsed."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:  # a journal that knows nothing of the failure, as after a rebuild
            core.outcomes.write_failure(core.inbox / "retry-me.pdf", sha(DATA),
                                        Failure("text", "worker_crashed", "3 crashes, last: code -11"))
            core.drop("retry-me.pdf", DATA)
            await core.settled()
            assert len(core.executor.jobs) == 1 and len(core.results()) == 1
            assert [r.state for r in await core.rows()] == ["done"]
            assert not list(core.failed.iterdir()), "the old failure record is superseded"

    asyncio.run(scenario())


@pytest.mark.parametrize("fault", ["first_look", "retire"])
def test_a_stale_failure_record_is_retired_whatever_fails_on_the_way(tmp_path: Path, fault: str) -> None:
    """The rule once read "a failure record found on the row's first try is stale": a look that failed with the
    hash, or a retire that failed (so the next try was the second), let the old record fail the file unparsed."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            core.outcomes.write_failure(core.inbox / "retry-me.pdf", sha(DATA),
                                        Failure("text", "worker_crashed", "3 crashes, last: code -11"))
            calls: list[str] = []
            name = "existing" if fault == "first_look" else "retire_failure"
            real = getattr(core.outcomes, name)

            def failing_once(*args: object) -> object:
                calls.append(name)
                if len(calls) == 1:
                    raise OSError(errno.EIO, "Input/output error", str(core.outbox))
                return real(*args)

            setattr(core.outcomes, name, failing_once)
            core.drop("retry-me.pdf", DATA)
            await core.settled()
            assert len(core.executor.jobs) == 1 and len(core.results()) == 1
            assert not list(core.failed.iterdir())

    asyncio.run(scenario())


def test_a_failure_record_a_try_of_the_row_wrote_before_a_crash_still_answers(tmp_path: Path) -> None:
    """The other side of the rule above: a record written after the row was made (a crash between the record and
    the move) settles the file as failed, unparsed."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            half = core.inbox / "half.pdf"
            half.write_bytes(DATA)
            info = os.lstat(half)
            row = await core.journal.run(Journal.detect_unless_settled, half, info.st_size, info.st_mtime_ns)
            assert row is not None
            await core.journal.run(Journal.claim, row, sha(DATA))
            aside = half.rename(core.root / "aside.pdf")  # so that the record is written and the input not moved
            core.outcomes.write_failure(half, sha(DATA), Failure("text", "not_a_pdf", "no header"))
            aside.rename(half)
            core.accept(half)
            await core.settled()
            assert not core.executor.jobs and [r.state for r in await core.rows()] == ["failed"]
            assert (core.failed / "half.pdf").exists()

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


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_a_file_gone_before_its_worker_opened_it_is_vanished_with_no_failure_record(tmp_path: Path,
                                                                                     how: str) -> None:
    """Claimed and queued, then deleted or renamed away before a worker opened it: the worker's "cannot
    open" is no failure of the file's (a record in failed/ would name a file that is not there)."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            async def leave_then_fail(job: Job) -> JobOutcome:
                if how == "deleted":
                    job.path.unlink()
                else:
                    job.path.rename(job.path.with_name("renamed.pdf"))
                return JobOutcome(failure=Failure("read", "unreadable", f"cannot open {job.path.name}"))

            core.executor.script = leave_then_fail
            core.drop("leaves.pdf", DATA)
            await core.settled()
            assert [(r.state, r.reason) for r in await core.rows()] == [("failed", "vanished")]
            assert not list(core.failed.iterdir()) and not core.results()

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


def test_each_job_carries_the_options_of_the_settings_its_try_started_with(tmp_path: Path) -> None:
    """The options are built once per settings snapshot, not per file; a reload (a new snapshot)
    reaches the next file."""
    async def scenario() -> None:
        async with Core(tmp_path) as core:
            seen: list[Job] = []

            async def keep(job: Job) -> JobOutcome:
                seen.append(job)
                return result_for(job)

            core.executor.script = keep
            core.drop("first.pdf", DATA)
            core.drop("second.pdf", b"%PDF-1.4 two")
            await core.settled()
            core.settings = core.settings.model_copy(update={"max_concepts": 7})  # what a reload swaps in
            core.drop("third.pdf", b"%PDF-1.4 three")
            await core.settled()
            assert [job.options.max_concepts for job in seen] == [30, 30, 7]
            assert seen[0].options is seen[1].options, "one snapshot: one options object"

    asyncio.run(scenario())


def test_running_out_of_descriptors_or_memory_is_no_reason_to_fail_a_file() -> None:
    """An input that could not be opened for EMFILE (the open-file limit used up) counted as `unreadable`, which
    fails the file after ten tries: a sound PDF ended in failed/ for the daemon's own shortage."""
    settings = Settings()
    for code in (errno.EMFILE, errno.ENFILE, errno.ENOMEM):
        retry = read_retry(OSError(code, os.strerror(code)))
        assert retry.reason == "out_of_resources" and retry_cap(retry.reason, settings) is None
    refused = read_retry(PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
    assert refused.reason == "unreadable" and retry_cap(refused.reason, settings) is not None


def test_a_failing_inbox_volume_is_no_reason_to_fail_a_file() -> None:
    """An NFS or SMB inbox whose server is gone answers every read with a stale handle, no connection or an I/O
    error: as `unreadable`, each sound file went to failed/ after ten tries. It waits, and counts as blocking."""
    settings = Settings()
    for code in (errno.EIO, errno.ESTALE, errno.ENOTCONN, errno.EHOSTDOWN, errno.ETIMEDOUT):
        retry = read_retry(OSError(code, os.strerror(code)))
        assert retry.reason == "inbox_unavailable" and retry_cap(retry.reason, settings) is None
        assert retry.reason in BLOCKING
    assert read_retry(OSError(errno.EACCES, "Permission denied")).reason not in BLOCKING
