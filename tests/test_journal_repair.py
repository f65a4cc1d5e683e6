"""Journal damage is detected and survived: a journal with garbage pages, a deleted or emptied one,
and one that cannot be repaired, on the real daemon and through `toridaemon journal`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from toridaemon.cli import main
from toridaemon.journal import Journal, JournalError
from toridaemon.journal_repair import check, is_damage, journal_path
from toridaemon.statelock import LOCK_NAME

GARBAGE = b"\xde\xad\xbe\xef" * 1024  # one 4 KiB page of bytes no SQLite page starts with


def corrupt_pages(path: Path, pages: tuple[int, ...] = (2, 3), page_size: int = 4096) -> None:
    """Overwrite whole pages of a real SQLite file with garbage (page numbers start at 1)."""
    assert path.stat().st_size >= (max(pages) + 1) * page_size, "journal too small to corrupt those pages"
    with open(path, "r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * page_size)
            handle.write(GARBAGE)


def known_content(dirs: Dirs, count: int) -> list[Path]:
    """PDFs outside the inbox whose results sit in the outbox, and a journal that knows them plus
    enough other rows to span several pages."""
    pdfs = [make_pdf(dirs.root / f"known-{i}.pdf", salt=f"known-{i}") for i in range(count)]
    journal = Journal(journal_path(dirs.state))
    for i, pdf in enumerate(pdfs):
        sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
        result = {"schema_version": 1, "source": {"name": pdf.name, "sha256": sha, "bytes": pdf.stat().st_size,
                                                  "pages": 1}}
        (dirs.outbox / f"known-{i}.{sha[:8]}.json").write_text(json.dumps(result))
        row, _ = journal.detect(dirs.inbox / pdf.name, pdf.stat().st_size, 1)
        journal.claim(row, sha)
        journal.finish(row, "done")
    for i in range(400):
        row, _ = journal.detect(dirs.inbox / f"other-{i:04d}-{'x' * 40}.pdf", i, i)
        journal.finish(row, "failed", reason="not_a_pdf", error="padding rows")
    journal.close()  # the last connection checkpoints the WAL into the main file
    return pdfs


@pytest.fixture
def cli_env(dirs: Dirs, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dirs]:
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    yield dirs


def _drop_copy(dirs: Dirs, pdf: Path, name: str) -> None:
    staged = dirs.inbox / f".{name}.part"
    staged.write_bytes(pdf.read_bytes())
    os.rename(staged, dirs.inbox / name)


def _assert_still_deduplicated(dirs: Dirs, daemon: DaemonProcess, pdf: Path) -> None:
    results = len(list(dirs.outbox.glob("*.json")))
    _drop_copy(dirs, pdf, "copy-of-known.pdf")
    wait_for((dirs.processed / "copy-of-known.pdf").exists, 30, what="the copy settled")
    assert len(list(dirs.outbox.glob("*.json"))) == results, "a second result for known content"
    # The counter moves once the journal row is final, a moment after the PDF itself.
    wait_for(lambda: daemon.metric("toridaemon_duplicates_total") == 1, 10, what="the duplicate counted")


def test_corrupted_pages_are_detected_and_the_journal_rebuilt_from_the_outbox(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    pdfs = known_content(dirs, 3)
    corrupt_pages(journal_path(dirs.state))
    assert check(journal_path(dirs.state), dirs.outbox).condition == "damaged"
    daemon = daemon_factory()
    daemon.wait_ready()
    rebuilt = daemon.event("journal_rebuilt")
    assert rebuilt is not None and rebuilt["rows"] == 3 and rebuilt["reason"] == "damaged"
    assert daemon.event("journal_damaged") is not None
    assert daemon.metric("toridaemon_journal_rebuilds_total", 'reason="damaged"') == 1
    assert [p.name for p in dirs.state.glob("journal.sqlite3.damaged-*")], "the damaged file is kept aside"
    _assert_still_deduplicated(dirs, daemon, pdfs[1])
    assert daemon.stop() == 0


@pytest.mark.parametrize("how", ["deleted", "truncated"])
def test_deleted_or_truncated_journal_keeps_dedupe_knowledge(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], how: str
) -> None:
    pdfs = known_content(dirs, 2)
    path = journal_path(dirs.state)
    if how == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"")
    daemon = daemon_factory()
    daemon.wait_ready()
    reason = "missing" if how == "deleted" else "empty"
    assert daemon.metric("toridaemon_journal_rebuilds_total", f'reason="{reason}"') == 1
    _assert_still_deduplicated(dirs, daemon, pdfs[0])
    assert daemon.stop() == 0


def test_a_journal_that_cannot_be_read_stops_the_start_with_exit_3(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    journal_path(dirs.state).mkdir()  # not a file at all: nothing to move aside and rebuild safely
    daemon = daemon_factory()
    assert daemon.proc.wait(30) == 3
    failure = daemon.event("startup_failed")
    assert failure is not None and "cannot use the journal" in failure["error"]


def test_a_fifo_at_the_lock_path_stops_the_start_instead_of_blocking_it(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Opening the lock for writing waited for a reader: the start hung, with nothing logged."""
    os.mkfifo(dirs.state / LOCK_NAME)
    daemon = daemon_factory()
    assert daemon.proc.wait(30) == 3
    failure = daemon.event("startup_failed")
    assert failure is not None and "not a regular file" in failure["error"]


