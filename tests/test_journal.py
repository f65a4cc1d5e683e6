"""Journal: WAL, the life of a row, dedupe by content hash, lock contention, durability across reopen."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from toridaemon import journal as journal_module
from toridaemon.journal import ContentInProgress, Journal, JournalError, JournalThread

SHA_A = "a" * 64
SHA_B = "b" * 64
PDF = Path("/srv/inbox/paper.pdf")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
def journal(db_path: Path) -> Iterator[Journal]:
    opened = Journal(db_path)
    yield opened
    opened.close()


@pytest.mark.parametrize("query", [
    "SELECT * FROM files WHERE sha256 = ? AND state = 'done' LIMIT 1",
    "SELECT * FROM files WHERE sha256 = ? AND state = 'failed' ORDER BY id DESC LIMIT 1",
    "SELECT * FROM files WHERE sha256 = ? AND state IN ('detected', 'claimed') AND id != ?",
], ids=["done", "failed", "pending"])
def test_every_claim_looks_content_up_by_index(journal: Journal, db_path: Path, query: str) -> None:
    """The failed-row lookup scanned the whole table on every claim: 18.6 ms a file with 300,000 rows, on the
    journal's one thread (0.07 ms with the index). The queries are `Journal`'s own."""
    source = Path(__file__).resolve().parents[1].joinpath("toridaemon", "journal.py").read_text()
    assert query in source
    with sqlite3.connect(db_path) as db:
        arguments = ("a" * 64, 1)[: query.count("?")]
        plan = " ".join(str(row) for row in db.execute("EXPLAIN QUERY PLAN " + query, arguments))
    assert "USING INDEX" in plan and "SCAN" not in plan, plan


def test_wal_mode_is_on_and_seen_by_other_connections(journal: Journal, db_path: Path) -> None:
    with sqlite3.connect(db_path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db_path.with_name(db_path.name + "-wal").exists()


def test_detect_claim_finish(journal: Journal) -> None:
    row_id, new = journal.detect(PDF, 10, 111)
    assert new
    row = journal.get(row_id)
    assert row is not None
    assert (row.path, row.size, row.mtime_ns, row.state, row.attempts, row.sha256) == (
        str(PDF), 10, 111, "detected", 0, None)
    assert journal.claim(row_id, SHA_A) == 1
    claimed = journal.get(row_id)
    assert claimed is not None
    assert (claimed.state, claimed.sha256) == ("claimed", SHA_A)
    assert [r.id for r in journal.pending()] == [row_id]
    journal.finish(row_id, "done", result_path=Path("/out/paper.aaaaaaaa.json"))
    done = journal.get(row_id)
    assert done is not None
    assert (done.state, done.result_path) == ("done", "/out/paper.aaaaaaaa.json")
    assert journal.pending() == []
    assert journal.counts() == {"done": 1}


def test_a_pending_path_has_one_row_only(journal: Journal) -> None:
    first, new = journal.detect(PDF, 10, 111)
    second, again = journal.detect(PDF, 20, 222)
    assert (new, again) == (True, False)
    assert second == first
    assert len(journal.pending()) == 1
    row = journal.get(first)
    assert row is not None
    assert (row.size, row.mtime_ns) == (20, 222)  # the newer identity is kept
    journal.claim(first, SHA_A)
    assert journal.detect(PDF, 20, 222) == (first, False)  # claimed is pending too


def test_the_database_itself_refuses_a_second_pending_row(journal: Journal, db_path: Path) -> None:
    row_id, _ = journal.detect(PDF, 1, 1)
    copy = ("INSERT INTO files (path, size, mtime_ns, state, detected_at, updated_at)"
            " SELECT path, size, mtime_ns, ?, 0, 0 FROM files WHERE id = ?")
    with sqlite3.connect(db_path) as other:
        with pytest.raises(sqlite3.IntegrityError):
            other.execute(copy, ("claimed", row_id))
        other.execute(copy, ("failed", row_id))  # finished rows for the same path are fine


def test_names_that_are_not_utf8_round_trip(journal: Journal) -> None:
    odd = Path(os.fsdecode(b"/srv/inbox/caf\xe9 \xff.pdf"))
    row_id, new = journal.detect(odd, 1, 1)
    assert new
    assert journal.detect(odd, 1, 1) == (row_id, False)
    row = journal.get(row_id)
    assert row is not None
    assert os.fsencode(row.path) == os.fsencode(odd)


def test_a_finished_path_may_come_back_as_a_new_row(journal: Journal) -> None:
    first, _ = journal.detect(PDF, 1, 1)
    journal.finish(first, "failed", reason="bad_pdf", error="not a PDF")
    second, new = journal.detect(PDF, 2, 2)
    assert new
    assert second != first
    failed = journal.get(first)
    assert failed is not None
    assert (failed.state, failed.reason) == ("failed", "bad_pdf")


def test_claim_counts_attempts_and_release_returns_to_pending(journal: Journal) -> None:
    row_id, _ = journal.detect(PDF, 1, 1)
    assert journal.claim(row_id, SHA_A) == 1
    journal.release(row_id)
    released = journal.get(row_id)
    assert released is not None
    assert (released.state, released.attempts) == ("detected", 1)
    assert journal.claim(row_id, SHA_A) == 2
    assert journal.claim(12345, SHA_A) == 0  # unknown row


def test_release_leaves_finished_rows_alone(journal: Journal) -> None:
    row_id, _ = journal.detect(PDF, 1, 1)
    journal.claim(row_id, SHA_A)
    journal.finish(row_id, "done")
    journal.release(row_id)
    row = journal.get(row_id)
    assert row is not None
    assert row.state == "done"


def test_done_with_sha_finds_only_done_rows(journal: Journal) -> None:
    failed_id, _ = journal.detect(Path("/in/a.pdf"), 1, 1)
    journal.claim(failed_id, SHA_A)
    journal.finish(failed_id, "failed", reason="timeout")
    assert journal.done_with_sha(SHA_A) is None
    claimed_id, _ = journal.detect(Path("/in/b.pdf"), 1, 1)
    journal.claim(claimed_id, SHA_A)
    assert journal.done_with_sha(SHA_A) is None  # claimed is not done
    journal.finish(claimed_id, "done")
    found = journal.done_with_sha(SHA_A)
    assert found is not None
    assert found.id == claimed_id
    assert journal.done_with_sha(SHA_B) is None


def test_is_settled_for_entries_left_in_place(journal: Journal) -> None:
    journal.record_final(PDF, size=0, mtime_ns=5, state="failed", reason="not_regular_file", error="fifo")
    assert journal.is_settled(PDF, 0, 5)
    assert not journal.is_settled(PDF, 0, 6)  # replaced since: look again
    assert not journal.is_settled(PDF, 1, 5)
    assert not journal.is_settled(Path("/srv/inbox/other.pdf"), 0, 5)
    assert journal.pending() == []


def test_a_special_entry_does_not_settle_the_regular_file_it_became(journal: Journal) -> None:
    """A hard link whose other name was removed is a regular file of the same size and mtime: it stayed in the
    inbox for ever. A kept file that gains a second name stays settled as the special entry it now is."""
    journal.record_final(PDF, size=7, mtime_ns=5, state="failed", reason="not_regular_file", error="hard link")
    assert journal.is_settled(PDF, 7, 5)
    assert not journal.is_settled(PDF, 7, 5, regular=True)
    assert journal.detect_unless_settled(PDF, 7, 5) is not None
    kept = Path("/srv/inbox/kept.pdf")
    kept_id, _ = journal.detect(kept, 3, 3)
    journal.finish(kept_id, "done", final_path=kept)
    assert journal.is_settled(kept, 3, 3) and journal.is_settled(kept, 3, 3, regular=True)


def test_a_journal_deleted_or_replaced_under_it_is_no_longer_in_use(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    journal.require_in_use()
    path.rename(tmp_path / "aside.sqlite3")
    with pytest.raises(JournalError, match="deleted or replaced"):
        journal.require_in_use()
    Journal(path).close()  # another made at its path
    with pytest.raises(JournalError, match="deleted or replaced"):
        journal.require_in_use()
    journal.close()


def test_is_settled_after_keep_but_not_after_move(journal: Journal) -> None:
    kept = Path("/srv/inbox/kept.pdf")
    kept_id, _ = journal.detect(kept, 3, 3)
    journal.finish(kept_id, "done", final_path=kept)
    moved_id, _ = journal.detect(PDF, 4, 4)
    journal.finish(moved_id, "done", final_path=Path("/srv/processed/paper.pdf"))
    assert journal.is_settled(kept, 3, 3)
    assert not journal.is_settled(PDF, 4, 4)


def test_the_combined_calls_answer_as_their_parts(journal: Journal) -> None:
    """`detect_unless_settled` and `claim_unless_done` save the daemon a trip to the journal's thread each."""
    kept = Path("/srv/inbox/kept.pdf")
    kept_id = journal.detect_unless_settled(kept, 3, 3)
    assert kept_id is not None
    journal.finish(kept_id, "failed", final_path=kept)
    assert journal.detect_unless_settled(kept, 3, 3) is None, "settled where it is: no new row"
    failed = journal.get(kept_id)
    journal.record_sha(kept_id, SHA_A)
    row_id = journal.detect_unless_settled(PDF, 10, 111)
    assert row_id is not None and [r.id for r in journal.pending()] == [row_id]
    claim = journal.claim_unless_done(row_id, SHA_A)
    assert claim.done is None and claim.attempt == 1
    assert failed is not None and claim.failed is not None and claim.failed.id == failed.id
    journal.finish(row_id, "done")
    copy_id, _ = journal.detect(Path("/srv/inbox/copy.pdf"), 10, 112)
    duplicate = journal.claim_unless_done(copy_id, SHA_A)
    assert duplicate.done is not None and duplicate.done.id == row_id
    copy = journal.get(copy_id)
    assert copy is not None and copy.state == "detected" and copy.attempts == 0, "a duplicate is not claimed"


