"""Loop-side half of the inbox: events and scans go through the gate, decided files go to `on_verdict`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from toridaemon.inbox.gate import EventKind, StabilityGate, Verdict
from toridaemon.inbox.rules import is_candidate

Origin = Literal["event", "startup", "rescan"]
# Returns True when the verdict introduced a file the daemon did not know yet.
VerdictHandler = Callable[[Verdict, Origin], bool]


class Inbox:
    """Runs on the event loop; the watcher thread reaches `on_event` through the bridge."""

    def __init__(self, directory: Path, gate: StabilityGate, *, patterns: Callable[[], tuple[str, ...]],
                 knows: Callable[[Path], bool], on_verdict: VerdictHandler,
                 on_recovered: Callable[[int], None] = lambda _: None) -> None:
        self.directory = directory
        self.gate = gate
        self._patterns = patterns
        self._knows = knows
        self._on_verdict = on_verdict
        self._on_recovered = on_recovered
        self._first_seen_by_rescan: set[Path] = set()

    def on_event(self, kind: EventKind, path: Path) -> None:
        if kind == "deleted":
            self.gate.forget(path)
            self._first_seen_by_rescan.discard(path)
            return
        if not is_candidate(path.name, self._patterns()) or self._knows(path):
            return
        verdict = self.gate.observe(path, kind)
        if verdict is not None:
            self._decide(verdict, "event")

    def tick(self) -> None:
        """Poll the gate for files that have become quiet."""
        for verdict in self.gate.poll():
            origin: Origin = "rescan" if verdict.path in self._first_seen_by_rescan else "event"
            self._decide(verdict, origin)

    async def scan(self, origin: Literal["startup", "rescan"]) -> int:
        """List the inbox and put every unknown candidate through the gate; returns how many were new."""
        names = await asyncio.to_thread(_list_names, self.directory)
        # The gate drops files that vanish without a deleted event; forget them here too, or a new
        # file under the same name would never count as recovered.
        self._first_seen_by_rescan &= {path for path in self._first_seen_by_rescan if path in self.gate}
        patterns = self._patterns()
        found = 0
        for name in names:
            path = self.directory / name
            if not is_candidate(name, patterns) or self._knows(path):
                continue
            if origin == "rescan" and path not in self.gate:
                self._first_seen_by_rescan.add(path)
            verdict = self.gate.observe(path, "scan")
            if verdict is not None:
                found += self._decide(verdict, origin)
        return found

    def _decide(self, verdict: Verdict, origin: Origin) -> bool:
        self._first_seen_by_rescan.discard(verdict.path)
        if verdict.kind == "gone":
            return False
        accepted = self._on_verdict(verdict, origin)
        if accepted and origin == "rescan":
            self._on_recovered(1)
        return accepted


def _list_names(directory: Path) -> list[str]:
    with os.scandir(directory) as entries:
        return sorted(entry.name for entry in entries)
