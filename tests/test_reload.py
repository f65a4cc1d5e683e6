"""Live reload on the real daemon: YAML edits (rename-over, as editors do) and SIGHUP."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from toridaemon.journal import Journal

pytestmark = pytest.mark.e2e


def _replace(config: Path, data: dict[str, object]) -> None:
    """Write a temp file and rename it over the config, the way editors save."""
    temp = config.with_suffix(".swp")
    temp.write_text(yaml.safe_dump(data))
    os.rename(temp, config)


def _events(daemon: DaemonProcess, name: str) -> list[dict[str, object]]:
    return [event for event in daemon.events() if event.get("event") == name]


def test_yaml_change_applies_live_and_invalid_config_keeps_the_old_one(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    config = dirs.root / "conf" / "toridaemon.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"log_level": "info", "file_timeout_seconds": 60}))
    daemon = daemon_factory(args=["--config", str(config)])
    daemon.wait_ready()
    assert not [e for e in daemon.events() if e.get("level") == "debug"]

    _replace(config, {"log_level": "debug", "file_timeout_seconds": 30, "ignore_patterns": ["skip-*"]})
    wait_for(lambda: daemon.event("config_reloaded"), 20, what="reload after the edit")
    reloaded = daemon.event("config_reloaded")
    assert reloaded is not None
    assert set(reloaded["changed"]) == {"log_level", "file_timeout_seconds", "ignore_patterns"}
    assert daemon.metric("toridaemon_config_reloads_total", 'result="success"') >= 1
    make_pdf(dirs.inbox / "skip-me.pdf", salt="skip")
    make_pdf(dirs.inbox / "take-me.pdf", salt="take")
    wait_for(lambda: list(dirs.outbox.glob("take-me.*.json")), 30, what="a file after reload")
    assert (dirs.inbox / "skip-me.pdf").exists(), "the new ignore pattern is live"
    wait_for(lambda: [e for e in daemon.events() if e.get("level") == "debug"], 5, what="the new log level live")

    _replace(config, {"log_level": "debug", "file_timeout_seconds": -5})
    wait_for(lambda: daemon.event("config_reload_rejected"), 20, what="rejection")
    rejected = daemon.event("config_reload_rejected")
    assert rejected is not None and "file_timeout_seconds" in rejected["error"]
    assert daemon.metric("toridaemon_config_reloads_total", 'result="failure"') >= 1
    make_pdf(dirs.inbox / "still-skipped-skip.pdf", salt="x")
    make_pdf(dirs.inbox / "after-bad.pdf", salt="after")
    wait_for(lambda: list(dirs.outbox.glob("after-bad.*.json")), 30, what="work goes on with the old config")

    _replace(config, {"log_level": "debug", "file_timeout_seconds": 30, "ignore_patterns": ["skip-*"],
                      "watch_mode": "polling"})
    wait_for(lambda: daemon.event("config_restart_required"), 20, what="restart-required notice")
    notice = daemon.event("config_restart_required")
    assert notice is not None and notice["fields"] == ["watch_mode"]
    started_with = daemon.wait_ready()["watcher"]
    assert started_with == "InotifyObserver"
    wait_for(lambda: daemon.event("config_reloaded") is not None and len(_events(daemon, "config_reloaded")) >= 2,
             20, what="the reload that held watch_mode back")
    assert json.loads(daemon.get("/status")[1])["watcher"] == started_with, "the watcher was not swapped"
    make_pdf(dirs.inbox / "same-inbox.pdf", salt="same")
    wait_for(lambda: list(dirs.outbox.glob("same-inbox.*.json")), 30, what="a file through the same watcher")
    assert daemon.stop() == 0


def test_sighup_rereads_the_environment_sources(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]) -> None:
    """A `.env` file has no watcher: only SIGHUP can bring its change in."""
    daemon = daemon_factory()
    daemon.wait_ready()
    hash_before = json.loads(daemon.get("/status")[1])["config"]["hash"]
    (dirs.root / ".env").write_text("TORI_FILE_TIMEOUT_SECONDS=7\n")  # the daemon's working directory
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: _events(daemon, "config_reloaded"), 20, what="reload on SIGHUP")
    assert _events(daemon, "config_reloaded")[0]["changed"] == ["file_timeout_seconds"]
    wait_for(lambda: json.loads(daemon.get("/status")[1])["config"]["hash"] != hash_before, 5,
             what="the new settings in force")
    assert daemon.proc.poll() is None
    assert daemon.stop() == 0


def test_a_sighup_while_starting_or_stopping_does_not_end_the_daemon(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """SIGHUP killed the daemon before its handlers were installed (imports, settings, a journal repair) and
    after they were given back (the last second of a stop). From the command's start it is ignored, then caught."""
    for number in range(5000):  # results without a journal: the start rebuilds it from them, which takes a while
        sha = hashlib.sha256(str(number).encode()).hexdigest()
        (dirs.outbox / f"d{number}.{sha[:8]}.json").write_text(json.dumps({"source": {"name": f"d{number}.pdf",
                                                                                        "sha256": sha, "bytes": 1}}))
    daemon = daemon_factory()
    # The interpreter's own start-up comes first, and no process can handle a signal before it: from the moment
    # the process says what SIGHUP does to it (/proc), SIGHUPs keep coming until it is ready.
    wait_for(lambda: _sighup_disposition(daemon.proc.pid), 30, what="SIGHUP ignored or caught")
    while daemon.event("daemon_ready") is None:
        assert daemon.proc.poll() is None, "a SIGHUP while starting ended the daemon"
        daemon.proc.send_signal(signal.SIGHUP)
        time.sleep(0.02)
    daemon.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while daemon.proc.poll() is None and time.monotonic() < deadline:
        daemon.proc.send_signal(signal.SIGHUP)
        time.sleep(0.02)
    assert daemon.stop() == 0


