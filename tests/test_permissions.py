"""Permissions, on the real daemon without the capabilities that let root ignore file modes: an
unreadable input and unwritable output folders lose nothing, are counted, and recover when fixed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf

SETPRIV = shutil.which("setpriv")
# As root the daemon would read and write anything; without these two capabilities root obeys file
# modes like any user (running as another user is not possible here: the interpreter lives under /root).
NO_DAC = [SETPRIV or "setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0 or SETPRIV is None, reason="needs root and setpriv (util-linux)"),
]


def test_unreadable_input_and_unwritable_outputs_lose_nothing(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(prefix=NO_DAC, extra_env={"TORI_RESCAN_INTERVAL_SECONDS": "1"})
    daemon.wait_ready()
    secret = make_pdf(dirs.root / "secret.pdf", salt="secret")
    secret.chmod(0o000)
    os.rename(secret, dirs.inbox / "secret.pdf")
    wait_for(lambda: daemon.metric("toridaemon_files_retried_total", 'reason="unreadable"') >= 1, 30,
             what="the unreadable file noticed")
    assert (dirs.inbox / "secret.pdf").exists()
    assert daemon.blocked() is None, "one unreadable file is that file's fault: others still get through"
    (dirs.inbox / "secret.pdf").chmod(0o644)
    wait_for(lambda: list(dirs.outbox.glob("secret.*.json")), 60, what="processed once readable")

    dirs.outbox.chmod(0o555)
    make_pdf(dirs.inbox / "blocked.pdf", salt="blocked")
    wait_for(lambda: daemon.metric("toridaemon_outcome_write_errors_total", 'kind="PermissionError"') >= 1, 30,
             what="the unwritable outbox noticed")
    assert (dirs.inbox / "blocked.pdf").exists(), "the input stays while its result cannot be written"
    wait_for(lambda: daemon.blocked() == "outcome_write", 30, what="blocked on the outbox")
    assert daemon.get("/readyz")[0] == 503
    dirs.outbox.chmod(0o755)
    wait_for(lambda: list(dirs.outbox.glob("blocked.*.json")), 90, what="processed once writable")
    wait_for(lambda: daemon.get("/readyz")[0] == 200, 10, what="ready once a file got through")

    dirs.processed.chmod(0o555)
    make_pdf(dirs.inbox / "stuck.pdf", salt="stuck")
    wait_for(lambda: daemon.metric("toridaemon_outcome_write_errors_total", 'kind="PermissionError"') >= 2, 30,
             what="the unwritable processed folder noticed")
    assert (dirs.inbox / "stuck.pdf").exists()
    dirs.processed.chmod(0o755)
    wait_for((dirs.processed / "stuck.pdf").exists, 90, what="moved once writable")
    assert len(list(dirs.outbox.glob("stuck.*.json"))) == 1, "the retry reused the result already written"

    # An inbox the daemon may not list: every rescan failed as a tick error, and the probes said ready.
    dirs.inbox.chmod(0o000)
    wait_for(lambda: daemon.blocked() == "inbox_unreadable", 15, what="blocked on the inbox")
    assert daemon.get("/readyz")[0] == 503
    make_pdf(dirs.inbox / "hidden.pdf", salt="hidden")  # written as root, unseen by the daemon meanwhile
    dirs.inbox.chmod(0o755)
    wait_for(lambda: list(dirs.outbox.glob("hidden.*.json")), 60, what="found once the inbox is listable")
    wait_for(lambda: daemon.get("/readyz")[0] == 200, 10, what="ready again")
    assert daemon.event("tick_failed") is None
    assert daemon.proc.poll() is None
    assert daemon.stop() == 0


def test_a_read_only_journal_stops_the_start_naming_each_file_and_its_mode(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """An existing journal the daemon may not write opens and reads fine: without a write probe every file
    retried forever behind a ready daemon. SQLite gives the -wal and -shm files the journal's mode, so
    restoring the journal's own mode alone is not enough; the message says which file still blocks."""
    first = daemon_factory(prefix=NO_DAC)
    first.wait_ready()
    assert first.stop() == 0
    journal = dirs.state / "journal.sqlite3"
    journal.chmod(0o444)
    blocked = daemon_factory(prefix=NO_DAC)
    assert blocked.proc.wait(30) == 3
    failure = wait_for(lambda: blocked.event("startup_failed"), 5, what="the startup failure logged")
    assert "journal.sqlite3 -r--r--r--" in failure["error"] and "readonly" in failure["error"]

    journal.chmod(0o644)
    again = daemon_factory(prefix=NO_DAC)
    assert again.proc.wait(30) == 3
    failure = wait_for(lambda: again.event("startup_failed"), 5, what="the second startup failure logged")
    assert "journal.sqlite3-shm -r--r--r--" in failure["error"]

    for leftover in dirs.state.glob("journal.sqlite3-*"):
        leftover.chmod(0o644)
    daemon = daemon_factory(prefix=NO_DAC)
    daemon.wait_ready()
    make_pdf(dirs.inbox / "after.pdf", salt="after")
    wait_for(lambda: list(dirs.outbox.glob("after.*.json")), 60, what="processed once the journal is writable")
    assert daemon.stop() == 0

    dirs.state.chmod(0o555)  # the journal is writable, its folder not: SQLite cannot make its -wal file
    try:
        folder = daemon_factory(prefix=NO_DAC)
        assert folder.proc.wait(30) == 3
        failure = wait_for(lambda: folder.event("startup_failed"), 5, what="the folder's failure logged")
        assert f"{dirs.state}/ dr-xr-xr-x" in failure["error"]
    finally:
        dirs.state.chmod(0o755)


