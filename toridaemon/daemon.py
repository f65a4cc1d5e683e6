"""Wires the daemon together and runs its lifecycle: start → READY → run → drain → stop.

The main thread installs signal handlers (they only set flags), starts the bridge's loop thread and
waits. Everything else happens on the loop: the tick reads the flags, polls the stability gate,
rescans, reloads, heartbeats and publishes the `/status` snapshot; the runner does the files.

Stopping fits one budget: intake stops first (the watcher), in-flight files get
`shutdown_timeout_seconds`, and every later step has a fixed share (`STOP_OVERHEAD_SECONDS`), so the
whole stop ends inside the unit's `TimeoutStopSec`. A second SIGTERM or SIGINT skips the waits; the
journal is still closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, TypeVar

from toridaemon import __version__, signals
from toridaemon.bridge import Bridge
from toridaemon.configwatch import ConfigDebounce, ConfigWatcher
from toridaemon.executors.base import Executor, open_executor
from toridaemon.faults import faulty_writer
from toridaemon.fsutil import write_atomic
from toridaemon.httpserver import HttpServer, Probes, http_url
from toridaemon.inbox import Inbox, StabilityGate, Watcher
from toridaemon.journal import JournalError, JournalThread
from toridaemon.journal_repair import JournalRepairError, ensure_sound, is_damage, journal_path
from toridaemon.limits import raise_open_file_limit
from toridaemon.logs import configure, get_logger, reserve_standard_fds, set_level, stderr_is_a_tty
from toridaemon.metrics import Metrics
from toridaemon.outcome import Outcomes
from toridaemon.pipeline import native
from toridaemon.recovery import recover
from toridaemon.runner import CANCEL_GRACE_SECONDS, Runner
from toridaemon.settings import RESTART_REQUIRED, LoadedSettings, Settings, SettingsError, load_settings
from toridaemon.signals import Flags
from toridaemon.stalls import StallWatch
from toridaemon.statelock import LOCK_NAME, StateIdentity, StateLock, state_identity, unchanged
from toridaemon.statemachine import FileMachine
from toridaemon.systemd import Notifier

log = get_logger("toridaemon.daemon")
T = TypeVar("T")

TICK_SECONDS = 0.1
STATUS_GATE_FILES = 20  # files the gate holds that /status names; it counts them all
STATUS_EVERY_SECONDS = 2.0
RELOAD_CANCEL_SECONDS = 1.0  # a reload cancelled at stop ends within this (it only awaits a thread)
STATE_CHECK_SECONDS = 1.0  # how often the daemon looks whether its state folder and journal are the ones it opened
CONFIG_QUIET_SECONDS = 0.3
EXIT_OK, EXIT_CONFIG, EXIT_STARTUP = 0, 2, 3
# Each step of a stop but the drain has a fixed share; with the default shutdown_timeout_seconds (30)
# the sum stays under the unit's TimeoutStopSec (45), which tests/test_shutdown.py checks.
WATCHER_STOP_SECONDS = 1.0
EXECUTOR_CLOSE_SECONDS = 4.0
JOURNAL_CLOSE_SECONDS = 1.0
# After the loop: the config watcher, the HTTP server and the loop thread, each with its share.
CONFIG_WATCHER_STOP_SECONDS, HTTP_STOP_SECONDS, LOOP_STOP_SECONDS = 0.5, 0.5, 1.0
SIDE_CHANNELS_STOP_SECONDS = CONFIG_WATCHER_STOP_SECONDS + HTTP_STOP_SECONDS + LOOP_STOP_SECONDS
STOP_OVERHEAD_SECONDS = (WATCHER_STOP_SECONDS + CANCEL_GRACE_SECONDS + EXECUTOR_CLOSE_SECONDS
                         + JOURNAL_CLOSE_SECONDS + SIDE_CHANNELS_STOP_SECONDS)


class StartupError(Exception):
    """The daemon cannot start: directories, journal or lock unavailable."""


class StoppedBeforeReady(Exception):
    """A stop was asked for while the daemon started: it ends there."""


def startup_problem(exc: BaseException) -> str:
    """What stopped the start, with the way out where the message alone does not tell it."""
    if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENOSPC) and "inotify" in str(exc):
        return (f"{exc}: raise fs.inotify.max_user_instances and fs.inotify.max_user_watches (sysctl), "
                "or set watch_mode: polling")
    return str(exc)


class Daemon:
    def __init__(self, loaded: LoadedSettings, config: str | Path | None = None,
                 overrides: dict[str, Any] | None = None) -> None:
        self.loaded = loaded
        self.settings: Settings = loaded.settings
        self._config = config
        self._overrides = overrides or {}
        self.flags = Flags()
        self._config_debounce = ConfigDebounce(loaded.config_file, CONFIG_QUIET_SECONDS)
        self.metrics = Metrics()
        self.notifier = Notifier()
        self.ready = False
        # A local pool builds within seconds of READY and files wait for it; a Dask cluster is not there until the
        # first connection says so (its first try may take the whole connect timeout).
        self.executor_healthy = self.settings.executor != "dask"
        self.draining = False
        self.journal_damaged = False
        self.blocked: tuple[str, str] | None = None  # (reason, detail) while no file can get through
        self._blocked_since = 0.0
        self._exit_code = EXIT_OK
        self._lock: StateLock | None = None
        self._bridge: Bridge | None = None
        self._watcher: Watcher | None = None
        self._config_watcher: ConfigWatcher | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._http: HttpServer | None = None
        self._journal: JournalThread | None = None
        self.runner: Runner | None = None
        self._gate: StabilityGate | None = None  # the inbox's, for /status and its gauge
        self._snapshot: dict[str, Any] = {}
        self._config_status = self._describe_config()
        self.started_at = time.time()
        self._next_rescan = self._next_ping = self._next_status = self._next_state_check = 0.0
        self._reloading: asyncio.Task[None] | None = None  # a reload running beside the tick
        self._state_unknown = False  # the last state check could not tell
        self._state: tuple[Path, StateIdentity | None] = (Path(), None)  # the state folder and what it was
        self._inbox: tuple[Path, Path] | None = None  # the inbox path as configured, and the folder watched
        self._ping_every: float | None = None
        self._rescan_for_rearm = False  # set on the watch supervisor's thread after a re-arm, read by the tick

    # ---- main thread --------------------------------------------------------------------------
    def run(self, *, process_ends: bool = False) -> int:
        """Run until SIGTERM/SIGINT; returns the process exit code. `process_ends`: the process exits after this
        (see `signals.captured`)."""
        configure(self.settings.log_level, self.settings.log_format)
        raise_open_file_limit()  # before any file, pipe or client connection is opened
        for warning in self.loaded.warnings:
            log.warning("config_warning", warning=warning)
        # From before the journal is opened (its repair can take seconds) until the last thread is joined, a
        # signal only sets a flag: a SIGHUP then killed the process, and the loop acts on the flags once it runs.
        with signals.captured(self.flags, process_ends=process_ends):
            try:
                self._prepare()
            except StartupError as exc:
                report_failure("startup_failed", str(exc))
                return EXIT_STARTUP
            if self.flags.stop:  # asked to stop while the journal was repaired: stop there, not after starting
                log.info("daemon_stopped", before="start")
                if self._lock is not None:
                    self._lock.release()
                return EXIT_OK
            self._bridge = Bridge()
            try:
                future = self._bridge.submit(self._main())
                while not future.done():
                    try:
                        future.result(timeout=0.5)
                    except TimeoutError:
                        continue
                return future.result()
            finally:
                self._close_side_channels()
                self._bridge.shutdown(timeout=LOOP_STOP_SECONDS)
                if self._lock is not None:
                    self._lock.release()  # a daemon run in-process (tests) leaves nothing held

    def _prepare(self) -> None:
        s = self.settings
        try:
            for directory in (s.inbox_dir, s.outbox_dir, s.processed_dir, s.failed_dir, s.state_dir):
                directory.mkdir(parents=True, exist_ok=True)
            self._lock = StateLock(s.state_dir)
            self._lock.acquire()  # held for the process lifetime
        except BlockingIOError as exc:
            raise StartupError(f"another toridaemon holds {s.state_dir / LOCK_NAME}") from exc
        except OSError as exc:
            raise StartupError(f"cannot prepare directories: {exc}") from exc
        try:
            rebuilt = ensure_sound(s.state_dir, s.outbox_dir, s.inbox_dir.resolve())
        except JournalRepairError as exc:
            raise StartupError(str(exc)) from exc
        if rebuilt is not None:
            self.metrics.journal_rebuilds.labels(reason=rebuilt.reason).inc()

    def _close_side_channels(self) -> None:
        if self._config_watcher is not None:
            self._config_watcher.stop(timeout=CONFIG_WATCHER_STOP_SECONDS)
        if self._http is not None:
            self._http.stop(timeout=HTTP_STOP_SECONDS)

    # ---- event loop ---------------------------------------------------------------------------
    async def _main(self) -> int:
        try:
            await self._start()
        except StoppedBeforeReady:
            await self._abandon_start()
            log.info("daemon_stopped", before="ready")
            return EXIT_OK
        except (StartupError, JournalError, OSError) as exc:
            report_failure("startup_failed", startup_problem(exc))
            await self._abandon_start()
            return EXIT_STARTUP
        try:
            await self._serve()
        finally:
            await self._stop()
        return self._exit_code

    async def _start(self) -> None:
        s = self.settings
        self._journal = journal = await JournalThread.open(journal_path(s.state_dir))
        if journal.journal.mode != "wal":
            log.warning("journal_without_wal", journal=str(journal_path(s.state_dir)), mode=journal.journal.mode,
                        hint="SQLite's file layer gives no shared memory for its write-ahead log: each commit is "
                             "synced and waits for readers of the journal (`toridaemon journal check`, `reprocess`, "
                             "a backup), and its files are retried when it waits too long")
        opened = await asyncio.to_thread(state_identity, s.state_dir, journal_path(s.state_dir))
        # The folder as locked (a replacement while the journal was repaired is seen too), the journal as opened.
        locked = self._lock.folder_identity() if self._lock is not None else opened.folder
        self._state = s.state_dir, replace(opened, folder=locked)
        outcomes = Outcomes(s.outbox_dir, s.processed_dir, s.failed_dir, s.on_success,
                            write=faulty_writer(write_atomic))
        log.info("recovery", **await journal.run(recover, outcomes, s.inbox_dir, lambda: self.flags.stop))
        if self.flags.stop:  # asked to stop meanwhile: never READY, nor ready on the probes, for a moment
            raise StoppedBeforeReady
        executor = asyncio.ensure_future(self._start_executor())  # held in _background until done
        self._background.add(executor)
        executor.add_done_callback(self._background.discard)
        stalls = StallWatch()
        heartbeat = asyncio.ensure_future(stalls.run())  # cancelled with the other background tasks
        self._background.add(heartbeat)
        heartbeat.add_done_callback(self._background.discard)
        machine = FileMachine(lambda: self.settings, journal, executor, outcomes, self.metrics,
                              on_journal_error=self.journal_fault, stalled_since=stalls.stalled_since)
        self.runner = runner = Runner(machine, lambda: self.settings, self.metrics)
        watched = s.inbox_dir.resolve()  # once: the watch, the rescans and the check of `_inbox` see one folder
        self._inbox = s.inbox_dir, watched
        self._watcher = watcher = Watcher(watched, s.watch_mode, self._post_event,
                                          recursive=s.recursive, on_rearm=self._on_watch_rearmed)
        gate = StabilityGate(s.stability_seconds, settle_seconds=s.settle_seconds,
                             open_writer_seconds=s.open_writer_seconds, closes_reported=watcher.reports_closes)
        self._gate = gate
        self.inbox = Inbox(watched, gate, patterns=lambda: self.settings.ignore_patterns,
                           knows=runner.knows, on_verdict=runner.accept, recursive=s.recursive,
                           on_subfolders=self.metrics.subfolders_ignored.set)
        self._start_http()
        watcher.start()
        if self.loaded.config_file is not None:
            self._config_watcher = ConfigWatcher(self.loaded.config_file, self._config_debounce.touch)
            self._config_watcher.start()
        found = await self.inbox.scan("startup")
        self.metrics.config_info.info({"hash": s.config_hash(), "source": str(self.loaded.config_file or "")})
        self.metrics.last_reload.set(time.time())
        self.ready = True
        self._publish_status()
        self.notifier.ready()
        log.info("daemon_ready", version=__version__, inbox=str(s.inbox_dir), watcher=self._watcher.backend,
                 metrics=self.metrics_url, startup_files=found, workers=s.max_parallel_workers)

    async def _start_executor(self) -> Executor:
        """Started after READY (see `open_executor`). A backend that cannot start stops the daemon with
        exit code 3 (systemd restarts it); the files waiting for it stay pending, none is failed for it."""
        try:
            executor = await open_executor(self.settings, self._on_executor_health)
        except Exception:
            self.executor_healthy = False
            log.exception("executor_start_failed", backend=self.settings.executor)
            self._exit_code = EXIT_STARTUP
            self.flags.stop = True
            raise
        # Local workers import the concept engine as this process would: compiled when built from these sources.
        log.info("executor_started", backend=executor.name, workers=self.settings.max_parallel_workers,
                 engine="compiled" if native.enabled() else "sources")
        return executor

    def _on_executor_health(self, healthy: bool) -> None:
        """The cluster or the local pool came or went: not ready while it is gone; /healthz also
        fails for a local pool, which only a restart can bring back."""
        self.executor_healthy = healthy
        (log.info if healthy else log.warning)("executor_health", backend=self.settings.executor, healthy=healthy)

    def _post_event(self, kind: Any, path: Path) -> None:
        """Called on the watcher thread: hand the event to the loop."""
        bridge = self._bridge
        if bridge is not None and not self.draining:
            bridge.post(self.inbox.on_event, kind, path)

    def _on_watch_rearmed(self, reason: str) -> None:
        """Called on the watch supervisor's thread (a re-arm) or the observer's ("events_lost": the kernel's queue
        overflowed): count it, and rescan on the next tick for files that arrived while the watch was blind. After
        a re-arm, writers' closes may have been missed too; after an overflow the watch held, and files a writer
        still holds open keep waiting for their close (mass copies overflow, and a download may run beside one)."""
        self.metrics.watch_rearms.labels(reason=reason).inc()
        if reason != "events_lost":
            self._rescan_for_rearm = True
        self._next_rescan = 0.0

    def journal_fault(self, exc: BaseException) -> None:
        """A journal error seen anywhere: a damaged journal makes the daemon unready until a restart
        rebuilds it (no stuck state behind healthy probes)."""
        if is_damage(exc) and not self.journal_damaged:
            self.journal_damaged = True
            self.metrics.journal_damaged.set(1)
            log.error("journal_damaged", error=str(exc), hint="restart the daemon: it rebuilds the journal at start")

    def _start_http(self) -> None:
        probes = Probes(self.metrics.registry, self._health, self._ready, lambda: self._snapshot)
        self._http = HttpServer(self.settings.metrics_host, self.settings.metrics_port, probes)
        self._http.start()

    @property
    def metrics_url(self) -> str:
        host, port = self._http.address if self._http else (self.settings.metrics_host, 0)
        return http_url(host, port, "/metrics")

    async def _serve(self) -> None:
        now = time.monotonic()
        self._next_rescan = now + self.settings.rescan_interval_seconds
        self._ping_every = self.notifier.watchdog_ping_interval()
        self._next_ping = self._next_status = now
        while not self.flags.stop:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self._tick()
            except Exception:  # one bad tick (a bug, an odd file) must not stop the daemon
                self.metrics.outcome_errors.labels(kind="tick").inc()
                log.exception("tick_failed")

    async def _tick(self) -> None:
        self.inbox.tick()
        watcher_alive = bool(self._watcher and self._watcher.is_alive())
        self.metrics.watcher_up.set(1 if watcher_alive else 0)
        now = time.monotonic()
        if self._ping_every is not None and all(self._health().values()) and now >= self._next_ping:
            # From the loop's own tick and only while /healthz passes: a wedged loop, a dead
            # watcher or a pool that cannot be rebuilt stops the heartbeat and systemd restarts us.
            self._next_ping = now + self._ping_every
            self.notifier.watchdog()
        self._note_blocked(now)
        self._publish_status()
        if now >= self._next_status:
            self._next_status = now + STATUS_EVERY_SECONDS
            if self.runner is not None:
                self.notifier.status(self.runner.status_line())
            self._export_executor_gauges()
        # `due` may read the config file: off the loop, and only while a change is waiting.
        if self._config_debounce.pending and await asyncio.to_thread(self._config_debounce.due):
            self.flags.reload = True
        if self.flags.reload and not self.flags.stop and (self._reloading is None or self._reloading.done()):
            # Beside the tick, not in it: reading the sources (a concept database of a million names takes
            # seconds) held the gate, the rescans and the watchdog heartbeat. A reload asked for meanwhile
            # waits for this one, then runs.
            self.flags.reload = False
            self.notifier.reloading()
            self._reloading = task = asyncio.get_running_loop().create_task(self._reload_then_ready())
            self._background.add(task)  # cancelled with the others at stop
            task.add_done_callback(self._background.discard)
        if now >= self._next_state_check:
            self._next_state_check = now + STATE_CHECK_SECONDS
            await self._check_state()
            await self._check_inbox_target()
        if now >= self._next_rescan:
            self._next_rescan = now + self.settings.rescan_interval_seconds
            rearmed, self._rescan_for_rearm = self._rescan_for_rearm, False
            if rearmed:  # the blind watch may have missed writers' closes: quiet time decides for those files
                self.inbox.gate.forget_writers()
            found = await self.inbox.scan("rescan")
            if rearmed:
                log.info("inbox_rescanned", after="watch_rearmed", found=found)

    async def _check_state(self) -> None:
        """The state folder or the journal deleted or replaced while running (`rm -rf state`): its lock went with
        it, a second daemon could start beside this one, and this one's rows go to a journal no one will read.
        End with exit 3: the next start takes the lock again and rebuilds the journal from the outbox."""
        state_dir, opened = self._state
        if opened is None:
            return
        try:
            now = await asyncio.to_thread(state_identity, state_dir, journal_path(state_dir))
        except OSError as exc:  # cannot tell (EIO, EACCES): look again at the next check, said once
            if not self._state_unknown:
                log.warning("state_check_failed", state=str(state_dir), error=str(exc))
            self._state_unknown = True
            return
        self._state_unknown = False
        kept = unchanged(opened, now)
        if kept is not None:
            self._state = state_dir, kept
        if self.flags.stop or kept is not None:
            return
        log.error("state_replaced", state=str(state_dir),
                  hint="the state folder, its journal or the journal's -wal or -shm file was deleted or replaced "
                       "while running; stopping so that the next start locks it again and rebuilds the journal from "
                       "the outbox")
        self.journal_damaged = True  # not ready meanwhile
        self.metrics.journal_damaged.set(1)
        self._exit_code = EXIT_STARTUP
        self.flags.stop = True

    async def _check_inbox_target(self) -> None:
        """The inbox path names another folder than the one watched: a symlink on the way re-pointed (`ln -sfn`, a
        deploy). The watch, the rescans and the inputs' names are of the folder resolved at start, so new files
        would wait unseen while every probe said healthy. End with exit 3: the next start watches the new folder.
        A path that names no folder now (a link being replaced) is waited for, as a missing inbox is."""
        if self._inbox is None or self.flags.stop:
            return
        configured, watched = self._inbox
        now = await asyncio.to_thread(_folder_named, configured)
        if now is None or now == watched:
            return
        log.error("inbox_moved", inbox=str(configured), watched=str(watched), now=str(now),
                  hint="the inbox path names another folder than the one watched (a symlink re-pointed); stopping "
                       "so that the next start watches it")
        self._exit_code = EXIT_STARTUP
        self.flags.stop = True

    def _export_executor_gauges(self) -> None:
        assert self.runner is not None
        executor = self.runner.machine.executor
        if executor is None:
            return
        for kind, value in executor.gauges().items():
            self.metrics.executor_gauge.labels(backend=executor.name, kind=kind).set(value)

    async def _stop(self) -> None:
        """Stop intake, drain within shutdown_timeout_seconds, cancel the rest back to pending, close."""
        self.draining = True
        if self._reloading is not None and not self._reloading.done():  # no settings change under the drain
            self._reloading.cancel()
            await asyncio.wait([self._reloading], timeout=RELOAD_CANCEL_SECONDS)
        self._publish_status()
        self.notifier.stopping()
        if self._watcher is not None:
            await asyncio.to_thread(self._watcher.stop, WATCHER_STOP_SECONDS)
        assert self.runner is not None
        log.info("daemon_draining", in_flight=len(self.runner.in_flight),
                 timeout_seconds=self.settings.shutdown_timeout_seconds)
        unfinished = await self.runner.drain(self.settings.shutdown_timeout_seconds, lambda: self.flags.force)
        await self._close_executor()
        await self._close_journal()
        log.info("daemon_stopped", returned_to_pending=unfinished, forced=self.flags.force)

    async def _abandon_start(self) -> None:
        """Undo a start that failed half-way: stop the watcher, the pool being built and the journal."""
        if self._watcher is not None:
            await asyncio.to_thread(self._watcher.stop, WATCHER_STOP_SECONDS)
        await self._close_executor()
        await self._close_journal()

    async def _close_executor(self) -> None:
        for task in list(self._background):
            task.cancel()  # an executor still starting, a resize under way
        executor = self.runner.machine.executor if self.runner else None
        if executor is None:
            return
        close = executor.close(timeout=0.0 if self.flags.force else EXECUTOR_CLOSE_SECONDS / 2)
        try:
            await asyncio.wait_for(close, EXECUTOR_CLOSE_SECONDS)
        except TimeoutError:
            log.warning("executor_close_timeout", seconds=EXECUTOR_CLOSE_SECONDS)

    async def _close_journal(self) -> None:
        if self._journal is not None:
            try:
                await asyncio.wait_for(self._journal.close(), JOURNAL_CLOSE_SECONDS)
            except TimeoutError:
                log.warning("journal_close_timeout", seconds=JOURNAL_CLOSE_SECONDS)

    # ---- reload -------------------------------------------------------------------------------
    async def _reload_then_ready(self) -> None:
        try:
            await self.reload()
        except Exception:  # applying a reload failed (a bug): the old settings stay, the daemon goes on
            self.metrics.config_reloads.labels(result="failure").inc()
            log.exception("config_reload_failed")
        finally:  # systemd's reload waits for READY=1 after RELOADING=1, whatever its fate; not once stopping
            if not self.draining:
                self.notifier.ready()

    async def reload(self) -> bool:
        """Re-read every source (off the loop); swap in the new settings if valid, else keep the old ones."""
        try:
            loaded = await _on_a_thread_of_its_own(load_settings, self._config, self._overrides)
            if self.draining:  # the stop came while the sources were read: nothing changes under the drain
                return False
        except Exception as exc:  # any failure to read a configuration keeps the running one
            # A SettingsError names the field and source; anything else (a case validation missed) is still a
            # rejected reload, counted as one, not a failed tick.
            self.metrics.config_reloads.labels(result="failure").inc()
            error = str(exc) if isinstance(exc, SettingsError) else f"{type(exc).__name__}: {exc}"
            log.error("config_reload_rejected", error=error)
            return False
        for warning in loaded.warnings:
            log.warning("config_warning", warning=warning)
        old, new = self.settings, loaded.settings
        changed = {name for name in Settings.model_fields if getattr(old, name) != getattr(new, name)}
        held = sorted(changed & RESTART_REQUIRED)
        if held:
            new = new.model_copy(update={name: getattr(old, name) for name in held})
            log.warning("config_restart_required", fields=held)
        self.settings, self.loaded = new, loaded
        self._config_status = self._describe_config()
        set_level(new.log_level)
        if self.runner is not None and new.max_parallel_workers != old.max_parallel_workers:
            self.runner.resize(new.max_parallel_workers)
            executor = self.runner.machine.executor
            if executor is not None:
                task = asyncio.get_running_loop().create_task(executor.resize(new.max_parallel_workers))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        if new.stability_seconds != old.stability_seconds:
            self.inbox.gate.stability_seconds = new.stability_seconds
        self.inbox.gate.settle_seconds = new.settle_seconds
        self.inbox.gate.open_writer_seconds = new.open_writer_seconds
        self.metrics.config_reloads.labels(result="success").inc()
        self.metrics.last_reload.set(time.time())
        self.metrics.config_info.info({"hash": new.config_hash(), "source": str(loaded.config_file or "")})
        log.info("config_reloaded", changed=sorted(changed - set(held)))
        return True

    # ---- probes -------------------------------------------------------------------------------
    def _note_blocked(self, now: float) -> None:
        """The one place the daemon enters and leaves "blocked": a rescan could not list the inbox, or files wait on
        causes that are not theirs and none gets through (`Runner.blocked`: a full or unwritable output disk, a
        locked or full journal, a broken concept database). Files wait meanwhile, nothing is lost; the probes, the
        gauge and two log lines say so. A damaged journal has its own state and alert."""
        unlisted = ("inbox_unreadable", self.inbox.unlisted) if self.inbox.unlisted else None
        blocked = None if self.journal_damaged else unlisted or (self.runner.blocked() if self.runner else None)
        before, self.blocked = self.blocked, blocked  # a cause that changes while blocked only changes /status
        if (before is None) == (blocked is None):
            return
        self.metrics.blocked.set(0 if blocked is None else 1)
        if blocked is None:
            assert before is not None
            log.info("progress_resumed", reason=before[0], blocked_seconds=round(now - self._blocked_since, 1))
        else:
            self._blocked_since = now
            log.warning("progress_blocked", reason=blocked[0], detail=blocked[1],
                        hint="files wait in the inbox and are tried again; fix the cause, no restart is needed")

    def _ready(self) -> bool:
        """Ready: started, not draining, executor and journal sound, a cluster with workers, the inbox
        watched, and nothing blocking every file."""
        return (self.ready and self.executor_healthy and not self.draining and not self.journal_damaged
                and self.blocked is None
                and bool(self._watcher and self._watcher.is_alive()) and self._cluster_has_workers())

    def _cluster_has_workers(self) -> bool:
        """A connected Dask cluster without a worker thread runs nothing: its files would wait behind a ready
        probe. (Read from the HTTP thread: the gauges are plain numbers the executor's refresh sets.)"""
        executor = self.runner.machine.executor if self.runner else None
        if executor is None or executor.name != "dask":
            return True
        gauges = executor.gauges()
        return not gauges.get("connected") or gauges.get("threads", 0.0) > 0

    def _health(self) -> dict[str, bool]:
        checks = {"loop": bool(self._bridge and self._bridge.is_alive()),
                  "watcher": bool(self._watcher and self._watcher.is_alive())}
        if self.settings.executor == "local":  # a pool that cannot be rebuilt needs a restart; a lost cluster does not
            checks["executor"] = self.executor_healthy
        return checks

    def _describe_config(self) -> dict[str, str]:
        return {"source": str(self.loaded.config_file or ""), "hash": self.settings.config_hash()}

    def _publish_status(self) -> None:
        """The `/status` answer, rebuilt by every tick; the HTTP thread reads it without touching the loop."""
        files = self.runner.status() if self.runner else {"backlog": 0, "in_flight": [], "progress": None}
        gate = self._gate
        waiting = len(gate) if gate is not None else 0
        self.metrics.inbox_waiting.set(waiting)
        first = [asdict(wait) for wait in gate.waits(STATUS_GATE_FILES)] if gate is not None else []
        self._snapshot = {
            "version": __version__, "ready": self._ready(), "draining": self.draining,  # what /readyz says
            "blocked": dict(zip(("reason", "detail"), self.blocked, strict=True)) if self.blocked else None,
            "watcher": self._watcher.backend if self._watcher else None, "config": self._config_status,
            "gate": {"waiting": waiting, "first": first}, **files,
            "uptime_seconds": round(time.time() - self.started_at, 1)}


def run_daemon(config: str | Path | None = None, overrides: dict[str, Any] | None = None) -> int:
    """Load settings and run the daemon; exit code 2 on invalid configuration."""
    reserve_standard_fds()
    try:
        loaded = load_settings(config, overrides)
    except SettingsError as exc:
        configure("error", "auto")
        report_failure("config_invalid", str(exc))
        return EXIT_CONFIG
    return Daemon(loaded, config, overrides).run(process_ends=True)


def report_failure(event: str, message: str) -> None:
    """A terminal gets the message as plain sentences; journald and pipes get the JSON event."""
    if stderr_is_a_tty():
        print(f"toridaemon: {message}", file=sys.stderr)
    else:
        log.error(event, error=message)


def _folder_named(path: Path) -> Path | None:
    """The folder `path` names now, symlinks resolved; None when it names none or cannot be looked at."""
    try:
        folder = path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop of symlinks (before Python 3.13)
        return None
    return folder if folder.is_dir() else None


async def _on_a_thread_of_its_own(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on a daemon thread of its own, for work a stop may abandon (a reload reading its sources).

    A thread of the loop's executor is joined at exit: a reload reading a large database, or a file on a mount
    that hangs, held the process for as long as it read, past the stop's budget.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():  # cancelled meanwhile (a stop)
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = work(*args), None
        except BaseException as exc:  # handed to the awaiting task, as asyncio.to_thread does
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits for it any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="toridaemon-reload", daemon=True).start()
    return await done
