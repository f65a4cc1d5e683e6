"""The on-disk cache of what every worker derives from shipped data: kept, checked, and never needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toridaemon.pipeline import warmcache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "toridaemon"


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
    assert warmcache.load_or_build("kind", "k1", build, bytes.decode) == "derived bytes"
    assert warmcache.load_or_build("kind", "k1", build, bytes.decode) == "derived bytes"
    assert build.calls == 1
    assert [path.name for path in cache.iterdir()] == ["kind-k1.bin"]
    assert warmcache.load_or_build("kind", "k2", Builder(b"other"), bytes.decode) == "other"  # another key: derived


def test_a_damaged_or_foreign_file_is_derived_again_and_replaced(cache: Path) -> None:
    warmcache.load_or_build("kind", "k", Builder(), bytes.decode)
    kept = cache / "kind-k.bin"
    data = bytearray(kept.read_bytes())
    data[-3] ^= 0xFF  # a flipped bit in the payload
    for damaged in (bytes(data), bytes(data[:-5]), b"", b"not a cache file at all"):
        kept.write_bytes(damaged)
        build = Builder()
        assert warmcache.load_or_build("kind", "k", build, bytes.decode) == "derived bytes"
        assert build.calls == 1
    assert warmcache.load_or_build("kind", "k", Builder(b"unused"), bytes.decode) == "derived bytes"


def test_bytes_the_reader_refuses_are_derived_again(cache: Path) -> None:
    warmcache.load_or_build("kind", "k", Builder(b"old layout"), bytes.decode)

    def parse(data: bytes) -> str:
        if data == b"old layout":
            raise ValueError("a layout this version does not read")
        return data.decode()

    build = Builder(b"new layout")
    assert warmcache.load_or_build("kind", "k", build, parse) == "new layout"
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
        assert warmcache.load_or_build("kind", "k", build, bytes.decode) == "derived bytes"
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
        warmcache.load_or_build("kind", f"k{number}", Builder(), bytes.decode)
        os.utime(cache / f"kind-k{number}.bin", (1_000_000 + number, 1_000_000 + number))
    warmcache.load_or_build("other", "k", Builder(), bytes.decode)
    fresh_temp, stale_temp = cache / ".tmp-fresh", cache / ".tmp-stale"
    fresh_temp.write_bytes(b"being written")
    stale_temp.write_bytes(b"left by a killed process")
    os.utime(stale_temp, (1_000_000, 1_000_000))
    warmcache.load_or_build("kind", "newest", Builder(), bytes.decode)
    kept = sorted(path.name for path in cache.iterdir())
    newest = [f"kind-k{number}.bin" for number in range(warmcache.KEEP + 2)][-(warmcache.KEEP - 1):]
    assert kept == sorted([".tmp-fresh", "kind-newest.bin", *newest, "other-k.bin"])


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
model = detect._model()
print(model.classify("Die Verfügung des Gerichts ist ein wichtiger Schritt, sagte die Richterin heute.")[0])
"""


def test_a_second_process_reads_what_the_first_derived_and_gets_the_same(tmp_path: Path) -> None:
    """The bundled concept table and the language model, derived by one process and read by the next: each
    equal to what the shipped files give (and so to py3langid's own model: tests/test_language.py)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("CACHE_DIRECTORY", None)
    written: list[dict[str, int]] = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", WARM_UP], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "de"
        written.append({path.name.split("-")[0]: path.stat().st_mtime_ns
                        for path in (tmp_path / "toridaemon").iterdir()})
    assert sorted(written[0]) == ["concepts_en", "langid"]
    assert written[1] == written[0]  # read, not derived and written again
