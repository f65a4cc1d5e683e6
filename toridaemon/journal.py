"""Durable state of every input: SQLite in WAL mode under `state_dir`.

One row per input: path, size, mtime, sha256, state (detected → claimed → done | failed | duplicate),
attempts, reason and error. Rows still `detected` or `claimed` are pending: after a crash they are
found again by the startup scan and retried. A sha256 already `done` makes a new file a duplicate.

`Journal` is synchronous (the CLI and repair tools use it as is); `JournalThread` gives the event loop
the same journal on a thread of its own, so a locked or slow database never stalls the loop.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, Literal, ParamSpec, TypeVar

from toridaemon.statelock import path_identity

State = Literal["detected", "claimed", "done", "failed", "duplicate"]
P = ParamSpec("P")
T = TypeVar("T")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Files whose rows one transaction writes at most: a claim waits behind it, and a burst of thousands must not
# hold the write lock for long.
DETECT_BATCH = 200
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

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
CREATE INDEX IF NOT EXISTS files_failed_sha ON files(sha256) WHERE state = 'failed';
CREATE INDEX IF NOT EXISTS files_open_sha ON files(sha256) WHERE state IN ('detected', 'claimed');
CREATE INDEX IF NOT EXISTS files_settled_path ON files(path, size, mtime_ns) WHERE final_path = path;
"""


def _key(path: Path) -> bytes:
    """Paths are stored as their raw bytes: names need not be valid UTF-8."""
    return os.fsencode(path)


Recorded = Callable[[str], frozenset[str]]  # sha256 -> the output names its finished records name


class JournalError(Exception):
    """The journal cannot be opened, read or written (locked, corrupt, unwritable)."""


class ContentInProgress(JournalError):
    """`forget` found a try of the content under way: nothing was forgotten."""


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


@dataclass(frozen=True, slots=True)
class Claim:
    """What `Journal.claim_unless_done` found: a finished row of the same content (the file is a
    duplicate and was not claimed), else the attempt number and the latest failure of this content."""

    done: Row | None
    attempt: int = 0
    failed: Row | None = None
    others: tuple[str, ...] = ()  # the inputs of other pending rows of this content (see `pending_with_sha`)
    since: float = 0.0  # when the claimed row was made (its `detected_at`): no try of it wrote anything before


def read_only_detail(path: Path, exc: BaseException) -> str:
    """For a read-only journal, the owner and mode of its folder and of each of its files: SQLite creates the
    -wal and -shm files with the journal's own mode, so a journal once read-only leaves them read-only after
    its fix, and a read-only folder lets it create neither."""
    if _primary_code(exc) != sqlite3.SQLITE_READONLY:
        return ""
    found = []
    for target in (path.parent, *(path.parent / f"{path.name}{tail}" for tail in ("", "-wal", "-shm"))):
        try:
            info = target.stat()
        except OSError:
            continue
        name = f"{target}/" if target == path.parent else target.name
        found.append(f"{name} {stat.filemode(info.st_mode)} uid {info.st_uid}")
    return (f" ({'; '.join(found)}; this process runs as uid {os.getuid()}: each must be writable by it, on a "
            "file system mounted read-write)")


def _primary_code(exc: BaseException) -> int:
    """SQLite's primary result code: Python reports extended ones (SQLITE_READONLY_DIRECTORY, SQLITE_BUSY_RECOVERY)."""
    return int(getattr(exc, "sqlite_errorcode", -1)) & 0xFF


