"""The inbox watch is supervised: deleted, renamed, mounted-over or unmounted inboxes are watched
again within a second, by events (the rescan is pushed far out so it cannot be what finds files)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from watchdog.events import FileSystemEvent

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from toridaemon.inbox.fstype import SILENT_FILESYSTEMS, choose_backend, fs_magic
from toridaemon.inbox.watcher import Watcher

pytestmark = pytest.mark.e2e
NO_RESCAN = {"TORI_RESCAN_INTERVAL_SECONDS": "600"}


def _rename_in(dirs: Dirs, name: str) -> Path:
    """Write under a hidden (ignored) name, then rename: the atomic arrival the watch must report.
    The hidden name lives in the inbox so the rename stays on the inbox's file system."""
    source = make_pdf(dirs.inbox / f".{name}.part", title=name, salt=name)
    target = dirs.inbox / name
    os.rename(source, target)
    return target


def _rearms(daemon: DaemonProcess) -> list[dict[str, object]]:
    return [e for e in daemon.events() if e.get("event") == "watch_rearmed"]


def _arrives_by_event(dirs: Dirs, daemon: DaemonProcess, name: str) -> None:
    before = daemon.metric("toridaemon_rescan_recovered_total")
    _rename_in(dirs, name)
    stem = name.removesuffix(".pdf")
    wait_for(lambda: list(dirs.outbox.glob(f"{stem}.*.json")), 10, what=f"result of {name}")
    # The result is written before the PDF leaves the inbox; the file is finished only once it has.
    wait_for(lambda: not (dirs.inbox / name).exists() and list(dirs.processed.glob(f"{stem}*")), 10,
             what=f"{name} moved out of the inbox")
    assert daemon.metric("toridaemon_rescan_recovered_total") == before, "found by a rescan, not an event"


def _wait_rearmed(daemon: DaemonProcess, count: int, *reasons: str) -> None:
    wait_for(lambda: len(_rearms(daemon)) >= count, 5, what=f"re-arm #{count}")
    assert _rearms(daemon)[count - 1]["reason"] in reasons
    # The rescan that follows a re-arm (for files that came while the watch was blind) is over, so a
    # file dropped now can only be found by an event.
    wait_for(lambda: len([e for e in daemon.events() if e.get("event") == "inbox_rescanned"]) >= count, 5,
             what=f"rescan after re-arm #{count}")
    wait_for(lambda: daemon.get("/healthz")[0] == 200, 5, what="healthy again")


@pytest.mark.parametrize("mode", ["inotify", "polling"])
def test_deleted_and_recreated_inbox_is_watched_again(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess],
                                                        mode: str) -> None:
    daemon = daemon_factory({**NO_RESCAN, "TORI_WATCH_MODE": mode})
    daemon.wait_ready()
    dirs.inbox.rmdir()
    wait_for(lambda: daemon.get("/healthz")[0] == 503, 5, what="unhealthy while the inbox is missing")
    assert daemon.get("/readyz")[0] == 503
    wait_for(lambda: daemon.event("inbox_missing"), 5, what="inbox_missing logged")
    dirs.inbox.mkdir()
    if mode == "inotify":
        # The new directory may reuse the old inode number; then the lost inotify watch is the sign.
        _wait_rearmed(daemon, 1, "replaced", "watch_lost")
        reasons = ("replaced", "watch_lost")
        assert sum(daemon.metric("toridaemon_watch_rearms_total", f'reason="{r}"') for r in reasons) == 1
    else:  # polling follows the path; it needs a re-arm only when the inode number changed
        wait_for(lambda: daemon.get("/healthz")[0] == 200, 5, what="healthy again")
        # Healthy means any re-arm is done (its counter, unlike its log line, is up at once); let its rescan pass.
        if daemon.metric("toridaemon_watch_rearms_total", 'reason="replaced"'):
            _wait_rearmed(daemon, 1, "replaced")
    _arrives_by_event(dirs, daemon, "after-recreate.pdf")


