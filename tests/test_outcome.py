"""Durable outcomes: atomic writes, names that never overwrite, and idempotent retries."""

from __future__ import annotations

import concurrent.futures
import errno
import json
import os
import shutil
import tempfile
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import fulldisk
from toridaemon import fsutil, outcome
from toridaemon.executors.base import Failure
from toridaemon.fsutil import (
    TEMP_PREFIX,
    Replaced,
    candidate_names,
    free_path,
    move_durably,
    move_to_free_name,
    rename_no_replace,
    unlink_expected,
    write_atomic,
)
from toridaemon.hashing import FileIdentity, identity_of, sha256_file
from toridaemon.outcome import OnSuccess, Outcomes, json_sha

SHA = "0123456789abcdef" * 4
OTHER_SHA = "fedcba9876543210" * 4
FAILURE = Failure("text", "bad_pdf", "no PDF header")


def temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(TEMP_PREFIX))


def result_for(sha: str, name: str = "paper.pdf") -> dict[str, Any]:
    return {"schema_version": 1, "source": {"name": name, "sha256": sha, "bytes": 3, "pages": 1}, "concepts": []}


class Counting:
    """A writer that counts calls and delegates to the real atomic write."""

    def __init__(self) -> None:
        self.calls: list[Path] = []

    def __call__(self, path: Path, data: bytes) -> None:
        self.calls.append(path)
        write_atomic(path, data)


def enospc(path: Path, data: bytes) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


class Dirs:
    def __init__(self, root: Path) -> None:
        self.inbox, self.outbox, self.processed, self.failed = (root / n for n in
                                                                 ("inbox", "outbox", "processed", "failed"))
        for directory in (self.inbox, self.outbox, self.processed, self.failed):
            directory.mkdir()

    def outcomes(self, on_success: OnSuccess = "move",
                 write: Callable[[Path, bytes], None] = write_atomic) -> Outcomes:
        return Outcomes(self.outbox, self.processed, self.failed, on_success, write=write)

    def pdf(self, name: str = "paper.pdf", data: bytes = b"%PDF-1.4 body") -> Path:
        path = self.inbox / name
        path.write_bytes(data)
        return path


@pytest.fixture
def dirs(tmp_path: Path) -> Dirs:
    return Dirs(tmp_path)


# ---- write_atomic ---------------------------------------------------------------------------------


def test_write_atomic_writes_everything_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomic(target, b"first")
    write_atomic(target, b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert temps(tmp_path) == []


def test_write_atomic_failing_fsync_removes_the_temp_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError) as caught:
        write_atomic(target, b"new" * 1000)
    assert caught.value.errno == errno.ENOSPC
    assert temps(tmp_path) == []
    assert target.read_bytes() == b"old"


def test_write_atomic_failing_rename_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "child").write_text("keeps the directory non-empty")
    with pytest.raises(OSError):
        write_atomic(target, b"data")
    assert temps(tmp_path) == []


def test_write_atomic_interrupted_removes_the_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "x.json", b"data")
    assert list(tmp_path.iterdir()) == []


# ---- names ----------------------------------------------------------------------------------------


def test_a_result_file_has_a_line_per_field_and_per_concept_and_reads_back_whole(dirs: Dirs) -> None:
    result = result_for(SHA, "naïve \udcff.pdf")
    result["concepts"] = [{"name": f"concept {i}", "score": 1 / (i + 1), "context": "a \"quoted\"\nline"}
                          for i in range(3)]
    result["warnings"] = []
    written = dirs.outcomes().write_result("naïve.pdf", result)
    text = written.read_bytes().decode("ascii")  # escapes keep any name, surrogates too, valid JSON
    assert json.loads(text) == result
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and text.endswith("}\n")
    assert sum(1 for line in lines if line.lstrip().startswith('{"name": "concept ')) == 3
    assert lines[-2] == '  "warnings": []' and lines[1] == '  "schema_version": 1,'


def test_candidate_names() -> None:
    def first(name: str) -> list[str]:
        names = candidate_names(name)
        return [next(names) for _ in range(3)]

    assert first("paper.pdf") == ["paper.pdf", "paper-1.pdf", "paper-2.pdf"]
    assert first("a.b.json") == ["a.b.json", "a.b-1.json", "a.b-2.json"]
    assert first("noext") == ["noext", "noext-1", "noext-2"]
    assert first(".hidden") == [".hidden", ".hidden-1", ".hidden-2"]


