"""Settle journal rows left pending whose input already left the inbox: at startup, after a crash,
and when a retry finds its input gone because an earlier try moved it and then failed to write the journal.

Such a row was interrupted after the outcome was written and the input moved, but before the journal
recorded it; the outcome on disk (each names its sha256) tells which way it went. Rows whose input is
still in the inbox need nothing here: the startup scan queues them again.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path

from toridaemon.fsutil import STAGED_PREFIX, move_to_free_name, remove_stale_temps, staged_original
from toridaemon.journal import Journal, Row
from toridaemon.logs import get_logger
from toridaemon.outcome import Outcomes, find_failure_record
from toridaemon.reprocess import FORGOTTEN, settle_forgotten

log = get_logger("toridaemon.recovery")


# A temp file or staged PDF in the inbox made this long ago was left by a `reprocess` that died; a younger one may
# be one at work.
INBOX_TEMP_SECONDS = 600.0


def promote_staged(inbox: Path, older_than: float) -> int:
    """Give the PDFs a `reprocess` that died left staged in the inbox (`fsutil.staged_name`) their names, once staged
    `older_than` seconds ago (a younger one may be a reprocess at work); returns how many."""
    promoted = 0
    now = time.time()
    for staged in inbox.glob(f"{STAGED_PREFIX}*.tmp"):
        try:
            if now - staged.lstat().st_ctime < older_than:
                continue
            named = move_to_free_name(staged, inbox, staged_original(staged.name))
        except OSError as exc:  # left for the next start
            log.warning("staged_pdf_not_named", file=staged.name, error=str(exc))
            continue
        log.info("staged_pdf_named", file=named.name)
        promoted += 1
    return promoted


def recover(journal: Journal, outcomes: Outcomes, inbox: Path | None = None,
            stopping: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Settle orphaned pending rows and delete leftover temp files; returns counts for the log. Once `stopping()`,
    the rows left stay pending for the next start: a stop during the recovery of 200,000 rows waited for all."""
    counts = {"done": 0, "failed": 0, "duplicate": 0, "vanished": 0, "pending": 0, "temps": 0, "requeued": 0,
              "restored": 0}
    if any((folder / FORGOTTEN).is_dir() for folder in (outcomes.outbox, outcomes.failed)):
        try:  # before anything reads the outbox: a result a killed `reprocess` set aside may go back into it
            counts["restored"] = journal.settle(functools.partial(settle_forgotten, outcomes.outbox, outcomes.failed))
        except Exception as exc:  # left for the next start or `reprocess` (its content reads as done); never a stop
            log.warning("forgotten_outputs_not_settled", error=repr(exc))
    for directory in (outcomes.outbox, outcomes.failed, outcomes.processed):
        counts["temps"] += remove_stale_temps(directory)
    if inbox is not None:
        counts["requeued"] = promote_staged(inbox, older_than=INBOX_TEMP_SECONDS)
        counts["temps"] += remove_stale_temps(inbox, older_than=INBOX_TEMP_SECONDS)
    for row in journal.pending():
        if stopping():
            break
        path = Path(row.path)
        if os.path.lexists(path):
            counts["pending"] += 1
            continue
        counts[settle_moved(journal, outcomes, row)] += 1
    return counts


def settle_moved(journal: Journal, outcomes: Outcomes, row: Row) -> str:
    """Finish a pending row whose input is gone from what is on disk; returns how it ended."""
    name = Path(row.path).name
    if row.sha256:
        result = outcomes.found_result(name, row.sha256)
        if result is not None:
            journal.finish(row.id, "done", result_path=result)
            return "done"
        failure = find_failure_record(outcomes.failed, name, row.sha256)
        if failure is not None:
            journal.finish(row.id, "failed", reason="recovered", final_path=failure)
            return "failed"
        if journal.done_with_sha(row.sha256) is not None:
            journal.finish(row.id, "duplicate", reason="duplicate")
            return "duplicate"
    journal.finish(row.id, "failed", reason="vanished", error="input left the inbox with no outcome recorded")
    log.warning("file_vanished", file=name, sha256=row.sha256)
    return "vanished"