def test_inbox_renamed_away_and_replaced_is_watched_again(dirs: Dirs,
                                                          daemon_factory: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_factory(NO_RESCAN)
    daemon.wait_ready()
    dirs.inbox.rename(dirs.root / "inbox.old")
    dirs.inbox.mkdir()
    _wait_rearmed(daemon, 1, "replaced")
    _arrives_by_event(dirs, daemon, "after-rename.pdf")


@pytest.fixture
def mounted_tmpfs(dirs: Dirs) -> Iterator[Callable[[], None]]:
    """Mount a tmpfs over the inbox (needs root and CAP_SYS_ADMIN); yields the unmount."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command")

    def mount() -> None:
        done = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(dirs.inbox)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"mount not permitted here: {done.stderr.decode().strip()}")

    yield mount
    if os.path.ismount(dirs.inbox):
        subprocess.run(["umount", "-l", str(dirs.inbox)], check=False)


def _unmount(path: Path) -> None:
    """Unmount, letting a directory fsync or a listing the daemon has in flight finish: a hold that
    outlasts a few seconds is a real fault (an operator could not unmount either) and fails the test."""
    deadline = time.monotonic() + 5
    while True:
        done = subprocess.run(["umount", str(path)], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return
        if "busy" not in done.stderr or time.monotonic() > deadline:
            raise AssertionError(f"umount {path}: {done.stderr.strip()}")
        time.sleep(0.05)


def test_tmpfs_mounted_over_the_inbox_and_unmounted_again(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], mounted_tmpfs: Callable[[], None]
) -> None:
    daemon = daemon_factory(NO_RESCAN)
    daemon.wait_ready()
    mounted_tmpfs()
    try:
        _wait_rearmed(daemon, 1, "mounted_or_unmounted")
        _arrives_by_event(dirs, daemon, "on-tmpfs.pdf")
    finally:
        _unmount(dirs.inbox)
    _wait_rearmed(daemon, 2, "mounted_or_unmounted")
    _arrives_by_event(dirs, daemon, "after-unmount.pdf")
    assert daemon.metric("toridaemon_watch_rearms_total", 'reason="mounted_or_unmounted"') == 2


def test_supervisor_reports_missing_inbox_and_rearms_in_process(tmp_path: Path) -> None:
    """The same supervision without the daemon: the watcher notices within its check period."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seen: list[tuple[str, Path]] = []
    reasons: list[str] = []
    watcher = Watcher(inbox, "inotify", lambda kind, path: seen.append((kind, path)), on_rearm=reasons.append,
                      check_seconds=0.05)
    watcher.start()
    try:
        assert watcher.is_alive()
        inbox.rmdir()
        wait_for(lambda: not watcher.is_alive(), 2, what="unhealthy")
        inbox.mkdir()
        wait_for(lambda: len(reasons) == 1 and watcher.is_alive(), 2, what="re-armed")
        (inbox / "new.pdf").write_bytes(b"%PDF-1.4")
        wait_for(lambda: ("closed", inbox / "new.pdf") in seen, 2, what="event after re-arm")
    finally:
        watcher.stop()


def test_reads_of_inbox_files_never_reach_the_watcher(tmp_path: Path) -> None:
    """Every file is read by the daemon and its worker; inotify is asked only for the events the gate
    uses, so neither a read (its open, its close without a write) nor the folder's "modified" that comes with
    each rename wakes the watcher's threads."""
    inbox, staging = tmp_path / "inbox", tmp_path / "staging"
    inbox.mkdir()
    staging.mkdir()
    paper = inbox / "paper.pdf"
    paper.write_bytes(b"%PDF-1.4 written in place")
    seen: list[tuple[str, Path]] = []
    watcher = Watcher(inbox, "inotify", lambda kind, path: seen.append((kind, path)))
    watcher.start()
    try:
        dispatched: list[str] = []
        forward = watcher._handler.dispatch

        def dispatch(event: FileSystemEvent) -> None:  # what the observer thread hands the handler, in order
            dispatched.append(event.event_type)
            forward(event)

        watcher._handler.dispatch = dispatch  # type: ignore[method-assign]
        for _ in range(3):
            paper.read_bytes()
        (staging / "next.pdf").write_bytes(b"%PDF-1.4 renamed in")
        os.rename(staging / "next.pdf", inbox / "next.pdf")
        wait_for(lambda: ("moved", inbox / "next.pdf") in seen, 2, what="the rename into the inbox")
        assert dispatched == ["moved"]
        paper.write_bytes(b"%PDF-1.4 a writer came back")
        wait_for(lambda: ("closed", paper) in seen, 2, what="the close after the write")
    finally:
        watcher.stop()


def _fixed_magic(magic: int, _: Path) -> int:
    return magic


def test_auto_mode_polls_network_and_fuse_filesystems(tmp_path: Path) -> None:
    # No NFS, SMB or FUSE mount can be made here, so the statfs answer is injected for those; the
    # real statfs is checked on the local file system below.
    for magic, name in SILENT_FILESYSTEMS.items():
        backend, why = choose_backend("auto", tmp_path, functools.partial(_fixed_magic, magic))
        assert backend == "polling" and name in why
    assert choose_backend("auto", tmp_path, lambda _: 0xEF53) == ("inotify", "local file system")
    assert choose_backend("inotify", tmp_path, lambda _: 0x6969)[0] == "inotify"
    assert choose_backend("polling", tmp_path)[0] == "polling"
    assert fs_magic(tmp_path) not in SILENT_FILESYSTEMS
    assert fs_magic(Path("/proc")) == 0x9FA0  # PROC_SUPER_MAGIC: the real statfs call reads f_type
    assert fs_magic(tmp_path / "missing") is None


def test_the_watch_is_healthy_again_only_once_its_rearm_is_reported(tmp_path: Path) -> None:
    """/healthz answered 200 in the moment between the new observer's swap and the re-arm's report (its counter
    and the rescan it asks for): a probe could see the watch healthy with the re-arm still to come."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    reporting, reported = threading.Event(), threading.Event()

    def on_rearm(_reason: str) -> None:
        reporting.set()
        reported.wait(5)

    watcher = Watcher(inbox, "inotify", lambda _kind, _path: None, on_rearm=on_rearm, check_seconds=0.05)
    watcher.start()
    try:
        inbox.rename(tmp_path / "inbox.old")
        inbox.mkdir()
        assert reporting.wait(5), "no re-arm"
        assert not watcher.is_alive()  # the new observer runs, but the re-arm is not reported yet
        reported.set()
        wait_for(watcher.is_alive, 2, what="healthy once the re-arm is reported")
    finally:
        reported.set()
        watcher.stop()


def test_a_rearm_that_failed_leaves_the_watch_healthy_once_it_is_intact_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-arm that cannot start its observer (an inotify limit; simulated here, the one stand-in in this file)
    must not leave the watch unhealthy for good once the folder it still watches is back."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watcher = Watcher(inbox, "inotify", lambda _kind, _path: None, check_seconds=0.05)
    watcher.start()
    real = watcher._new_observer
    failed = threading.Event()

    def limit_reached(_watched: object) -> NoReturn:
        failed.set()
        raise OSError(28, "inotify watch limit reached")

    try:
        monkeypatch.setattr(watcher, "_new_observer", limit_reached)
        inbox.rename(tmp_path / "inbox.old")
        inbox.mkdir()
        assert failed.wait(5), "no re-arm was tried"
        monkeypatch.setattr(watcher, "_new_observer", real)
        inbox.rmdir()
        (tmp_path / "inbox.old").rename(inbox)  # the folder still watched is back: no re-arm is needed
        wait_for(watcher.is_alive, 5, what="healthy with the original folder back")
    finally:
        watcher.stop()



def test_an_inbox_symlink_re_pointed_elsewhere_ends_the_daemon_and_its_restart_watches_the_new_folder(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """`ln -sfn new inbox` (a deploy): the watch and rescans follow the folder resolved at start, so new files
    waited unseen while every probe said healthy. The daemon ends (exit 3) so that its restart watches the new
    folder; a link that names nothing for a moment is waited for, not taken for a move."""
    first, second = dirs.root / "inbox-1", dirs.root / "inbox-2"
    first.mkdir()
    second.mkdir()
    dirs.inbox.rmdir()
    dirs.inbox.symlink_to(first)
    daemon = daemon_factory(NO_RESCAN)
    daemon.wait_ready()
    dirs.inbox.unlink()  # no folder at the path for a moment: not a move
    time.sleep(2.5)  # the check runs every second
    assert daemon.proc.poll() is None and daemon.event("inbox_moved") is None
    dirs.inbox.symlink_to(first)
    (dirs.root / "next").symlink_to(second)
    (dirs.root / "next").rename(dirs.inbox)  # as `ln -sfn` replaces a link: atomically
    wait_for(lambda: daemon.proc.poll() is not None, 10, what="the daemon to end")
    assert daemon.proc.returncode == 3
    moved = daemon.event("inbox_moved")
    assert moved is not None and moved["now"] == str(second.resolve())
    restarted = daemon_factory(NO_RESCAN)
    restarted.wait_ready()
    _arrives_by_event(dirs, restarted, "after-re-point.pdf")
    assert [p.name for p in second.iterdir()] == [] and list(dirs.processed.iterdir())


@pytest.mark.serial  # it lowers fs.inotify.max_queued_events, which every inotify instance made meanwhile gets
def test_an_overflowed_event_queue_is_caught_up_by_a_rescan_at_once(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    """A copy of thousands of files overflows the kernel's event queue (16,384 events by default): the files whose
    events were lost waited for the periodic rescan, a minute by default. The overflow now asks for one at once,
    and a download still held open beside the copy keeps waiting for its close (it is not taken half-written).
    The queue is made small (32 events) for the daemon's watch only, and put back before the files come."""
    sysctl = Path("/proc/sys/fs/inotify/max_queued_events")
    try:
        before = sysctl.read_text()
        sysctl.write_text("32")
    except OSError:
        pytest.skip("needs root to lower fs.inotify.max_queued_events for a real overflow")
    try:
        daemon = daemon_factory(extra_env={"TORI_RESCAN_INTERVAL_SECONDS": "600", "TORI_STABILITY_SECONDS": "1"})
        daemon.wait_ready()
    finally:
        sysctl.write_text(before)  # the daemon's watch keeps the queue it was made with
    whole = make_pdf(tmp_path / "whole.pdf", salt="download").read_bytes()
    download = os.open(dirs.inbox / "download.pdf", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(download, whole[: len(whole) // 2])  # a writer that stalls with the file open
        staging = tmp_path / "staging"
        staging.mkdir()
        for n in range(200):
            make_pdf(staging / f"f{n}.pdf", salt=str(n))
        for n in range(200):
            os.rename(staging / f"f{n}.pdf", dirs.inbox / f"f{n}.pdf")
        wait_for(lambda: len(list(dirs.outbox.glob("f*.json"))) == 200, 60, what="every file, those of lost events too")
        assert daemon.metric("toridaemon_watch_rearms_total", 'reason="events_lost"') >= 1
        assert daemon.event("watch_events_lost") is not None
        time.sleep(2.5)  # past stability_seconds: what an overflow that forgot writers took the file after
        assert (dirs.inbox / "download.pdf").exists() and not list(dirs.failed.iterdir())
        os.write(download, whole[len(whole) // 2 :])
    finally:
        os.close(download)
    wait_for(lambda: list(dirs.outbox.glob("download.*.json")), 30, what="the download, once whole")
    assert not list(dirs.failed.iterdir())
    assert daemon.stop() == 0
