"""`toridaemon reprocess PATH|SHA` forgets a result so the file is processed again (real daemon)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import fulldisk
from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from tests.test_permissions import NO_DAC, SETPRIV
from toridaemon import recovery
from toridaemon import reprocess as reprocess_module
from toridaemon.cli import main
from toridaemon.fsutil import STAGED_PREFIX, staged_name, staged_original
from toridaemon.journal import Journal, JournalError
from toridaemon.outcome import Outcomes
from toridaemon.recovery import recover
from toridaemon.settings import load_settings


@pytest.fixture
def running(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], monkeypatch: pytest.MonkeyPatch) -> DaemonProcess:
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    daemon = daemon_factory()
    daemon.wait_ready()
    return daemon


def _process(dirs: Dirs, name: str, daemon: DaemonProcess) -> Path:
    """Drop `name` and wait for its `done` record (the move comes a moment before it)."""
    done = daemon.metric("toridaemon_files_completed_total", 'outcome="done"')
    staged = make_pdf(dirs.inbox / f".{name}.part", salt=name)
    os.rename(staged, dirs.inbox / name)
    wait_for(lambda: daemon.metric("toridaemon_files_completed_total", 'outcome="done"') > done, 30,
             what=f"{name} done")
    assert (dirs.processed / name).exists()
    return dirs.processed / name


def test_a_result_deleted_by_hand_is_regenerated_by_reprocess(
    dirs: Dirs, running: DaemonProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = _process(dirs, "paper.pdf", running)
    (result,) = dirs.outbox.glob("paper.*.json")
    result.unlink()
    assert main(["reprocess", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "1 journal record(s) removed" in out and "Moved the PDF back into the inbox" in out
    wait_for(lambda: list(dirs.outbox.glob("paper.*.json")), 30, what="the result made again")
    assert running.metric("toridaemon_duplicates_total") == 0


def test_reprocess_by_sha_forgets_the_result_and_the_next_copy_is_processed(
    dirs: Dirs, running: DaemonProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = _process(dirs, "report.pdf", running)
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    (old,) = dirs.outbox.glob("report.*.json")
    assert main(["reprocess", sha]) == 0
    assert f"Removed {old}" in capsys.readouterr().out
    assert not old.exists()
    staged = dirs.inbox / ".again.part"
    staged.write_bytes(pdf.read_bytes())
    os.rename(staged, dirs.inbox / "again.pdf")
    wait_for(lambda: list(dirs.outbox.glob("again.*.json")), 30, what="a new result, not a duplicate")


def test_reprocess_names_what_it_cannot_identify(dirs: Dirs, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    assert main(["reprocess", str(dirs.root / "nothing.pdf")]) == 2
    assert "Cannot reprocess: cannot read" in capsys.readouterr().err


def test_reprocess_of_content_nothing_knows_is_an_error(dirs: Dirs, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped sha256, or a file never processed: exit 2 and a sentence, not "0 records removed" and 0."""
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    never = make_pdf(dirs.root / "never.pdf", salt="never")
    assert main(["reprocess", "0" * 64]) == 2
    assert main(["reprocess", str(never)]) == 2
    assert capsys.readouterr().err.count("nothing is known of content") == 2