def test_free_path_skips_every_existing_name_including_dangling_symlinks(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_text("x")
    (tmp_path / "a-1.pdf").symlink_to(tmp_path / "nowhere")
    assert free_path(tmp_path, "a.pdf") == tmp_path / "a-2.pdf"


def test_move_durably_moves(tmp_path: Path) -> None:
    source, target = tmp_path / "s.pdf", tmp_path / "sub" / "t.pdf"
    target.parent.mkdir()
    source.write_bytes(b"pdf")
    move_durably(source, target)
    assert not source.exists()
    assert target.read_bytes() == b"pdf"


def cross_device_for(source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Renames of `source` fail as across filesystems (EXDEV): the copy path runs on one test filesystem."""
    real_rename = os.rename

    def cross_device(src: Any, dst: Any) -> None:
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", cross_device)


def test_move_durably_copies_across_filesystems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, target = tmp_path / "s.pdf", tmp_path / "t.pdf"
    source.write_bytes(b"pdf bytes")
    cross_device_for(source, monkeypatch)
    move_durably(source, target)
    assert not source.exists()
    assert target.read_bytes() == b"pdf bytes"
    assert temps(tmp_path) == []


def test_a_move_to_another_filesystem_holds_a_chunk_in_memory_not_the_file(tmp_path: Path) -> None:
    """A 400 MB input moved to processed/ on another filesystem took the daemon from 107 to 494 MB: it was read
    whole. A real second filesystem (the tmpfs at /dev/shm), so the copy path is the one a move across mounts takes."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on a filesystem of its own")
    other = Path(tempfile.mkdtemp(dir=shm))
    try:
        source = tmp_path / "large.pdf"
        with open(source, "wb") as handle:
            for _ in range(24):
                handle.write(os.urandom(1 << 20))
        expect = identity_of(os.lstat(source))
        tracemalloc.start()
        try:
            move_durably(source, other / "large.pdf", expect)
            moved = move_to_free_name(other / "large.pdf", tmp_path, "back.pdf")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert not source.exists() and moved == tmp_path / "back.pdf" and moved.stat().st_size == 24 << 20
        assert moved.stat().st_mtime_ns == expect[3], "the modification time travels, as with a rename"
        assert peak < 4 * fsutil.COPY_CHUNK, f"{peak} bytes held for a 24 MiB copy"
        assert temps(tmp_path) == [] and temps(other) == []
    finally:
        shutil.rmtree(other)


def test_a_cut_move_to_a_full_filesystem_is_finished_without_a_second_copy(tmp_path: Path) -> None:
    """A move to another filesystem cut between its copy and the input's unlink, then that filesystem filled: the
    retry wrote a whole second copy before replacing the first, and failed for as long as less than the file was
    free. Finishing needs no space: the copy is there. A move that does need space names the folder."""
    processed = tmp_path / "processed"
    processed.mkdir()
    with fulldisk.tmpfs(processed, "1m"):
        source = tmp_path / "scan.pdf"
        source.write_bytes(os.urandom(600 << 10))
        expect = identity_of(os.lstat(source))
        shutil.copyfile(source, processed / "scan.pdf")  # what the cut move left
        fulldisk.fill(processed)
        move_durably(source, processed / "scan.pdf", expect)
        assert not source.exists() and (processed / "scan.pdf").stat().st_size == 600 << 10
        other = tmp_path / "other.pdf"
        other.write_bytes(os.urandom(64 << 10))
        with pytest.raises(OSError) as full:
            move_durably(other, processed / "other.pdf")
        assert full.value.errno == errno.ENOSPC and str(processed) in str(full.value)
        assert other.exists() and temps(processed) == []
        # Only a regular file of its own counts: a symlink to the input there is replaced by a copy.
        (processed / "scan.pdf").unlink()
        source.write_bytes(b"%PDF small")
        (processed / "scan.pdf").symlink_to(source)
        move_durably(source, processed / "scan.pdf", identity_of(os.lstat(source)))
        assert not (processed / "scan.pdf").is_symlink() and (processed / "scan.pdf").read_bytes() == b"%PDF small"
        assert not source.exists()


def read_scan(tmp_path: Path) -> tuple[Path, Path, FileIdentity]:
    """An input as it was read ("scan.pdf" and its identity), and where a move takes it."""
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"the scan that was read")
    return source, tmp_path / "moved.pdf", identity_of(os.lstat(source))


