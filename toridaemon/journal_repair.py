"""Journal health at start, its rebuild from `outbox/`, and forgetting a result (reprocess).

The journal is what makes content already processed a duplicate. A damaged journal (corrupt pages,
not a database) or a missing or emptied one beside a full outbox would otherwise crash the start or
silently forget every content hash. Each result JSON names its source and sha256, so the `done`
rows can be rebuilt from `outbox/`: the damaged file is moved aside (never deleted), a new journal
is made, and one `done` row per result is written. What cannot be repaired (unreadable state
directory, journal locked by another process) is a `JournalRepairError` with a sentence to act on.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from toridaemon.fsutil import TEMP_PREFIX, fsync_dir, read_output
from toridaemon.journal import Journal, JournalError, probe_write, read_only_detail
from toridaemon.logs import get_logger

log = get_logger("toridaemon.journal")
JOURNAL_NAME = "journal.sqlite3"
_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
# SQLite's own words for a file that is not a sound database; other errors (busy, locked,
# permission, I/O) are about access, and moving the file aside would not help.
_DAMAGE_CODES = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
Condition = Literal["ok", "new", "missing", "empty", "damaged"]
NEEDS_REBUILD: frozenset[Condition] = frozenset({"missing", "empty", "damaged"})


class JournalRepairError(Exception):
    """The journal is unusable and cannot be repaired here; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Health:
    """`condition`: ok, new (no journal and nothing to rebuild), or missing/empty/damaged (rebuild)."""

    condition: Condition
    detail: str
    rows: int = 0
    results: int = 0


@dataclass(frozen=True, slots=True)
class Rebuild:
    reason: Condition
    moved_aside: list[Path]
    rows: int


def journal_path(state_dir: Path) -> Path:
    return state_dir / JOURNAL_NAME


def is_damage(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) says the journal file itself is corrupt."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.DatabaseError) and getattr(seen, "sqlite_errorname", "") in _DAMAGE_CODES:
            return True
        if isinstance(seen, sqlite3.DatabaseError) and "malformed" in str(seen):
            return True
        seen = seen.__cause__
    return False


def check(path: Path, outbox: Path) -> Health:
    """`PRAGMA quick_check`, a row count and a write probe; raises `JournalRepairError` when it cannot look, or
    when the journal is sound but this process may not write it (the daemon would refuse to start)."""
    results = sum(1 for _ in _result_files(outbox))
    if not path.exists():
        _probe_folder(path.parent)
        if results:
            return Health("missing", f"no journal at {path} but {results} results in {outbox}", 0, results)
        return Health("new", "no journal yet", 0, 0)
    try:
        problems, rows = _quick_check(path)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise JournalRepairError(f"cannot use the journal {path}: {exc}{read_only_detail(path, exc)}") from exc
        return Health("damaged", str(exc), 0, results)
    if problems:
        return Health("damaged", "; ".join(problems[:5]), rows, results)
    if rows == 0 and results:
        return Health("empty", f"the journal holds no rows but {results} results are in {outbox}", 0, results)
    return Health("ok", "ok", rows, results)


