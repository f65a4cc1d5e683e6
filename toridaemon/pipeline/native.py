"""The concept engine's hot modules compiled by mypyc, used only when compiled from the sources as they are.

`build()` (`scripts/build_native.py`, run by `make`) compiles a copy of the package taken when it starts into C
extensions, loads them and analyzes a text in a child process, and only then publishes them in
`compiled/<digest>/` beside this file, the digest being that of the copy's pipeline sources and of this
interpreter's ABI. `enable()`, run by `toridaemon.pipeline` before any of `MODULES` is imported, serves them from
the folder of the current digest, all or none: a compiled module calls the others it was compiled with directly,
so once one source changes none of the copies may be used. Without that folder (sources edited since, no C
compiler, an installed package not compiled by `toridaemon compile-engine`) or with `TORI_NATIVE=0`, the sources
are imported as always: the same results, some 20 % slower. The C functions of `KERNELS` are compiled with them and
served alike (`kernel`); their callers run numpy instead without them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = "toridaemon.pipeline"
# Two shared libraries, one C file each, compiled side by side (the build's second half is the C compiler): 21 s
# where one library took 26. The groups call each other once a document or once a concept; no slower measured.
_GROUPS = {"counting": ("candidates", "scoring", "sections"), "choosing": ("prune", "concepts", "context")}
MODULES = tuple(name for members in _GROUPS.values() for name in members)
# C compiled beside them: plain functions over numpy's buffers that the module using each loads with ctypes
# (`kernel`), falling back on numpy without them. Each name's source, under this folder.
KERNELS = {"langid_walk": "language/langid_walk.c"}
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent  # the checkout (or the folder the package is installed in)
COMPILED = HERE / "compiled"
_WORK = ".build."  # the folder of a build under way: hidden, so that mypy and ruff never read its copy
_KEPT = 3  # builds kept (`_keep_recent`)
_INSTALLED_SETTINGS = ["--ignore-missing-imports", "--follow-imports=silent"]  # see `_compile`
SWITCH = "TORI_NATIVE"  # "0": import the sources even when compiled copies of them exist
# `str.lower` as Python runs it, for the compiled modules to call as a function: mypyc compiles a `.lower()` method
# call to a routine of its own that, before Python 3.13, lowercases letter by letter and misses the final sigma
# ("ΟΔΟΣ" gave "οδοσ" where Python gives "οδος"): the compiled engine counted one Greek word as two.
lowercase: Callable[[str], str] = str.lower


def digest(folder: Path = HERE) -> str:
    """Names the compiled copies of the pipeline's sources in `folder` for this interpreter. Every source of the
    pipeline counts, not only `MODULES`: a compiled module was checked against the types the others declared then,
    and calls them trusting those (a changed return type would fail inside it). The C of `KERNELS` counts too."""
    hashed = hashlib.sha256(importlib.machinery.EXTENSION_SUFFIXES[0].encode())
    for source in _sources(folder):
        hashed.update(os.fsencode(source.relative_to(folder)) + b"\0" + source.read_bytes() + b"\0")
    return hashed.hexdigest()[:24]


def _sources(folder: Path) -> list[Path]:
    """The pipeline's Python and C files: not the compiled folder, nor hidden files or folders (an editor's lock
    file is a link to nowhere), which a build does not copy either."""
    return sorted(path for path in (*folder.rglob("*.py"), *folder.rglob("*.c")) if not any(
        part == COMPILED.name or part.startswith(".") for part in path.relative_to(folder).parts))


def _libraries(folder: Path) -> dict[str, Path]:
    """Each compiled module's full name → its file in `folder`."""
    names = [*MODULES, *(f"{group}__mypyc" for group in _GROUPS)]
    return {f"{PACKAGE}.{name}": _library(folder, name) for name in names}


def _every_library(folder: Path) -> list[Path]:
    """The files of the compiled modules and of `KERNELS` in `folder`: a build publishes them all or none."""
    return [*_libraries(folder).values(), *(_library(folder, name) for name in KERNELS)]


def _library(folder: Path, name: str) -> Path:
    return folder / f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}"


class _CompiledFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled copies in `folder`, ahead of the sources the path finder would find."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.libraries = _libraries(folder)

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        library = self.libraries.get(fullname)
        if library is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(library))
        return importlib.util.spec_from_file_location(fullname, library, loader=loader)