def probe_write(db: sqlite3.Connection) -> None:
    """Write and roll back; raises what a real write would (SQLITE_READONLY for a journal this process may not
    write). A write lock held by another process (the daemon, `toridaemon reprocess`) tells nothing and passes:
    a locked journal is waited for file by file, as always."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute(f"PRAGMA user_version = {int(version)}")
    except sqlite3.OperationalError as exc:
        if _primary_code(exc) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")


def _outputs_recorded(db: sqlite3.Connection, sha256: str) -> frozenset[str]:
    """The names of the outputs the finished records of a content name: the result files of its `done` records, and
    the inputs in failed/ of its `failed` ones (their failure records are `<name>.error.json`). Each from its own
    kind of record: a copy done since, moved to processed/ under the name a failure had, names no failure record."""
    rows = db.execute("SELECT result_path FROM files WHERE sha256 = ? AND state = 'done' UNION ALL"
                      " SELECT final_path FROM files WHERE sha256 = ? AND state = 'failed'", (sha256, sha256))
    return frozenset(os.path.basename(os.fsdecode(path)) for (path,) in rows.fetchall() if path)


class Journal:
    """Journal of one daemon; one thread at a time (the daemon's `JournalThread`, or a tool's main thread)."""

    def __init__(self, path: Path, busy_timeout_seconds: float = 2.0) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=busy_timeout_seconds, isolation_level=None,
                                       check_same_thread=False)
            # Where SQLite's file layer gives no shared memory for the write-ahead log's index (a VFS such as
            # unix-dotfile, a build without it), the journal keeps its rollback mode: `mode` says which (the
            # daemon warns).
            self.mode = str(self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            # NORMAL in WAL mode: a commit survives a killed process (the WAL is written before COMMIT
            # returns) without an fsync per commit, which halved burst throughput. After a power loss
            # the last commits may be missing; recovery then reconciles from the outcome files, which
            # are fsynced, and a row that lost its claim is simply claimed again. In rollback mode NORMAL
            # could leave a damaged database after a power loss: FULL syncs every commit there.
            self._db.execute("PRAGMA synchronous=NORMAL" if self.mode == "wal" else "PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._probe_write()
            self._opened = path_identity(path)
        except (sqlite3.Error, OSError, UnicodeDecodeError) as exc:  # the last: a damaged schema's names
            if hasattr(self, "_db"):
                self._db.close()
            raise JournalError(f"cannot open journal {path}: {exc}{read_only_detail(path, exc)}") from exc

    def _probe_write(self) -> None:
        """An existing journal the process may not write opens and reads fine, and would otherwise fail every
        file's first write, forever, behind healthy probes."""
        probe_write(self._db)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._db
        except sqlite3.Error as exc:
            raise JournalError(f"journal read failed ({self.path}): {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite itself rolls back on a full disk or an I/O error: a ROLLBACK then fails, and its error
                # ("no transaction is active") hid the cause. A COMMIT that failed leaves the transaction open.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._write_failed(exc) from exc

    def _write_failed(self, exc: sqlite3.Error) -> JournalError:
        return _caused(f"journal write failed ({self.path}): {exc}", exc)

    def detect(self, path: Path, size: int, mtime_ns: int) -> tuple[int, bool]:
        """Record a file that passed the gate; returns (row id, whether it is new)."""
        with self._write() as db:
            return _detect(db, path, size, mtime_ns, time.time())

    def detect_unless_settled(self, path: Path, size: int, mtime_ns: int) -> int | None:
        """`detect` of a file that is not `is_settled`, in one call; its row id, or None when it is settled."""
        found = self.detect_each_unless_settled([(path, size, mtime_ns)])[0]
        if isinstance(found, Exception):
            raise found
        return found

    def detect_each_unless_settled(self, files: Sequence[tuple[Path, int, int]]) -> list[int | Exception | None]:
        """`detect_unless_settled` of each (path, size, mtime_ns) of `files`, in one write transaction. A file
        whose row cannot be written has the error in its place, and the others their rows: one file's fault
        must not fail the files renamed in beside it."""
        now = time.time()
        with self._write() as db:
            return [self._detect_one(db, path, size, mtime_ns, now) for path, size, mtime_ns in files]

    def _detect_one(self, db: sqlite3.Connection, path: Path, size: int, mtime_ns: int,
                    now: float) -> int | Exception | None:
        db.execute("SAVEPOINT detect_one")
        try:
            settled = self.is_settled(path, size, mtime_ns, regular=True)
            row = None if settled else _detect(db, path, size, mtime_ns, now)[0]
        except Exception as exc:  # this file's alone; the transaction goes on without its row
            if not db.in_transaction:  # SQLite rolled all of it back (a full disk): every file's fault
                raise
            db.execute("ROLLBACK TO detect_one")
            db.execute("RELEASE detect_one")
            return self._write_failed(exc) if isinstance(exc, sqlite3.Error) else exc
        db.execute("RELEASE detect_one")
        return row

    def is_settled(self, path: Path, size: int, mtime_ns: int, *, regular: bool = False) -> bool:
        """True when this exact file was finished and deliberately left where it is (keep, special). A `regular`
        file is not settled by a record of a special entry: a hard link whose other name was removed since is a
        regular file of the same size and mtime, and is taken. (A kept file that gains a second name is still
        settled as the special entry it now is.)"""
        settled = "SELECT 1 FROM files WHERE path = ? AND size = ? AND mtime_ns = ? AND final_path = path"
        if regular:
            settled += " AND reason IS NOT 'not_regular_file'"
        with self._read() as db:
            found = db.execute(f"{settled} LIMIT 1", (_key(path), size, _stored_ns(mtime_ns))).fetchone()
        return found is not None

    def require_in_use(self) -> None:
        """Raise `JournalError` when the file at the journal's path is no longer the one this journal opened:
        `rm -rf var` (made again) under a running daemon left it reading a deleted journal, whose done content no
        later start knows. A copy of such content was then called a duplicate, and left the inbox with no result
        anywhere. (The daemon stops within a second of it; this closes the gap for what depends on the records.)"""
        try:
            now = path_identity(self.path)  # None when gone
        except OSError:  # cannot tell (EACCES, EIO): the state check says so, and the records stand
            return
        if now is None or now != self._opened:
            raise JournalError(f"journal {self.path} was deleted or replaced while running: its records are not "
                               "the ones a restart will read")

    def done_with_sha(self, sha256: str) -> Row | None:
        return self._one("SELECT * FROM files WHERE sha256 = ? AND state = 'done' LIMIT 1", (sha256,))

    def failed_with_sha(self, sha256: str) -> Row | None:
        """The latest finished failure of this content, if any (its record may be superseded by a retry)."""
        return self._one("SELECT * FROM files WHERE sha256 = ? AND state = 'failed' ORDER BY id DESC LIMIT 1",
                         (sha256,))

    def claim(self, row_id: int, sha256: str) -> int:
        """Mark a row claimed with its content hash; returns the attempt number."""
        return self._claim(row_id, sha256)[0]

    def _claim(self, row_id: int, sha256: str) -> tuple[int, float]:
        """`claim`, and when the row was made."""
        with self._write() as db:
            db.execute("UPDATE files SET state = 'claimed', sha256 = ?, attempts = attempts + 1, updated_at = ?"
                       " WHERE id = ?", (sha256, time.time(), row_id))
            found = db.execute("SELECT attempts, detected_at FROM files WHERE id = ?", (row_id,)).fetchone()
        return (int(found[0]), float(found[1] or 0.0)) if found else (0, 0.0)

    def claim_unless_done(self, row_id: int, sha256: str) -> Claim:
        """`done_with_sha`, then (content not done yet) `claim` and `failed_with_sha`, in one call."""
        done = self.done_with_sha(sha256)
        if done is not None:
            return Claim(done)
        attempt, since = self._claim(row_id, sha256)
        return Claim(None, attempt, self.failed_with_sha(sha256), self.pending_with_sha(sha256, row_id), since)

    def pending_with_sha(self, sha256: str, other_than: int) -> tuple[str, ...]:
        """The inputs of the other pending rows of this content. A run that ended (a crash, kill -9) after writing
        one's result and before recording it left that result under its name; a copy under another name must take
        it for this content's result, not write a second one."""
        rows = self._many("SELECT * FROM files WHERE sha256 = ? AND state IN ('detected', 'claimed') AND id != ?",
                          (sha256, other_than))
        return tuple(row.path for row in rows)

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
                (_key(path), size, _stored_ns(mtime_ns), state, reason, error, _key(path), now, now))

    def release(self, row_id: int) -> None:
        """Return a row to pending (shutdown, or a transient failure)."""
        with self._write() as db:
            db.execute("UPDATE files SET state = 'detected', updated_at = ? WHERE id = ? AND state = 'claimed'",
                       (time.time(), row_id))

    def forget(self, target: str, then: Callable[[Recorded], None] = lambda _: None) -> list[Row]:
        """Forget the finished rows of a content hash or a path (inbox, result or final path), so that the
        content is processed again instead of being called a duplicate; returns the rows forgotten.
        The caller removes the result file itself (an existing result for the same content is reused), in
        `then`: it runs inside the transaction, before the delete, with `recorded` (see `settle`), and the rows
        stay when it raises."""
        args: tuple[object, ...]
        if _SHA256.fullmatch(target):
            where, args = "sha256 = ?", (target,)
        else:
            key = _key(Path(target))
            where, args = "(path = ? OR result_path = ? OR final_path = ?)", (key, key, key)
        finished = f"{where} AND state IN ('done', 'failed', 'duplicate')"
        with self._write() as db:  # one transaction: no try claims the content between the look and the delete
            if db.execute(f"SELECT 1 FROM files WHERE {where} AND state = 'claimed' LIMIT 1", args).fetchone():  # noqa: S608
                raise ContentInProgress(
                    f"{target} is being processed (a try has claimed it): its outcome is being recorded, and "
                    "forgetting it now would leave a record of a result no longer there. Run this again once the "
                    "daemon has finished it; with the daemon stopped, start it: it finishes the try first (an input "
                    "it no longer takes, now ignored, is settled once moved out of the inbox)")
            rows = self._rows(db.execute(f"SELECT * FROM files WHERE {finished}", args))  # noqa: S608
            then(functools.partial(_outputs_recorded, db))  # what it reads is committed: nothing is deleted yet
            db.execute(f"DELETE FROM files WHERE {finished}", args)  # noqa: S608 - fixed fragments
        return rows

    def settle(self, work: Callable[[Recorded], T]) -> T:
        """Run `work` in one write transaction, handing it `recorded(sha256)`: the names of the outputs the content's
        finished records name. Under the write lock, no other writer (a `reprocess`) is half-way through them."""
        with self._write() as db:
            return work(functools.partial(_outputs_recorded, db))

    def pending(self) -> list[Row]:
        return self._many("SELECT * FROM files WHERE state IN ('detected', 'claimed') ORDER BY id", ())

    def get(self, row_id: int) -> Row | None:
        return self._one("SELECT * FROM files WHERE id = ?", (row_id,))

    def counts(self) -> dict[str, int]:
        with self._read() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall()
        return {str(state): int(count) for state, count in rows}

    def _one(self, sql: str, args: tuple[object, ...]) -> Row | None:
        rows = self._many(sql, args)
        return rows[0] if rows else None

    def _many(self, sql: str, args: tuple[object, ...]) -> list[Row]:
        with self._read() as db:
            return self._rows(db.execute(sql, args))

    @staticmethod
    def _rows(cursor: sqlite3.Cursor) -> list[Row]:
        names = [column[0] for column in cursor.description]
        found = cursor.fetchall()
        fields = set(Row.__dataclass_fields__)
        rows = []
        for values in found:
            row = {k: v for k, v in zip(names, values, strict=True) if k in fields}
            for key in ("path", "result_path"):
                if isinstance(row.get(key), bytes):
                    row[key] = os.fsdecode(row[key])
            if isinstance(row.get("mtime_ns"), bytes):  # `_stored_ns`
                row["mtime_ns"] = int(row["mtime_ns"])
            rows.append(Row(**row))
        return rows