def test_a_stop_asked_for_during_a_journal_repair_ends_the_start_there(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """The stop flag set while the journal was rebuilt waited for the whole start: the daemon told systemd it was
    ready, then drained. It now exits once the repair is done, never ready."""
    for number in range(20000):
        sha = hashlib.sha256(str(number).encode()).hexdigest()
        (dirs.outbox / f"d{number}.{sha[:8]}.json").write_text(json.dumps({"source": {"name": f"d{number}.pdf",
                                                                                        "sha256": sha, "bytes": 1}}))
    daemon = daemon_factory()
    wait_for(lambda: daemon.event("journal_damaged"), 30, what="the repair's start")
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(60) == 0
    assert daemon.event("journal_rebuilt") is not None and daemon.event("daemon_ready") is None


def test_a_stop_asked_for_during_recovery_ends_the_start_there(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Recovery settled every row a crash left claimed before it looked at the stop: 200,000 of them held a stop
    26 s against its budget of 15, and the daemon told systemd READY on the way out. The rows it did not reach
    stay pending for the next start."""
    rows = 30000
    journal = Journal(dirs.state / "journal.sqlite3")  # the schema; then rows whose inputs left, as a crash leaves
    now = time.time()
    with journal._db:
        journal._db.executemany(
            "INSERT INTO files (path, size, mtime_ns, sha256, state, attempts, detected_at, updated_at)"
            " VALUES (?, 1, 1, ?, 'claimed', 1, ?, ?)",
            ((os.fsencode(dirs.inbox / f"gone{number}.pdf"), hashlib.sha256(b"%d" % number).hexdigest(), now, now)
             for number in range(rows)))
    journal.close()
    daemon = daemon_factory()
    wait_for(lambda: daemon.event("file_vanished"), 60, what="the recovery under way")
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(60) == 0
    recovery = daemon.event("recovery")
    assert recovery is not None and recovery["vanished"] < rows
    assert daemon.event("daemon_ready") is None
    journal = Journal(dirs.state / "journal.sqlite3")
    try:
        assert len(journal.pending()) == rows - recovery["vanished"]
    finally:
        journal.close()


def test_a_reload_naming_a_symlink_loop_is_rejected_by_field(dirs: Dirs,
                                                             daemon_factory: Callable[..., DaemonProcess]) -> None:
    """The loop's RuntimeError escaped the settings' checks: a `tick_failed` traceback, counted as no reload."""
    config = dirs.root / "conf" / "toridaemon.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"failed_dir": str(dirs.failed)}))
    daemon = daemon_factory({"TORI_FAILED_DIR": None}, args=["--config", str(config)])  # the YAML file's to set
    daemon.wait_ready()
    (dirs.root / "loop-a").symlink_to(dirs.root / "loop-b")
    (dirs.root / "loop-b").symlink_to(dirs.root / "loop-a")
    _replace(config, {"failed_dir": str(dirs.root / "loop-a")})
    wait_for(lambda: daemon.event("config_reload_rejected"), 20, what="rejection")
    rejected = daemon.event("config_reload_rejected")
    assert rejected is not None and "failed_dir" in rejected["error"] and "Symlink loop" in rejected["error"]
    assert daemon.event("tick_failed") is None
    assert daemon.metric("toridaemon_config_reloads_total", 'result="failure"') == 1
    assert daemon.stop() == 0


def _sighup_disposition(pid: int) -> bool:
    """Whether process `pid` ignores or catches SIGHUP (bit 0 of SigIgn or SigCgt in /proc/PID/status)."""
    fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":\t" in line)
    return bool((int(fields["SigIgn"], 16) | int(fields["SigCgt"], 16)) & 1)


def test_a_concept_database_broken_before_a_worker_read_it_holds_files_back_not_fails_them(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """A worker reads the user's concept files with its first document and keeps their last good version. One broken
    after the daemon checked it and before a worker read it left that worker nothing to go on with, and every
    document it took went to failed/ as `internal_error`. The file is not the document's fault: documents now stay
    in the inbox, retried, until the database reads again."""
    concepts = dirs.root / "concepts.json"
    concepts.write_text('["zorblax lattice"]')
    config = dirs.root / "conf" / "toridaemon.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"concept_db_paths": [str(concepts)]}))
    daemon = daemon_factory(args=["--config", str(config)])
    daemon.wait_ready()
    concepts.write_text('[{"name": "broken", "priority": 7}]')
    text = "Zorblax Lattices\nThe zorblax lattice holds. A zorblax lattice again, and the zorblax lattice of a kind."
    make_pdf(dirs.inbox / "waits.pdf", [text], salt="waits")

    def held_back() -> list[dict[str, object]]:
        return [e for e in _events(daemon, "file_retry") if e.get("reason") == "concept_db_unavailable"]

    wait_for(held_back, 30, what="a retry naming the concept database")
    assert str(concepts) in str(held_back()[0]["message"]) and "priority" in str(held_back()[0]["message"])
    assert (dirs.inbox / "waits.pdf").exists() and not list(dirs.failed.iterdir())
    assert daemon.metric("toridaemon_files_retried_total", 'reason="concept_db_unavailable"') >= 1
    wait_for(lambda: daemon.blocked() == "concept_db_unavailable", 30, what="blocked on the database")
    assert daemon.get("/readyz")[0] == 503

    concepts.write_text('["zorblax lattice"]')
    wait_for(lambda: list(dirs.outbox.glob("waits.*.json")), 60, what="the result once the database reads again")
    wait_for(lambda: daemon.get("/readyz")[0] == 200, 10, what="ready once a file got through")
    result = json.loads(next(dirs.outbox.glob("waits.*.json")).read_text())
    assert any(c["name"] == "zorblax lattice" and c["source"] == "database" for c in result["concepts"])
    assert not list(dirs.failed.iterdir())
    assert daemon.stop() == 0


def test_a_slow_reload_runs_beside_the_tick_not_in_it(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """A reload re-reads the concept databases: one of a million names took seconds, during which the tick (the
    stability gate, rescans, /status and the watchdog heartbeat) stood still; past WatchdogSec, systemd would
    kill the daemon for a valid edit."""
    concepts = dirs.root / "concepts.yaml"
    concepts.write_text("- concept number 0\n")
    config = dirs.root / "conf" / "toridaemon.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"concept_db_paths": [str(concepts)]}))
    daemon = daemon_factory(args=["--config", str(config)])
    daemon.wait_ready(60)

    def uptime() -> float:
        return float(json.loads(daemon.get("/status")[1])["uptime_seconds"])

    # The reload reads a new version of the file (one read before is known by its stamp and not read again):
    # 300,000 names take some 2 s, where 100,000 ended before the second look on a fast machine.
    concepts.write_text("".join(f"- concept number {i}\n" for i in range(300_000)))
    daemon.proc.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    first = uptime()
    time.sleep(0.8)  # a tick that runs advances it by some 0.8 s; the bound below leaves half a second for delays
    second = uptime()
    if daemon.event("config_reloaded") is not None:
        pytest.skip("the reload ended before the second look: nothing to tell (a faster machine than this test's)")
    assert second - first >= 0.3, "the tick stood still while the reload read the sources"
    wait_for(lambda: daemon.event("config_reloaded"), 60, what="the reload's end")
    assert daemon.stop() == 0
