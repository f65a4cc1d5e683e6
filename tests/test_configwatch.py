"""The config debounce and watcher: no save lost, empty files held back, ConfigMap symlink swaps."""

from __future__ import annotations

import functools
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from watchdog.observers.inotify import InotifyObserver

from tests.conftest import DaemonProcess, Dirs, wait_for
from tests.pdfgen import make_pdf
from toridaemon import configwatch
from toridaemon.configwatch import ConfigDebounce, ConfigWatcher
from toridaemon.watching import identity


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.during_read: Callable[[], None] | None = None

    def __call__(self) -> float:
        hook, self.during_read = self.during_read, None
        if hook is not None:
            hook()
        return self.now


def test_a_save_landing_while_the_tick_decides_is_not_lost(tmp_path: Path) -> None:
    """The watcher thread touches between the tick reading the last change and clearing it."""
    config = tmp_path / "c.yaml"
    config.write_text("log_level: info\n")
    clock = Clock()
    debounce = ConfigDebounce(config, 0.3, clock=clock)
    debounce.touch()
    clock.now += 0.5

    watcher = threading.Thread(target=debounce.touch)

    def save_on_the_watcher_thread() -> None:
        watcher.start()
        watcher.join(0.2)  # the watcher may have to wait for the tick; it must not be dropped

    clock.during_read = save_on_the_watcher_thread
    assert debounce.due()
    watcher.join(5)
    clock.now += 0.5
    assert debounce.due(), "the second save was lost"
    assert not debounce.due()


def test_an_emptied_config_is_applied_only_after_it_stays_empty(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("log_level: debug\n")
    clock = Clock()
    debounce = ConfigDebounce(config, 0.3, empty_hold=2.0, clock=clock)
    config.write_text("")  # an in-place rewrite, first step
    debounce.touch()
    clock.now += 0.5
    assert not debounce.due()
    clock.now += 1.0
    assert not debounce.due()
    config.write_text("log_level: warning\n")  # the rewrite completes
    debounce.touch()
    clock.now += 0.5
    assert debounce.due()
    config.write_text("")  # now emptied for good
    debounce.touch()
    clock.now += 0.5
    assert not debounce.due()
    clock.now += 2.0
    assert debounce.due()
    debounce.touch()
    clock.now += 0.5
    assert debounce.due(), "an empty file that was empty before applies at once"


def _configmap(root: Path, version: int, values: dict[str, object]) -> None:
    """One Kubernetes ConfigMap update: a new timestamped directory, `..data` swapped to it atomically."""
    data = root / f"..2026_{version:02d}"
    data.mkdir()
    (data / "toridaemon.yaml").write_text(yaml.safe_dump(values))
    (root / "..data_tmp").symlink_to(data.name)
    (root / "..data_tmp").rename(root / "..data")
    for old in root.glob("..2026_*"):
        if old != data:
            shutil.rmtree(old)
    if not (root / "toridaemon.yaml").is_symlink():
        (root / "toridaemon.yaml").symlink_to("..data/toridaemon.yaml")


def _grew(changes: list[int], before: int) -> bool:
    return len(changes) > before


def _reloads_reach(daemon: DaemonProcess, count: int) -> bool:
    return daemon.metric("toridaemon_config_reloads_total", 'result="success"') == count


def test_configmap_symlink_swaps_are_seen_every_time(tmp_path: Path) -> None:
    root = tmp_path / "config"
    root.mkdir()
    _configmap(root, 0, {"max_attempts": 1})
    changes: list[int] = []
    watcher = ConfigWatcher(root / "toridaemon.yaml", lambda: changes.append(1))
    watcher.start()
    try:
        for version in (1, 2, 3):
            before = len(changes)
            _configmap(root, version, {"max_attempts": version + 1})
            wait_for(functools.partial(_grew, changes, before), 5, what=f"swap {version} seen")
    finally:
        watcher.stop()


def _watched_folder(tmp_path: Path, check_seconds: float) -> tuple[Path, list[int], ConfigWatcher]:
    """`conf/c.yaml` under a started watcher (the caller stops it) that notes each change it reports."""
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "c.yaml").write_text("max_attempts: 1\n")
    changes: list[int] = []
    watcher = ConfigWatcher(folder / "c.yaml", lambda: changes.append(1), check_seconds=check_seconds)
    watcher.start()
    return folder, changes, watcher


@pytest.mark.parametrize("how", ["swapped", "recreated"])
def test_a_replaced_config_folder_is_watched_again(tmp_path: Path, how: str) -> None:
    """Deploy tools swap the whole folder (`mv conf conf.old && mv conf.new conf`) or re-create it: the
    watch on the old folder's inode would never see another change."""
    folder, changes, watcher = _watched_folder(tmp_path, check_seconds=0.1)
    try:
        if how == "swapped":
            fresh = tmp_path / "conf.new"
            fresh.mkdir()
            (fresh / "c.yaml").write_text("max_attempts: 2\n")
            folder.rename(tmp_path / "conf.old")
            fresh.rename(folder)
        else:
            shutil.rmtree(folder)
            folder.mkdir()
            (folder / "c.yaml").write_text("max_attempts: 2\n")
        wait_for(lambda: watcher._watched == identity(folder), 5, what="the new folder watched")
        wait_for(functools.partial(_grew, changes, 0), 5, what="the re-arm noticed")
        before = len(changes)  # the re-arm's notice follows the swap at once; what follows is the new watch's
        (folder / "c.yaml").write_text("max_attempts: 3\n")
        wait_for(functools.partial(_grew, changes, before), 5, what="an edit in the new folder seen")
    finally:
        watcher.stop()