def rename_over(path: Path, data: bytes = b"the next scan") -> None:
    """A scanner renaming its next file into place, over `path`."""
    staged = path.with_name("next.pdf")
    staged.write_bytes(data)
    staged.rename(path)


@pytest.mark.parametrize("across", [False, True], ids=["rename", "copy"])
def test_a_file_renamed_over_the_input_since_it_was_read_is_never_moved_nor_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, across: bool
) -> None:
    source, target, expect = read_scan(tmp_path)
    rename_over(source)
    if across:
        cross_device_for(source, monkeypatch)
    with pytest.raises(Replaced) as replaced:
        move_durably(source, target, expect)
    assert not replaced.value.moved and not target.exists()
    assert source.read_bytes() == b"the next scan"
    with pytest.raises(Replaced):
        unlink_expected(source, expect)
    assert source.read_bytes() == b"the next scan"
    assert temps(tmp_path) == []


def test_a_file_renamed_over_the_input_during_its_copy_stays_and_the_copy_is_the_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target, expect = read_scan(tmp_path)
    cross_device_for(source, monkeypatch)
    real_copy = fsutil.copy_atomic

    def replace_during_copy(path: Path, handle: BinaryIO) -> None:
        real_copy(path, handle)
        rename_over(source)

    monkeypatch.setattr(fsutil, "copy_atomic", replace_during_copy)
    with pytest.raises(Replaced) as replaced:
        move_durably(source, target, expect)
    assert replaced.value.moved
    assert target.read_bytes() == b"the scan that was read" and source.read_bytes() == b"the next scan"


@pytest.mark.parametrize("atomic", [True, False], ids=["renameat2", "look-first"])
def test_rename_no_replace_never_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, atomic: bool) -> None:
    if not atomic:  # a C library or filesystem without renameat2(RENAME_NOREPLACE)
        monkeypatch.setattr(fsutil, "_renameat2", None)
    source, target = tmp_path / "moved.pdf", tmp_path / "there.pdf"
    source.write_bytes(b"moved")
    target.write_bytes(b"there")
    with pytest.raises(FileExistsError):
        rename_no_replace(source, target)
    assert (source.read_bytes(), target.read_bytes()) == (b"moved", b"there")
    target.unlink()
    rename_no_replace(source, target)
    assert target.read_bytes() == b"moved" and not source.exists()


@pytest.mark.parametrize("across", [False, True], ids=["rename", "copy"])
def test_a_move_to_a_free_name_never_replaces_a_file_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, across: bool
) -> None:
    """`reprocess` moves a PDF back into the inbox: a file of the same name dropped there is never replaced."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "x.pdf").write_bytes(b"dropped meanwhile")
    source = tmp_path / "x.pdf"
    source.write_bytes(b"moved back")
    if across:
        monkeypatch.setattr(fsutil, "_renameat2", None)
        cross_device_for(source, monkeypatch)
    assert move_to_free_name(source, inbox, "x.pdf") == inbox / "x-1.pdf"
    assert (inbox / "x.pdf").read_bytes() == b"dropped meanwhile" and (inbox / "x-1.pdf").read_bytes() == b"moved back"
    assert not source.exists() and temps(inbox) == []


def test_a_file_put_back_goes_beside_one_that_took_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file a move took by mistake is put back; a third one that came at its name meanwhile stays whole."""
    source, target, expect = read_scan(tmp_path)
    rename_over(source)
    real_rename = os.rename

    def third_arrives(src: Any, dst: Any) -> None:
        real_rename(src, dst)
        if Path(dst) == target:  # the move took the next scan; a third comes at the name before the put-back
            source.write_bytes(b"a third scan")

    monkeypatch.setattr(os, "rename", third_arrives)
    with pytest.raises(Replaced):
        move_durably(source, target, expect)
    assert source.read_bytes() == b"a third scan"
    assert (tmp_path / "scan-1.pdf").read_bytes() == b"the next scan"


def test_a_rename_that_changes_the_inode_number_is_no_replacement(tmp_path: Path) -> None:
    """mergerfs (inodecalc=path-hash) gives a renamed file another inode number: the check after the rename goes
    by size and modification time, or every move would be undone and the input never leave the inbox."""
    source, target, (device, inode, size, mtime) = read_scan(tmp_path)
    move_durably(source, target, (device, inode + 1, size, mtime))
    assert target.read_bytes() == b"the scan that was read" and not source.exists()