def test_reprocess_of_content_a_try_has_claimed_is_refused_and_changes_nothing(
    dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run between the daemon's move of X and its `done`, reprocess deleted the result and moved X back; the daemon
    then recorded `done` for a result no longer there, and the moved-back X became its duplicate: no result at all."""
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    pdf = make_pdf(dirs.processed / "x.pdf", salt="x")  # moved already; its row is still claimed
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    result = dirs.outbox / f"x.{sha[:8]}.json"
    result.write_text(json.dumps({"source": {"name": "x.pdf", "sha256": sha}}))
    journal = Journal(dirs.state / "journal.sqlite3")
    try:
        row, _new = journal.detect(dirs.inbox / "x.pdf", pdf.stat().st_size, pdf.stat().st_mtime_ns)
        journal.claim(row, sha)
    finally:
        journal.close()
    assert main(["reprocess", str(pdf)]) == 3
    assert "is being processed" in capsys.readouterr().err
    assert result.exists() and pdf.exists() and not list(dirs.inbox.iterdir())


@pytest.mark.timeout(20)
def test_reprocess_of_a_fifo_or_device_named_json_is_refused_not_read(
    dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It blocked on the FIFO, and read /dev/zero until memory ran out."""
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    fifo, zero = dirs.root / "p.json", dirs.root / "z.json"
    os.mkfifo(fifo)
    zero.symlink_to("/dev/zero")
    for target in (fifo, zero):
        assert main(["reprocess", str(target)]) == 2
        assert "not a result file" in capsys.readouterr().err


def test_reprocess_finds_a_result_whose_long_name_was_cut_before_its_sha8(
    dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Such results (names cut whole at 200 bytes, the ".<sha8>" with them) were kept: the file came back with its
    old result, and nothing said so."""
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    sha = hashlib.sha256(b"long").hexdigest()
    cut = dirs.outbox / ("Annual-report-" + "x" * 181 + ".json")  # 200 bytes, as the old cut left them
    cut.write_text(json.dumps({"source": {"name": "Annual-report-" + "x" * 200 + ".pdf", "sha256": sha}}))
    unrelated = dirs.outbox / ("Other-report-" + "y" * 182 + ".json")
    unrelated.write_text(json.dumps({"source": {"name": "other.pdf", "sha256": "0" * 64}}))
    assert main(["reprocess", sha]) == 0
    assert not cut.exists() and unrelated.exists()
    assert str(cut) in capsys.readouterr().out


@contextlib.contextmanager
def _bound(source: Path, target: Path) -> Iterator[None]:
    """`source` also seen at `target` (a bind mount: one filesystem, one device number, but no rename across)."""
    if subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True, check=False).returncode:
        pytest.skip("cannot bind-mount here (needs root and CAP_SYS_ADMIN)")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.mark.parametrize("layout", ["filesystems", "bind_mounts"])
def test_reprocess_into_a_full_inbox_on_another_mount_changes_nothing(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    """The PDF was moved back after its result and journal records were gone: with the inbox full on another mount,
    the move failed and left a processed PDF with neither. Now the PDF is copied first. Two bind mounts of one
    filesystem share a device number, yet a rename between them fails: the copy is decided by trying the rename."""
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    shared = dirs.root / "shared"
    shared.mkdir()
    with contextlib.ExitStack() as mounts:
        mounts.enter_context(fulldisk.tmpfs(shared if layout == "bind_mounts" else dirs.inbox, "256k"))
        if layout == "bind_mounts":
            for name, folder in (("in", dirs.inbox), ("done", dirs.processed)):
                (shared / name).mkdir()
                mounts.enter_context(_bound(shared / name, folder))
        daemon = daemon_factory()
        daemon.wait_ready()
        pdf = _process(dirs, "kept.pdf", daemon)
        (result,) = dirs.outbox.glob("kept.*.json")
        assert daemon.stop() == 0
        filler = fulldisk.fill(dirs.inbox)
        assert main(["reprocess", str(pdf)]) == 3
        assert "No space left on device" in capsys.readouterr().err
        assert result.exists() and pdf.exists() and sorted(p.name for p in dirs.inbox.iterdir()) == [".filler"]
        journal = Journal(dirs.state / "journal.sqlite3")
        try:
            assert [row.state for row in journal._many("SELECT * FROM files", ())] == ["done"]
        finally:
            journal.close()

        filler.unlink()
        assert main(["reprocess", str(pdf)]) == 0
        assert not result.exists() and not pdf.exists()
        assert sorted(p.name for p in dirs.inbox.iterdir()) == ["kept.pdf"]


def test_a_reprocess_that_fails_after_staging_puts_the_pdf_back_and_one_killed_is_named_at_the_next_start(
    dirs: Dirs, running: DaemonProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF waits in the inbox under a hidden name while records and results are forgotten. A failure there
    puts it back; a kill leaves it, and the next start gives it its name (an age of 0 s stands in for ten minutes:
    a change time cannot be set back). Before, a kill left a processed PDF with neither result nor record."""
    pdf = _process(dirs, "paper.pdf", running)
    assert running.stop() == 0
    settings = load_settings(None, {}).settings

    def broken(journal: Path, sha256: str, then: Callable[[], None]) -> int:
        raise JournalError("database is locked")

    monkeypatch.setattr(reprocess_module, "forget_rows", broken)
    with pytest.raises(JournalError):
        reprocess_module.reprocess(settings, str(pdf))
    assert pdf.exists() and list(dirs.inbox.iterdir()) == [] and list(dirs.outbox.glob("paper.*.json"))

    staged, copied = reprocess_module._stage(pdf, dirs.inbox)  # what a kill right after staging leaves
    assert not copied and not pdf.exists() and staged.name.startswith(STAGED_PREFIX)
    outcomes = Outcomes(dirs.outbox, dirs.processed, dirs.failed, settings.on_success)
    journal = Journal(dirs.state / "journal.sqlite3")
    try:
        assert recover(journal, outcomes, dirs.inbox)["requeued"] == 0, "a young one may be a reprocess at work"
        monkeypatch.setattr(recovery, "INBOX_TEMP_SECONDS", 0.0)
        assert recover(journal, outcomes, dirs.inbox)["requeued"] == 1
    finally:
        journal.close()
    assert sorted(p.name for p in dirs.inbox.iterdir()) == ["paper.pdf"]


@pytest.mark.skipif(os.geteuid() != 0 or SETPRIV is None, reason="needs root and setpriv (util-linux)")
def test_a_reprocess_that_cannot_remove_the_result_forgets_nothing(dirs: Dirs, running: DaemonProcess) -> None:
    """The journal's rows went first: with the result left behind in a read-only outbox, the next copy of the
    content was processed again into a second result of it, under its own name."""
    pdf = _process(dirs, "paper.pdf", running)
    dirs.outbox.chmod(0o555)
    try:
        refused = subprocess.run([*NO_DAC, sys.executable, "-m", "toridaemon", "reprocess", str(pdf)],
                                 capture_output=True, text=True, timeout=60, check=False)
    finally:
        dirs.outbox.chmod(0o755)
    assert refused.returncode == 3 and "Permission denied" in refused.stderr
    assert pdf.exists() and len(list(dirs.outbox.glob("*.json"))) == 1
    copy = Path(shutil.copy(pdf, dirs.root / "copy.pdf"))
    os.rename(copy, dirs.inbox / "copy.pdf")
    wait_for(lambda: running.metric("toridaemon_duplicates_total") == 1, 30, what="the copy called a duplicate")
    assert len(list(dirs.outbox.glob("*.json"))) == 1, "one result per content"
    assert running.stop() == 0


# `reprocess` of one PDF, SIGKILLed at a chosen instant: inside its transaction once the result is set aside (its
# folder fsynced), or just after the transaction committed, before the result set aside is deleted.
_KILLED_REPROCESS = """
import os, signal, sys
from pathlib import Path
import toridaemon.reprocess as r
where = sys.argv[2]
if where == "inside":
    fsync_dir = r.fsync_dir
    def fsync_then_die(path):
        fsync_dir(path)
        if Path(path) == Path(os.environ["TORI_OUTBOX_DIR"]):
            os.kill(os.getpid(), signal.SIGKILL)
    r.fsync_dir = fsync_then_die
else:
    forget_rows = r.forget_rows
    def forget_then_die(*args):
        forget_rows(*args)
        os.kill(os.getpid(), signal.SIGKILL)
    r.forget_rows = forget_then_die
from toridaemon.cli import main
main(["reprocess", sys.argv[1]])
"""


@pytest.mark.parametrize("where", ["inside", "after"])
def test_a_reprocess_killed_around_its_commit_leaves_one_result(
    dirs: Dirs, running: DaemonProcess, daemon_factory: Callable[..., DaemonProcess], where: str
) -> None:
    """Results were deleted inside the transaction: a kill before the commit left the content `done` without a
    result. Now they are set aside until the records are gone. Killed before the commit, the records stay: a copy
    dropped meanwhile is a duplicate, and the next start puts the result back. Killed after it, a copy dropped
    meanwhile is processed, and the next start deletes the old result: put back, it made a second one."""
    pdf = _process(dirs, "paper.pdf", running)
    killed = subprocess.run([sys.executable, "-c", _KILLED_REPROCESS, str(pdf), where], capture_output=True,
                            timeout=60, check=False)
    assert killed.returncode == -9, killed.stderr
    assert not list(dirs.outbox.glob("*.json")), "the result is set aside, not in the outbox"
    copy = Path(shutil.copy(dirs.inbox / staged_name("paper.pdf"), dirs.root / "copy.pdf"))
    os.rename(copy, dirs.inbox / "copy.pdf")
    wait_for(lambda: (dirs.processed / "copy.pdf").exists(), 30, what="the copy settled")
    assert len(list(dirs.outbox.glob("*.json"))) == (0 if where == "inside" else 1)
    assert running.stop() == 0
    again = daemon_factory()
    again.wait_ready()
    recovery_counts = again.event("recovery")
    assert recovery_counts is not None and recovery_counts["restored"] == (1 if where == "inside" else 0)
    results = [p.name for p in dirs.outbox.glob("*.json")]
    assert len(results) == 1 and results[0].startswith("paper." if where == "inside" else "copy."), results
    assert not (dirs.outbox / reprocess_module.FORGOTTEN).exists()
    assert again.stop() == 0


def test_a_symlink_where_outputs_are_set_aside_is_never_followed(tmp_path: Path) -> None:
    """`outbox/.tori-forgotten -> .`: the start deleted every result in the outbox, their records kept."""
    outbox, failed = tmp_path / "outbox", tmp_path / "failed"
    outbox.mkdir()
    failed.mkdir()
    result = outbox / "a.01234567.json"
    result.write_text(json.dumps({"source": {"name": "a.pdf", "sha256": "0" * 64}}))
    (outbox / reprocess_module.FORGOTTEN).symlink_to(outbox)
    (failed / reprocess_module.FORGOTTEN).symlink_to(outbox)
    assert reprocess_module.settle_forgotten(outbox, failed, lambda _: frozenset()) == 0
    assert result.exists()


def test_a_set_aside_failure_record_goes_back_only_for_a_failure_that_names_it(tmp_path: Path) -> None:
    """Names were taken from every finished record: a copy done since, moved to processed/ under the name the failure
    had, brought the old failure record back beside the copy's result. And an aside file holding `[]` (not ours)
    ended the start with a traceback, at every start."""
    outbox, failed = tmp_path / "outbox", tmp_path / "failed"
    for folder in (outbox / reprocess_module.FORGOTTEN, failed / reprocess_module.FORGOTTEN):
        folder.mkdir(parents=True)
    sha = "a" * 64
    (failed / reprocess_module.FORGOTTEN / "f.pdf.error.json").write_text(json.dumps({"sha256": sha}))
    (outbox / reprocess_module.FORGOTTEN / "junk.json").write_text("[]")
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        copy, _ = journal.detect(tmp_path / "inbox" / "f.pdf", 1, 1)
        journal.claim(copy, sha)
        journal.finish(copy, "done", result_path=outbox / f"f.{sha[:8]}.json",
                       final_path=tmp_path / "processed" / "f.pdf")
        assert journal.settle(functools.partial(reprocess_module.settle_forgotten, outbox, failed)) == 0
        assert not (failed / "f.pdf.error.json").exists() and not (failed / reprocess_module.FORGOTTEN).exists()
        failure, _ = journal.detect(tmp_path / "inbox" / "g.pdf", 1, 1)
        journal.claim(failure, sha)
        journal.finish(failure, "failed", reason="corrupt_pdf", final_path=failed / "g.pdf")
        (failed / reprocess_module.FORGOTTEN).mkdir()
        (failed / reprocess_module.FORGOTTEN / "g.pdf.error.json").write_text(json.dumps({"sha256": sha}))
        assert journal.settle(functools.partial(reprocess_module.settle_forgotten, outbox, failed)) == 1
        assert (failed / "g.pdf.error.json").exists()
    finally:
        journal.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount")
def test_a_reprocess_that_fails_half_way_puts_every_output_back(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    """processed/ a read-only mount of its own: the PDF is copied into the inbox, the result removed, and then the
    original cannot go. The records stayed and the removed result did not: the content was done, with no result."""
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    first = daemon_factory()
    first.wait_ready()
    pdf = _process(dirs, "paper.pdf", first)
    assert first.stop() == 0
    subprocess.run(["mount", "--bind", str(dirs.processed), str(dirs.processed)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(dirs.processed)], check=True)
        refused = subprocess.run([sys.executable, "-m", "toridaemon", "reprocess", str(pdf)], capture_output=True,
                                 text=True, timeout=60, check=False)
    finally:
        subprocess.run(["umount", str(dirs.processed)], check=True)
    assert refused.returncode == 3 and "Read-only file system" in refused.stderr
    assert pdf.exists() and list(dirs.inbox.iterdir()) == []
    assert len(list(dirs.outbox.glob("paper.*.json"))) == 1 and not (dirs.outbox / reprocess_module.FORGOTTEN).exists()


def test_staged_names_keep_the_extension_and_fit_a_file_name() -> None:
    long = "é" * 200 + ".pdf"
    staged = staged_name(long)
    assert len(os.fsencode(staged)) <= 255 and staged.endswith(".pdf.tmp") and staged.startswith(STAGED_PREFIX)
    assert staged_original(staged_name("paper.pdf")) == "paper.pdf"
    assert staged_original(staged_name("x" * 300)) == "x" * (255 - len(STAGED_PREFIX) - len(".tmp"))
    assert staged_original(staged).endswith("é.pdf")  # cut between characters, never inside one