def test_a_re_arm_that_cannot_start_is_retried_and_leaks_no_observer(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder, changes, watcher = _watched_folder(tmp_path, check_seconds=0.05)
    first = watcher._observer
    failures = [OSError(24, "inotify instance limit reached")]

    class Flaky(InotifyObserver):
        def start(self) -> None:
            if failures:
                raise failures.pop()
            super().start()

    monkeypatch.setattr(configwatch, "Observer", Flaky)
    try:
        fresh = tmp_path / "conf.new"
        fresh.mkdir()
        (fresh / "c.yaml").write_text("max_attempts: 2\n")
        folder.rename(tmp_path / "conf.old")
        fresh.rename(folder)
        wait_for(lambda: watcher._watched == identity(folder), 5, what="the new folder watched after a failure")
        wait_for(functools.partial(_grew, changes, 0), 5, what="the swapped folder's file re-read")
        assert not failures and not first.is_alive()
    finally:
        watcher.stop()
    assert not watcher._observer.is_alive()


@pytest.mark.e2e
def test_the_daemon_reloads_after_its_config_folder_is_swapped(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    folder = dirs.root / "conf"
    folder.mkdir()
    (folder / "toridaemon.yaml").write_text("max_attempts: 2\n")
    daemon = daemon_factory(args=["--config", str(folder / "toridaemon.yaml")])
    daemon.wait_ready()
    fresh = dirs.root / "conf.new"
    fresh.mkdir()
    (fresh / "toridaemon.yaml").write_text("max_attempts: 3\n")
    folder.rename(dirs.root / "conf.old")
    fresh.rename(folder)
    wait_for(functools.partial(_reloads_reach, daemon, 1), 10, what="the swapped folder's settings applied")
    (folder / "toridaemon.yaml").write_text("max_attempts: 4\n")
    wait_for(functools.partial(_reloads_reach, daemon, 2), 10, what="an edit after the swap applied")

    def reloads_logged() -> list[Any]:  # a log line trails its counter by up to 50 ms
        changed = [e["changed"] for e in daemon.events() if e.get("event") == "config_reloaded"]
        return changed if len(changed) == 2 else []

    assert wait_for(reloads_logged, 5, what="both reloads logged") == [["max_attempts"], ["max_attempts"]]


@pytest.mark.e2e
def test_the_daemon_reloads_on_every_configmap_update(dirs: Dirs,
                                                      daemon_factory: Callable[..., DaemonProcess]) -> None:
    root = dirs.root / "config"
    root.mkdir()
    _configmap(root, 0, {"max_attempts": 1})
    daemon = daemon_factory(args=["--config", str(root / "toridaemon.yaml")])
    daemon.wait_ready()
    for version in (1, 2, 3):
        _configmap(root, version, {"max_attempts": version + 1})
        wait_for(functools.partial(_reloads_reach, daemon, version), 10, what=f"reload {version}")


@pytest.mark.e2e
def test_the_daemon_does_not_apply_a_config_emptied_mid_rewrite(dirs: Dirs,
                                                                 daemon_factory: Callable[..., DaemonProcess]) -> None:
    config = dirs.root / "toridaemon.yaml"
    config.write_text("max_attempts: 5\n")
    daemon = daemon_factory(args=["--config", str(config)])
    daemon.wait_ready()
    with open(config, "r+") as handle:  # an in-place rewrite that pauses after truncating
        handle.truncate(0)
        handle.flush()
        time.sleep(1.0)  # longer than the 0.3 s debounce, shorter than the 2 s hold
        handle.write("max_attempts: 6\n")
    wait_for(functools.partial(_reloads_reach, daemon, 1), 10, what="the completed rewrite applied")
    time.sleep(0.5)
    assert daemon.metric("toridaemon_config_reloads_total", 'result="success"') == 1, "the empty file was applied"
    changed = [e["changed"] for e in daemon.events() if e.get("event") == "config_reloaded"]
    assert changed == [["max_attempts"]]


@pytest.mark.e2e
def test_a_fifo_or_a_deeply_nested_file_at_the_config_path_is_rejected_and_work_goes_on(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Before, a FIFO blocked the reload's read (and with it the tick, the inbox and SIGTERM) until a writer
    came, and a deeply nested file raised RecursionError outside the reload's error handling."""
    folder = dirs.root / "conf"
    folder.mkdir()
    config = folder / "toridaemon.yaml"
    config.write_text("max_attempts: 2\n")
    daemon = daemon_factory(args=["--config", str(config)])
    daemon.wait_ready()
    (folder / "deep.yaml").write_text("max_attempts: " + "[" * 1000 + "]" * 1000 + "\n")
    (folder / "deep.yaml").rename(config)
    wait_for(lambda: daemon.metric("toridaemon_config_reloads_total", 'result="failure"') >= 1, 15,
             what="the nested file rejected")
    os.mkfifo(folder / "fifo.yaml")
    (folder / "fifo.yaml").rename(config)
    wait_for(lambda: daemon.metric("toridaemon_config_reloads_total", 'result="failure"') >= 2, 15,
             what="the FIFO rejected")
    make_pdf(dirs.inbox / "after.pdf", salt="after-fifo")
    wait_for(lambda: list(dirs.processed.glob("after.pdf")), 30, what="work going on")
    assert daemon.metric("toridaemon_outcome_write_errors_total", 'kind="tick"') == 0
    assert daemon.stop() == 0
