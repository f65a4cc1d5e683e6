"""One inbox entry the kernel cannot stat (EIO, ESTALE, EACCES) must not stop the gate.

The fault is injected through the gate's lstat seam: a real EIO or ESTALE needs a failing disk or a
network mount, and as root EACCES never happens on a local file system.
"""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import pytest
import structlog

from tests.test_gate import FakeFs, fake_stat
from toridaemon.inbox.gate import StabilityGate, Verdict
from toridaemon.inbox.inbox import Inbox
from toridaemon.settings import DEFAULT_IGNORE

BROKEN = Path("/inbox/broken.pdf")


class FaultyFs(FakeFs):
    def __init__(self) -> None:
        super().__init__()
        self.faults: dict[Path, int] = {}

    def lstat(self, path: Path) -> os.stat_result:
        if path in self.faults:
            code = self.faults[path]
            raise OSError(code, os.strerror(code), str(path))
        return super().lstat(path)


@pytest.mark.parametrize("code", [errno.EIO, errno.ESTALE, errno.EACCES])
def test_an_unreadable_entry_does_not_lose_the_verdicts_decided_beside_it(code: int) -> None:
    fs = FaultyFs()
    gate = StabilityGate(2.0, clock=fs.clock, lstat=fs.lstat)
    paths = [Path("/inbox/a.pdf"), BROKEN, Path("/inbox/z.pdf")]
    for path in paths:
        fs.entries[path] = fake_stat(size=10)
        assert gate.observe(path, "created") is None
    fs.faults[BROKEN] = code
    fs.now += 2.0
    with structlog.testing.capture_logs() as logs:
        decided = gate.poll()
        gate.poll()
    assert [v.path.name for v in decided] == ["a.pdf", "z.pdf"]
    assert BROKEN in gate, "kept to be tried again"
    assert [e["event"] for e in logs] == ["inbox_entry_unreadable"], "logged once, not once per poll"
    assert logs[0]["errno"] == errno.errorcode[code]
    del fs.faults[BROKEN]
    assert gate.poll() == []  # readable again: it must still stay quiet for the stability time
    fs.now += 2.0
    assert gate.poll() == [Verdict(BROKEN, "ready", 10, 1_000)]


def test_an_unreadable_entry_on_a_fast_path_event_raises_nothing() -> None:
    fs = FaultyFs()
    fs.faults[BROKEN] = errno.EIO
    gate = StabilityGate(2.0, clock=fs.clock, lstat=fs.lstat)
    assert gate.observe(BROKEN, "closed") is None
    assert BROKEN in gate


def test_the_startup_scan_goes_on_past_an_unreadable_entry(tmp_path: Path) -> None:
    for name in ("a.pdf", "broken.pdf", "c.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4")

    def lstat(path: Path) -> os.stat_result:
        if path.name == "broken.pdf":
            raise OSError(errno.EIO, "Input/output error", str(path))
        return os.lstat(path)

    gate = StabilityGate(0.0, lstat=lstat)
    handed: list[str] = []

    def accept(verdict: Verdict, origin: str) -> bool:
        handed.append(verdict.path.name)
        return True

    inbox = Inbox(tmp_path, gate, patterns=lambda: DEFAULT_IGNORE, knows=lambda _: False, on_verdict=accept)
    assert asyncio.run(inbox.scan("startup")) == 2
    assert handed == ["a.pdf", "c.pdf"]
