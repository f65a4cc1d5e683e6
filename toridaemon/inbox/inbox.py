"""Loop-side half of the inbox: events and scans go through the gate, decided files go to `on_verdict`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from toridaemon.inbox.gate import EventKind, StabilityGate, Verdict
from toridaemon.inbox.rules import MAX_DEPTH, is_candidate
from toridaemon.logs import get_logger

log = get_logger("toridaemon.inbox")
Origin = Literal["event", "startup", "rescan"]
# Returns True when the verdict introduced a file the daemon did not know yet.
VerdictHandler = Callable[[Verdict, Origin], bool]


class Inbox:
    """Runs on the event loop; the watcher thread reaches `on_event` through the bridge."""

    def __init__(self, directory: Path, gate: StabilityGate, *, patterns: Callable[[], tuple[str, ...]],
                 knows: Callable[[Path], bool], on_verdict: VerdictHandler, recursive: bool = False,
                 on_subfolders: Callable[[int], None] = lambda _: None) -> None:
        self.directory = directory
        self.recursive = recursive
        self._on_subfolders = on_subfolders
        self._ignored_subfolders: set[str] = set()
        self._unlisted_subfolders: dict[str, str] = {}
        self.gate = gate
        self._patterns = patterns
        self._knows = knows
        self._on_verdict = on_verdict
        self._first_seen_by_rescan: set[Path] = set()
        self.unlisted: str | None = None  # why the last rescan could not list the inbox (no file can be found)

    def on_event(self, kind: EventKind, path: Path) -> None:
        if kind == "subfolder":
            if not self.recursive:
                self._note_subfolders(self._ignored_subfolders | {path.name})
            return
        if kind == "deleted":
            self.gate.forget(path)
            self._first_seen_by_rescan.discard(path)
            return
        # A file the daemon already has is common (a rescan lists it, a writer still busy with it writes):
        # one lookup, before the ignore patterns' globs.
        if self._knows(path) or not is_candidate(path.name, self._patterns()):
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
        """List the inbox and put every unknown candidate through the gate; returns how many were new. A rescan
        that cannot list the inbox (`chmod 000`, an I/O error) finds nothing and says why in `unlisted`; at
        startup the error is raised."""
        try:
            names, subfolders, unlisted = await asyncio.to_thread(_list_names, self.directory, self.recursive)
        except FileNotFoundError:
            if origin == "startup":
                raise
            self.unlisted = None  # a missing inbox is the watch's to report (/healthz, `inbox_missing`)
            return 0
        except OSError as exc:
            if origin == "startup":
                raise
            self.unlisted = f"cannot list {self.directory}: {exc.strerror or exc}"
            return 0
        self.unlisted = None
        if not self.recursive:
            self._note_subfolders(set(subfolders))
        self._note_unlisted(unlisted)
        # The gate drops files that vanish without a deleted event; forget them here too, or a new
        # file under the same name would never count as recovered.
        self._first_seen_by_rescan &= {path for path in self._first_seen_by_rescan if path in self.gate}
        patterns = self._patterns()
        found = 0
        for name in names:
            path = self.directory / name
            if not is_candidate(path.name, patterns) or self._knows(path):
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
        return self._on_verdict(verdict, origin)


    def _note_subfolders(self, names: set[str]) -> None:
        """Subfolders are not processed unless `recursive` is set: say so once per folder, and count."""
        for name in sorted(names - self._ignored_subfolders):
            log.warning("inbox_subfolder_ignored", folder=name,
                        hint="PDFs in subfolders are not processed; set recursive: true to process them")
        self._ignored_subfolders = names
        self._on_subfolders(len(names))

    def _note_unlisted(self, unlisted: dict[str, str]) -> None:
        """Subfolders a recursive scan did not list, because it could not (`lost+found` on a volume of its own, a
        private folder) or they lie too deep: the rest of the inbox goes on; say so once per folder."""
        for name in sorted(unlisted.keys() - self._unlisted_subfolders.keys()):
            deep = name.count("/") >= MAX_DEPTH
            log.warning("inbox_subfolder_unreadable", folder=name, error=unlisted[name],
                        hint=f"PDFs more than {MAX_DEPTH} folders below the inbox are not processed" if deep
                        else "PDFs in it are not processed until the daemon may list it")
        self._unlisted_subfolders = unlisted


def _list_names(directory: Path, recursive: bool) -> tuple[list[str], list[str], dict[str, str]]:
    """Names of the entries to consider (relative paths when recursive), of the subfolders not walked (hidden ones
    aside), and of those a recursive walk did not list (unreadable, or too deep), with why. Symlinked folders are
    never followed; the inbox itself that cannot be listed raises."""
    names: list[str] = []
    subfolders: list[str] = []
    unlisted: dict[str, str] = {}
    pending = [(directory, "", 0)]
    while pending:
        folder, prefix, depth = pending.pop()
        try:
            entries = _entries(folder)
        except FileNotFoundError:
            if not depth:
                raise
            continue  # removed since its parent was listed
        except OSError as exc:
            if not depth:
                raise
            unlisted[prefix.rstrip("/")] = exc.strerror or str(exc)
            continue
        for entry in entries:
            names.append(prefix + entry.name)
            if entry.name.startswith(".") or not _is_folder(entry):
                continue
            if recursive and depth < MAX_DEPTH:
                pending.append((Path(entry.path), f"{prefix}{entry.name}/", depth + 1))
            elif recursive:
                unlisted[prefix + entry.name] = f"more than {MAX_DEPTH} folders below the inbox"
            else:
                subfolders.append(entry.name)
    return sorted(names), sorted(subfolders), unlisted


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """Every entry of `folder`, read to the end here: an error while reading belongs to this folder."""
    with os.scandir(folder) as entries:
        return list(entries)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:  # the gate names an entry it cannot stat; a scan goes on
        return False
