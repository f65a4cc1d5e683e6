"""The concept database: known concepts `{name, aliases, category, priority}` matched in the text.

The bundled file (`data/conceptdb.jsonl.gz`, built from WordNet by `scripts/build_conceptdb.py`) is always loaded;
files named in `concept_db_paths` (JSON or YAML: a list of entries, or `{"concepts": [...]}`; an entry may be a
bare name) are added after it, later files overriding earlier ones for the same name or alias. Matching runs one
Aho-Corasick automaton over the lowercased text, so its cost is linear in the text whatever the database size,
and accepts a match only on word boundaries (a trailing plural "s"/"es" is allowed). Each worker process loads a
database once per version of its files: `load` caches by the paths and each file's inode, size and
mtime, so an edited file reaches running workers with their next document (a worker process lives
for many documents); an edit that does not load keeps the last good version (a reload has already
refused it with the file named).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from toridaemon.pipeline.candidates import dehyphenate, normalize
from toridaemon.pipeline.sections import Span

BUNDLED = Path(__file__).resolve().parent / "data" / "conceptdb.jsonl.gz"


class ConceptDBError(Exception):
    """A concept database file is missing or invalid; the message names every path tried."""

    def __init__(self, problems: dict[str, str], tried: list[str]) -> None:
        details = "; ".join(f"{path}: {reason}" for path, reason in problems.items())
        super().__init__(f"cannot load concept database ({details}); paths tried: {', '.join(tried)}")
        self.problems = problems
        self.tried = tried


@dataclass(frozen=True, slots=True)
class ConceptEntry:
    name: str
    aliases: tuple[str, ...] = ()
    category: str | None = None
    priority: float = 1.0


@dataclass
class Hit:
    """Where one entry was found: occurrences per section and the character offset of the first one."""

    entry: ConceptEntry
    counts: dict[str, int] = field(default_factory=dict)
    first: int = 0
    surfaces: set[str] = field(default_factory=set)


class ConceptDB:
    """Entries plus an automaton from each lowercase name and alias to its entry."""

    def __init__(self, entries: Iterable[ConceptEntry]) -> None:
        by_surface: dict[str, tuple[ConceptEntry, str]] = {}
        for entry in entries:
            name_key = normalize(entry.name)
            for surface in (entry.name, *entry.aliases):
                key = " ".join(surface.lower().split())
                if key:
                    by_surface[key] = (entry, name_key)
        self.size = len({id(entry) for entry, _ in by_surface.values()})
        self._automaton = ahocorasick.Automaton()
        for key, (entry, name_key) in by_surface.items():
            self._automaton.add_word(key, (len(key), entry, name_key))
        if by_surface:
            self._automaton.make_automaton()
        self._empty = not by_surface

    def match(self, spans: list[Span]) -> dict[str, Hit]:
        """Hits keyed by the candidate key of the entry's name (see `candidates.normalize`)."""
        hits: dict[str, Hit] = {}
        offset = 0
        for span in spans:
            text = " ".join(dehyphenate(span.text).lower().split())
            if not self._empty:
                for end, (length, entry, key) in self._automaton.iter_long(text):
                    start = end - length + 1
                    if key and _bounded(text, start, end):
                        hit = hits.get(key) or hits.setdefault(key, Hit(entry, first=offset + end))
                        hit.counts[span.section] = hit.counts.get(span.section, 0) + 1
                        hit.surfaces.add(text[start : end + 1])
            offset += len(text) + 1
        return hits


def _bounded(text: str, start: int, end: int) -> bool:
    if start > 0 and text[start - 1].isalnum():
        return False
    after = end + 1
    if after < len(text) and text[after] == "s":
        after += 1
    elif text[after : after + 2] == "es":
        after += 2
    return after >= len(text) or not text[after].isalnum()


_last_good: dict[tuple[str, ...], ConceptDB] = {}
Stamp = tuple[int, int, int] | None


def load(paths: tuple[str, ...] = ()) -> ConceptDB:
    """The bundled database plus `paths`, built once per process for each version of those files."""
    key = tuple(str(path) for path in paths)
    try:
        database = _load(key, tuple(_stamp(path) for path in key))
    except ConceptDBError:
        if key in _last_good:
            return _last_good[key]
        raise
    _last_good[key] = database
    return database


def _stamp(path: str) -> Stamp:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


# Two versions per set of paths: the one in use and the one an edit is replacing.
@lru_cache(maxsize=4)
def _load(paths: tuple[str, ...], stamps: tuple[Stamp, ...]) -> ConceptDB:
    tried = [str(BUNDLED), *paths]
    entries: list[ConceptEntry] = []
    problems: dict[str, str] = {}
    for path in tried:
        try:
            entries.extend(_read(Path(path)))
        except FileNotFoundError:
            problems[path] = "no such file"
        except (OSError, ValueError, TypeError, yaml.YAMLError) as exc:
            problems[path] = f"{type(exc).__name__}: {exc}"
    if problems:
        raise ConceptDBError(problems, tried)
    return ConceptDB(entries)


def check_files(paths: tuple[str, ...]) -> None:
    """Read the user's database files without building anything; raise `ConceptDBError` naming each path."""
    problems: dict[str, str] = {}
    for path in paths:
        try:
            _read(Path(path))
        except FileNotFoundError:
            problems[path] = "no such file"
        except (OSError, ValueError, TypeError, yaml.YAMLError) as exc:
            problems[path] = f"{type(exc).__name__}: {exc}"
    if problems:
        raise ConceptDBError(problems, list(paths))


def _read(path: Path) -> list[ConceptEntry]:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        items: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
    elif path.suffix in (".yaml", ".yml"):
        items = yaml.safe_load(text)
    else:
        items = json.loads(text)
    if isinstance(items, dict):
        items = items.get("concepts")
    if not isinstance(items, list):
        raise ValueError("expected a list of concepts or a mapping with a 'concepts' list")
    return [_entry(item, index) for index, item in enumerate(items)]


def _entry(item: Any, index: int) -> ConceptEntry:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict):
        raise ValueError(f"entry {index} is neither a name nor a mapping")
    name, aliases = item.get("name"), item.get("aliases", [])
    category, priority = item.get("category"), item.get("priority", 1.0)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"entry {index} has no name")
    if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
        raise ValueError(f"entry {index} ({name}): aliases must be a list of strings")
    if category is not None and not isinstance(category, str):
        raise ValueError(f"entry {index} ({name}): category must be a string")
    if isinstance(priority, bool) or not isinstance(priority, int | float) or not 0 <= priority <= 1:
        raise ValueError(f"entry {index} ({name}): priority must be a number from 0 to 1")
    return ConceptEntry(name=name.strip(), aliases=tuple(aliases), category=category, priority=float(priority))