@pytest.mark.timeout(10)
def test_a_held_write_lock_gives_journal_error_after_the_busy_timeout(journal: Journal, db_path: Path) -> None:
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        contender = Journal(db_path, busy_timeout_seconds=0.2)
        try:
            started = time.monotonic()
            with pytest.raises(JournalError, match="locked"):
                contender.detect(PDF, 1, 1)
            elapsed = time.monotonic() - started
            assert contender.pending() == []  # readers are not blocked by a writer in WAL mode
        finally:
            contender.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert 0.15 <= elapsed < 3.0, elapsed
    assert journal.detect(PDF, 1, 1)[1]  # the lock is gone: writes work again


def test_a_failed_write_is_rolled_back(journal: Journal, db_path: Path) -> None:
    row_id, _ = journal.detect(PDF, 1, 1)
    with pytest.raises(JournalError):
        journal.finish(row_id, "exploded")  # type: ignore[arg-type]  # refused by the CHECK constraint
    row = journal.get(row_id)
    assert row is not None
    assert row.state == "detected"
    journal.claim(row_id, SHA_A)  # the connection is usable: no transaction left open


def test_data_survives_reopening(db_path: Path) -> None:
    first = Journal(db_path)
    done_id, _ = first.detect(Path("/in/done.pdf"), 1, 1)
    first.claim(done_id, SHA_A)
    first.finish(done_id, "done")
    pending_id, _ = first.detect(Path("/in/pending.pdf"), 2, 2)
    first.claim(pending_id, SHA_B)
    first.close()

    second = Journal(db_path)
    try:
        assert second.counts() == {"done": 1, "claimed": 1}
        assert [(r.id, r.sha256, r.attempts) for r in second.pending()] == [(pending_id, SHA_B, 1)]
        found = second.done_with_sha(SHA_A)
        assert found is not None
        assert found.id == done_id
        assert second.detect(Path("/in/pending.pdf"), 2, 2) == (pending_id, False)
    finally:
        second.close()


