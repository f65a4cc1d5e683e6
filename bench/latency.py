"""Pickup latency: a file's arrival to its claim in the journal (and to its result), with inotify, in one run.

The daemon runs with `TORI_WATCH_MODE=inotify`. Small generated PDFs arrive in its inbox one at a time
with a short gap between them: `--writer rename` (default) writes each under a hidden name and renames
it in, the fast path; `--writer close` writes in place (open, write, close), which the gate takes only
after `settle_seconds` (run it with `--settle 0` for the pure pickup figure). A file's claim time is the
timestamp of its `file_claimed` log event (logged right after the journal row turns `claimed`), its
result time that of `file_done`. The baseline is the floor
set by the watch mechanism itself: a bare watchdog `InotifyObserver` in this process, watching the same
inbox at the same time, timing close → `FileClosedEvent` delivered to its handler. A second bare
observer whose move grouper does not hold IN_MOVED_FROM events (watchdog holds each for 0.5 s to pair
it with an IN_MOVED_TO, and every later event of the watch queues behind it) shows what the daemon's
watcher would see with that hold removed: the daemon renames each processed input out of the inbox.

Targets: arrival→claim p50 < 50 ms, p99 < 250 ms; renamed-in arrival→result p50 < 250 ms.

Usage: python bench/latency.py [--files N] [--gap S] [--writer rename|close] [--settle S] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

from _common import Daemon, generated_pdf, header, iso_to_epoch, percentile, row, verdict, wait_until, workdir
from watchdog.events import FileClosedEvent, FileMovedEvent, FileSystemEvent, FileSystemEventHandler
from watchdog.observers.inotify import InotifyObserver
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper


class _Closes(FileSystemEventHandler):
    """Baseline: records when each close-after-write reaches a bare watchdog handler."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileClosedEvent | FileMovedEvent):
            now = time.time()
            path = event.dest_path if isinstance(event, FileMovedEvent) else event.src_path
            name = os.path.basename(os.fsdecode(path))
            if name.endswith(".pdf"):
                with self._lock:
                    self.seen.setdefault(name, now)


def _observer(inbox: Path, handler: _Closes, move_delay: float | None) -> InotifyObserver:
    """A started observer; `move_delay` overrides watchdog's hold of IN_MOVED_FROM (0.5 s) for its watch only."""
    default = InotifyMoveEventGrouper.delay
    if move_delay is not None:
        InotifyMoveEventGrouper.delay = move_delay
    try:
        observer = InotifyObserver(timeout=0.5)
        observer.schedule(handler, str(inbox), recursive=False)
        observer.start()
        time.sleep(0.3)  # the watch (and its move grouper) exists once the emitter thread runs
    finally:
        InotifyMoveEventGrouper.delay = default
    return observer


def drop(inbox: Path, files: int, gap: float, rename: bool) -> dict[str, float]:
    """Write `files` PDFs one at a time; returns name → Unix time right after the close or rename."""
    payloads = [generated_pdf(i) for i in range(files)]
    arrived: dict[str, float] = {}
    for index, data in enumerate(payloads):
        name = f"latency-{index:04d}.pdf"
        target = inbox / (f".{name}.part" if rename else name)
        with open(target, "wb") as handle:
            handle.write(data)
        if rename:
            os.rename(target, inbox / name)
        arrived[name] = time.time()
        time.sleep(gap)
    return arrived


def claims(daemon: Daemon, event: str = "file_claimed") -> dict[str, float]:
    return {str(e["file"]): iso_to_epoch(str(e["timestamp"]))
            for e in daemon.events() if e.get("event") == event}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between two files")
    parser.add_argument("--tmp", default=None, help="parent of the temporary directories (default: system temp)")
    parser.add_argument("--on-success", choices=("move", "delete", "keep"), default="move",
                        help="the daemon's on_success (move: processed inputs are renamed out of the inbox)")
    parser.add_argument("--writer", choices=("rename", "close"), default="rename",
                        help="rename: write a hidden name, rename in (fast path); close: write in place")
    parser.add_argument("--settle", type=float, default=None, help="the daemon's settle_seconds (default: its own)")
    args = parser.parse_args(argv)
    env = {"TORI_WATCH_MODE": "inotify", "TORI_ON_SUCCESS": args.on_success}
    if args.settle is not None:
        env["TORI_SETTLE_SECONDS"] = str(args.settle)
    with workdir(args.tmp, "tori-latency-") as root:
        daemon = Daemon(root, env)
        baseline, prototype = _Closes(), _Closes()
        observers: list[InotifyObserver] = []
        try:
            ready = daemon.wait_ready()
            observers.append(_observer(daemon.inbox, baseline, None))
            observers.append(_observer(daemon.inbox, prototype, 0.0))
            print(f"latency: {args.files} files, gap {args.gap * 1000:.0f} ms, watcher {ready.get('watcher')}, "
                  f"on_success={args.on_success}, writer={args.writer}, settle={args.settle}")
            closed = drop(daemon.inbox, args.files, args.gap, args.writer == "rename")
            claimed = wait_until(lambda: (c := claims(daemon)) and len(c) >= args.files and c, 120, 0.05,
                                 "every file claimed")
            results = wait_until(lambda: (c := claims(daemon, "file_done")) and len(c) >= args.files and c, 120,
                                 0.05, "every result written")
            wait_until(lambda: min(len(baseline.seen), len(prototype.seen)) >= args.files, 30, 0.05,
                       "every close seen by the bare observers")
            done = sum(1 for e in daemon.events() if e.get("event") == "file_done")
        finally:
            for observer in observers:
                observer.stop()
                observer.join(5)
            daemon.stop()
    ours = [(claimed[name] - t) * 1000 for name, t in closed.items()]
    base = [(baseline.seen[name] - t) * 1000 for name, t in closed.items()]
    print(header("arrival→claim", "arrival→event"))
    p50, p99 = percentile(ours, 50), percentile(ours, 99)
    print(row("p50", p50, percentile(base, 50), "ms", f"< 50 ms   {verdict(p50 < 50)}"))
    print(row("p99", p99, percentile(base, 99), "ms", f"< 250 ms  {verdict(p99 < 250)}"))
    print(row("max", max(ours), max(base), "ms"))
    whole = [(results[name] - t) * 1000 for name, t in closed.items()]
    print(header("arrival→result", "arrival→event"))
    r50 = percentile(whole, 50)
    print(row("p50", r50, percentile(base, 50), "ms", f"< 250 ms  {verdict(r50 < 250)}"))
    print(row("p99", percentile(whole, 99), percentile(base, 99), "ms"))
    fast = [(prototype.seen[name] - t) * 1000 for name, t in closed.items()]
    print("  bare watchdog observer with InotifyMoveEventGrouper.delay = 0 (prototype of the watcher fix):")
    print(row("p50", percentile(fast, 50), percentile(base, 50), "ms"))
    print(row("p99", percentile(fast, 99), percentile(base, 99), "ms"))
    print(f"  {len(ours)} files claimed, {done} results by the time the daemon stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