def _detect(db: sqlite3.Connection, path: Path, size: int, mtime_ns: int, now: float) -> tuple[int, bool]:
    """`Journal.detect` within the caller's write transaction."""
    found = db.execute(
        "SELECT id FROM files WHERE path = ? AND state IN ('detected', 'claimed')", (_key(path),)
    ).fetchone()
    if found:
        db.execute("UPDATE files SET size = ?, mtime_ns = ?, updated_at = ? WHERE id = ?",
                   (size, _stored_ns(mtime_ns), now, found[0]))
        return int(found[0]), False
    cursor = db.execute("INSERT INTO files (path, size, mtime_ns, state, detected_at, updated_at)"
                        " VALUES (?, ?, ?, 'detected', ?, ?)", (_key(path), size, _stored_ns(mtime_ns), now, now))
    return int(cursor.lastrowid or 0), True


def _stored_ns(mtime_ns: int) -> int | bytes:
    """An mtime as SQLite can hold it: a file dated after 2262 (a camera's clock, an archive's bogus dates) is past
    its 64-bit integers, and its row could not be written at all. Such a value is kept as the bytes of its digits
    (a BLOB, which SQLite compares byte for byte and never converts), so two such dates still differ; every query
    stores and compares the same value."""
    return mtime_ns if _INT64_MIN <= mtime_ns <= _INT64_MAX else str(mtime_ns).encode()


