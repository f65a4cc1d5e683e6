"""A failed directory fsync is retried by the next durable operation, not forgotten.

fsync is made to fail with EIO by wrapping os.fsync: a real EIO on fsync needs a failing disk.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from toridaemon import fsutil


class FlakyDirFsync:
    """os.fsync that fails the next `failures` calls on directories and records every directory synced."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.synced: list[int] = []
        self._real = os.fsync

    def __call__(self, fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            if self.failures > 0:
                self.failures -= 1
                raise OSError(errno.EIO, "Input/output error")
            self.synced.append(info.st_ino)
        self._real(fd)


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyDirFsync]:
    fake = FlakyDirFsync(failures=1)
    monkeypatch.setattr(os, "fsync", fake)
    yield fake
    fsutil._unsynced.clear()


def test_a_failed_directory_fsync_is_retried_by_the_next_durable_step(tmp_path: Path, flaky: FlakyDirFsync) -> None:
    outbox, processed = tmp_path / "outbox", tmp_path / "processed"
    outbox.mkdir()
    processed.mkdir()
    with pytest.raises(OSError, match="Input/output error"):
        fsutil.write_atomic(outbox / "result.json", b"{}")
    assert (outbox / "result.json").exists(), "the rename happened; only its durability is in doubt"
    assert fsutil.unsynced_dirs() == [outbox]
    source = tmp_path / "in.pdf"
    source.write_bytes(b"%PDF")
    fsutil.move_durably(source, processed / "in.pdf")
    assert outbox.stat().st_ino in flaky.synced, "the outbox's fsync was never retried"
    assert fsutil.unsynced_dirs() == []


def test_a_later_step_fails_while_the_earlier_fsync_still_fails(tmp_path: Path, flaky: FlakyDirFsync) -> None:
    flaky.failures = 2
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    with pytest.raises(OSError):
        fsutil.write_atomic(first / "x", b"1")
    with pytest.raises(OSError):
        fsutil.write_atomic(second / "y", b"2")  # first's retry fails: nothing after it counts as durable
    assert fsutil.unsynced_dirs() == [first]
    fsutil.fsync_dir(second)
    assert fsutil.unsynced_dirs() == []
