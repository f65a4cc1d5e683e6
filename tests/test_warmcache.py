"""The on-disk cache of what every worker derives from shipped data: kept, checked, and never needed."""

from __future__ import annotations

import dataclasses
import marshal
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import ahocorasick
import pytest

from toridaemon.pipeline import conceptdb, warmcache
from toridaemon.pipeline.language import language
from toridaemon.pipeline.sections import Span


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "toridaemon"


def key(name: str) -> Callable[[], str]:
    return lambda: name


class Builder:
    """Counts how often the artefact was derived."""

    def __init__(self, payload: bytes = b"derived bytes") -> None:
        self.payload = payload
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.payload


def test_what_was_derived_once_is_read_back(cache: Path) -> None:
    build = Builder()
    assert warmcache.load_or_build("kind", key("k1"), build, bytes.decode) == "derived bytes"
    assert warmcache.load_or_build("kind", key("k1"), build, bytes.decode) == "derived bytes"
    assert build.calls == 1
    assert [path.name for path in cache.iterdir()] == ["kind-k1.bin"]
    assert warmcache.load_or_build("kind", key("k2"), Builder(b"other"), bytes.decode) == "other"  # another key


def test_a_damaged_or_foreign_file_is_derived_again_and_replaced(cache: Path) -> None:
    warmcache.load_or_build("kind", key("k"), Builder(), bytes.decode)
    kept = cache / "kind-k.bin"
    data = bytearray(kept.read_bytes())
    data[-3] ^= 0xFF  # a flipped bit in the payload
    for damaged in (bytes(data), bytes(data[:-5]), b"", b"not a cache file at all"):
        kept.write_bytes(damaged)
        build = Builder()
        assert warmcache.load_or_build("kind", key("k"), build, bytes.decode) == "derived bytes"
        assert build.calls == 1
    assert warmcache.load_or_build("kind", key("k"), Builder(b"unused"), bytes.decode) == "derived bytes"


def test_what_is_no_file_of_ours_is_not_read(cache: Path) -> None:
    """A FIFO at the name would block the read for ever, a symlink to /dev/zero or a huge file would fill memory:
    only a regular file of the length its header gives is read."""
    warmcache.load_or_build("kind", key("k"), Builder(), bytes.decode)
    kept = cache / "kind-k.bin"
    whole = kept.read_bytes()
    header = len(whole) - len(b"derived bytes")
    kept.unlink()
    os.mkfifo(kept)
    build = Builder()
    assert warmcache.load_or_build("kind", key("k"), build, bytes.decode) == "derived bytes"
    assert build.calls == 1 and kept.is_file()  # a regular file again, replacing the FIFO
    kept.unlink()
    kept.symlink_to("/dev/zero")
    assert warmcache.load_or_build("kind", key("k"), Builder(), bytes.decode) == "derived bytes"
    claims_more = bytearray(whole)
    claims_more[header - 8 : header] = (1 << 40).to_bytes(8, "little")  # a length of a terabyte, in a small file
    kept.write_bytes(bytes(claims_more))
    build = Builder()
    assert warmcache.load_or_build("kind", key("k"), build, bytes.decode) == "derived bytes"
    assert build.calls == 1


def test_without_a_key_nothing_is_read_or_kept(cache: Path) -> None:
    """An input of the key that cannot be read (a package file the service user may not read): derived as
    without a cache."""
    def unreadable() -> str:
        raise PermissionError("a file of the package")

    build = Builder()
    for _ in range(2):
        assert warmcache.load_or_build("kind", unreadable, build, bytes.decode) == "derived bytes"
    assert build.calls == 2 and not cache.exists()


def test_bytes_the_reader_refuses_are_derived_again(cache: Path) -> None:
    warmcache.load_or_build("kind", key("k"), Builder(b"old layout"), bytes.decode)

    def parse(data: bytes) -> str:
        if data == b"old layout":
            raise ValueError("a layout this version does not read")
        return data.decode()

    build = Builder(b"new layout")
    assert warmcache.load_or_build("kind", key("k"), build, parse) == "new layout"
    assert build.calls == 1


