"""Writers that close and re-open to append (SMB clients, scanners): a close-after-write is final
only after `settle_seconds` without another close, size or mtime change (a session that re-opens the file shows
itself by its writes: opens are not watched). A rename stays the fast path."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import pdf_bytes
from tests.test_gate import PDF, FakeFs, fake_stat
from toridaemon.inbox.gate import StabilityGate, Verdict


@pytest.fixture
def fs() -> FakeFs:
    return FakeFs()


def _gate(fs: FakeFs, settle: float = 1.0) -> StabilityGate:
    return StabilityGate(2.0, settle_seconds=settle, clock=fs.clock, lstat=fs.lstat)


def test_a_close_is_final_only_after_the_settle_time(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = _gate(fs)
    assert gate.observe(PDF, "closed") is None
    fs.now += 0.99
    assert gate.poll() == []
    fs.now += 0.01
    assert gate.poll() == [Verdict(PDF, "ready", 10, 1_000)]


@pytest.mark.parametrize("activity", ["session", "changed"])
def test_a_later_session_or_a_change_restarts_the_settle_wait(fs: FakeFs, activity: str) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    gate = _gate(fs)
    gate.observe(PDF, "closed")
    fs.now += 0.8
    fs.entries[PDF] = fake_stat(size=20, mtime_ns=2_000)
    if activity == "changed":  # appended without any event reaching us (the rescan-only case)
        assert gate.poll() == []
    else:  # a whole later session: its write, then its close
        assert gate.observe(PDF, "modified") is None
        gate.observe(PDF, "closed")
    fs.now += 0.8
    assert gate.poll() == [], "taken before the writer's later session settled"
    fs.now += 0.2
    assert [v.kind for v in gate.poll()] == ["ready"]


def test_a_write_after_the_close_holds_the_file_until_quiet_or_its_next_close(fs: FakeFs) -> None:
    """A session that re-opened the file shows itself by its first write (opens are not watched): from then on the
    file needs `stability_seconds` of quiet, or the session's close, not `settle_seconds` since the last close."""
    fs.entries[PDF] = fake_stat(size=10)
    gate = _gate(fs)
    gate.observe(PDF, "closed")
    fs.now += 0.9
    fs.entries[PDF] = fake_stat(size=20, mtime_ns=2_000)
    assert gate.observe(PDF, "modified") is None
    fs.now += 1.9  # settle long past, since the close and since the write; stability (2 s) not yet since the write
    assert gate.poll() == []
    fs.now += 0.1
    assert gate.poll() == [Verdict(PDF, "ready", 20, 2_000)]


def test_a_rename_into_the_inbox_is_still_taken_at_once(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    assert _gate(fs).observe(PDF, "moved") == Verdict(PDF, "ready", 10, 1_000)


def test_settle_zero_keeps_the_old_close_fast_path(fs: FakeFs) -> None:
    fs.entries[PDF] = fake_stat(size=10)
    assert _gate(fs, settle=0.0).observe(PDF, "closed") == Verdict(PDF, "ready", 10, 1_000)


def write_in_sessions(path: Path, data: bytes, sessions: int, pause: float) -> None:
    """Open, write a part, close; re-open to append the next part after `pause` (SMB, scanners)."""
    size = -(-len(data) // sessions)
    for index in range(sessions):
        with open(path, "ab") as handle:
            handle.write(data[index * size : (index + 1) * size])
        if index < sessions - 1:
            time.sleep(pause)


@pytest.mark.e2e
def test_a_three_session_writer_gives_one_whole_result(dirs: Dirs,
                                                       daemon_factory: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_factory({"TORI_SETTLE_SECONDS": "1.0", "TORI_STABILITY_SECONDS": "2.0",
                             "TORI_WATCH_MODE": "inotify"})
    daemon.wait_ready()
    data = pdf_bytes(["First page of the scan.", "Second page, appended in a later session."], title="Scan")
    write_in_sessions(dirs.inbox / "scan.pdf", data, sessions=3, pause=0.4)
    wait_for(lambda: list(dirs.outbox.glob("scan.*.json")), 30, what="the result")
    (result,) = dirs.results()
    assert result["source"]["bytes"] == len(data) and result["source"]["pages"] == 2
    assert not list(dirs.failed.iterdir()), "fragments ended in failed/"
    # The result is made durable before the input moves: wait for the move, not only for the result.
    wait_for((dirs.processed / "scan.pdf").exists, 30, what="the scan moved to processed/")
    assert (dirs.processed / "scan.pdf").read_bytes() == data


@pytest.mark.e2e
def test_a_renamed_in_file_does_not_wait_for_the_settle_time(dirs: Dirs,
                                                             daemon_factory: Callable[..., DaemonProcess]) -> None:
    # A quiet time, a settle time and a rescan interval far longer than the wait below: only the rename fast
    # path can meet it. (The settle time alone never counted: it is capped at the quiet time, 0.3 s here.)
    daemon = daemon_factory({"TORI_SETTLE_SECONDS": "300", "TORI_STABILITY_SECONDS": "300",
                             "TORI_RESCAN_INTERVAL_SECONDS": "600", "TORI_WATCH_MODE": "inotify"})
    daemon.wait_ready()
    staged = dirs.inbox / ".fast.pdf.part"
    staged.write_bytes(pdf_bytes(["Renamed in whole."]))
    os.rename(staged, dirs.inbox / "fast.pdf")
    wait_for(lambda: list(dirs.outbox.glob("fast.*.json")), 60, what="the renamed-in file's result")
