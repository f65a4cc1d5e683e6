"""Startup recovery: pending rows whose input left the inbox are settled from what is on disk."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from toridaemon import recovery
from toridaemon.executors.base import Failure
from toridaemon.fsutil import TEMP_PREFIX
from toridaemon.journal import Journal
from toridaemon.outcome import Outcomes
from toridaemon.recovery import INBOX_TEMP_SECONDS, recover

SHA = "1111aaaa" + "2" * 56
FAILURE = Failure("text", "bad_pdf", "no PDF header")


class Setup:
    def __init__(self, root: Path) -> None:
        self.inbox = root / "inbox"
        self.outbox, self.processed, self.failed = root / "outbox", root / "processed", root / "failed"
        for directory in (self.inbox, self.outbox, self.processed, self.failed):
            directory.mkdir()
        self.journal = Journal(root / "state" / "journal.sqlite3")
        self.outcomes = Outcomes(self.outbox, self.processed, self.failed, "move")

    def pending_row(self, name: str, sha: str | None, *, keep_input: bool = False) -> tuple[int, Path]:
        path = self.inbox / name
        path.write_bytes(b"%PDF-1.4 " + name.encode())
        row_id, _ = self.journal.detect(path, 1, 1)
        if sha is not None:
            self.journal.claim(row_id, sha)
        if not keep_input:
            path.unlink()
        return row_id, path

    def state(self, row_id: int) -> tuple[str, str | None, str | None]:
        row = self.journal.get(row_id)
        assert row is not None
        return row.state, row.reason, row.result_path


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    made = Setup(tmp_path)
    yield made
    made.journal.close()


def result(sha: str) -> dict[str, object]:
    return {"schema_version": 1, "source": {"name": "x.pdf", "sha256": sha}}


def test_nothing_to_do(setup: Setup) -> None:
    expected = {"done": 0, "failed": 0, "duplicate": 0, "vanished": 0, "pending": 0, "temps": 0, "requeued": 0,
                "restored": 0}
    assert recover(setup.journal, setup.outcomes) == expected


def test_stale_temps_are_removed_everywhere_they_are_written(setup: Setup) -> None:
    keep = []
    for directory in (setup.outbox, setup.failed, setup.processed):
        (directory / f"{TEMP_PREFIX}abc123.tmp").write_bytes(b"half a file")
        (directory / f"{TEMP_PREFIX}def456.tmp").write_bytes(b"")
        kept = directory / "paper.11111111.json"
        kept.write_text("{}")
        keep.append(kept)
    not_ours = setup.outbox / "other.tmp"
    not_ours.write_text("x")
    assert recover(setup.journal, setup.outcomes)["temps"] == 6
    for directory in (setup.outbox, setup.failed, setup.processed):
        assert not any(p.name.startswith(TEMP_PREFIX) for p in directory.iterdir())
    assert all(path.exists() for path in keep)
    assert not_ours.exists()



def test_temps_a_killed_reprocess_left_in_the_inbox_go_once_they_are_old(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`reprocess` stages the PDF in the inbox under a hidden temp name; one killed there left it for good (the
    inbox ignores hidden names). A young one may be a reprocess at work beside the start: it stays, though it
    carries the modification time of a PDF processed long ago (a copy keeps it): age is the change time."""
    staged = setup.inbox / f"{TEMP_PREFIX}staged.tmp"
    staged.write_bytes(b"%PDF a staged copy")
    long_ago = time.time() - 10 * INBOX_TEMP_SECONDS
    os.utime(staged, (long_ago, long_ago))
    assert recover(setup.journal, setup.outcomes, setup.inbox)["temps"] == 0 and staged.exists()
    assert recover(setup.journal, setup.outcomes)["temps"] == 0, "without the inbox, the inbox is left alone"
    monkeypatch.setattr(recovery, "INBOX_TEMP_SECONDS", 0.0)  # a change time cannot be set back: the age comes
    assert recover(setup.journal, setup.outcomes, setup.inbox)["temps"] == 1 and not staged.exists()


def test_input_still_in_the_inbox_stays_pending(setup: Setup) -> None:
    row_id, _ = setup.pending_row("waiting.pdf", SHA, keep_input=True)
    counts = recover(setup.journal, setup.outcomes)
    assert counts["pending"] == 1
    assert setup.state(row_id)[0] == "claimed"


def test_crash_after_result_and_move_settles_as_done(setup: Setup) -> None:
    row_id, path = setup.pending_row("paper.pdf", SHA, keep_input=True)
    written = setup.outcomes.write_result("paper.pdf", result(SHA))
    setup.outcomes.settle_input(path)  # then the process died before journal.finish
    counts = recover(setup.journal, setup.outcomes)
    assert (counts["done"], counts["vanished"]) == (1, 0)
    assert setup.state(row_id) == ("done", None, str(written))
    assert setup.journal.pending() == []