def test_journal_rebuild_names_a_state_folder_it_cannot_use(cli_env: Dirs, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A state folder that is a file ended the command with exit 1 and a bare "File exists"."""
    blocker = cli_env.root / "state-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TORI_STATE_DIR", str(blocker))
    assert main(["journal", "rebuild"]) == 3
    assert "Cannot rebuild the journal:" in capsys.readouterr().err


def test_fresh_install_is_not_a_rebuild(dirs: Dirs) -> None:
    assert check(journal_path(dirs.state), dirs.outbox).condition == "new"


def test_journal_check_and_rebuild_commands(cli_env: Dirs, capsys: pytest.CaptureFixture[str]) -> None:
    known_content(cli_env, 2)
    assert main(["journal", "check"]) == 0
    assert ": ok (ok); 402 records, 2 results" in capsys.readouterr().out
    corrupt_pages(journal_path(cli_env.state))
    assert main(["journal", "check"]) == 1
    out = capsys.readouterr().out
    assert ": damaged (" in out and "toridaemon journal rebuild" in out
    assert main(["journal", "rebuild"]) == 0
    assert "with 2 records from" in capsys.readouterr().out
    with sqlite3.connect(journal_path(cli_env.state)) as db:
        assert db.execute("SELECT COUNT(*) FROM files WHERE state = 'done'").fetchone() == (2,)
    assert main(["journal", "check"]) == 0


def test_journal_rebuild_refuses_while_the_daemon_runs(
    cli_env: Dirs, daemon_factory: Callable[..., DaemonProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    daemon_factory().wait_ready()
    assert main(["journal", "rebuild"]) == 3
    assert "stop it first" in capsys.readouterr().err


def test_damage_is_told_apart_from_access_errors(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    path.write_bytes(GARBAGE * 4)
    with pytest.raises(sqlite3.DatabaseError) as damaged:
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()
    assert is_damage(damaged.value)
    with pytest.raises(sqlite3.OperationalError) as unreadable:
        sqlite3.connect(tmp_path / "missing" / "j.sqlite3")
    assert not is_damage(unreadable.value)


def test_damage_found_while_running_turns_readyz_unready(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    known_content(dirs, 1)
    daemon = daemon_factory()
    daemon.wait_ready()
    assert daemon.get("/readyz")[0] == 200
    corrupt_pages(journal_path(dirs.state), pages=tuple(range(2, 12)))
    for i in range(3):  # each new file makes the journal read its pages again
        make_pdf(dirs.inbox / f"while-damaged-{i}.pdf", salt=f"damaged-{i}")
    wait_for(lambda: daemon.get("/readyz")[0] == 503, 15, what="unready")
    # /status (and `toridaemon status`) said ready meanwhile: it reported that startup had finished.
    wait_for(lambda: json.loads(daemon.get("/status")[1])["ready"] is False, 5, what="/status unready too")
    wait_for(lambda: daemon.event("journal_damaged"), 5, what="the damage logged")  # logs trail by up to 50 ms
    assert daemon.metric("toridaemon_journal_damaged") == 1
    assert daemon.get("/healthz")[0] == 200  # alive: a restart is the operator's or supervisor's call


@pytest.mark.parametrize("how", ["folder", "journal", "-wal", "-shm"])
def test_a_state_folder_deleted_while_running_ends_the_daemon_so_none_runs_beside_another(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], how: str
) -> None:
    """`rm -rf state` took the lock with the folder: a second daemon started on the same folders and both took
    files (two results for one content), while the first wrote its rows into a journal no one will read. The
    daemon now notices its state folder or journal is not the one it opened, and ends (exit 3, so systemd
    restarts it); the next start rebuilds the journal from the outbox and dedupe holds."""
    first = daemon_factory()
    first.wait_ready()
    pdf = make_pdf(dirs.root / "known.pdf", salt="known")
    _drop_copy(dirs, pdf, "known.pdf")
    wait_for((dirs.processed / "known.pdf").exists, 30, what="the first file settled")
    if how == "folder":
        shutil.rmtree(dirs.state)
    elif how == "journal":
        journal_path(dirs.state).unlink()
    else:  # the journal's rows since its last checkpoint, lost at the next crash: it went on writing unnoticed
        journal_path(dirs.state).with_name(f"journal.sqlite3{how}").unlink()
    assert first.proc.wait(30) == 3
    replaced = first.event("state_replaced")
    assert replaced is not None and replaced["state"] == str(dirs.state)
    second = daemon_factory()
    second.wait_ready()
    _drop_copy(dirs, pdf, "copy-of-known.pdf")
    wait_for((dirs.processed / "copy-of-known.pdf").exists, 30, what="the copy settled")
    assert len(list(dirs.outbox.glob("*.json"))) == 1, "a second result for known content"
    assert second.stop() == 0


def test_side_files_seen_later_are_taken_in_and_then_kept(tmp_path: Path) -> None:
    """SQLite makes the -wal and -shm files at the journal's first write: their coming is no replacement, their
    going is."""
    from toridaemon import statelock

    journal = tmp_path / "journal.sqlite3"
    journal.write_bytes(b"")
    opened = statelock.state_identity(tmp_path, journal)
    wal = journal.with_name("journal.sqlite3-wal")
    wal.write_bytes(b"")
    kept = statelock.unchanged(opened, statelock.state_identity(tmp_path, journal))
    assert kept is not None and kept.sides[0] is not None and kept.sides[1] is None
    assert statelock.unchanged(kept, statelock.state_identity(tmp_path, journal)) == kept
    wal.unlink()
    assert statelock.unchanged(kept, statelock.state_identity(tmp_path, journal)) is None


def test_journal_rebuild_refuses_an_outbox_that_is_not_there(
    cli_env: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped outbox_dir (or a forgotten --config) swapped a sound journal for an empty one, and said 0."""
    known_content(cli_env, 2)
    before = journal_path(cli_env.state).read_bytes()
    monkeypatch.setenv("TORI_OUTBOX_DIR", str(cli_env.root / "outbx-typo"))
    assert main(["journal", "rebuild"]) == 3
    err = capsys.readouterr().err
    assert "outbox_dir" in err and "outbx-typo" in err
    assert journal_path(cli_env.state).read_bytes() == before and not (cli_env.root / "outbx-typo").exists()


def test_a_state_folder_that_cannot_be_looked_at_is_not_taken_for_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only "gone" says replaced: an EIO or an EACCES (a parent chmodded) ended the daemon as `state_replaced`."""
    from toridaemon import statelock

    (tmp_path / "journal.sqlite3").write_bytes(b"")
    gone = tmp_path / "gone"
    assert statelock.state_identity(gone, gone / "journal.sqlite3") == statelock.StateIdentity(None, None, (None, None))
    real_stat = os.stat

    def denied(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", denied)
    with pytest.raises(PermissionError):
        statelock.state_identity(tmp_path, tmp_path / "journal.sqlite3")


def test_a_state_folder_named_with_uri_marks_is_checked_where_it_is(tmp_path: Path) -> None:
    """The check opens the journal by URI: "?" or "#" in a folder's name cut it there (another file was checked,
    found empty beside the results, and the daemon rebuilt a sound journal at every start); "%" read as an
    escape."""
    for name in ("q?x", "h#x", "p%3Fx"):
        dirs = Dirs(tmp_path / name)
        known_content(dirs, 2)
        health = check(journal_path(dirs.state), dirs.outbox)
        assert (health.condition, health.rows, health.results) == ("ok", 402, 2), name
    assert sorted(path.name for path in tmp_path.iterdir()) == ["h#x", "p%3Fx", "q?x"]  # nothing made beside


def test_a_flipped_byte_in_the_journals_schema_is_damage_not_a_traceback(
    cli_env: Dirs, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite's messages and check lines name the damaged index; not UTF-8, their decoding raised."""
    known_content(cli_env, 2)
    path = journal_path(cli_env.state)
    data = bytearray(path.read_bytes())
    data[data.index(b"index") + 5] = 0xAA  # inside the first index's name in sqlite_master
    path.write_bytes(bytes(data))
    assert check(path, cli_env.outbox).condition == "damaged"
    with pytest.raises(JournalError, match="cannot open journal"):
        Journal(path)
    assert main(["journal", "check"]) == 1
    assert ": damaged (" in capsys.readouterr().out
    assert main(["journal", "rebuild"]) == 0
    assert check(path, cli_env.outbox).condition == "ok"


@pytest.mark.parametrize("broken", ["dangling link", "state is a file"])
def test_reprocess_with_a_journal_out_of_reach_forgets_nothing(
    cli_env: Dirs, capsys: pytest.CaptureFixture[str], broken: str
) -> None:
    """A journal that is missing because it cannot be reached is no journal "not made yet": the result was deleted,
    the records stayed, and the command said it removed none and exited 0."""
    pdf = known_content(cli_env, 1)[0]
    path = journal_path(cli_env.state)
    if broken == "dangling link":
        path.unlink()
        path.symlink_to(cli_env.root / "elsewhere.sqlite3")
    else:
        shutil.rmtree(cli_env.state)
        cli_env.state.write_bytes(b"")
    results = sorted(cli_env.outbox.glob("*.json"))
    assert main(["reprocess", hashlib.sha256(pdf.read_bytes()).hexdigest()]) == 3
    assert "cannot open journal" in capsys.readouterr().err
    assert sorted(cli_env.outbox.glob("*.json")) == results and len(results) == 1