def test_a_fifo_renamed_over_the_input_is_not_read_by_a_copy_across(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target, expect = read_scan(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "fifo").rename(source)
    cross_device_for(source, monkeypatch)
    with pytest.raises(Replaced) as replaced:
        move_durably(source, target, expect)
    assert not replaced.value.moved and not target.exists()


def test_inputs_settled_at_once_under_one_name_never_replace_each_other(
    dirs: Dirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two inputs whose processed/ names end alike ("a/x.pdf", "b/x.pdf") settled by two threads at once. The
    seam only holds each move until both threads have chosen a name; the renames are real."""
    outcomes = dirs.outcomes()
    inputs = []
    for folder in ("a", "b"):
        (dirs.inbox / folder).mkdir()
        inputs.append(dirs.pdf(f"{folder}/x.pdf", f"%PDF-1.4 from {folder}".encode()))
    both_chose = threading.Barrier(2, timeout=10)
    real_move = fsutil.move_durably

    def move_once_both_chose(source: Path, target: Path, expect: Any = None) -> None:
        both_chose.wait()
        real_move(source, target, expect)

    monkeypatch.setattr(outcome, "move_durably", move_once_both_chose)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        moved = list(pool.map(outcomes.settle_input, inputs))
    assert sorted(p.name for p in moved if p) == ["x-1.pdf", "x.pdf"]
    assert sorted(p.read_bytes() for p in dirs.processed.iterdir()) == [b"%PDF-1.4 from a", b"%PDF-1.4 from b"]

    failed = [dirs.pdf(f"{folder}/x.pdf", f"%PDF-1.4 bad {folder}".encode()) for folder in ("a", "b")]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        records = list(pool.map(lambda pdf: outcomes.write_failure(pdf, sha256_file(pdf).sha256, FAILURE), failed))
    assert sorted(p.name for p in records) == ["x-1.pdf", "x.pdf"]
    assert sorted(p.read_bytes() for p in records) == [b"%PDF-1.4 bad a", b"%PDF-1.4 bad b"]
    assert all(json_sha(p.with_name(p.name + ".error.json"), None) == sha256_file(p).sha256 for p in records)


# ---- results --------------------------------------------------------------------------------------


def test_write_result_names_the_file_after_stem_and_sha(dirs: Dirs) -> None:
    path = dirs.outcomes().write_result("Paper.PDF", result_for(SHA, "Paper.PDF"))
    assert path == dirs.outbox / f"Paper.{SHA[:8]}.json"
    assert json.loads(path.read_text())["source"]["sha256"] == SHA
    assert temps(dirs.outbox) == []


def test_write_result_twice_for_the_same_sha_gives_one_file(dirs: Dirs) -> None:
    writer = Counting()
    outcomes = dirs.outcomes(write=writer)
    first = outcomes.write_result("paper.pdf", result_for(SHA))
    second = outcomes.write_result("paper.pdf", result_for(SHA))
    assert first == second
    assert len(writer.calls) == 1
    assert sorted(p.name for p in dirs.outbox.iterdir()) == [first.name]


def test_a_result_name_clash_never_overwrites(dirs: Dirs) -> None:
    # Another document with the same stem and the same first 8 hex digits already owns the name.
    clash_sha = SHA[:8] + "9" * 56
    taken = dirs.outbox / f"paper.{SHA[:8]}.json"
    taken.write_text(json.dumps(result_for(clash_sha)))
    foreign = dirs.outbox / f"paper.{SHA[:8]}-1.json"
    foreign.write_text("not ours, not even JSON")
    path = dirs.outcomes().write_result("paper.pdf", result_for(SHA))
    assert path == dirs.outbox / f"paper.{SHA[:8]}-2.json"
    assert json_sha(taken, "source") == clash_sha
    assert foreign.read_text() == "not ours, not even JSON"
    assert dirs.outcomes().write_result("paper.pdf", result_for(SHA)) == path  # and finds it again


def test_a_failing_result_write_leaves_the_outbox_empty(dirs: Dirs) -> None:
    with pytest.raises(OSError) as caught:
        dirs.outcomes(write=enospc).write_result("paper.pdf", result_for(SHA))
    assert caught.value.errno == errno.ENOSPC
    assert list(dirs.outbox.iterdir()) == []


# ---- inputs after success -------------------------------------------------------------------------


def test_settle_input_move_never_overwrites(dirs: Dirs) -> None:
    (dirs.processed / "paper.pdf").write_bytes(b"older paper")
    (dirs.processed / "paper-1.pdf").write_bytes(b"another older paper")
    moved = dirs.outcomes().settle_input(dirs.pdf(data=b"new paper"))
    assert moved == dirs.processed / "paper-2.pdf"
    assert moved.read_bytes() == b"new paper"
    assert (dirs.processed / "paper.pdf").read_bytes() == b"older paper"
    assert (dirs.processed / "paper-1.pdf").read_bytes() == b"another older paper"
    assert list(dirs.inbox.iterdir()) == []


def cut_cross_device_move(pdf: Path, target: Path) -> None:
    """What a crash between a cross-device move's copy and its unlink leaves: both, with the same bytes."""
    target.write_bytes(pdf.read_bytes())


def test_settling_again_after_a_cut_cross_device_move_keeps_one_copy(dirs: Dirs) -> None:
    pdf = dirs.pdf(data=b"%PDF-1.4 the paper")
    cut_cross_device_move(pdf, dirs.processed / "paper.pdf")
    assert dirs.outcomes().settle_input(pdf) == dirs.processed / "paper.pdf"
    assert [p.name for p in dirs.processed.iterdir()] == ["paper.pdf"] and list(dirs.inbox.iterdir()) == []


def test_a_duplicate_of_a_processed_file_is_kept_under_its_own_name(dirs: Dirs) -> None:
    pdf = dirs.pdf(data=b"%PDF-1.4 the paper")
    cut_cross_device_move(pdf, dirs.processed / "paper.pdf")
    assert dirs.outcomes().settle_input(pdf, reuse_identical=False) == dirs.processed / "paper-1.pdf"


def test_failing_again_after_a_cut_cross_device_move_keeps_one_copy(dirs: Dirs) -> None:
    pdf = dirs.pdf(data=b"not a pdf")
    failure = Failure("read", "not_a_pdf", "no header")
    first = dirs.failed / "paper.pdf"
    (dirs.failed / "paper.pdf.error.json").write_text(json.dumps({"sha256": "abc", "name": "paper.pdf"}))
    cut_cross_device_move(pdf, first)
    assert dirs.outcomes().write_failure(pdf, "abc", failure) == first
    assert sorted(p.name for p in dirs.failed.iterdir()) == ["paper.pdf", "paper.pdf.error.json"]
    assert list(dirs.inbox.iterdir()) == []


def test_settle_input_delete_and_keep(dirs: Dirs) -> None:
    assert dirs.outcomes("delete").settle_input(dirs.pdf("a.pdf")) is None
    assert not (dirs.inbox / "a.pdf").exists()
    kept = dirs.pdf("b.pdf")
    assert dirs.outcomes("keep").settle_input(kept) == kept
    assert kept.exists()
    assert list(dirs.processed.iterdir()) == []


def test_settle_input_of_an_input_already_gone_is_a_no_op(dirs: Dirs) -> None:
    assert dirs.outcomes("move").settle_input(dirs.inbox / "gone.pdf") is None
    assert dirs.outcomes("delete").settle_input(dirs.inbox / "gone.pdf") is None


# ---- failures -------------------------------------------------------------------------------------


def test_write_failure_records_then_moves(dirs: Dirs) -> None:
    target = dirs.outcomes().write_failure(dirs.pdf(), SHA, FAILURE)
    assert target == dirs.failed / "paper.pdf"
    assert target.read_bytes() == b"%PDF-1.4 body"
    record = json.loads((dirs.failed / "paper.pdf.error.json").read_text())
    assert {k: record[k] for k in ("stage", "reason", "message", "sha256", "name")} == {
        "stage": "text", "reason": "bad_pdf", "message": "no PDF header", "sha256": SHA, "name": "paper.pdf"}
    assert record["at"].endswith("+00:00")
    assert list(dirs.inbox.iterdir()) == []


def test_a_failing_record_write_keeps_the_input_in_the_inbox(dirs: Dirs) -> None:
    pdf = dirs.pdf()
    with pytest.raises(OSError):
        dirs.outcomes(write=enospc).write_failure(pdf, SHA, FAILURE)
    assert pdf.exists()
    assert list(dirs.failed.iterdir()) == []


class Crash(BaseException):
    """Stands for the process dying at this instant."""


def test_write_failure_after_a_crash_between_record_and_move_gives_one_record(
    dirs: Dirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = dirs.pdf()
    writer = Counting()

    def crash(source: Path, target: Path, expect: Any = None) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(outcome, "move_durably", crash)
        with pytest.raises(Crash):
            dirs.outcomes(write=writer).write_failure(pdf, SHA, FAILURE)
    assert pdf.exists()
    assert [p.name for p in dirs.failed.iterdir()] == ["paper.pdf.error.json"]

    target = dirs.outcomes(write=writer).write_failure(pdf, SHA, FAILURE)
    assert target == dirs.failed / "paper.pdf"
    assert sorted(p.name for p in dirs.failed.iterdir()) == ["paper.pdf", "paper.pdf.error.json"]
    assert len(writer.calls) == 1
    assert not pdf.exists()


def test_failure_name_clashes_never_overwrite(dirs: Dirs) -> None:
    outcomes = dirs.outcomes()
    first = outcomes.write_failure(dirs.pdf(data=b"one"), OTHER_SHA, FAILURE)
    # A stale record whose PDF is absent, for some other content: its name is not free either.
    (dirs.failed / "paper-1.pdf.error.json").write_text(json.dumps({"sha256": "c" * 64}))
    second = outcomes.write_failure(dirs.pdf(data=b"two"), SHA, FAILURE)
    assert (first, second) == (dirs.failed / "paper.pdf", dirs.failed / "paper-2.pdf")
    assert first.read_bytes() == b"one"
    assert second.read_bytes() == b"two"
    assert json_sha(dirs.failed / "paper.pdf.error.json", None) == OTHER_SHA
    assert json_sha(dirs.failed / "paper-1.pdf.error.json", None) == "c" * 64
    assert json_sha(dirs.failed / "paper-2.pdf.error.json", None) == SHA


def test_json_sha_tolerates_foreign_files(tmp_path: Path) -> None:
    garbage, listing, missing = tmp_path / "g.json", tmp_path / "l.json", tmp_path / "m.json"
    garbage.write_bytes(b"\xff\xfe not json")
    listing.write_text("[1, 2]")
    assert json_sha(garbage, "source") is None
    assert json_sha(listing, None) is None
    assert json_sha(missing, None) is None


def test_an_output_folder_gone_is_made_again_only_in_the_folder_that_held_it(tmp_path: Path) -> None:
    """Its parent replaced (here renamed away and made anew; in life, a volume unmounted from under it): an outcome
    written there would be hidden once the volume is back, so none is, and the input stays where it is."""
    home = tmp_path / "volume"
    home.mkdir()
    dirs = Dirs(home)
    outcomes = dirs.outcomes()
    dirs.pdf()
    os.rmdir(dirs.outbox)
    assert outcomes.write_result("paper.pdf", result_for(SHA)).parent == dirs.outbox  # same parent: made again
    os.rename(home, tmp_path / "away")
    home.mkdir()
    (tmp_path / "inbox").mkdir()
    moved_pdf = tmp_path / "inbox" / "paper.pdf"
    os.rename(tmp_path / "away" / "inbox" / "paper.pdf", moved_pdf)
    with pytest.raises(FileNotFoundError) as caught:
        outcomes.write_result("paper.pdf", result_for(OTHER_SHA))
    assert caught.value.filename == str(dirs.outbox) and "unmounted" in str(caught.value)
    with pytest.raises(FileNotFoundError):
        outcomes.settle_input(moved_pdf)
    with pytest.raises(FileNotFoundError):
        outcomes.write_failure(moved_pdf, SHA, FAILURE)
    assert list(home.iterdir()) == [] and moved_pdf.exists()


@pytest.mark.timeout(20)
def test_a_fifo_at_an_output_name_is_passed_over_not_read(dirs: Dirs) -> None:
    """A FIFO put where a result or failure record would go blocked the daemon's read of it (the file stayed in
    `hash`, and the stop never ended); `/dev/zero` there filled memory. Neither is ours: the next name is taken."""
    outcomes = dirs.outcomes()
    taken = outcomes.result_path("paper.pdf", SHA)
    os.mkfifo(taken)
    (dirs.failed / "paper.pdf.error.json").symlink_to("/dev/zero")
    os.mkfifo(dirs.processed / "paper.pdf")
    assert outcomes.existing("paper.pdf", SHA) is None
    written = outcomes.write_result("paper.pdf", result_for(SHA))
    assert written != taken and json_sha(written, "source") == SHA
    assert outcomes.settle_input(dirs.pdf()) == dirs.processed / "paper-1.pdf"
    failed = outcomes.write_failure(dirs.pdf("other.pdf"), OTHER_SHA, FAILURE)
    assert failed.name == "other.pdf"
    assert json_sha(taken, "source") is None and json_sha(dirs.failed / "paper.pdf.error.json", None) is None


def test_a_long_name_keeps_its_sha8_and_a_utf8_name_stays_utf8(dirs: Dirs) -> None:
    """The whole "<stem>.<sha8>.json" was cut to 200 bytes, the sha8 with it (from a 196-byte name on): results
    of one name no longer told contents apart, and `reprocess` did not find them. A cut inside a character made a
    name no UTF-8 tool reads."""
    outcomes = dirs.outcomes()
    long_name = "Annual-report-" + "x" * 200 + ".pdf"
    path = outcomes.write_result(long_name, result_for(SHA, long_name))
    assert path.name.endswith(f".{SHA[:8]}.json") and len(os.fsencode(path.name)) <= outcome.MAX_NAME_BYTES
    other = outcomes.write_result(long_name, result_for(OTHER_SHA, long_name))
    assert other.name.endswith(f".{OTHER_SHA[:8]}.json")
    umlauts = "ü" * 125 + ".pdf"
    named = outcomes.write_result(umlauts, result_for(SHA, umlauts))
    assert named.name == "ü" * 93 + f".{SHA[:8]}.json"  # 186 bytes of whole characters
    named.name.encode("utf-8")
    assert outcome.short_name("ü" * 125 + ".pdf").encode("utf-8")
    raw = os.fsdecode(b"\xff" * 300 + b".pdf")  # no UTF-8: cut byte-wise, as before
    assert len(os.fsencode(outcome.short_name(raw))) == outcome.MAX_NAME_BYTES


def test_outputs_written_under_the_old_cut_of_a_long_name_are_still_found(dirs: Dirs) -> None:
    """Names used to be cut whole (a result's ".<sha8>" with them) and inside a character. A crash across the
    upgrade, between the result and the move, parsed the file again and wrote a second result; a failure record
    so named was not found, and a file moved back was recorded afresh."""
    outcomes = dirs.outcomes()
    name = "日" * 70 + ".pdf"  # 214 bytes: the old cut fell inside a character
    old_result = dirs.outbox / (os.fsdecode(os.fsencode("日" * 70 + f".{SHA[:8]}")[:195]) + ".json")
    old_result.write_bytes(json.dumps(result_for(SHA, name)).encode())
    assert outcomes.found_result(name, SHA) == old_result
    existing = outcomes.existing(name, SHA)
    assert existing is not None and existing.result is not None
    assert outcomes.write_result(name, result_for(SHA, name)) == old_result
    assert [p.name for p in dirs.outbox.iterdir()] == [old_result.name], "a second result for one content"
    old_record = dirs.failed / (os.fsdecode(os.fsencode("日" * 70)[:196]) + ".pdf.error.json")
    old_record.write_text(json.dumps({"stage": "text", "reason": "corrupt_pdf", "message": "x", "sha256": OTHER_SHA}))
    assert outcome.find_failure_record(dirs.failed, name, OTHER_SHA) == old_record.with_name(
        old_record.name.removesuffix(outcome.ERROR_SUFFIX))


def _json_values(allow_nan: bool = True) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=allow_nan) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    )


@settings(max_examples=300, deadline=None)
@given(_json_values())
def test_a_result_piece_is_encoded_as_the_standard_encoder_does(value: Any) -> None:
    """`_compact` keeps one C encoder for every piece: its text is the standard encoder's with the same settings
    (ASCII escapes, lone surrogates included; NaN as `NaN`, as before)."""
    standard = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode
    assert outcome._compact(value) == standard(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _json_values(allow_nan=False), max_size=6))
def test_a_result_file_reads_back_as_the_result(result: dict[str, Any]) -> None:
    text = outcome._dumps(result).decode("ascii")
    assert json.loads(text) == result