def test_a_result_under_a_clash_name_is_found(setup: Setup) -> None:
    row_id, _ = setup.pending_row("paper.pdf", SHA)
    clash = setup.outbox / f"paper.{SHA[:8]}.json"
    clash.write_text(json.dumps(result(SHA[:8] + "f" * 56)))
    ours = setup.outbox / f"paper.{SHA[:8]}-1.json"
    ours.write_text(json.dumps(result(SHA)))
    assert recover(setup.journal, setup.outcomes)["done"] == 1
    assert setup.state(row_id) == ("done", None, str(ours))


def test_crash_after_failure_record_and_move_settles_as_failed(setup: Setup) -> None:
    row_id, path = setup.pending_row("broken.pdf", SHA, keep_input=True)
    setup.outcomes.write_failure(path, SHA, FAILURE)
    counts = recover(setup.journal, setup.outcomes)
    assert (counts["failed"], counts["vanished"]) == (1, 0)
    assert setup.state(row_id) == ("failed", "recovered", None)


def test_a_failure_record_under_a_clash_name_is_found(setup: Setup) -> None:
    (setup.failed / "broken.pdf").write_bytes(b"an older failure")
    (setup.failed / "broken.pdf.error.json").write_text(json.dumps({"sha256": "9" * 64}))
    row_id, path = setup.pending_row("broken.pdf", SHA, keep_input=True)
    assert setup.outcomes.write_failure(path, SHA, FAILURE) == setup.failed / "broken-1.pdf"
    assert recover(setup.journal, setup.outcomes)["failed"] == 1
    assert setup.state(row_id)[:2] == ("failed", "recovered")


def test_no_outcome_on_disk_settles_as_vanished(setup: Setup) -> None:
    hashed, _ = setup.pending_row("hashed.pdf", SHA)
    unhashed, _ = setup.pending_row("unhashed.pdf", None)
    counts = recover(setup.journal, setup.outcomes)
    assert counts == {"done": 0, "failed": 0, "duplicate": 0, "vanished": 2, "pending": 0, "temps": 0, "requeued": 0,
                      "restored": 0}
    assert setup.state(hashed)[:2] == ("failed", "vanished")
    assert setup.state(unhashed)[:2] == ("failed", "vanished")


def test_a_result_for_other_content_is_not_taken_as_ours(setup: Setup) -> None:
    row_id, _ = setup.pending_row("paper.pdf", SHA)
    (setup.outbox / f"paper.{SHA[:8]}.json").write_text(json.dumps(result(SHA[:8] + "e" * 56)))
    (setup.failed / "paper.pdf.error.json").write_text(json.dumps({"sha256": "d" * 64}))
    assert recover(setup.journal, setup.outcomes)["vanished"] == 1
    assert setup.state(row_id)[:2] == ("failed", "vanished")


def test_mixed_rows_and_a_second_run_is_a_no_op(setup: Setup) -> None:
    done_id, done_path = setup.pending_row("a.pdf", SHA, keep_input=True)
    setup.outcomes.write_result("a.pdf", result(SHA))
    setup.outcomes.settle_input(done_path)
    waiting_id, _ = setup.pending_row("b.pdf", "3" * 64, keep_input=True)
    lost_id, _ = setup.pending_row("c.pdf", "4" * 64)
    first = recover(setup.journal, setup.outcomes)
    assert (first["done"], first["pending"], first["vanished"]) == (1, 1, 1)
    second = recover(setup.journal, setup.outcomes)
    assert second == {"done": 0, "failed": 0, "duplicate": 0, "vanished": 0, "pending": 1, "temps": 0, "requeued": 0,
                      "restored": 0}
    assert [row.id for row in setup.journal.pending()] == [waiting_id]
    assert setup.state(done_id)[0] == "done"
    assert setup.state(lost_id)[:2] == ("failed", "vanished")


def test_a_failure_record_past_an_orphaned_failed_pdf_is_found(setup: Setup) -> None:
    (setup.failed / "broken.pdf").write_bytes(b"an older failed PDF whose record was deleted")
    row_id, path = setup.pending_row("broken.pdf", SHA, keep_input=True)
    target = setup.outcomes.write_failure(path, SHA, FAILURE)
    assert target == setup.failed / "broken-1.pdf"
    recover(setup.journal, setup.outcomes)
    assert setup.state(row_id)[:2] == ("failed", "recovered")
