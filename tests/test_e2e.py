"""End to end: the real daemon process, real inotify events, real PDFs, a real scrape, a real SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, good_corpus, wait_for
from tests.pdfgen import SAMPLE_TEXT, make_pdf
from toridaemon.statelock import LOCK_NAME

pytestmark = pytest.mark.e2e

CONTRACT_KEYS = {"schema_version", "source", "title", "sections", "concepts", "pruning", "timings_seconds",
                 "extractor"}


def _drop(path: Path, data: bytes) -> None:
    """Write like a slow client: create, write in chunks, close."""
    with open(path, "wb") as handle:
        for start in range(0, len(data), 4096):
            handle.write(data[start : start + 4096])
            handle.flush()


def _inputs(tmp: Path) -> list[Path]:
    made = [make_pdf(tmp / f"generated-{i}.pdf", title=f"Generated {i}", salt=str(i)) for i in range(3)]
    return made + good_corpus(2)


def test_pdfs_become_results_and_move_to_processed(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess],
                                                   tmp_path: Path) -> None:
    daemon = daemon_factory()
    daemon.wait_ready()
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    sources = _inputs(source_dir)
    for source in sources:
        _drop(dirs.inbox / source.name, source.read_bytes())
    wait_for(lambda: len(list(dirs.outbox.glob("*.json"))) == len(sources), 60, what="all results")
    wait_for(lambda: not any(dirs.inbox.iterdir()), 10, what="inbox empty")
    assert sorted(p.name for p in dirs.processed.iterdir()) == sorted(s.name for s in sources)
    for result in dirs.results():
        assert set(result) >= CONTRACT_KEYS
        assert result["source"]["pages"] >= 1 and len(result["source"]["sha256"]) == 64
        assert result["concepts"], f"no concepts for {result['source']['name']}"
        assert all(0.0 <= c["score"] <= 1.0 for c in result["concepts"])
        assert result["timings_seconds"]["total"] > 0
        assert result["extractor"]["name"] == "toridaemon"
    # Counters move once each journal row is final, a moment after the last PDF moved.
    wait_for(lambda: daemon.metric("toridaemon_files_completed_total", 'outcome="done"') == len(sources), 10,
             what="every file counted")
    assert daemon.metric("toridaemon_files_detected_total") == len(sources)
    assert daemon.metric("toridaemon_in_flight") == 0
    assert daemon.metric("toridaemon_processing_seconds_count", 'stage="total"') == len(sources)
    assert daemon.stop() == 0


@pytest.mark.parametrize("first_part", [0.5, 0.0])
def test_a_writer_stalled_with_the_file_open_is_waited_for(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess],
                                                            first_part: float) -> None:
    """A download that stalls far longer than the quiet time (stability 0.3 s here) with its file open, as
    `curl -o inbox/x.pdf` on a slow link: the half file (or the empty one, before the first byte) is not taken,
    the whole one is."""
    daemon = daemon_factory()
    daemon.wait_ready()
    data = make_pdf(dirs.root / "download.pdf").read_bytes()
    cut = int(len(data) * first_part)
    with open(dirs.inbox / "download.pdf", "wb") as handle:
        handle.write(data[:cut])
        handle.flush()
        # The gate holds the file for its writer: first seen, so the wait below counts from that moment.
        wait_for(lambda: _held(daemon) == [("download.pdf", "writer")], 10, what="the half file held for its writer")
        time.sleep(2.0)
        assert not dirs.errors() and not list(dirs.outbox.glob("*.json"))
        assert daemon.metric("toridaemon_files_detected_total") == 0
        assert _held(daemon) == [("download.pdf", "writer")] and daemon.metric("toridaemon_inbox_waiting") == 1
        handle.write(data[cut:])
    wait_for(lambda: list(dirs.processed.glob("*.pdf")), 30, what="the whole download processed")
    assert not dirs.errors() and [r["source"]["sha256"] for r in dirs.results()] == [sha256(data).hexdigest()]
    assert daemon.stop() == 0


def _held(daemon: DaemonProcess) -> list[tuple[str, str]]:
    """The files /status says the stability gate holds, with what each waits for."""
    gate = json.loads(daemon.get("/status")[1])["gate"]
    return [(wait["file"], wait["reason"]) for wait in gate["first"]]


def test_bad_input_goes_to_failed_with_reason_and_daemon_stays_up(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory()
    daemon.wait_ready()
    (dirs.inbox / "zero.pdf").write_bytes(b"")
    (dirs.inbox / "html.pdf").write_bytes(b"<html><body>404 not found</body></html>")
    good = make_pdf(dirs.root / "good.pdf")
    (dirs.inbox / "truncated.pdf").write_bytes(good.read_bytes()[:200])
    # The failure record is made durable before the PDF leaves the inbox, so wait for the last move too.
    wait_for(lambda: len(list(dirs.failed.glob("*.pdf"))) == 3, 30, what="three PDFs in failed/")
    wait_for(lambda: len(dirs.errors()) == 3, 30, what="three failure records")
    reasons = {e["name"]: e["reason"] for e in dirs.errors()}
    assert reasons["zero.pdf"] == "empty_file"
    assert reasons["html.pdf"] == "not_a_pdf"
    assert reasons["truncated.pdf"] in {"corrupt_pdf", "not_a_pdf"}
    assert all({"stage", "reason", "message", "at", "sha256"} <= set(e) for e in dirs.errors())
    assert sorted(p.name for p in dirs.failed.glob("*.pdf")) == ["html.pdf", "truncated.pdf", "zero.pdf"]
    shutil.copy(good, dirs.inbox / "after.pdf")
    wait_for(lambda: list(dirs.outbox.glob("after.*.json")), 30, what="a result after the failures")
    assert daemon.proc.poll() is None
    assert daemon.stop() == 0


def test_files_with_impossible_dates_are_processed_beside_the_others(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """A scanner with a wrong clock, an archive's bogus dates: a file dated after 2262 has an mtime in nanoseconds
    past SQLite's integers. Its row could not be written, and it was retried as an internal error for as long as
    it stayed in the inbox. Renamed in together with it, the others must not share its fate."""
    daemon = daemon_factory()
    daemon.wait_ready()
    staged = [make_pdf(dirs.root / f"{name}.pdf", salt=name) for name in ("future", "past", "today")]
    for path, seconds in zip(staged, (15_032_385_535, -2_208_988_800, None), strict=True):
        if seconds is not None:  # 2446 and 1900
            os.utime(path, ns=(seconds * 10**9, seconds * 10**9))
    if staged[0].stat().st_mtime_ns <= 2**63 - 1:
        pytest.skip("this filesystem caps file dates before 2262")
    for path in staged:
        path.rename(dirs.inbox / path.name)
    wait_for(lambda: len(list(dirs.processed.glob("*.pdf"))) == 3, 30, what="all three processed")
    assert sorted(p.name.split(".")[0] for p in dirs.outbox.glob("*.json")) == ["future", "past", "today"]
    assert dirs.errors() == [] and daemon.event("file_retry") is None
    assert daemon.stop() == 0


def test_files_present_at_startup_are_processed_and_names_never_clash(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    make_pdf(dirs.inbox / "early.pdf", salt="a")
    (dirs.processed / "early.pdf").write_bytes(b"an older file of the same name")
    (dirs.inbox / "notes.txt").write_text("not a pdf")
    (dirs.inbox / "download.pdf.part").write_bytes(b"partial")
    make_pdf(dirs.inbox / "UPPER.PDF", salt="b")
    daemon = daemon_factory()
    daemon.wait_ready()
    wait_for(lambda: len(list(dirs.outbox.glob("*.json"))) == 2, 30, what="startup files")
    wait_for((dirs.processed / "early-1.pdf").exists, 10, what="suffixed move")
    assert (dirs.processed / "early.pdf").read_bytes() == b"an older file of the same name"
    assert (dirs.inbox / "notes.txt").exists() and (dirs.inbox / "download.pdf.part").exists()
    assert daemon.stop() == 0


def test_health_ready_status_endpoints(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_factory()
    daemon.wait_ready()
    assert daemon.metrics_url.startswith("http://127.0.0.1:")
    code, body = daemon.get("/healthz")
    assert code == 200 and json.loads(body) == {"loop": True, "watcher": True, "executor": True}
    wait_for(lambda: daemon.get("/readyz")[0] == 200, 10, what="ready")
    code, body = daemon.get("/status")
    status = json.loads(body)
    assert code == 200 and status["backlog"] == 0 and status["ready"] is True
    assert daemon.get("/nope")[0] == 404
    assert daemon.stop() == 0


def test_sigterm_drains_in_flight_work_and_exits_zero(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    daemon = daemon_factory({"TORI_MAX_PARALLEL_WORKERS": "1"})
    daemon.wait_ready()
    big = make_pdf(tmp_path / "big.pdf", [f"{SAMPLE_TEXT}\nPage {n}.\n" for n in range(400)], salt="big")
    os.rename(big, dirs.inbox / "big.pdf")
    wait_for(lambda: daemon.event("file_claimed"), 30, what="the big file in flight")
    for i in range(5):
        make_pdf(dirs.inbox / f"f{i}.pdf", salt=f"drain{i}")
    assert daemon.stop(signal.SIGTERM) == 0
    names = [(e.get("event"), e.get("file")) for e in daemon.events()]
    assert names.index(("daemon_draining", None)) < names.index(("file_done", "big.pdf")), \
        "the file in flight when SIGTERM came finished during the drain"
    assert list(dirs.outbox.glob("big.*.json")) and (dirs.processed / "big.pdf").exists()
    finished = len(list(dirs.outbox.glob("*.json")))
    left = len(list(dirs.inbox.glob("*.pdf")))
    assert finished + left == 6
    with sqlite3.connect(dirs.state / "journal.sqlite3") as db:
        claimed = db.execute("SELECT COUNT(*) FROM files WHERE state = 'claimed'").fetchone()[0]
    assert claimed == 0
    restarted = daemon_factory()
    restarted.wait_ready()
    wait_for(lambda: len(list(dirs.outbox.glob("*.json"))) == 6, 60, what="the rest after restart")
    assert restarted.stop() == 0


def test_stop_signals_during_the_teardown_after_the_stop_change_nothing(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """After `daemon_stopped` the interpreter still tears down the pool and the log writer; a SIGTERM then found
    the default handler back and killed the process (143), not the clean exit 0 a second one is documented to give."""
    daemon = daemon_factory()
    daemon.wait_ready()
    daemon.proc.send_signal(signal.SIGTERM)
    signals = 0
    while daemon.proc.poll() is None:  # from the first stop to the end: every instant of the teardown is hit
        daemon.proc.send_signal(signal.SIGINT if signals % 2 else signal.SIGTERM)
        signals += 1
        time.sleep(0.002)
    assert daemon.proc.wait(30) == 0, f"after {signals} signals"
    assert daemon.event("daemon_stopped") is not None


def test_invalid_config_exits_with_code_2(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]) -> None:
    config = dirs.root / "bad.yaml"
    config.write_text("file_timeout_seconds: -3\n")
    daemon = daemon_factory(args=["--config", str(config)])
    assert daemon.proc.wait(30) == 2
    text = daemon.log_path.read_text()
    assert "file_timeout_seconds" in text and str(config) in text


@pytest.mark.parametrize("wiped", [False, True])
def test_second_daemon_on_same_state_dir_refuses_to_start(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], wiped: bool
) -> None:
    first = daemon_factory()
    first.wait_ready()
    if wiped:  # the lock file deleted beside a running daemon: the folder's lock stays (`rm -rf state/*` takes the
        # journal too, and the first daemon then ends itself: test_journal_repair's state-folder test)
        (dirs.state / LOCK_NAME).unlink()
    second = daemon_factory()
    assert second.proc.wait(30) == 3
    assert "another toridaemon" in second.log_path.read_text()
    assert first.stop() == 0


_NO_SHARED_MEMORY = '''
import sqlite3
from urllib.parse import quote

_connect = sqlite3.connect


def _without_shared_memory(database, *args, uri=False, **kwargs):
    if uri:  # a URI already (the start's read-only check of an existing journal)
        target = f"{database}{'&' if '?' in str(database) else '?'}vfs=unix-dotfile"
    else:
        target = f"file:{quote(str(database))}?vfs=unix-dotfile"
    return _connect(target, *args, uri=True, **kwargs)


sqlite3.connect = _without_shared_memory
'''


def test_a_journal_without_the_write_ahead_log_is_named_and_files_still_flow(
        dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path) -> None:
    """Where SQLite's file layer gives no shared memory, the journal stays in rollback mode. The daemon here opens
    its journal through SQLite's own unix-dotfile VFS, which has none (a `sitecustomize` on PYTHONPATH chooses it
    in the daemon and its children: SQLite offers no other way to choose it from outside the process). Started
    twice, so the second start's check of an existing journal goes through it too."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_NO_SHARED_MEMORY)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    for name in ("a.pdf", "b.pdf"):
        daemon = daemon_factory(env)
        daemon.wait_ready()
        warning = daemon.event("journal_without_wal")
        assert warning is not None and warning["mode"] == "delete" and "write-ahead log" in warning["hint"]
        make_pdf(dirs.root / "staged.pdf", [f"{SAMPLE_TEXT}\n{name}"], salt=name)
        os.rename(dirs.root / "staged.pdf", dirs.inbox / name)
        moved = dirs.processed / name
        wait_for(moved.exists, 60, what=f"{name} processed")
        assert not (dirs.state / "journal.sqlite3-wal").exists()
        assert daemon.stop() == 0
    assert sorted(r["source"]["name"] for r in dirs.results()) == ["a.pdf", "b.pdf"]