@pytest.mark.parametrize("where", ["a file", "none"])
def test_no_usable_cache_folder_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    if where == "a file":  # it cannot be made a folder: as unwritable as a read-only one, for root too
        (tmp_path / "xdg").write_text("a file where the folder should be")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG specification says
        monkeypatch.setenv("HOME", "/")
    build = Builder()
    for _ in range(2):
        assert warmcache.load_or_build("kind", key("k"), build, bytes.decode) == "derived bytes"
    assert build.calls == 2


def test_the_folder_systemd_gives_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CACHE_DIRECTORY", f"{tmp_path}/unit:{tmp_path}/other")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert warmcache.folder() == tmp_path / "unit"
    monkeypatch.delenv("CACHE_DIRECTORY")
    assert warmcache.folder() == tmp_path / "xdg" / "toridaemon"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert warmcache.folder() == tmp_path / "home" / ".cache" / "toridaemon"


def test_older_files_of_a_kind_and_abandoned_temps_are_removed(cache: Path) -> None:
    for number in range(warmcache.KEEP + 2):
        warmcache.load_or_build("kind", key(f"k{number}"), Builder(), bytes.decode)
        os.utime(cache / f"kind-k{number}.bin", (1_000_000 + number, 1_000_000 + number))
    warmcache.load_or_build("other", key("k"), Builder(), bytes.decode)
    fresh_temp, stale_temp = cache / ".tori-fresh.tmp", cache / ".tori-stale.tmp"
    fresh_temp.write_bytes(b"being written")
    stale_temp.write_bytes(b"left by a killed process")
    os.utime(stale_temp, (1_000_000, 1_000_000))
    warmcache.load_or_build("kind", key("newest"), Builder(), bytes.decode)
    kept = sorted(path.name for path in cache.iterdir())
    newest = [f"kind-k{number}.bin" for number in range(warmcache.KEEP + 2)][-(warmcache.KEEP - 1):]
    assert kept == sorted([".tori-fresh.tmp", "kind-newest.bin", *newest, "other-k.bin"])


def test_digests_do_not_run_parts_together() -> None:
    assert warmcache.digest("ab", "c") != warmcache.digest("a", "bc")
    assert warmcache.digest(b"x") == warmcache.digest("x")


WARM_UP = """
import sys
from toridaemon.pipeline import conceptdb
from toridaemon.pipeline.language import detect, language
surfaces = conceptdb.bundled_surfaces()
fresh = conceptdb.surfaces(conceptdb._bundled(), language("en"))
assert len(surfaces) > 50_000 and surfaces == fresh, "the kept table differs from a fresh one"
matcher = conceptdb.load((), language("en"))._automaton
assert list(matcher.items()) == list(conceptdb._matcher(list(surfaces)).items()), "the kept matcher differs"
model = detect._model()
print(model.classify("Die Verfügung des Gerichts ist ein wichtiger Schritt, sagte die Richterin heute.")[0])
"""


def _kept(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}