def _caused(message: str, cause: BaseException) -> JournalError:
    """A `JournalError` raised from `cause`: what the database said stays readable (`is_damage` reads it)."""
    error = JournalError(message)
    error.__cause__ = cause
    return error


def _unexpected(cause: Exception) -> RuntimeError:
    error = RuntimeError(f"writing the batch of journal rows failed: {cause!r}")
    error.__cause__ = cause
    return error


_Asked = tuple[tuple[Path, int, int], "asyncio.Future[int | None]"]  # a file to detect, and its answer


def _answer(batch: list[_Asked], rows: Sequence[int | Exception | None]) -> None:
    """Each file of `batch` its row, or its error."""
    for (_, answer), row in zip(batch, rows, strict=True):
        if answer.done():  # cancelled meanwhile: a row it got is pending, and found again
            continue
        if isinstance(row, Exception):
            answer.set_exception(row)
        else:
            answer.set_result(row)


def _abandon(waiting: list[_Asked], exc: BaseException) -> None:
    """No file waits for an answer that will not come: cancelled with the writing, or told that it failed."""
    for _, answer in waiting:
        if answer.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            answer.cancel()
        else:
            answer.set_exception(RuntimeError(f"the journal's writing of detected files ended: {exc!r}"))


def _opt_key(path: Path | None) -> bytes | None:
    return None if path is None else _key(path)


