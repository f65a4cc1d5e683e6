"""The stability gate: a file is taken only once its writer is done with it.

Fast path: a rename into the inbox (atomic by nature). A close-after-write is final only after
`settle_seconds` without another close, size or mtime change: SMB clients and scanners close and re-open
a file to append to it. A file the watch saw created, then written to or still empty, is still open for
writing until its close: a writer that stalls with it open (a slow download) is waited for, up to
`open_writer_seconds` of quiet, when the watch reports closes (inotify). Otherwise (no close event: polling,
network mounts, files found by a scan) the file must keep the same size and mtime for `stability_seconds`.
The gate is a plain state machine with an injected clock and stat, so tests drive it with scripted events.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Literal

from toridaemon.hashing import special_kind
from toridaemon.logs import get_logger

log = get_logger("toridaemon.inbox")

# "subfolder": a folder appeared directly in the inbox (counted, or walked when recursive).
EventKind = Literal["created", "modified", "closed", "moved", "scan", "deleted", "subfolder"]
# Events that start the wait over even when size and mtime are unchanged: a writer just finished (writes
# themselves always change size or mtime).
_RESTART: frozenset[EventKind] = frozenset({"closed"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the gate decided about one path: `ready`, `special` (not a regular file) or `gone`."""

    path: Path
    kind: Literal["ready", "special", "gone"]
    size: int = 0
    mtime_ns: int = 0
    detail: str = ""


# Whether a writer holds a file, told by a watch that reports closes. open(O_CREAT) gives "created" on the
# file's name, empty, then a "modified" per write, and its close-after-write ends it; "created" with bytes and
# no write after it is a finished file linked in (O_TMPFILE + linkat), whose writer's close has another name.
# Opens are not watched (`watcher._EVENT_FILTER`): a writer that stalls between open and first write is told
# by the empty file its O_CREAT made.
Writer = Literal["none", "created", "open"]


def _writer_after(writer: Writer, kind: EventKind, size: int) -> Writer:
    if kind == "created":
        return "open" if size == 0 else "created"
    if kind == "closed":
        return "none"
    return "open" if kind == "modified" and writer == "created" else writer


# What a file the gate holds waits for: its writer's close (a writer holds it open), the settle time after a
# close-after-write, the quiet time (no close is reported, or none is awaited), or a stat that works again.
WaitReason = Literal["writer", "settle", "quiet", "unreadable"]


@dataclass(frozen=True, slots=True)
class Wait:
    """One file the gate holds: what it waits for, how long the file has been unchanged, and for how long it must
    be (the writer's wait ends at the latest after `needed_seconds`, see `open_writer_seconds`)."""

    file: str  # its name in the inbox
    reason: WaitReason
    quiet_seconds: float
    needed_seconds: float


@dataclass(slots=True)
class _Watch:
    size: int
    mtime_ns: int
    since: float
    closed: bool = False  # the last event was a close-after-write: settle_seconds applies
    writer: Writer = "none"


def describe_special(mode: int, nlink: int) -> str | None:
    """Why an entry is not a plain regular file we may open, or None when it is one."""
    kind = special_kind(mode)
    if kind is not None:
        return kind
    if not stat.S_ISREG(mode):
        return "unknown file type"
    # A second name for the same inode may point at a file outside the inbox: never open it.
    return "hard link" if nlink > 1 else None


