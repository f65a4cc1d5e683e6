"""Every Prometheus metric of the daemon, in one registry owned by the daemon process.

Worker processes never touch these: they return their timings with the result, and the daemon
observes them here (client_python cannot see metrics of child processes otherwise).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from toridaemon import __version__
from toridaemon.logs import dropped_lines

# PDF work spans a 10 ms one-pager to a minutes-long scanned book.
STAGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
BYTES_BUCKETS = tuple(float(2**power) for power in range(10, 31, 2))  # 1 KiB .. 1 GiB
PAGES_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)
CONCEPT_BUCKETS = (0, 1, 5, 10, 20, 30, 50, 100, 200)


class Metrics:
    """The catalogue; one instance per daemon, each with its own registry (tests run several)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        p = "toridaemon_"
        self.files = FileCounts()
        registry.register(self.files)
        self.files_retried = Counter(f"{p}files_retried", "Files returned to pending for another try, by reason.",
                                     ["reason"], registry=registry)
        self.duplicates = Counter(f"{p}duplicates", "Files whose content already had a result.", registry=registry)
        self.rescan_recovered = Counter(f"{p}rescan_recovered", "Files found by a rescan that no event reported.",
                                        registry=registry)
        self.outcome_errors = Counter(f"{p}outcome_write_errors", "Failed writes or moves of outcomes, by kind.",
                                      ["kind"], registry=registry)
        self.worker_restarts = Counter(f"{p}worker_restarts", "Worker processes killed or replaced.",
                                       registry=registry)
        self.config_reloads = Counter(f"{p}config_reloads", "Configuration reloads, by result.", ["result"],
                                      registry=registry)
        self.watch_rearms = Counter(f"{p}watch_rearms", "Inbox watches re-armed, by reason (replaced, mounted).",
                                    ["reason"], registry=registry)
        self.journal_rebuilds = Counter(f"{p}journal_rebuilds", "Damaged or missing journals rebuilt from outbox/.",
                                        ["reason"], registry=registry)
        self.journal_damaged = Gauge(f"{p}journal_damaged",
                                     "1 while the journal is found damaged at run time (a restart rebuilds it).",
                                     registry=registry)
        self.blocked = Gauge(f"{p}blocked", "1 while files wait on a cause that is not theirs and none gets through "
                             "(/status says which).", registry=registry)
        self.subfolders_ignored = Gauge(f"{p}inbox_subfolders_ignored",
                                        "Subfolders of the inbox seen by the last scan and not processed.",
                                        registry=registry)
        self.inbox_waiting = Gauge(f"{p}inbox_waiting", "Files in the inbox the stability gate holds: not yet "
                                   "quiet, or held open by their writer (/status says which and why).",
                                   registry=registry)
        self.queue_depth = Gauge(f"{p}queue_depth", "Files waiting for a worker.", registry=registry)
        self.in_flight = Gauge(f"{p}in_flight", "Files being processed now.", registry=registry)
        self.watcher_up = Gauge(f"{p}watcher_up", "1 while the inbox watcher thread is alive.", registry=registry)
        self.last_success = Gauge(f"{p}last_success_timestamp_seconds", "Unix time of the last result written.",
                                  registry=registry)
        self.last_reload = Gauge(f"{p}config_last_reload_success_timestamp_seconds",
                                 "Unix time of the last successful configuration load.", registry=registry)
        self.executor_gauge = Gauge(f"{p}executor", "Executor figures (workers, tasks in flight).", ["backend", "kind"],
                                    registry=registry)
        self.stage_seconds = Histogram(f"{p}processing_seconds", "Time per processing stage.", ["stage"],
                                       buckets=STAGE_BUCKETS, registry=registry)
        self.file_bytes = Histogram(f"{p}file_bytes", "Size of processed inputs.", buckets=BYTES_BUCKETS,
                                    registry=registry)
        self.file_pages = Histogram(f"{p}file_pages", "Pages of processed inputs.", buckets=PAGES_BUCKETS,
                                    registry=registry)
        self.concepts = Histogram(f"{p}concepts_per_document", "Concepts kept per document.",
                                  buckets=CONCEPT_BUCKETS, registry=registry)
        self.ocr_pages = Counter(f"{p}ocr_pages", "Pages read by OCR.", registry=registry)
        self.ocr_seconds = Histogram(f"{p}ocr_seconds", "OCR time per document that needed OCR.",
                                     buckets=STAGE_BUCKETS, registry=registry)
        self.documents_without_text = Counter(f"{p}documents_without_text",
                                              "Results with the no_text warning (nothing readable found).",
                                              registry=registry)
        registry.register(_DroppedLogLines())
        self.config_info = Info(f"{p}config", "Hash and source of the configuration in force.", registry=registry)
        self.build_info = Info(f"{p}build", "Version of toridaemon and Python.", registry=registry)
        self.build_info.info({"version": __version__, "python": platform.python_version()})
        for result in ("success", "failure"):
            self.config_reloads.labels(result=result)