class JournalThread:
    """The journal on a thread of its own: the event loop awaits each call, so a locked or slow database
    (each write waits up to the busy timeout) delays only the files that need it, never the loop."""

    def __init__(self, pool: concurrent.futures.ThreadPoolExecutor, journal: Journal) -> None:
        self._pool = pool
        self.journal = journal
        self._detects: collections.deque[_Asked] = collections.deque()
        self._detecting: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: Path, busy_timeout_seconds: float = 2.0) -> JournalThread:
        """Open the journal on a new thread; raises `JournalError`."""
        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="toridaemon-journal")
        try:
            journal = await asyncio.wrap_future(pool.submit(Journal, path, busy_timeout_seconds))
        except BaseException:
            pool.shutdown(wait=False)
            raise
        return cls(pool, journal)

    async def run(self, method: Callable[Concatenate[Journal, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`await journal.run(Journal.detect, path, size, mtime_ns)`: the call runs on the journal's thread."""
        return await asyncio.wrap_future(self._pool.submit(method, self.journal, *args, **kwargs))

    async def detect(self, path: Path, size: int, mtime_ns: int) -> int | None:
        """`Journal.detect_unless_settled`. The files asked for while a write of others is under way are written
        together next, in one transaction: 60 files renamed in at once took a transaction each, one after
        another, and the first file's claim waited behind all of them (`bench/throughput.py` prints that wait)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int | None] = loop.create_future()
        self._detects.append(((path, size, mtime_ns), answer))
        if self._detecting is None or self._detecting.done():
            self._detecting = loop.create_task(self._write_detects())
        return await answer

    async def _write_detects(self) -> None:
        batch: list[_Asked] = []
        try:
            while self._detects:
                batch = self._next_batch()
                if not batch:
                    continue
                try:
                    rows = await self.run(Journal.detect_each_unless_settled, [files for files, _ in batch])
                except Exception as exc:  # each file's, as its own call's failure was: a copy each (one instance
                    # raised in every file's task would gather all their tracebacks); a fault of no known kind
                    # (a bug) as an error of its own per file, raised from it
                    rows = [_caused(str(exc), exc) if isinstance(exc, JournalError) else _unexpected(exc)
                            for _ in batch]
                _answer(batch, rows)
        except BaseException as exc:  # cancelled at shutdown, or a fault no file's try expects: none waits forever
            _abandon([*batch, *self._detects], exc)
            self._detects.clear()
            raise

    def _next_batch(self) -> list[_Asked]:
        """Up to `DETECT_BATCH` waiting files, leaving out those cancelled while they waited (no row for them)."""
        batch: list[_Asked] = []
        while self._detects and len(batch) < DETECT_BATCH:
            asked = self._detects.popleft()
            if not asked[1].done():
                batch.append(asked)
        return batch

    async def close(self) -> None:
        """Close the connection on its thread, then let the thread end; safe to call twice."""
        try:
            await self.run(Journal.close)
        except RuntimeError:  # already shut down
            return
        self._pool.shutdown(wait=False)