class StabilityGate:
    """Tracks candidate files until they are ready; never opens them."""

    def __init__(self, stability_seconds: float, *, settle_seconds: float = 0.0, open_writer_seconds: float = 0.0,
                 closes_reported: Callable[[], bool] = lambda: False,
                 clock: Callable[[], float] = time.monotonic,
                 lstat: Callable[[Path], os.stat_result] = os.lstat) -> None:
        self.stability_seconds = stability_seconds
        self.settle_seconds = settle_seconds
        self.open_writer_seconds = open_writer_seconds
        self._closes_reported = closes_reported  # read at each decision: the watch may fall back to polling
        self._clock = clock
        self._lstat = lstat
        self._watching: dict[Path, _Watch] = {}
        self._unreadable: set[Path] = set()

    def __len__(self) -> int:
        return len(self._watching)

    def __contains__(self, path: object) -> bool:
        return path in self._watching

    def observe(self, path: Path, kind: EventKind) -> Verdict | None:
        """Feed one event; returns a verdict when the file is decided now, else None (still watching)."""
        if kind == "deleted":
            self._watching.pop(path, None)
            return None
        try:
            info = self._lstat(path)
        except FileNotFoundError:
            self._watching.pop(path, None)
            return Verdict(path, "gone")
        except OSError as exc:
            self._set_aside(path, exc)
            return None
        self._unreadable.discard(path)
        special = describe_special(info.st_mode, info.st_nlink)
        if special is not None:
            self._watching.pop(path, None)
            return Verdict(path, "special", info.st_size, info.st_mtime_ns, special)
        if self._ready_now(kind):
            self._watching.pop(path, None)
            return Verdict(path, "ready", info.st_size, info.st_mtime_ns)
        self._track(path, info, kind)
        return None

    def _ready_now(self, kind: EventKind) -> bool:
        if kind == "moved" or self.stability_seconds <= 0:
            return True
        return kind == "closed" and self.settle_seconds <= 0

    def _track(self, path: Path, info: os.stat_result, kind: EventKind) -> None:
        current = self._watching.get(path)
        writer = (_writer_after(current.writer if current else "none", kind, info.st_size)
                  if self._closes_reported() else "none")
        if kind in _RESTART or current is None or (current.size, current.mtime_ns) != (info.st_size, info.st_mtime_ns):
            closed = kind == "closed" or (kind == "scan" and current is not None and current.closed)
            self._watching[path] = _Watch(info.st_size, info.st_mtime_ns, self._clock(), closed, writer)
        else:  # an event that changes nothing else still tells about the writer (a scan may come first)
            current.writer = writer

    def _quiet_needed(self, watch: _Watch) -> float:
        if watch.closed:
            return min(self.settle_seconds, self.stability_seconds)
        if self._open_for_writing(watch):
            return max(self.open_writer_seconds, self.stability_seconds)
        return self.stability_seconds

    def waits(self, limit: int) -> list[Wait]:
        """Up to `limit` of the files held, in the order the gate first saw them (no sort: a dump of thousands of
        files is held at once, and this runs every tick)."""
        now = self._clock()
        return [Wait(path.name, self._reason(watch), round(now - watch.since, 1), self._quiet_needed(watch))
                for path, watch in islice(self._watching.items(), limit)]

    def _reason(self, watch: _Watch) -> WaitReason:
        if watch.size < 0:  # set aside by `_set_aside`
            return "unreadable"
        if watch.closed:
            return "settle"
        return "writer" if self._open_for_writing(watch) else "quiet"

    def _open_for_writing(self, watch: _Watch) -> bool:
        return watch.writer == "open" and self.open_writer_seconds > 0 and self._closes_reported()

    def poll(self) -> list[Verdict]:
        """Re-check every watched file; returns those decided since the last poll."""
        decided = []
        now = self._clock()
        for path in list(self._watching):
            watch = self._watching[path]
            try:
                info = self._lstat(path)
            except FileNotFoundError:
                del self._watching[path]
                continue
            except OSError as exc:
                self._set_aside(path, exc)
                continue
            if (info.st_size, info.st_mtime_ns) != (watch.size, watch.mtime_ns):
                self._watching[path] = _Watch(info.st_size, info.st_mtime_ns, now, watch.closed, watch.writer)
            elif now - watch.since >= self._quiet_needed(watch):
                del self._watching[path]
                if self._open_for_writing(watch):
                    log.warning("writer_still_open", file=path.name, quiet_seconds=round(now - watch.since, 1),
                                hint="taken without its close-after-write; write elsewhere and rename in")
                decided.append(self.observe(path, "moved") or Verdict(path, "gone"))
        return decided

    def _set_aside(self, path: Path, exc: OSError) -> None:
        """One entry the kernel cannot stat (EIO, ESTALE, EACCES) must not stop the others: it is
        watched with a size no real file has, so it is re-checked on every poll and taken once it
        stats again and stays quiet."""
        current = self._watching.get(path)
        self._watching[path] = _Watch(-1, -1, self._clock(), writer=current.writer if current else "none")
        if path not in self._unreadable:
            self._unreadable.add(path)
            log.warning("inbox_entry_unreadable", file=path.name, errno=errno.errorcode.get(exc.errno or 0, "?"),
                        error=exc.strerror or str(exc))

    def forget_writers(self) -> None:
        """Closes may have gone unreported (the watch was re-armed): no watched file waits for one any more."""
        for watch in self._watching.values():
            watch.writer = "none"

    def forget(self, path: Path) -> None:
        self._watching.pop(path, None)
        self._unreadable.discard(path)