def test_a_file_that_is_not_a_database_is_a_journal_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="cannot open journal"):
        Journal(db_path)


def test_an_unusable_state_directory_is_a_journal_error(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory should be")
    with pytest.raises(JournalError):
        Journal(blocker / "journal.sqlite3")


def test_reads_fail_with_the_same_error_type_as_writes(db_path: Path) -> None:
    broken = Journal(db_path)
    broken.close()
    with pytest.raises(JournalError, match="read failed"):
        broken.pending()
    with pytest.raises(JournalError, match="write failed"):
        broken.detect(PDF, 1, 1)


def test_forget_by_sha_or_path_removes_finished_rows_only(journal: Journal) -> None:
    done_id, _ = journal.detect(PDF, 1, 1)
    journal.claim(done_id, SHA_A)
    journal.finish(done_id, "done", result_path=Path("/srv/outbox/paper.aaaaaaaa.json"),
                   final_path=Path("/srv/processed/paper.pdf"))
    pending_id, _ = journal.detect(Path("/srv/inbox/copy.pdf"), 1, 1)
    journal.claim(pending_id, SHA_A)
    with pytest.raises(ContentInProgress, match="is being processed"):  # its try may be recording its outcome
        journal.forget(SHA_A)
    assert journal.done_with_sha(SHA_A) is not None, "nothing is forgotten while a try of the content is under way"
    journal.release(pending_id)
    assert [row.id for row in journal.forget(SHA_A)] == [done_id]
    assert journal.done_with_sha(SHA_A) is None
    assert [row.id for row in journal.pending()] == [pending_id], "work in progress is not forgotten"
    other_id, _ = journal.detect(Path("/srv/inbox/other.pdf"), 2, 2)
    journal.claim(other_id, SHA_B)
    journal.finish(other_id, "done", result_path=Path("/srv/outbox/other.bbbbbbbb.json"))
    assert [row.id for row in journal.forget("/srv/outbox/other.bbbbbbbb.json")] == [other_id]
    assert journal.forget("/srv/outbox/nothing.json") == []


@pytest.mark.timeout(10)
def test_a_locked_journal_never_stalls_the_event_loop(db_path: Path) -> None:
    """The loop keeps ticking while a write waits out the busy timeout on the journal's own thread."""
    async def scenario() -> tuple[int, float]:
        journal = await JournalThread.open(db_path, busy_timeout_seconds=0.5)
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        try:
            with pytest.raises(JournalError, match="locked"):
                await journal.run(Journal.detect, PDF, 1, 1)
        finally:
            waited = time.monotonic() - started
            ticker.cancel()
            holder.execute("ROLLBACK")
            holder.close()
            await journal.close()
        return ticks, waited

    ticks, waited = asyncio.run(scenario())
    assert waited >= 0.4 and ticks >= 10, (ticks, waited)


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of files of each `detect_each_unless_settled` call (the real one runs)."""
    sizes: list[int] = []
    each = Journal.detect_each_unless_settled

    def counted(self: Journal, files: list[tuple[Path, int, int]]) -> list[int | Exception | None]:
        sizes.append(len(files))
        return each(self, files)

    monkeypatch.setattr(Journal, "detect_each_unless_settled", counted)
    return sizes


def test_detects_asked_for_together_are_written_together(db_path: Path, batches: list[int]) -> None:
    """A burst of files renamed in at once is written in one transaction (they took one each, one after another,
    and the first claim waited behind all of them). Each file gets its own row, a settled file none, and a file
    asked for twice its one pending row."""
    kept = Path("/srv/inbox/kept.pdf")

    async def scenario() -> tuple[list[int | None], list[int]]:
        journal = await JournalThread.open(db_path)
        try:
            kept_id = await journal.detect(kept, 3, 3)
            assert kept_id is not None
            await journal.run(Journal.finish, kept_id, "failed", final_path=kept)
            batches.clear()
            paths = [Path(f"/srv/inbox/{index}.pdf") for index in range(50)]
            asked = [(path, 1, 1) for path in paths] + [(kept, 3, 3), (paths[7], 1, 1)]
            rows = await asyncio.gather(*(journal.detect(*files) for files in asked))
            pending = [row.id for row in await journal.run(Journal.pending)]
        finally:
            await journal.close()
        return rows, pending

    rows, pending = asyncio.run(scenario())
    assert batches == [52], "every file asked for before the write began, in one write"
    assert rows[50] is None, "settled where it is: no new row"
    assert rows[51] == rows[7], "asked for twice while pending: the same row"
    assert sorted(row for row in rows[:50] if row is not None) == pending and len(set(pending)) == 50


@pytest.mark.timeout(10)
def test_a_failed_batch_of_detects_fails_each_file_and_the_next_batch_works(db_path: Path) -> None:
    """Each file waiting on a batch that cannot be written gets the journal's error as its own (and retries as it
    would after a call of its own)."""
    async def scenario() -> tuple[list[int | BaseException | None], int | None]:
        journal = await JournalThread.open(db_path, busy_timeout_seconds=0.2)
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            waits = [journal.detect(Path(f"/srv/inbox/{i}.pdf"), 1, 1) for i in range(4)]
            answers = await asyncio.gather(*waits, return_exceptions=True)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        try:
            after = await journal.detect(PDF, 1, 1)
        finally:
            await journal.close()
        return answers, after

    answers, after = asyncio.run(scenario())
    errors = [answer for answer in answers if isinstance(answer, JournalError)]
    assert len(errors) == 4 and all("locked" in str(error) for error in errors), answers
    assert len({id(error) for error in errors}) == len(errors), "each file raises an error of its own"
    causes = [error.__cause__.__cause__ if error.__cause__ else None for error in errors]
    assert all(isinstance(cause, sqlite3.OperationalError) for cause in causes), \
        "what the database said stays readable (a damaged journal is told by it)"
    assert after is not None


@pytest.mark.timeout(10)
def test_a_batch_that_fails_for_an_unknown_reason_fails_each_file_with_an_error_of_its_own(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault of no known kind (a bug) reaches each waiting file as an error of its own, raised from it: one
    instance raised in every file's task would gather all their tracebacks."""
    def broken(_journal: Journal, _files: object) -> None:
        raise TypeError("a bug")

    async def scenario() -> list[int | BaseException | None]:
        journal = await JournalThread.open(db_path)
        monkeypatch.setattr(Journal, "detect_each_unless_settled", broken)
        try:
            return await asyncio.gather(*(journal.detect(Path(f"/srv/inbox/{i}.pdf"), 1, 1) for i in range(3)),
                                        return_exceptions=True)
        finally:
            await journal.close()

    answers = asyncio.run(scenario())
    assert all(isinstance(answer, RuntimeError) and "a bug" in str(answer) for answer in answers), answers
    assert len({id(answer) for answer in answers}) == len(answers)
    causes = {id(answer.__cause__) for answer in answers if isinstance(answer, BaseException)}
    assert len(causes) == 1 and all(isinstance(answer.__cause__, TypeError) for answer in answers
                                    if isinstance(answer, BaseException))


