"""Reliability on the real daemon: bad input, hangs, crashes, special entries, faults, locks."""

from __future__ import annotations

import json
import os
import random
import select
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from tests import fulldisk
from tests.badgen import write_bad_inputs
from tests.conftest import CORPUS_BAD, DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from toridaemon.pipeline.errors import REASONS

pytestmark = pytest.mark.e2e
HOSTILE_ENV = {"TORI_WORKER_MEMORY_LIMIT_MB": "512", "TORI_FILE_TIMEOUT_SECONDS": "4", "TORI_MAX_ATTEMPTS": "2",
               "TORI_FAULTS": "hang:hang-forever,crash:crash-always"}


def _journal(dirs: Dirs, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(dirs.state / "journal.sqlite3") as db:
        return list(db.execute(sql))


def _outcome_count(dirs: Dirs) -> int:
    return len(list(dirs.outbox.glob("*.json"))) + len(list(dirs.failed.glob("*.error.json")))


def test_every_bad_input_is_contained(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess],
                                      tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    names = list(write_bad_inputs(staging, random.Random(7)))
    make_pdf(staging / "hang-forever.pdf", salt="hang")
    make_pdf(staging / "crash-always.pdf", salt="crash")
    strange = os.fsdecode(b"bad-\xff-name\nwith newline.pdf")
    make_pdf(staging / strange, salt="strange")
    names += ["hang-forever.pdf", "crash-always.pdf", strange]
    if CORPUS_BAD.is_dir():
        for number, path in enumerate(sorted(CORPUS_BAD.rglob("*.pdf"))):
            name = f"corpus-{number:03d}-{path.name}"
            (staging / name).write_bytes(path.read_bytes())
            names.append(name)
    daemon = daemon_factory(HOSTILE_ENV)
    daemon.wait_ready()
    for name in names:
        os.rename(staging / name, dirs.inbox / name)
    wait_for(lambda: not list(dirs.inbox.iterdir()), 240, interval=0.2, what="every input handled")
    assert daemon.proc.poll() is None, "the daemon died"
    assert _outcome_count(dirs) == len(names)
    reasons = {e["name"]: e["reason"] for e in dirs.errors()}
    assert set(reasons.values()) <= set(REASONS), set(reasons.values()) - set(REASONS)
    assert reasons["zero-bytes.pdf"] == "empty_file"
    assert reasons["random-bytes.pdf"] == "not_a_pdf"
    assert reasons["encrypted-secret.pdf"] == "encrypted"
    assert "encrypted-empty.pdf" not in reasons, "an empty user password is readable"
    assert reasons["hang-forever.pdf"] == "timeout"
    assert reasons["crash-always.pdf"] == "worker_crashed"
    assert reasons["bomb.pdf"] == "worker_crashed"
    assert strange not in reasons and (dirs.processed / strange).exists()
    for output in [*dirs.outbox.glob("*.json"), *dirs.failed.glob("*.error.json")]:
        json.loads(output.read_bytes().decode("utf-8"))  # valid UTF-8 JSON whatever the input's name
    assert daemon.metric("toridaemon_worker_restarts_total") >= 3
    assert daemon.get("/healthz")[0] == 200
    make_pdf(dirs.inbox / "after-the-storm.pdf", salt="after")
    wait_for(lambda: list(dirs.outbox.glob("after-the-storm.*.json")), 30, what="normal work resumes")
    assert daemon.stop() == 0


def test_special_entries_are_recorded_and_left_in_place(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    outside = make_pdf(tmp_path / "outside.pdf", salt="outside")
    inside = make_pdf(dirs.inbox / "real.pdf", salt="inside")
    daemon = daemon_factory()
    daemon.wait_ready()
    kept = dirs.processed / "real.pdf"
    wait_for(kept.exists, 30, what="the regular file processed and moved")  # a link to it must not dangle
    (dirs.inbox / "link-out.pdf").symlink_to(outside)
    (dirs.inbox / "link-in.pdf").symlink_to(kept)
    os.mkfifo(dirs.inbox / "pipe.pdf")
    (dirs.inbox / "folder.pdf").mkdir()
    os.link(outside, dirs.inbox / "hardlink.pdf")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(dirs.inbox / "sock.pdf"))
    specials = ["link-out.pdf", "link-in.pdf", "pipe.pdf", "folder.pdf", "hardlink.pdf", "sock.pdf"]
    try:
        def recorded() -> bool:
            rows = _journal(dirs, "SELECT path FROM files WHERE reason = 'not_regular_file'")
            return {Path(os.fsdecode(r[0])).name for r in rows} >= set(specials)
        wait_for(recorded, 30, what="special entries recorded")
        make_pdf(dirs.inbox / "later.pdf", salt="later")
        wait_for(lambda: list(dirs.outbox.glob("later.*.json")), 30, what="work after special entries")
        for name in specials:
            assert os.path.lexists(dirs.inbox / name), f"{name} was moved"
        assert not inside.exists()
        assert len(list(dirs.outbox.glob("*.json"))) == 2, "no special entry was opened as a PDF"
        rows = _journal(dirs, "SELECT COUNT(*) FROM files WHERE reason = 'not_regular_file'")
        assert rows[0][0] == len(specials), "each special entry recorded once, rescans included"
        # Its other name removed, the hard link is a regular file of the same size and mtime: it was taken for the
        # settled special entry for ever, through rescans and restarts.
        outside.unlink()
        wait_for(lambda: list(dirs.outbox.glob("hardlink.*.json")), 30, what="the former hard link processed")
        assert daemon.proc.poll() is None
        assert daemon.stop() == 0
    finally:
        server.close()


def test_a_crashing_worker_is_retried_then_failed(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory({"TORI_FAULTS": "crash:crash-always", "TORI_MAX_ATTEMPTS": "3"})
    daemon.wait_ready()
    make_pdf(dirs.inbox / "crash-always.pdf", salt="c")
    make_pdf(dirs.inbox / "fine.pdf", salt="f")
    wait_for(dirs.errors, 60, what="the failure record")
    assert dirs.errors()[0]["reason"] == "worker_crashed"
    assert daemon.metric("toridaemon_files_retried_total", 'reason="worker_crashed"') == 2
    # The failure record is written before its journal row is settled (the record is the durable outcome), so the
    # row is polled, not read once.
    query = "SELECT attempts, state FROM files WHERE CAST(path AS TEXT) LIKE '%crash-always.pdf'"
    wait_for(lambda: _journal(dirs, query) == [(3, "failed")], 30, what="the journal row marked failed")
    wait_for(lambda: list(dirs.outbox.glob("fine.*.json")), 30, what="the healthy file")
    assert daemon.stop() == 0


def test_write_errors_keep_the_input_and_are_retried(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    # Two failures with max_attempts=2: only crashes count against max_attempts, I/O errors never do.
    daemon = daemon_factory({"TORI_FAULTS": "write:EIO:2", "TORI_MAX_ATTEMPTS": "2"})
    daemon.wait_ready()
    make_pdf(dirs.inbox / "io.pdf", salt="io")
    wait_for(lambda: daemon.metric("toridaemon_files_retried_total", 'reason="outcome_write"') >= 1, 30,
             what="a retry after EIO")
    assert (dirs.inbox / "io.pdf").exists() or list(dirs.outbox.glob("io.*.json"))
    wait_for(lambda: list(dirs.outbox.glob("io.*.json")), 60, what="the result after retries")
    wait_for(lambda: not (dirs.inbox / "io.pdf").exists(), 10, what="the input moved after its result")
    assert daemon.metric("toridaemon_outcome_write_errors_total", 'kind="OSError"') == 2
    assert not dirs.errors()
    assert daemon.stop() == 0


def test_full_disk_keeps_the_input_until_space_returns(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    with fulldisk.tmpfs(dirs.outbox, "256k"):
        filler = fulldisk.fill(dirs.outbox)
        daemon = daemon_factory()
        daemon.wait_ready()
        make_pdf(dirs.inbox / "nospace.pdf", salt="nospace")
        wait_for(lambda: daemon.metric("toridaemon_outcome_write_errors_total", 'kind="OSError"') >= 1, 30,
                 what="ENOSPC seen")
        assert (dirs.inbox / "nospace.pdf").exists(), "the input must stay while its result cannot be written"
        # No file can get through: the probes and the gauge say so, not only the error counters.
        wait_for(lambda: daemon.blocked() == "outcome_write", 30, what="blocked on the full disk")
        assert daemon.get("/readyz")[0] == 503
        assert daemon.metric("toridaemon_blocked") == 1
        event = wait_for(lambda: daemon.event("progress_blocked"), 5, what="the block logged")
        assert str(dirs.outbox) in event["detail"], "the error names the folder that is full"
        filler.unlink()
        wait_for(lambda: list(dirs.outbox.glob("nospace.*.json")), 90, what="result once space returns")
        wait_for(lambda: daemon.get("/readyz")[0] == 200, 10, what="ready once a file got through")
        assert daemon.blocked() is None and daemon.metric("toridaemon_blocked") == 0
        assert daemon.stop() == 0


def test_a_name_near_the_length_limit_is_processed(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory()
    daemon.wait_ready()
    name = "x" * 245 + ".pdf"
    make_pdf(dirs.inbox / name, salt="long")
    wait_for(lambda: list(dirs.processed.iterdir()), 30, what="the long name settled")
    assert len(dirs.results()) == 1 and not (dirs.inbox / name).exists()
    assert daemon.stop() == 0


def test_a_log_stream_whose_reader_is_gone_stops_no_file(dirs: Dirs, tmp_path: Path) -> None:
    """stderr on a pipe whose reader went away (a restarted journald, a closed terminal, `| head`): every write
    fails with EPIPE. Files are still processed, the daemon stays up and counts the lost lines."""
    proc = subprocess.Popen([sys.executable, "-m", "toridaemon", "run"], env=_plain_env(dirs), cwd=dirs.root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        ready = _LogLines(proc.stderr).wait_for_event("daemon_ready", 60)
        proc.stderr.close()  # the reader is gone: the daemon's next write gets EPIPE
        staging = tmp_path / "staging"
        staging.mkdir()
        for n in range(3):
            make_pdf(staging / f"paper-{n}.pdf", salt=str(n))
            os.rename(staging / f"paper-{n}.pdf", dirs.inbox / f"paper-{n}.pdf")
        wait_for(lambda: len(list(dirs.outbox.glob("*.json"))) == 3, 60, what="three results")
        # A result is written before its input leaves the inbox (the input goes once its outcome is durable).
        wait_for(lambda: not list(dirs.inbox.iterdir()), 30, what="every input moved out of the inbox")
        assert proc.poll() is None
        metrics = ready["metrics"]
        wait_for(lambda: _scrape(metrics, "toridaemon_log_lines_dropped_total") > 0, 10, what="dropped lines counted")
    finally:
        proc.terminate()
        proc.wait(60)


def test_a_daemon_started_with_stderr_closed_logs_to_stdout(dirs: Dirs, tmp_path: Path) -> None:
    """`toridaemon run 2>&-`: Python's sys.stderr is None. The daemon logs to stdout, works, and fd 2 is a copy
    of stdout rather than whatever file it opens first (its journal lock would otherwise get fd 2)."""
    command = f"exec {shlex.quote(sys.executable)} -m toridaemon run 2>&-"
    proc = subprocess.Popen(["sh", "-c", command], env=_plain_env(dirs), cwd=dirs.root, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        lines = _LogLines(proc.stdout)
        lines.wait_for_event("daemon_ready", 60)
        assert os.readlink(f"/proc/{proc.pid}/fd/2") == os.readlink(f"/proc/{proc.pid}/fd/1")
        make_pdf(tmp_path / "paper.pdf")
        os.rename(tmp_path / "paper.pdf", dirs.inbox / "paper.pdf")
        lines.wait_for_event("file_done", 60)
        assert len(list(dirs.outbox.glob("*.json"))) == 1
    finally:
        proc.terminate()
        proc.wait(60)
        if proc.stdout is not None:
            proc.stdout.close()


def _plain_env(dirs: Dirs) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORI_")}
    env.update(dirs.env(), TORI_METRICS_PORT="0", TORI_STABILITY_SECONDS="0.3", TORI_MAX_PARALLEL_WORKERS="1",
               TORI_LOG_FORMAT="json")
    return env


class _LogLines:
    """JSON log lines of a daemon's stream, read with `select` so that a silent daemon fails the wait instead of
    hanging it, and no thread is left reading when the test closes the stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._fd = stream.fileno()
        self._buffer = b""

    def wait_for_event(self, name: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                event = json.loads(line) if line.startswith(b"{") else {}
                if event.get("event") == name:
                    return dict(event)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name} within {timeout} s")
            if select.select([self._fd], [], [], remaining)[0]:
                chunk = os.read(self._fd, 1 << 16)
                if not chunk:
                    raise AssertionError(f"the log stream ended before {name}")
                self._buffer += chunk


def _scrape(url: str, name: str) -> float:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback server
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
    return 0.0