def enable() -> bool:
    """Serve the compiled modules when they match the sources; whether they are served."""
    if enabled():
        return True
    if os.environ.get(SWITCH, "1") == "0" or any(f"{PACKAGE}.{name}" in sys.modules for name in MODULES):
        return False  # switched off, or too late: a source already loaded would be mixed with compiled modules
    folder = _current_folder()
    if folder is None:
        return False
    sys.meta_path.insert(0, _CompiledFinder(folder))
    return True


def enabled() -> bool:
    """Whether this process imports the compiled modules (`enable` found them)."""
    return any(isinstance(finder, _CompiledFinder) for finder in sys.meta_path)


def kernel(name: str) -> Path | None:
    """The library compiled from the C of `KERNELS[name]` when this process serves the compiled engine, else
    None: with the modules compiled from the same sources, or not at all."""
    for finder in sys.meta_path:
        if isinstance(finder, _CompiledFinder):
            return _library(finder.folder, name)
    return None


def active() -> bool:
    """Whether the concept engine runs compiled in this process (once any of its modules is imported)."""
    module = sys.modules.get(f"{PACKAGE}.{MODULES[0]}")
    return module is not None and isinstance(module.__loader__, importlib.machinery.ExtensionFileLoader)


def current() -> bool:
    """Whether compiled modules exist for the sources as they are (`enable` serves them unless switched off)."""
    return _current_folder() is not None


def _current_folder() -> Path | None:
    """The folder of the libraries compiled from the sources as they are, when it holds them all."""
    try:
        folder = COMPILED / digest()
        return folder if _built(folder) else None
    except OSError:  # a source that cannot be read (permissions, a vanished file) cannot be vouched for
        return None


def build() -> str:
    """Compile `MODULES` and `KERNELS` unless compiled for the current sources; a sentence saying what happened.
    Needs mypy (its mypyc), a C compiler and the Python headers; without them, or when the compiled folder cannot be
    written, the sources stay in use, which is no error."""
    try:
        return _build()
    except OSError as error:
        return f"not compiled ({error}): the concept engine runs from its sources"