def test_a_burst_larger_than_a_batch_is_written_in_several(db_path: Path, batches: list[int],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction holds the write lock, and a claim waits behind it: a burst of thousands goes in slices."""
    monkeypatch.setattr(journal_module, "DETECT_BATCH", 10)

    async def scenario() -> list[int | None]:
        journal = await JournalThread.open(db_path)
        try:
            return await asyncio.gather(*(journal.detect(Path(f"/srv/inbox/{i}.pdf"), 1, 1) for i in range(25)))
        finally:
            await journal.close()

    rows = asyncio.run(scenario())
    assert batches == [10, 10, 5]
    assert len({row for row in rows if row is not None}) == 25


def test_a_file_dated_past_2262_gets_its_row(journal: Journal) -> None:
    """Its mtime in nanoseconds is past SQLite's 64-bit integers (`touch -d 2500-01-01`): its row could not be
    written, and the file was retried as an internal error for as long as it stayed in the inbox. Two such dates
    stay apart: a file kept in place is not taken for another of its name and size dated later still."""
    future, later = 15_032_385_535_000_000_000, 2**64  # 2446-05-10 as os.stat gives it; 2554
    row_id = journal.detect_unless_settled(PDF, 10, future)
    assert row_id is not None and [(row.id, row.mtime_ns) for row in journal.pending()] == [(row_id, future)]
    kept = Path("/srv/inbox/kept.pdf")
    journal.record_final(kept, size=3, mtime_ns=future, state="failed", reason="not_regular_file", error="fifo")
    assert journal.is_settled(kept, 3, future)
    assert not journal.is_settled(kept, 3, later) and not journal.is_settled(kept, 3, 2**63 - 1)
    assert journal.detect_unless_settled(kept, 3, later) is not None


def test_a_file_whose_row_fails_does_not_fail_the_others_in_its_batch(journal: Journal,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The fault is injected (no real file's row fails alone once dates past 2262 are stored): that file gets the
    error, and the files written in the same transaction their rows."""
    bad = Path("/srv/inbox/bad.pdf")
    real = journal_module._detect

    def failing(db: sqlite3.Connection, path: Path, size: int, mtime_ns: int, now: float) -> tuple[int, bool]:
        written = real(db, path, size, mtime_ns, now)
        if path == bad:  # after its row was written: the row goes with the rest of what failed
            db.execute("INSERT INTO files (path) VALUES (?)", (b"half written",))  # NOT NULL: refused
        return written

    monkeypatch.setattr(journal_module, "_detect", failing)
    files = [(PDF, 1, 1), (bad, 1, 1), (Path("/srv/inbox/z.pdf"), 1, 1)]
    first, failed, last = journal.detect_each_unless_settled(files)
    assert isinstance(failed, JournalError) and isinstance(failed.__cause__, sqlite3.IntegrityError)
    assert isinstance(first, int) and isinstance(last, int)
    assert sorted(row.id for row in journal.pending()) == [first, last], "no part of the failed row is left"
    with pytest.raises(JournalError, match="NOT NULL"):
        journal.detect_unless_settled(bad, 1, 1)


def test_a_file_cancelled_before_its_batch_is_written_gets_no_row(db_path: Path) -> None:
    async def scenario() -> tuple[list[int | BaseException | None], list[str]]:
        journal = await JournalThread.open(db_path)
        try:
            waits = [asyncio.ensure_future(journal.detect(Path(f"/srv/inbox/{i}.pdf"), 1, 1)) for i in range(5)]
            await asyncio.sleep(0)  # each has asked; the write has not begun
            waits[3].cancel()
            answers = await asyncio.gather(*waits, return_exceptions=True)
            pending = [row.path for row in await journal.run(Journal.pending)]
        finally:
            await journal.close()
        return answers, pending

    answers, pending = asyncio.run(scenario())
    assert isinstance(answers[3], asyncio.CancelledError)
    assert sorted(pending) == [f"/srv/inbox/{i}.pdf" for i in (0, 1, 2, 4)]


class _Fatal(BaseException):
    """Not an `Exception`: no file's try catches it."""


@pytest.mark.timeout(10)
def test_files_waiting_on_a_batch_that_ends_abnormally_are_answered(db_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever ends the writing of a batch, its files are answered: they waited forever, their tasks held their
    names, and no rescan took them again until a restart. The next files start a new batch."""
    fatal = [True]
    each = Journal.detect_each_unless_settled

    def dying(self: Journal, files: list[tuple[Path, int, int]]) -> list[int | Exception | None]:
        if fatal[0]:
            raise _Fatal("from the journal's thread")
        return each(self, files)

    monkeypatch.setattr(Journal, "detect_each_unless_settled", dying)

    async def scenario() -> tuple[list[int | BaseException | None], int | None]:
        journal = await JournalThread.open(db_path)
        try:
            answers = await asyncio.wait_for(asyncio.gather(
                *(journal.detect(Path(f"/srv/inbox/{i}.pdf"), 1, 1) for i in range(3)), return_exceptions=True), 5)
            fatal[0] = False
            return answers, await journal.detect(PDF, 1, 1)
        finally:
            await journal.close()

    answers, after = asyncio.run(scenario())
    assert all(isinstance(answer, RuntimeError) and "_Fatal" in str(answer) for answer in answers), answers
    assert after is not None


def test_a_full_journal_says_so_and_stays_usable(journal: Journal) -> None:
    """On a full disk SQLite rolls the transaction back itself: the ROLLBACK after it failed, and its error ("no
    transaction is active") was all a file's retry and the log said. The database's own page limit stands in for a
    full disk here."""
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages}")
    long_names = [(Path(f"/srv/inbox/{'x' * 300}{index}.pdf"), 1, 1) for index in range(200)]
    with pytest.raises(JournalError, match="full") as caught:
        journal.detect_each_unless_settled(long_names)
    assert "no transaction" not in str(caught.value) and not journal._db.in_transaction
    journal._db.execute(f"PRAGMA max_page_count = {pages * 100}")
    assert all(isinstance(row, int) for row in journal.detect_each_unless_settled(long_names))


def test_the_journal_uses_the_write_ahead_log_and_syncs_at_checkpoints(journal: Journal) -> None:
    assert journal.mode == "wal"
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_a_journal_without_shared_memory_says_so_and_syncs_every_commit(db_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Where SQLite's file layer gives no shared memory (its unix-dotfile VFS, chosen here by URI, or a build
    without it), the write-ahead log cannot be used and the journal stays in rollback mode."""
    connect = sqlite3.connect

    def without_shared_memory(path: Path, *, timeout: float, isolation_level: None,
                              check_same_thread: bool) -> sqlite3.Connection:
        return connect(f"file:{quote(str(path))}?vfs=unix-dotfile", uri=True, timeout=timeout,
                       isolation_level=isolation_level, check_same_thread=check_same_thread)

    monkeypatch.setattr(sqlite3, "connect", without_shared_memory)  # the module the journal calls
    first = Journal(db_path)
    try:
        assert first.mode == "delete"
        assert first._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: NORMAL is not power-safe here
        row, _ = first.detect(Path("/in/a.pdf"), 1, 1)
        first.claim(row, SHA_A)
        first.finish(row, "done")
    finally:
        first.close()
    assert not db_path.with_name(db_path.name + "-wal").exists()
    monkeypatch.undo()
    second = Journal(db_path)  # on a filesystem with shared memory again: the same rows, in WAL mode
    try:
        assert second.mode == "wal" and second.counts() == {"done": 1}
    finally:
        second.close()
