"""Stability gate and the loop-side inbox, driven by scripted events, a fake clock and fake stat results.

A few tests use real special files to show the gate classifies them with lstat and never opens them.
"""

from __future__ import annotations

import asyncio
import builtins
import errno
import io
import os
import socket
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from watchdog.events import FileCreatedEvent

from toridaemon.inbox import inbox as inbox_module
from toridaemon.inbox import watcher as watcher_module
from toridaemon.inbox.gate import EventKind, StabilityGate, Verdict
from toridaemon.inbox.inbox import Inbox, Origin
from toridaemon.settings import DEFAULT_IGNORE

PDF = Path("/inbox/paper.pdf")


def fake_stat(size: int = 100, mtime_ns: int = 1_000, mode: int = stat.S_IFREG | 0o644, nlink: int = 1
              ) -> os.stat_result:
    return os.stat_result((mode, 1, 1, nlink, 0, 0, size, 0, mtime_ns // 10**9, 0), {"st_mtime_ns": mtime_ns})


class FakeFs:
    """A clock and an lstat the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0
        self.entries: dict[Path, os.stat_result] = {}
        self.errors: dict[Path, OSError] = {}  # what lstat raises for a path, before its entry is looked at
        self.lstat_calls = 0

    def clock(self) -> float:
        return self.now

    def lstat(self, path: Path) -> os.stat_result:
        self.lstat_calls += 1
        if path in self.errors:
            raise self.errors[path]
        try:
            return self.entries[path]
        except KeyError:
            raise FileNotFoundError(2, "No such file", str(path)) from None

    def gate(self, stability: float = 2.0) -> StabilityGate:
        return StabilityGate(stability, clock=self.clock, lstat=self.lstat)


@pytest.fixture
def fs() -> FakeFs:
    return FakeFs()


# ---- fast paths and quiet time ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["closed", "moved"])
def test_close_after_write_and_move_are_ready_at_once(fs: FakeFs, kind: EventKind) -> None:
    fs.entries[PDF] = fake_stat(size=123, mtime_ns=456)
    gate = fs.gate()
    assert gate.observe(PDF, kind) == Verdict(PDF, "ready", 123, 456)
    assert PDF not in gate


@pytest.mark.parametrize("kind", ["created", "modified", "scan"])
def test_other_events_wait_for_quiet_size_and_mtime(fs: FakeFs, kind: EventKind) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = fs.gate(stability=2.0)
    assert gate.observe(PDF, kind) is None
    assert PDF in gate
    fs.now += 1.99
    assert gate.poll() == []
    fs.now += 0.01
    assert gate.poll() == [Verdict(PDF, "ready", 10, 1_000)]
    assert len(gate) == 0
    assert gate.poll() == []


def test_a_size_change_restarts_the_quiet_time(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = fs.gate(stability=2.0)
    gate.observe(PDF, "created")
    fs.now += 1.5
    fs.entries[PDF] = fake_stat(size=20)
    assert gate.poll() == []  # change seen at t+1.5: the timer restarts here
    fs.now += 1.9
    assert gate.poll() == []
    fs.now += 0.1
    assert gate.poll() == [Verdict(PDF, "ready", 20, 1_000)]


def test_an_mtime_change_reported_by_an_event_restarts_the_quiet_time(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(mtime_ns=1)
    gate = fs.gate(stability=2.0)
    gate.observe(PDF, "created")
    fs.now += 1.5
    fs.entries[PDF] = fake_stat(mtime_ns=2)
    assert gate.observe(PDF, "modified") is None
    fs.now += 1.0
    assert gate.poll() == []
    fs.now += 1.0
    assert [v.mtime_ns for v in gate.poll()] == [2]


def test_repeated_events_without_change_do_not_restart_the_timer(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat()
    gate = fs.gate(stability=2.0)
    gate.observe(PDF, "created")
    for _ in range(4):
        fs.now += 0.5
        assert gate.observe(PDF, "modified") is None
    assert [v.kind for v in gate.poll()] == ["ready"]


# ---- a writer that stalls with the file open -------------------------------------------------------


def inotify_gate(fs: FakeFs, *, closes: bool = True, open_writer: float = 60.0) -> StabilityGate:
    return StabilityGate(2.0, settle_seconds=1.0, open_writer_seconds=open_writer, closes_reported=lambda: closes,
                         clock=fs.clock, lstat=fs.lstat)


def test_a_created_file_is_waited_for_until_its_close(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=0)
    gate = inotify_gate(fs)
    assert gate.observe(PDF, "created") is None  # open(O_CREAT), empty: the writer holds it; no byte yet (slow server)
    fs.now += 30.0
    assert gate.poll() == []
    fs.entries[PDF] = fake_stat(size=500)
    assert gate.observe(PDF, "modified") is None
    fs.now += 30.0  # the writer stalls, the file still open: quiet for far longer than stability
    assert gate.poll() == []
    fs.entries[PDF] = fake_stat(size=900)
    assert gate.observe(PDF, "closed") is None
    fs.now += 1.0  # settle_seconds after the close-after-write
    assert gate.poll() == [Verdict(PDF, "ready", 900, 1_000)]


def test_a_file_written_before_its_creation_was_handled_is_still_waited_for(fs: FakeFs) -> None:
    """The loop may stat a new file after its writer's first bytes: the writes after "created" tell the writer
    holds it, where bytes and no write would be a file linked in whole."""
    fs.entries[PDF] = fake_stat(size=4096)
    gate = inotify_gate(fs)
    assert gate.observe(PDF, "created") is None
    assert gate.observe(PDF, "modified") is None
    fs.now += 30.0
    assert gate.poll() == []
    assert gate.observe(PDF, "closed") is None
    fs.now += 1.0
    assert gate.poll() == [Verdict(PDF, "ready", 4096, 1_000)]


def test_the_writer_is_known_even_when_a_scan_saw_the_file_first(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = inotify_gate(fs)
    for kind in ("scan", "created", "modified"):  # a rescan listed it before its events were handled
        assert gate.observe(PDF, kind) is None
    fs.now += 30.0
    assert gate.poll() == []


def test_a_writer_stalled_past_open_writer_seconds_is_taken_anyway(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = inotify_gate(fs, open_writer=60.0)
    gate.observe(PDF, "created")
    gate.observe(PDF, "modified")
    fs.now += 59.9
    assert gate.poll() == []
    fs.now += 0.1  # a lost close (an inotify queue overflow) delays a file, never stops it
    assert gate.poll() == [Verdict(PDF, "ready", 10, 1_000)]


def test_the_files_held_are_named_with_what_each_waits_for_in_the_order_first_seen(fs: FakeFs) -> None:
    """What /status shows of the gate: a file its writer holds open, one settling after a close-after-write, one
    waiting for quiet (a scan found it) and one that cannot be stat'ed, each with its quiet and needed seconds."""
    writing, closed, found, broken = (Path(f"/inbox/{name}.pdf") for name in ("writing", "closed", "found", "broken"))
    for path in (writing, closed, found):
        fs.entries[path] = fake_stat(size=10)
    gate = inotify_gate(fs)
    gate.observe(writing, "created")
    gate.observe(writing, "modified")
    gate.observe(closed, "closed")
    gate.observe(found, "scan")
    fs.entries[broken] = fake_stat(size=10)
    gate.observe(broken, "scan")
    fs.errors[broken] = OSError(errno.EIO, "Input/output error", str(broken))
    fs.now += 0.5
    assert gate.poll() == []
    assert [(w.file, w.reason, w.quiet_seconds, w.needed_seconds) for w in gate.waits(10)] == [
        ("writing.pdf", "writer", 0.5, 60.0), ("closed.pdf", "settle", 0.5, 1.0), ("found.pdf", "quiet", 0.5, 2.0),
        ("broken.pdf", "unreadable", 0.0, 2.0)]
    assert [w.file for w in gate.waits(2)] == ["writing.pdf", "closed.pdf"] and len(gate) == 4
    fs.entries[writing] = fake_stat(size=20)  # a write: the file keeps its place, its quiet time starts over
    fs.now += 0.5
    gate.poll()
    assert [(w.file, w.quiet_seconds) for w in gate.waits(1)] == [("writing.pdf", 0.0)]


def test_after_a_re_arm_no_file_waits_for_a_close_the_blind_watch_may_have_missed(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = inotify_gate(fs)
    gate.observe(PDF, "created")
    gate.observe(PDF, "modified")
    gate.forget_writers()
    fs.now += 2.0
    assert gate.poll() == [Verdict(PDF, "ready", 10, 1_000)]


@pytest.mark.parametrize(("closes", "events", "open_writer"), [
    (False, ("created", "modified"), 60.0),  # polling: no close will come
    (True, ("created",), 60.0),  # linked in whole (O_TMPFILE + linkat): its writer's close has another name
    (True, ("created", "modified"), 0.0),  # the wait turned off
])
def test_without_a_close_to_wait_for_quiet_time_decides(fs: FakeFs, closes: bool, events: tuple[EventKind, ...],
                                                         open_writer: float) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = inotify_gate(fs, closes=closes, open_writer=open_writer)
    for kind in events:
        gate.observe(PDF, kind)
    fs.now += 2.0
    assert gate.poll() == [Verdict(PDF, "ready", 10, 1_000)]


def test_zero_stability_takes_files_on_any_event(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat()
    assert fs.gate(stability=0).observe(PDF, "created") == Verdict(PDF, "ready", 100, 1_000)


def test_deleted_forgets_the_file(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat()
    gate = fs.gate()
    gate.observe(PDF, "created")
    calls = fs.lstat_calls
    assert gate.observe(PDF, "deleted") is None
    assert fs.lstat_calls == calls  # a deletion needs no stat
    assert PDF not in gate
    fs.now += 10
    assert gate.poll() == []


def test_vanished_file_is_gone(fs: FakeFs) -> None:
    gate = fs.gate()
    assert gate.observe(PDF, "closed") == Verdict(PDF, "gone")
    fs.entries[PDF] = fake_stat()
    gate.observe(PDF, "created")
    del fs.entries[PDF]
    assert gate.observe(PDF, "modified") == Verdict(PDF, "gone")
    assert PDF not in gate


def test_file_vanishing_while_watched_is_dropped_by_poll(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat()
    gate = fs.gate()
    gate.observe(PDF, "created")
    del fs.entries[PDF]
    fs.now += 5
    assert gate.poll() == []
    assert PDF not in gate


def test_watched_file_turned_into_a_symlink_is_special_not_ready(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat()
    gate = fs.gate()
    gate.observe(PDF, "created")
    fs.now += 5
    fs.entries[PDF] = fake_stat(mode=stat.S_IFLNK | 0o777)  # same size and mtime: quiet, but now a link
    assert [(v.kind, v.detail) for v in gate.poll()] == [("special", "symlink")]


SPECIALS = [
    (stat.S_IFLNK | 0o777, 1, "symlink"),
    (stat.S_IFIFO | 0o644, 1, "fifo"),
    (stat.S_IFDIR | 0o755, 2, "directory"),
    (stat.S_IFSOCK | 0o755, 1, "socket"),
    (stat.S_IFCHR | 0o600, 1, "device"),
    (stat.S_IFBLK | 0o600, 1, "device"),
    (stat.S_IFREG | 0o644, 2, "hard link"),
]


@pytest.mark.parametrize(("mode", "nlink", "detail"), SPECIALS)
@pytest.mark.parametrize("kind", ["created", "modified", "closed", "moved", "scan"])
def test_special_entries_are_special_on_every_event(fs: FakeFs, mode: int, nlink: int, detail: str,
                                                    kind: EventKind) -> None:
    fs.entries[PDF] = fake_stat(mode=mode, nlink=nlink)
    gate = fs.gate()
    verdict = gate.observe(PDF, kind)
    assert verdict is not None
    assert (verdict.kind, verdict.detail) == ("special", detail)
    assert PDF not in gate


# ---- real special files ---------------------------------------------------------------------------


def _real_specials(tmp_path: Path) -> dict[str, Path]:
    target = tmp_path / "outside.bin"
    target.write_bytes(b"%PDF-1.4 secret")
    made = {
        "fifo": tmp_path / "pipe.pdf",
        "symlink": tmp_path / "link.pdf",
        "directory": tmp_path / "folder.pdf",
        "hard link": tmp_path / "hard.pdf",
    }
    os.mkfifo(made["fifo"])
    made["symlink"].symlink_to(target)
    made["directory"].mkdir()
    os.link(target, made["hard link"])
    return made


@pytest.mark.timeout(10)  # opening a FIFO without a writer would block forever
@pytest.mark.parametrize("kind", ["closed", "created", "scan"])
def test_real_special_files_are_classified_without_opening(tmp_path: Path, kind: EventKind) -> None:
    made = _real_specials(tmp_path)
    gate = StabilityGate(0.5)
    with pytest.MonkeyPatch.context() as patch:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"the gate opened {args[0] if args else kwargs}")

        for module, name in ((os, "open"), (builtins, "open"), (io, "open")):
            patch.setattr(module, name, refuse)
        verdicts = {detail: gate.observe(path, kind) for detail, path in made.items()}
    for detail, verdict in verdicts.items():
        assert verdict is not None
        assert (verdict.kind, verdict.detail) == ("special", detail)
    assert len(gate) == 0


def test_real_socket_is_special(tmp_path: Path) -> None:
    path = tmp_path / "sock.pdf"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        verdict = StabilityGate(0).observe(path, "closed")
    assert verdict is not None
    assert (verdict.kind, verdict.detail) == ("special", "socket")


def test_real_dangling_symlink_is_special_not_gone(tmp_path: Path) -> None:
    path = tmp_path / "dangling.pdf"
    path.symlink_to(tmp_path / "nowhere")
    verdict = StabilityGate(0).observe(path, "moved")
    assert verdict is not None
    assert (verdict.kind, verdict.detail) == ("special", "symlink")


def test_real_regular_file_identity(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(b"%PDF" * 10)
    info = os.lstat(path)
    assert StabilityGate(0).observe(path, "closed") == Verdict(path, "ready", 40, info.st_mtime_ns)


# ---- inbox: events, scans, rescans ------------------------------------------------------------------


class InboxRig:
    """An Inbox over a real directory with a gate on a fake clock; `knows` behaves like the scheduler's."""

    def __init__(self, directory: Path, stability: float = 2.0) -> None:
        self.directory = directory
        self.now = 0.0
        self.gate = StabilityGate(stability, clock=lambda: self.now)
        self.handed: list[tuple[str, Origin]] = []
        self.active: set[Path] = set()
        self.inbox = Inbox(directory, self.gate, patterns=lambda: DEFAULT_IGNORE, knows=self.active.__contains__,
                           on_verdict=self._accept)

    def _accept(self, verdict: Verdict, origin: Origin) -> bool:
        if verdict.path in self.active:
            return False
        self.active.add(verdict.path)
        self.handed.append((verdict.path.name, origin))
        return True

    @property
    def recovered(self) -> int:
        """Files handed on as found by a rescan: what the daemon counts as `rescan_recovered`."""
        return sum(1 for _, origin in self.handed if origin == "rescan")

    def file(self, name: str, data: bytes = b"%PDF-1.4") -> Path:
        path = self.directory / name
        path.write_bytes(data)
        return path

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.inbox.tick()

    def scan(self, origin: Any) -> int:
        return asyncio.run(self.inbox.scan(origin))


@pytest.fixture
def rig(tmp_path: Path) -> InboxRig:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return InboxRig(inbox)


def test_a_file_is_handed_on_once_whatever_events_it_gets(rig: InboxRig) -> None:
    path = rig.file("paper.pdf")
    script: list[EventKind] = ["created", "modified", "modified", "closed", "modified", "closed", "moved", "scan"]
    for kind in script:
        rig.inbox.on_event(kind, path)
        rig.advance(3.0)
    assert rig.scan("rescan") == 0
    rig.advance(3.0)
    assert rig.handed == [("paper.pdf", "event")]
    assert rig.recovered == 0


event_kinds = st.sampled_from(["created", "modified", "closed", "moved", "scan", "tick", "rescan", "write"])


@settings(max_examples=60)
@given(script=st.lists(event_kinds, max_size=25))
def test_any_event_script_hands_a_file_on_at_most_once(script: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        rig = InboxRig(Path(directory))
        path = rig.file("paper.pdf")
        for step in script:
            if step == "tick":
                rig.advance(1.5)
            elif step == "rescan":
                rig.scan("rescan")
            elif step == "write":
                path.write_bytes(path.read_bytes() + b"x")
            else:
                rig.inbox.on_event(step, path)  # type: ignore[arg-type]
        fast = any(step in ("closed", "moved") for step in script)
        assert len(rig.handed) <= 1
        if fast:
            assert len(rig.handed) == 1


def test_ignored_and_non_pdf_names_are_never_handed_on(rig: InboxRig) -> None:
    names = [".hidden.pdf", "download.pdf.part", "x.pdf.crdownload", "~$lock.pdf", "a.tmp", "notes.txt"]
    for name in names:
        rig.inbox.on_event("closed", rig.file(name))
    assert rig.scan("startup") == 0
    rig.advance(5)
    assert rig.handed == []
    assert len(rig.gate) == 0


def test_startup_scan_takes_quiet_files_through_the_gate(rig: InboxRig) -> None:
    rig.file("a.pdf")
    rig.file("B.PDF")
    assert rig.scan("startup") == 0  # not quiet yet
    rig.advance(2.0)
    assert sorted(name for name, _ in rig.handed) == ["B.PDF", "a.pdf"]
    assert rig.recovered == 0


def test_startup_scan_with_zero_stability_counts_new_files(tmp_path: Path) -> None:
    rig = InboxRig(tmp_path, stability=0)
    rig.file("a.pdf")
    rig.file("b.pdf")
    assert rig.scan("startup") == 2
    assert rig.scan("startup") == 0  # already known
    assert rig.handed == [("a.pdf", "startup"), ("b.pdf", "startup")]
    assert rig.recovered == 0


def test_rescan_counts_files_no_event_reported(rig: InboxRig) -> None:
    rig.file("missed.pdf")
    reported = rig.file("reported.pdf")
    rig.inbox.on_event("created", reported)
    rig.advance(1.0)
    rig.scan("rescan")  # sees both; the gate already watches reported.pdf
    rig.advance(1.0)  # reported.pdf quiet for 2 s
    rig.advance(2.0)  # missed.pdf quiet for 2 s
    assert sorted(rig.handed) == [("missed.pdf", "rescan"), ("reported.pdf", "event")]
    assert rig.recovered == 1


def test_rescan_with_zero_stability_counts_immediately(tmp_path: Path) -> None:
    rig = InboxRig(tmp_path, stability=0)
    rig.file("lost.pdf")
    assert rig.scan("rescan") == 1
    assert rig.recovered == 1
    assert rig.handed == [("lost.pdf", "rescan")]


def test_rescan_does_not_count_a_file_an_event_then_reported(rig: InboxRig) -> None:
    path = rig.file("late.pdf")
    rig.scan("rescan")
    rig.inbox.on_event("closed", path)  # the event arrives before the gate decided
    assert rig.handed == [("late.pdf", "event")]
    assert rig.recovered == 0


def test_deleted_event_forgets_a_file_first_seen_by_rescan(rig: InboxRig) -> None:
    path = rig.file("gone.pdf")
    rig.scan("rescan")
    path.unlink()
    rig.inbox.on_event("deleted", path)
    assert len(rig.gate) == 0
    rig.file("gone.pdf", b"new content")
    rig.scan("rescan")
    rig.advance(2.0)
    assert rig.handed == [("gone.pdf", "rescan")]
    assert rig.recovered == 1


def test_a_file_recreated_after_vanishing_unreported_is_found_by_rescan(rig: InboxRig) -> None:
    path = rig.file("again.pdf")
    rig.scan("rescan")
    path.unlink()  # no deleted event: events are being lost
    rig.advance(5.0)  # the gate drops the vanished file
    rig.file("again.pdf", b"second copy")
    for _ in range(3):
        rig.scan("rescan")
        rig.advance(5.0)
    assert rig.handed == [("again.pdf", "rescan")]


def test_a_recursive_listing_skips_a_subfolder_removed_meanwhile_and_names_one_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Races and I/O errors of one subfolder stay that subfolder's: the rest of the inbox is listed. (A folder
    removed between its parent's listing and its own, and an EIO while reading one, cannot be timed or made here,
    so the listing of those two raises as the kernel would; the folders and files are real.)"""
    for folder in ("gone", "broken", "fine"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.pdf").write_bytes(b"%PDF")
    (tmp_path / "top.pdf").write_bytes(b"%PDF")
    real = inbox_module._entries

    def entries(folder: Path) -> list[os.DirEntry[str]]:
        if folder.name == "gone":
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(folder))
        if folder.name == "broken":
            raise OSError(errno.EIO, "Input/output error", str(folder))
        return real(folder)

    monkeypatch.setattr(inbox_module, "_entries", entries)
    names, subfolders, unlisted = inbox_module._list_names(tmp_path, recursive=True)
    assert names == ["broken", "fine", "fine/x.pdf", "gone", "top.pdf"]
    assert subfolders == [] and unlisted == {"broken": "Input/output error"}
    with pytest.raises(OSError):
        monkeypatch.setattr(inbox_module, "_entries", lambda folder: entries(tmp_path / "broken"))
        inbox_module._list_names(tmp_path, recursive=True)  # the inbox itself: the caller decides


def test_recursive_depth_is_the_same_for_scans_and_events(tmp_path: Path) -> None:
    """PDFs more than 8 folders down were never found by a scan, silently, yet taken when an event named them."""
    eight = tmp_path.joinpath(*(f"d{n}" for n in range(1, 9)))
    (eight / "d9").mkdir(parents=True)
    (eight / "y.pdf").write_bytes(b"%PDF")
    (eight / "d9" / "x.pdf").write_bytes(b"%PDF")
    names, _, unlisted = inbox_module._list_names(tmp_path, recursive=True)
    deep = "/".join(f"d{n}" for n in range(1, 9))
    assert f"{deep}/y.pdf" in names and f"{deep}/d9/x.pdf" not in names
    assert unlisted == {f"{deep}/d9": "more than 8 folders below the inbox"}
    posted: list[Path] = []
    forwarder = watcher_module._Forwarder(tmp_path, lambda kind, path: posted.append(path), True, on_lost=lambda: None)
    for path in (eight / "y.pdf", eight / "d9" / "x.pdf"):
        forwarder.on_any_event(FileCreatedEvent(str(path)))
    assert posted == [eight / "y.pdf"]