def _probe_folder(folder: Path) -> None:
    """Raise `JournalRepairError` when no journal can be created in `folder` (or, while it does not exist yet,
    in the folder that would hold it): `journal check` called a read-only state folder fine, where the daemon
    then could not start."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    try:
        handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    except OSError as exc:
        raise JournalRepairError(f"cannot create the journal in {folder}: {exc.strerror or exc}") from exc
    os.close(handle)
    os.unlink(name)


def _quick_check(path: Path) -> tuple[list[str], int]:
    # A URI names the file: a "?", "#" or "%" in a state folder's name must be escaped, or SQLite cut the name
    # there and checked (and created) another file, and the daemon rebuilt a sound journal at every start.
    db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, timeout=2.0, isolation_level=None)
    try:
        return _checked(db)
    except UnicodeDecodeError as exc:  # the daemon writes only UTF-8: a flipped byte in a name of SQLite's schema
        return [f"text in the journal is not UTF-8 ({exc})"], 0
    finally:
        db.close()


def _checked(db: sqlite3.Connection) -> tuple[list[str], int]:
    found = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
    problems = [line for line in found if line != "ok"]
    has_table = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'files'").fetchone()
    rows = int(db.execute("SELECT COUNT(*) FROM files").fetchone()[0]) if has_table else 0
    if not problems:
        probe_write(db)
    return problems, rows


def ensure_sound(state_dir: Path, outbox: Path, inbox: Path) -> Rebuild | None:
    """At start: check the journal and rebuild it when damaged, missing or emptied beside results."""
    path = journal_path(state_dir)
    health = check(path, outbox)
    if health.condition not in NEEDS_REBUILD:
        return None
    log.error("journal_damaged", journal=str(path), condition=health.condition, detail=health.detail,
              action="moving it aside and rebuilding from the outbox")
    return rebuild(path, outbox, inbox, health.condition)


def rebuild(path: Path, outbox: Path, inbox: Path, reason: Condition = "damaged") -> Rebuild:
    """Move the journal (and its WAL files) aside and write a new one holding a `done` row per result."""
    moved = _move_aside(path)
    try:
        Journal(path).close()  # the schema is the journal module's own
        rows = _insert_done_rows(path, outbox, inbox)
    except (JournalError, sqlite3.Error, OSError) as exc:
        raise JournalRepairError(f"cannot write a new journal at {path}: {exc}") from exc
    log.error("journal_rebuilt", journal=str(path), reason=reason, rows=rows,
              moved_aside=[str(p) for p in moved])
    return Rebuild(reason, moved, rows)


def _move_aside(path: Path) -> list[Path]:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    taken = {path.with_name(f"{path.name}.damaged-{stamp}{suffix}") for suffix in ("", *_SIDE_SUFFIXES)}
    if any(name.exists() for name in taken):  # two rebuilds within a second: never replace a kept copy
        stamp = f"{stamp}.{time.time_ns() % 1_000_000_000:09d}"
    moved = []
    for suffix in ("", *_SIDE_SUFFIXES):
        source = path.with_name(path.name + suffix)
        if not source.exists():
            continue
        target = path.with_name(f"{path.name}.damaged-{stamp}{suffix}")
        try:
            os.rename(source, target)
        except OSError as exc:
            raise JournalRepairError(f"cannot move the damaged journal {source} aside: {exc}") from exc
        moved.append(target)
    if moved:
        fsync_dir(path.parent)
    return moved


def _result_files(outbox: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(outbox))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.endswith(".json") and not entry.name.startswith(TEMP_PREFIX) and entry.is_file():
            yield Path(entry.path)


def result_source(path: Path) -> tuple[str, str, int] | None:
    """(name, sha256, bytes) of a result file, or None when it is not one of ours."""
    try:
        source = json.loads(read_output(path)).get("source")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(source, dict):
        return None
    name, sha256, size = source.get("name"), source.get("sha256"), source.get("bytes", 0)
    if not isinstance(name, str) or not isinstance(sha256, str) or len(sha256) != 64:
        return None
    return name, sha256, size if isinstance(size, int) else 0


def _insert_done_rows(path: Path, outbox: Path, inbox: Path) -> int:
    now = time.time()
    rows = []
    for result in sorted(_result_files(outbox)):
        source = result_source(result)
        if source is not None:
            name, sha256, size = source
            rows.append((os.fsencode(inbox / name), size, 0, sha256, "done", "rebuilt",
                         os.fsencode(result), now, now))
    db = sqlite3.connect(path, timeout=2.0, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO files (path, size, mtime_ns, sha256, state, reason, result_path, detected_at,"
                       " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")
    finally:
        db.close()
    return len(rows)
