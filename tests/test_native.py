"""The compiled concept engine (toridaemon/pipeline/native.py): served only when compiled from the sources as
they are, all of its modules or none, and giving what the sources give. Real child processes and the real
libraries `make` compiles; each test skips where nothing could be compiled (no C compiler or Python headers)."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SHARED
from toridaemon.pipeline import native

pytestmark = pytest.mark.slow

_TEXTS = [
    "Graph neural networks predict molecular properties.\nGraph neural networks learn from molecule graphs; "
    "message passing networks are graph neural networks. We compare them with random forests on QM9.",
    "Les réseaux de neurones convolutifs classent les images satellitaires. L'apprentissage profond des réseaux "
    "de neurones demande beaucoup de données annotées ; nous proposons une augmentation des données.",
    "Die Verfügbarkeit erneuerbarer Energien schwankt. Wir untersuchen Batteriespeicher für Windparks und "
    "zeigen, dass Batteriespeicher die Netzstabilität der Windparks verbessern.",
    "El aprendizaje automático mejora la detección temprana del cáncer de mama en mamografías digitales.",
    "Received: May 1, 2019\nC and W\nwhole works",  # names and aliases that normalise to nothing
    "Conclusıon\nİntroduction\nReſults\nWe found things. abc \ud800 def",  # case folds that change length
    "Title\nBody " + "a" * 4000 + " b-\nc",
    "Σύγχρονα νευρωνικά δίκτυα μαθαίνουν αναπαραστάσεις γράφων. Τα νευρωνικά δίκτυα γράφων είναι ισχυρά.",
    # A final capital sigma lowercases to "ς" (Python's rule; mypyc's own `.lower()` gave "σ" before Python 3.13)
    "We study the ΚΟΣΜΟΣ survey data. The ΚΟΣΜΟΣ survey maps galaxies; κοσμος means world. ΓΡΑΦΟΣ analysis.",
]
_RUN = """
import json, sys
from toridaemon.pipeline import PipelineOptions, analyze_text, native
options = PipelineOptions(max_concepts=15, min_concepts=15)
texts = json.loads(open(sys.argv[1], encoding="ascii").read())
results = []
for text in texts:
    result = analyze_text(text, settings=options).to_dict()
    del result["timings_seconds"]
    results.append(result)
