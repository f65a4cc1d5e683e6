"""One-shot processing of files and folders through the same executor and pipeline as the daemon."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from toridaemon.executors.base import Failure, Job
from toridaemon.executors.local import LocalExecutor
from toridaemon.fsutil import write_atomic
from toridaemon.hashing import NotRegularFile
from toridaemon.logs import printable
from toridaemon.outcome import Outcomes, dumps_readable
from toridaemon.progress import ProgressState, ProgressTracker
from toridaemon.settings import Settings
from toridaemon.statemachine import hash_and_budget


@dataclass(frozen=True, slots=True)
class IngestSummary:
    done: int
    failed: int


def collect_pdfs(targets: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """PDF files named directly, plus `*.pdf` (any case) found below named folders, in a stable order; and a
    sentence for each target or folder below one that could not be looked into (a folder no one may read, a name
    too long, a symlink to a folder), which the caller counts as failed: `rglob` passed such a folder over in
    silence."""
    found: list[Path] = []
    problems: list[str] = []

    def unreadable(exc: OSError) -> None:
        problems.append(f"{exc.filename or target}: cannot be looked into: {exc.strerror or exc}")

    for target in targets:
        try:
            folder = target.is_dir()
        except OSError as exc:  # ENAMETOOLONG and the like: this target fails, the others go on
            unreadable(exc)
            continue
        if not folder:
            found.append(target)
            continue
        below: list[Path] = []
        for top, folders, names in os.walk(target, onerror=unreadable):
            problems.extend(f"{Path(top, name)}: a symbolic link to a folder, not followed"
                            for name in folders if os.path.islink(Path(top, name)))
            below.extend(Path(top, name) for name in names if Path(name).suffix.lower() == ".pdf")
        found.extend(sorted(below))  # a symlink, FIFO or socket among them fails by name (`not_regular_file`)
    return found, problems


async def ingest(files: list[Path], settings: Settings, outbox: Path | None, stream: TextIO = sys.stdout,
                 show_progress: bool = True) -> IngestSummary:
    """Analyse `files` with `max_parallel_workers` processes; write results to `outbox` or JSON lines."""
    executor = LocalExecutor(settings.max_parallel_workers, settings.worker_memory_limit_mb)
    await executor.start()
    outcomes = Outcomes(outbox, outbox, outbox, "keep", write=write_atomic) if outbox else None
    bar = tqdm(total=len(files), unit="file", disable=not show_progress, file=sys.stderr)
    def draw(state: ProgressState) -> None:
        bar.update(state["done"] - bar.n)

    # The bar only draws what the tracker reports, so it follows the tracker's throttles.
    tracker = ProgressTracker(len(files), min_change=0.0, description="ingest", on_report=draw)
    limit = asyncio.Semaphore(settings.max_parallel_workers)
    failed = 0
    stopping = False

    async def one(path: Path) -> None:
        nonlocal failed
        async with limit:
            if stopping:
                return
            result, failure = await _analyse(executor, path, settings)
        if stopping:
            return
        if result is not None:
            try:
                _emit(result, path, outcomes, stream)
            except OSError as exc:  # this file's result cannot be written: it fails, the others go on
                if outcomes is None:
                    raise  # standard output itself: the command reports it (a closed pipe, a full disk)
                result, failure = None, Failure("write", "unwritable", f"cannot write its result to "
                                                f"{outbox}: {exc.strerror or exc}")
        if result is None:
            failed += 1
            print(printable(f"{path}: {failure.reason}: {failure.message}" if failure else f"{path}: failed"),
                  file=sys.stderr)
        tracker.update()

    try:
        await asyncio.gather(*(one(path) for path in files))
    except BaseException:
        # Standard output gone (`| head -1`), or Ctrl-C (which cancels the files under way): the command ends, and
        # the other files say nothing more. Each reported the executor's closing as a crash of its own
        # ("worker_crashed: executor closed"). Jobs under way are not cancelled for a closed pipe: a cancelled
        # job's worker is killed, and the one started in its place met a parent gone (a traceback on stderr).
        stopping = True
        raise
    finally:
        bar.close()
        await executor.close(timeout=10.0)
    return IngestSummary(done=len(files) - failed, failed=failed)


async def _analyse(executor: LocalExecutor, path: Path, settings: Settings) -> tuple[dict[str, Any] | None,
                                                                                   Failure | None]:
    options = settings.pipeline_options()
    try:  # one read, as the daemon's: the hash, and the time OCR adds per page image
        state, ocr_budget = await asyncio.to_thread(hash_and_budget, path, options)
    except NotRegularFile as exc:
        return None, Failure("read", "not_regular_file", f"a {exc}, never opened")
    except OSError as exc:
        return None, Failure("read", "unreadable", str(exc))
    # The daemon's timeout, which the worker's OCR deadline counts on: a scan got only file_timeout_seconds here,
    # and was killed (`timeout`) where the daemon would have finished it.
    job = Job(path, state.sha256, options, settings.file_timeout_seconds + ocr_budget)
    try:
        outcome = await executor.run(job)
    except Exception as exc:  # a crashed worker is this file's failure, not the command's
        return None, Failure("text", "worker_crashed", str(exc))
    return outcome.result, outcome.failure


def _emit(result: dict[str, Any], path: Path, outcomes: Outcomes | None, stream: TextIO) -> None:
    if outcomes is not None:
        outcomes.write_result(path.name, result)
    else:
        stream.write(dumps_readable(result) + "\n")
        stream.flush()