def test_ingest_into_an_outbox_it_may_not_write_fails_each_file_by_name(tmp_path: Path) -> None:
    """The first result that could not be written ended the run: a bare "Permission denied", and the other
    file blamed as "worker_crashed: executor closed"."""
    outbox = tmp_path / "ro"
    outbox.mkdir()
    inputs = [make_pdf(tmp_path / f"{name}.pdf", [f"Sparse graph embeddings, part {name}."]) for name in "ab"]
    outbox.chmod(0o555)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORI_")}
    try:
        done = subprocess.run([*NO_DAC, sys.executable, "-m", "toridaemon", "ingest", "--no-progress", "--outbox",
                               str(outbox), *map(str, inputs)], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, check=False)
    finally:
        outbox.chmod(0o755)
    assert done.returncode == 1, done.stderr
    for path in inputs:
        assert f"{path}: unwritable: cannot write its result to {outbox}" in done.stderr
    assert "worker_crashed" not in done.stderr and "Traceback" not in done.stderr


def test_ingest_names_a_folder_it_may_not_read_and_a_name_too_long_and_goes_on(tmp_path: Path) -> None:
    """A PDF in a folder no one may read was passed over in silence (`1 done, 0 failed`, exit 0); a name too long
    ended the whole run with "File name too long", naming nothing and processing nothing."""
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    make_pdf(folder / "locked" / "hidden.pdf", ["Sparse graph embeddings, the hidden part."])
    good = make_pdf(tmp_path / "good.pdf", ["Sparse graph embeddings, the good part."])
    too_long = tmp_path / ("x" * 300 + ".pdf")
    (folder / "locked").chmod(0o000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORI_")}
    try:
        done = subprocess.run([*NO_DAC, sys.executable, "-m", "toridaemon", "ingest", "--no-progress", "--outbox",
                               str(tmp_path / "out"), str(good), str(too_long), str(folder)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        (folder / "locked").chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert f"{folder / 'locked'}: cannot be looked into: Permission denied" in done.stderr
    assert "File name too long" in done.stderr and "1 done, 2 failed" in done.stderr
    assert [p.name.split(".")[0] for p in (tmp_path / "out").glob("*.json")] == ["good"]


def test_journal_check_reports_a_state_folder_no_journal_can_be_created_in(dirs: Dirs) -> None:
    """With no journal yet, `journal check` said "new" and exit 0 on a read-only state folder, where the daemon
    cannot start."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TORI_")}, **dirs.env()}
    command = [*NO_DAC, sys.executable, "-m", "toridaemon", "journal", "check"]
    dirs.state.chmod(0o555)
    try:
        refused = subprocess.run(command, env=env, cwd=dirs.root, capture_output=True, text=True, timeout=60,
                                 check=False)
    finally:
        dirs.state.chmod(0o755)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert f"cannot create the journal in {dirs.state}" in refused.stderr


def test_journal_check_reports_a_journal_this_process_may_not_write(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """`journal check` read a read-only journal and called it sound, while the daemon refuses to start on it."""
    first = daemon_factory(prefix=NO_DAC)
    first.wait_ready()
    assert first.stop() == 0
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TORI_")}, **dirs.env()}
    command = [*NO_DAC, sys.executable, "-m", "toridaemon", "journal", "check"]

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=env, cwd=dirs.root, capture_output=True, text=True, timeout=60,
                              check=False)

    assert check().returncode == 0
    (dirs.state / "journal.sqlite3").chmod(0o444)
    refused = check()
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "readonly" in refused.stderr and "journal.sqlite3 -r--r--r--" in refused.stderr


def test_a_subfolder_it_may_not_list_stops_neither_the_start_nor_the_rest_of_a_recursive_inbox(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """`lost+found` on an inbox that is a volume of its own is root's alone. A recursive scan that met it refused the
    start (exit 3), and any such folder made later broke every rescan. Now it is named once and skipped."""
    private = dirs.inbox / "lost+found"
    private.mkdir()
    make_pdf(private / "inside.pdf", salt="inside")
    private.chmod(0o000)
    daemon = daemon_factory(prefix=NO_DAC, extra_env={"TORI_RECURSIVE": "true", "TORI_RESCAN_INTERVAL_SECONDS": "1"})
    daemon.wait_ready()
    make_pdf(dirs.inbox / "top.pdf", salt="top")
    wait_for(lambda: list(dirs.outbox.glob("top.*.json")), 30, what="the rest of the inbox processed")
    wait_for(lambda: daemon.event("inbox_subfolder_unreadable"), 10, what="the folder named")
    assert daemon.get("/readyz")[0] == 200, "one folder it may not list blocks nothing else"
    private.chmod(0o755)
    wait_for(lambda: list(dirs.outbox.glob("inside.*.json")), 30, what="found once it may be listed")
    assert [e["folder"] for e in daemon.events() if e["event"] == "inbox_subfolder_unreadable"] == ["lost+found"]
    assert daemon.event("tick_failed") is None
    assert daemon.stop() == 0