class _Counts(NamedTuple):
    detected: int
    pending: int
    completed: dict[str, int]  # never changed once in a snapshot: a change makes a new one


class FileCounts(Collector):
    """`files_detected`, `files_completed{outcome}` and `pending`, which reconcile: detected = the completed of every
    outcome + pending. The daemon's event loop is their one writer, and each `change` replaces the one snapshot a
    scrape reads (on the HTTP server's thread), so no scrape finds a step half made: as three metrics of their own,
    read one after the other, a scrape during a burst found detected and completed + pending apart by up to
    thousands of files."""

    def __init__(self) -> None:
        self._created = time.time()
        self._now = _Counts(0, 0, dict.fromkeys(("done", "failed", "duplicate"), 0))

    def change(self, *, detected: int = 0, pending: int = 0, outcome: str | None = None) -> None:
        """One step: files detected, the change in `pending`, and one file's outcome (None: no outcome). Only on
        the event loop's thread."""
        now = self._now
        completed = now.completed
        if outcome is not None:
            completed = {**completed, outcome: completed.get(outcome, 0) + 1}
        self._now = _Counts(now.detected + detected, now.pending + pending, completed)

    def collect(self) -> Iterable[Metric]:
        now = self._now  # one read: the figures below belong together
        yield CounterMetricFamily("toridaemon_files_detected", "Journal rows given to inbox files after the stability "
                                  "gate, each once.", value=now.detected, created=self._created)
        completed = CounterMetricFamily("toridaemon_files_completed", "Files finished, by outcome.",
                                        labels=["outcome"], created=self._created)
        for outcome, count in now.completed.items():
            completed.add_metric([outcome], count, created=self._created)
        yield completed
        yield GaugeMetricFamily("toridaemon_pending", "Journal rows detected and not yet finished.",
                                value=now.pending)


class _DroppedLogLines(Collector):
    """The log writer's own count of lost lines, read at each scrape (the writer counts; nothing copies it)."""

    def collect(self) -> Iterable[Metric]:
        yield CounterMetricFamily("toridaemon_log_lines_dropped",
                                  "Log lines lost: the log stream refused them or stalled past the buffer.",
                                  value=dropped_lines())


def observe_text(metrics: Metrics, result: dict[str, Any]) -> None:
    """The OCR and text figures a worker returned in its result."""
    ocr_pages = result["source"].get("ocr_pages") or []
    if ocr_pages:
        metrics.ocr_pages.inc(len(ocr_pages))
    seconds = result.get("timings_seconds", {}).get("ocr")
    if seconds is not None:  # OCR ran, also on pages whose reading was no text
        metrics.ocr_seconds.observe(seconds)
    if "no_text" in result.get("warnings", ()):
        metrics.documents_without_text.inc()