print(json.dumps({"compiled": native.active(), "results": results}))
"""


def _compiled_here() -> None:
    if not native.enabled():
        reason = native._missing_tools() or "run scripts/build_native.py (make does) after changing the engine"
        pytest.skip(f"no compiled engine for these sources: {reason}")


def _texts() -> list[str]:
    """The texts above, and the first dozen documents of each keyphrase set when the shared folder is there."""
    texts = list(_TEXTS)
    for folder in sorted((SHARED / "keyphrase").glob("*/docsutf8")):
        texts += [path.read_text(errors="replace") for path in sorted(folder.glob("*.txt"))[:12]]
    return texts


def _analyze(texts: Path, *switches: str | None) -> list[dict[str, Any]]:
    """What the engine makes of `texts` in one child process per value of `TORI_NATIVE` (None: unset), side by
    side."""
    children = []
    for switch in switches:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop(native.SWITCH, None)
        if switch is not None:
            env[native.SWITCH] = switch
        children.append(subprocess.Popen([sys.executable, "-c", _RUN, str(texts)], env=env, cwd=REPO,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        results.append(json.loads(out))
    return results


def _package_copy(folder: Path, *ignored: str) -> Path:
    """A copy of the package in `folder`, which a child process given `_run_in(folder, …)` imports."""
    shutil.copytree(REPO / "toridaemon", folder / "toridaemon", ignore=shutil.ignore_patterns("__pycache__", *ignored))
    return folder / "toridaemon" / "pipeline"


def _run_in(folder: Path, script: str, *args: str) -> Any:
    """What `script` prints as JSON, run with the package copied into `folder` (not the repository's)."""
    done = subprocess.run([sys.executable, "-c", script, *args], env={**os.environ, "PYTHONPATH": str(folder)},
                          cwd=folder, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_where_it_can_be_compiled_the_engine_is_compiled_for_the_current_sources() -> None:
    missing = native._missing_tools()
    if missing:
        pytest.skip(f"nothing can be compiled here: {missing}")
    if os.environ.get(native.SWITCH) == "0":
        pytest.skip(f"{native.SWITCH}=0: the sources run by choice")
    assert native.enabled(), "the compiled engine is missing or stale: run scripts/build_native.py (make does)"


def test_the_compiled_engine_gives_what_its_sources_give(tmp_path: Path) -> None:
    _compiled_here()
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(_texts()), encoding="ascii")  # lone surrogates travel escaped
    compiled, sources = _analyze(texts, None, "0")
    assert compiled["compiled"] and not sources["compiled"]
    assert compiled["results"] == sources["results"]
    assert sum(len(result["concepts"]) for result in sources["results"]) > 3 * len(_TEXTS)  # not empty lists


@pytest.mark.parametrize("change", ["an engine module", "another pipeline module", "a missing library",
                                    "the detector's C", "the detector's missing library"])
def test_a_changed_source_makes_every_module_load_from_its_source(tmp_path: Path, change: str) -> None:
    """The compiled modules call each other directly, and trust the types the other modules declared when they
    were compiled: any change to the pipeline's sources, or one library missing, serves none of them."""
    _compiled_here()
    pipeline = _package_copy(tmp_path)
    probe = ("import importlib, json, toridaemon.pipeline.native as native\n"
             "files = [importlib.import_module('toridaemon.pipeline.' + name).__file__ for name in native.MODULES]\n"
             "print(json.dumps([native.active(), files]))")

    def loaded() -> tuple[bool, list[str]]:
        active, files = _run_in(tmp_path, probe)
        assert all(file.startswith(str(tmp_path)) for file in files)  # the copy, not the repository
        return active, files

    active, files = loaded()
    assert active and all(file.endswith(".so") for file in files)
    if change == "a missing library":
        (pipeline / "compiled" / native.digest() / Path(files[2]).name).unlink()
    elif change == "the detector's missing library":
        native._library(pipeline / "compiled" / native.digest(), "langid_walk").unlink()
    elif change == "the detector's C":
        edited = pipeline / native.KERNELS["langid_walk"]
        edited.write_text(edited.read_text() + "\n/* changed after the build */\n")
    else:
        edited = pipeline / ("prune.py" if change == "an engine module" else "filler.py")
        edited.write_text(edited.read_text() + "\n# changed after the build\n")
    active, files = loaded()
    assert not active and all(file.endswith(".py") for file in files)


def test_the_compiled_modules_lowercase_as_python_does() -> None:
    """mypyc compiles a `.lower()` method call to its own routine, which misses the final sigma before Python 3.13:
    the compiled modules call `native.lowercase` instead. This reads their sources for such calls."""
    calls = []
    for name in native.MODULES:
        path = native.HERE / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "lower":
                calls.append(f"{path.name}:{node.lineno}")
    assert calls == [], f"`.lower()` in compiled modules (use native.lowercase): {calls}"
    assert native.lowercase("ΟΔΟΣ ΚΟΣΜΟΣ") == "οδος κοσμος"


def _stubbed_modules(requirements: list[str]) -> dict[str, str]:
    """Module → the stub distribution (a `types-*` requirement) that types it, for those installed here."""
    stubs = {}
    for requirement in requirements:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
        if not name.startswith("types-"):
            continue
        try:
            files = importlib.metadata.files(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for file in files:
            if file.parts[0].endswith("-stubs"):
                stubs[file.parts[0].removesuffix("-stubs")] = name
    return stubs


def _imported_by_the_engine() -> set[str]:
    """The third-party modules the compiled modules import, directly or through the package's other modules (as
    mypy follows them): the package's own imports are read, each with the packages holding it."""
    imported: set[str] = set()
    pending = [f"{native.PACKAGE}.{name}" for name in native.MODULES]
    read: set[str] = set()
    while pending:
        module = pending.pop()
        if module in read:
            continue
        read.add(module)
        parts = module.split(".")
        pending += [".".join(parts[:end]) for end in range(1, len(parts))]
        path = REPO.joinpath(*parts)
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if not path.is_file():  # a name imported from a module (`from toridaemon.x import name`), not a module
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                if name.split(".")[0] == "toridaemon":
                    pending.append(name)
                else:
                    imported.add(name.split(".")[0])
    return imported


def test_the_native_extra_brings_the_stubs_the_compile_checks_with() -> None:
    """In a checkout mypyc checks the modules with the project's strict settings, which need the stubs of what
    they import. `make run` installs the `native` extra, not `dev`: without `types-regex` and `types-PyYAML` there,
    a fresh clone's compile failed and the daemon ran the engine's sources."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    imported = _imported_by_the_engine()
    needed = {stub for module, stub in _stubbed_modules(extras["dev"]).items() if module in imported}
    assert needed, "no stub distribution of the dev extra is installed: nothing to compare"
    assert needed <= set(_stubbed_modules(extras["native"]).values()), f"missing from native: {needed}"


_BUILD = """
import json, os, sys
from toridaemon.pipeline import native
case, live = sys.argv[1], native.HERE / "prune.py"


def compile_without_mypyc(work, copy):  # what mypyc leaves in `work`, as empty files; the C compiler is not the point
    built = work / "lib" / "toridaemon" / "pipeline"
    built.mkdir(parents=True)
    for library in native._every_library(built):
        library.write_bytes(b"")
    if case == "edited during the build":
        live.write_text(live.read_text() + "\\n# edited during the build\\n")
    return ""


native._compile = compile_without_mypyc
native._missing_tools = lambda: ""
native._smoke_test = lambda source, staged: "no library loads" if case == "not loading" else ""
before = native.digest()
message = native.build()
print(json.dumps({"before": before, "after": native.digest(), "message": message,
                  "folders": sorted(path.name for path in native.COMPILED.iterdir() if path.is_dir()),
                  "complete": native._built(native.COMPILED / before)}))
"""


@pytest.mark.parametrize("case", ["edited during the build", "not loading", "older builds", "left part-way"])
def test_a_build_publishes_only_libraries_that_load_under_the_name_of_what_it_compiled(
        tmp_path: Path, case: str) -> None:
    """The build's bookkeeping, with mypyc replaced by empty files (this tests the naming, not the compiler): a
    source edited while it compiles does not give its name to code compiled before the edit; libraries that do not
    load are not published; the last three builds stay, a killed build's folder goes; a folder left part-way is
    replaced."""
    compiled = _package_copy(tmp_path, native.COMPILED.name) / native.COMPILED.name
    (tmp_path / "pyproject.toml").write_text("")  # its mypy settings: only looked for here
    compiled.mkdir()
    if case == "older builds":
        for age, name in enumerate(["a" * 24, "b" * 24, "c" * 24, "d" * 24, ".build.killed"]):
            (compiled / name).mkdir()
            os.utime(compiled / name, (1e9 + age, 1e9 + age))
    result = _run_in(tmp_path, _BUILD, case)
    if case == "left part-way":  # the same digest again, its folder missing a library
        next(path for path in (compiled / result["before"]).iterdir()).unlink()
        result = _run_in(tmp_path, _BUILD, case)
    before, after, folders = result["before"], result["after"], result["folders"]
    if case == "edited during the build":
        assert before != after and folders == [before] and "changed meanwhile" in result["message"]
    elif case == "not loading":
        assert folders == [] and "no library loads" in result["message"]
    elif case == "older builds":
        assert folders == sorted([before, "c" * 24, "d" * 24])
    else:
        assert folders == [before] and result["complete"]