def _build() -> str:
    if (folder := _current_folder()) is not None:
        return f"compiled modules up to date ({folder.name})"
    missing = _missing_tools()
    if missing:
        return f"not compiled, {missing}: the concept engine runs from its sources (some 20 % slower)"
    COMPILED.mkdir(exist_ok=True)
    with (COMPILED / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time (two `make` runs in one checkout)
        if (folder := _current_folder()) is not None:  # built by the run this one waited for
            return f"compiled modules up to date ({folder.name})"
        for leftover in COMPILED.glob(f"{_WORK}*"):  # of a build that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix=_WORK, dir=COMPILED) as work:
            failure, name = _compile_copy(Path(work))
        _keep_recent()
    if failure:
        return f"not compiled: the concept engine runs from its sources\n{failure}"
    changed = "" if name == digest() else " (the sources changed meanwhile: run it again for them)"
    return f"compiled {len(MODULES)} modules into {(COMPILED / name).relative_to(ROOT)}{changed}"


def _built(target: Path) -> bool:
    return all(library.is_file() for library in _every_library(target))


def _compile_copy(work: Path) -> tuple[str, str]:
    """Compile a copy of the package taken now, check that its libraries load and analyze a text, and publish
    them under the copy's digest: what mypyc printed when it failed, and that digest. A source edited during the
    build (some 20 s) cannot end up under the name of sources it was not compiled from."""
    source = work / "src"
    shutil.copytree(HERE.parent, source / HERE.parent.name,
                    ignore=shutil.ignore_patterns("__pycache__", COMPILED.name, ".*"))
    copy = source / Path(*PACKAGE.split("."))
    name = digest(copy)
    failure = _compile(work, copy)
    staged = work / "staged"
    if not failure:
        staged.mkdir()
        built = work / "lib" / Path(*PACKAGE.split("."))
        for library in _every_library(staged):
            shutil.copy2(built / library.name, library)
        failure = _smoke_test(source, staged)
    target = COMPILED / name
    if not failure and not _built(target):
        shutil.rmtree(target, ignore_errors=True)  # a build removed part-way would block this name for good
        staged.rename(target)  # in one step: a process finds all of the libraries or none
    return failure, name


def _keep_recent() -> None:
    """The last `_KEPT` builds stay: a running daemon (or a second interpreter sharing the checkout) may still
    load from an older one."""
    builds = []
    for path in COMPILED.iterdir():
        with contextlib.suppress(OSError):  # gone meanwhile: nothing to keep or remove
            if path.is_dir() and not path.name.startswith(_WORK):
                builds.append((path.stat().st_mtime, path))
    for _, old in sorted(builds, reverse=True)[_KEPT:]:
        shutil.rmtree(old, ignore_errors=True)


def _missing_tools() -> str:
    if importlib.util.find_spec("mypyc") is None:
        return "mypy (with mypyc) is not installed"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "no Python headers (Python.h)"
    return ""


def _compile(work: Path, copy: Path) -> str:
    """mypyc on `copy` in a child process of its own session, with a mypy cache of its own (never shared with a
    mypy run beside it), building into `work`; setuptools runs where no pyproject.toml is read as this project's.
    In a checkout mypy reads the project's settings; an installed package has none, and then reads no other
    module's errors: they are checked where the package is made. What it printed when it failed."""
    project = ROOT / "pyproject.toml"
    settings = ["--config-file", str(project)] if project.is_file() else _INSTALLED_SETTINGS
    groups = [([str(copy / f"{name}.py") for name in members], f"{PACKAGE}.{group}")
              for group, members in _GROUPS.items()]
    kernels = [(f"{PACKAGE}.{name}", str(copy / source)) for name, source in KERNELS.items()]
    script = (
        "import json, os, sys\n"
        "from setuptools import Extension, setup\n"
        "from mypyc.build import mypycify\n"
        "work, settings = sys.argv[1], json.loads(sys.argv[2])\n"
        "groups = [(files, name) for files, name in json.loads(sys.argv[3])]\n"
        "modules = mypycify([*settings, *(file for files, _ in groups for file in files)],\n"
        "                   separate=groups, target_dir=os.path.join(work, 'c'))\n"
        "modules += [Extension(name, [source], extra_compile_args=['-O2'])\n"
        "            for name, source in json.loads(sys.argv[4])]\n"
        "os.chdir(work)\n"
        "setup(name='toridaemon-engine', ext_modules=modules, script_args=['--quiet', 'build_ext', '--build-lib',"
        " 'lib', '--build-temp', 'objects', '--parallel', '2'])\n"
    )
    env = {**os.environ, "MYPY_CACHE_DIR": str(work / "mypy-cache")}
    command = [sys.executable, "-c", script, str(work), json.dumps(settings), json.dumps(groups), json.dumps(kernels)]
    failure = _run(command, copy.parent.parent, env)
    return "mypyc failed:\n" + failure if failure else ""


def _smoke_test(source: Path, staged: Path) -> str:
    """The staged libraries loaded in a child process, with the copied sources they were compiled from, and a text
    analyzed: a library that builds but does not load is never published."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from toridaemon.pipeline import native\n"
        "sys.meta_path.insert(0, native._CompiledFinder(Path(sys.argv[1])))\n"
        "from toridaemon.pipeline import analyze_text\n"
        "from toridaemon.pipeline.language import detect\n"
        "concepts = analyze_text('Graph neural networks. Graph neural networks learn molecule graphs.').concepts\n"
        "assert native.active() and concepts, 'the compiled engine did not load or found nothing'\n"
        "assert detect.kernel() is not None, 'the language detector did not load its kernel'\n"
    )
    path = os.pathsep.join(filter(None, (str(source), os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "PYTHONPATH": path, SWITCH: "0"}
    failure = _run([sys.executable, "-c", script, str(staged)], source, env)
    return "compiled, but the libraries did not load and analyze a text:\n" + failure if failure else ""


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """What `command` printed when it failed; its whole process group ends with it on the time limit."""
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        output, _ = child.communicate(timeout=900)
    except BaseException as stop:  # the time limit, or this build interrupted: no compiler runs on without it
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        if isinstance(stop, subprocess.TimeoutExpired):
            return "it took over 15 minutes"
        raise
    return "" if child.returncode == 0 else output.decode(errors="replace")[-4000:]