def test_a_second_process_reads_what_the_first_derived_and_gets_the_same(tmp_path: Path) -> None:
    """The bundled concept table, its matcher and the language model, derived by one process and read by the next:
    each equal to what the shipped files give (and so to py3langid's own model: tests/test_language.py)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("CACHE_DIRECTORY", None)
    written: list[dict[str, int]] = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", WARM_UP], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "de"
        written.append(_kept(tmp_path / "toridaemon"))
    assert sorted(name.split("-")[0] for name in written[0]) == ["concepts_en", "langid", "matcher_en"]
    assert written[1] == written[0]  # the same three files, read, not derived and written again


def test_the_table_is_named_by_the_word_lists_and_the_code_it_was_made_with(monkeypatch: pytest.MonkeyPatch) -> None:
    english = language("en")
    data = conceptdb._bundled_bytes()
    named = conceptdb._table_key(data, english)
    assert conceptdb._table_key(data, english) == named
    assert conceptdb._table_key(data, dataclasses.replace(english, stop_words=english.stop_words | {"zyx"})) != named
    assert conceptdb._table_key(data, dataclasses.replace(english, frequencies={})) != named
    assert conceptdb._table_key(data + b" ", english) != named
    monkeypatch.setattr(conceptdb, "_SOURCES", "other code")
    assert conceptdb._table_key(data, english) != named


EDITED_AFTER_IMPORT = """
import sys
from pathlib import Path
from toridaemon.pipeline import conceptdb
candidates = Path(conceptdb.__file__).with_name("candidates.py")
assert str(candidates).startswith(sys.argv[1]), f"not the copy: {candidates}"
candidates.write_text(candidates.read_text() + "# an edit on disk after the import")
conceptdb.bundled_surfaces()
"""


def test_a_table_made_by_code_edited_on_disk_meanwhile_is_named_by_the_code_that_made_it(tmp_path: Path) -> None:
    """A process that imported the pipeline, then saw it upgraded on disk before it needed the table, made the
    table with its old code: named by the new code's files, every process of the new code read it."""
    package = tmp_path / "copy" / "toridaemon"
    shutil.copytree(Path(conceptdb.__file__).parents[2] / "toridaemon", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PYTHONPATH": str(package.parent)}
    env.pop("CACHE_DIRECTORY", None)
    for script in (EDITED_AFTER_IMPORT, "from toridaemon.pipeline import conceptdb; conceptdb.bundled_surfaces()"):
        # Run from the copy's folder: `python -c` puts the working directory first on the path.
        done = subprocess.run([sys.executable, "-c", script, str(package)], env=env, cwd=package.parent,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
    assert len(_kept(tmp_path / "xdg" / "toridaemon")) == 2  # the edited code made its own table


def test_only_the_bundled_tables_matcher_is_kept_and_a_kept_one_answers_alone(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user database's matcher is built, never kept (each edit would leave a file of megabytes); the bundled
    table's is kept (named by a digest of its keys in order), and read back it matches as a fresh one does, with
    nothing built."""
    user = tmp_path / "user.yaml"
    user.write_text("- name: graph neural network\n")
    monkeypatch.setattr(conceptdb, "_built", {})
    spans = [Span("body", 1, "New Zealand and the United States signed; graph neural network theory.")]
    assert "graph neural network" in conceptdb.load((str(user),), language("en")).match(spans)
    assert not cache.exists() or not list(cache.glob("matcher_en-*"))
    fresh = conceptdb.load((), language("en")).match(spans)
    assert len(list(cache.glob("matcher_en-*.bin"))) == 1
    monkeypatch.setattr(conceptdb, "_built", {})

    def never(_keys: list[str]) -> None:
        raise AssertionError("built, not read")

    with monkeypatch.context() as patched:
        patched.setattr(conceptdb, "_matcher", never)
        kept = conceptdb.load((), language("en"))
    assert kept.match(spans) == fresh and {"new zealand", "united state"} <= set(fresh)


def test_kept_matcher_arguments_other_than_expected_are_refused_before_pyahocorasick_reads_them() -> None:
    """pyahocorasick trusts what it is given: an automaton whose store reads "any objects" was built, refused
    after, and crashed the process as it was freed. Every field but the nodes is checked first."""
    keys = ["graph", "graph neural network", "zealand"]
    arguments = conceptdb._matcher(keys).__reduce__()[1]
    shape = arguments[1:]
    assert len(conceptdb._rebuilt_matcher(marshal.dumps(arguments), shape)) == len(keys)
    store = shape.index(ahocorasick.STORE_INTS)
    for changed in ((store, ahocorasick.STORE_ANY), (len(shape) - 2, 1), (len(shape) - 3, len(keys) + 1)):
        other = list(arguments)
        other[1 + changed[0]] = changed[1]
        with pytest.raises(ValueError):
            conceptdb._rebuilt_matcher(marshal.dumps(tuple(other)), shape)
    with pytest.raises(ValueError):
        conceptdb._rebuilt_matcher(marshal.dumps((["not bytes"], *shape)), shape)


def test_a_kept_matcher_is_named_by_its_keys(cache: Path) -> None:
    """Two tables of as many names, as long, keep a matcher each: neither reads the other's."""
    english = language("en")
    first = conceptdb.ConceptDB([conceptdb.ConceptEntry("alpha particle"), conceptdb.ConceptEntry("gamma ray")],
                                english, kept=True)
    second = conceptdb.ConceptDB([conceptdb.ConceptEntry("omega meson"), conceptdb.ConceptEntry("delta ray")],
                                 english, kept=True)
    spans = [Span("body", 1, "An alpha particle, a gamma ray, an omega meson and a delta ray.")]
    assert set(first.match(spans)) == {"alpha particle", "gamma ray"}
    assert set(second.match(spans)) == {"omega meson", "delta ray"}
    assert len(list(cache.glob("matcher_en-*.bin"))) == 2
