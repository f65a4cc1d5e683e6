"""Durable state of every input: SQLite in WAL mode under `state_dir`.

One row per input: path, size, mtime, sha256, state (detected → claimed → done | failed | duplicate),
attempts, reason and error. Rows still `detected` or `claimed` are pending: after a crash they are
found again by the startup scan and retried. A sha256 already `done` makes a new file a duplicate.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

State = Literal["detected", "claimed", "done", "failed", "duplicate"]
PENDING: tuple[State, ...] = ("detected", "claimed")
TERMINAL: tuple[State, ...] = ("done", "failed", "duplicate")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT,
    state TEXT NOT NULL CHECK (state IN ('detected', 'claimed', 'done', 'failed', 'duplicate')),
    attempts INTEGER NOT NULL DEFAULT 0,
    crashes INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    error TEXT,
    result_path BLOB,
    final_path BLOB,
    detected_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS files_pending_path ON files(path) WHERE state IN ('detected', 'claimed');
CREATE INDEX IF NOT EXISTS files_done_sha ON files(sha256) WHERE state = 'done';
CREATE INDEX IF NOT EXISTS files_settled_path ON files(path, size, mtime_ns) WHERE final_path = path;
"""


def _key(path: Path) -> bytes:
    """Paths are stored as their raw bytes: names need not be valid UTF-8."""
    return os.fsencode(path)


class JournalError(Exception):
    """The journal cannot be opened or written (locked, corrupt, unwritable)."""


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    state: State
    attempts: int
    reason: str | None
    result_path: str | None


class Journal:
    """Journal of one daemon; used from the event loop thread only."""

    def __init__(self, path: Path, busy_timeout_seconds: float = 2.0) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=busy_timeout_seconds, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a killed process (the WAL is written before COMMIT
            # returns) without an fsync per commit, which halved burst throughput. After a power loss
            # the last commits may be missing; recovery then reconciles from the outcome files, which
            # are fsynced, and a row that lost its claim is simply claimed again.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"cannot open journal {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise JournalError(f"journal write failed ({self.path}): {exc}") from exc

    def detect(self, path: Path, size: int, mtime_ns: int) -> tuple[int, bool]:
        """Record a file that passed the gate; returns (row id, whether it is new)."""
        now = time.time()
        with self._write() as db:
            found = db.execute(
                "SELECT id FROM files WHERE path = ? AND state IN ('detected', 'claimed')", (_key(path),)
            ).fetchone()
            if found:
                db.execute("UPDATE files SET size = ?, mtime_ns = ?, updated_at = ? WHERE id = ?",
                           (size, mtime_ns, now, found[0]))
                return int(found[0]), False
            cursor = db.execute(
                "INSERT INTO files (path, size, mtime_ns, state, detected_at, updated_at)"
                " VALUES (?, ?, ?, 'detected', ?, ?)", (_key(path), size, mtime_ns, now, now))
            return int(cursor.lastrowid or 0), True

    def is_settled(self, path: Path, size: int, mtime_ns: int) -> bool:
        """True when this exact file was finished and deliberately left where it is (keep, special)."""
        found = self._db.execute(
            "SELECT 1 FROM files WHERE path = ? AND size = ? AND mtime_ns = ? AND final_path = path LIMIT 1",
            (_key(path), size, mtime_ns)).fetchone()
        return found is not None

    def done_with_sha(self, sha256: str) -> Row | None:
        return self._one("SELECT * FROM files WHERE sha256 = ? AND state = 'done' LIMIT 1", (sha256,))

    def claim(self, row_id: int, sha256: str) -> int:
        """Mark a row claimed with its content hash; returns the attempt number."""
        with self._write() as db:
            db.execute("UPDATE files SET state = 'claimed', sha256 = ?, attempts = attempts + 1, updated_at = ?"
                       " WHERE id = ?", (sha256, time.time(), row_id))
            found = db.execute("SELECT attempts FROM files WHERE id = ?", (row_id,)).fetchone()
        return int(found[0]) if found else 0

    def record_sha(self, row_id: int, sha256: str) -> None:
        """Note the content hash of a row that will not be claimed (a duplicate)."""
        with self._write() as db:
            db.execute("UPDATE files SET sha256 = ?, updated_at = ? WHERE id = ?", (sha256, time.time(), row_id))

    def record_crash(self, row_id: int) -> int:
        """Count a worker crash on this row; returns the crashes so far (other retries do not count)."""
        with self._write() as db:
            db.execute("UPDATE files SET crashes = crashes + 1, updated_at = ? WHERE id = ?", (time.time(), row_id))
            found = db.execute("SELECT crashes FROM files WHERE id = ?", (row_id,)).fetchone()
        return int(found[0]) if found else 0

    def finish(self, row_id: int, state: State, *, reason: str | None = None, error: str | None = None,
               result_path: Path | None = None, final_path: Path | None = None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE files SET state = ?, reason = ?, error = ?, result_path = ?, final_path = ?, updated_at = ?"
                " WHERE id = ? AND state IN ('detected', 'claimed')",
                (state, reason, error, _opt_key(result_path), _opt_key(final_path), time.time(), row_id))

    def record_final(self, path: Path, *, size: int, mtime_ns: int, state: State, reason: str, error: str) -> None:
        """Record an entry that is settled on sight (special files) and stays where it is."""
        now = time.time()
        with self._write() as db:
            # A pending row for this name (a file that was replaced by this entry) is over too.
            db.execute("UPDATE files SET state = 'failed', reason = 'vanished', updated_at = ?"
                       " WHERE path = ? AND state IN ('detected', 'claimed')", (now, _key(path)))
            db.execute(
                "INSERT INTO files (path, size, mtime_ns, state, reason, error, final_path, detected_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_key(path), size, mtime_ns, state, reason, error, _key(path), now, now))

    def release(self, row_id: int) -> None:
        """Return a row to pending (shutdown, or a transient failure)."""
        with self._write() as db:
            db.execute("UPDATE files SET state = 'detected', updated_at = ? WHERE id = ? AND state = 'claimed'",
                       (time.time(), row_id))

    def pending(self) -> list[Row]:
        return self._many("SELECT * FROM files WHERE state IN ('detected', 'claimed') ORDER BY id", ())

    def get(self, row_id: int) -> Row | None:
        return self._one("SELECT * FROM files WHERE id = ?", (row_id,))

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall()
        return {str(state): int(count) for state, count in rows}

    def _one(self, sql: str, args: tuple[object, ...]) -> Row | None:
        rows = self._many(sql, args)
        return rows[0] if rows else None

    def _many(self, sql: str, args: tuple[object, ...]) -> list[Row]:
        cursor = self._db.execute(sql, args)
        names = [column[0] for column in cursor.description]
        fields = set(Row.__dataclass_fields__)
        rows = []
        for values in cursor.fetchall():
            row = {k: v for k, v in zip(names, values, strict=True) if k in fields}
            for key in ("path", "result_path"):
                if isinstance(row.get(key), bytes):
                    row[key] = os.fsdecode(row[key])
            rows.append(Row(**row))
        return rows


def _opt_key(path: Path | None) -> bytes | None:
    return None if path is None else _key(path)
