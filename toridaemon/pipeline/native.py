"""The concept engine's hot modules compiled by mypyc, used only when compiled from the sources as they are.

`build()` (`scripts/build_native.py`, run by `make`) compiles `MODULES` into C extensions in
`compiled/<digest>/` beside this file, the digest being that of the pipeline's sources and of this interpreter's
ABI.
`enable()`, run by `toridaemon.pipeline` before any of them is imported, serves them from the folder of the
current digest, all or none: a compiled module calls the others it was compiled with directly, so once one source
changes none of the copies may be used. Without that folder (sources edited since, no C compiler, a fresh
install) or with `TORI_NATIVE=0`, the sources are imported as always: the same results, some 20 % slower.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = "toridaemon.pipeline"
# Two shared libraries, one C file each, compiled side by side (the build's second half is the C compiler): 21 s
# where one library took 26. The groups call each other once a document or once a concept; no slower measured.
_GROUPS = {"counting": ("candidates", "scoring", "sections"), "choosing": ("prune", "concepts", "context")}
MODULES = tuple(name for members in _GROUPS.values() for name in members)
HERE = Path(__file__).resolve().parent
COMPILED = HERE / "compiled"
SWITCH = "TORI_NATIVE"  # "0": import the sources even when compiled copies of them exist


def digest() -> str:
    """Names the compiled copies of the current sources for this interpreter. Every source of the pipeline counts,
    not only `MODULES`: a compiled module was checked against the types the others declared then, and calls them
    trusting those (a changed return type would fail inside it)."""
    hashed = hashlib.sha256(importlib.machinery.EXTENSION_SUFFIXES[0].encode())
    for source in sorted(HERE.rglob("*.py")):
        hashed.update(str(source.relative_to(HERE)).encode() + b"\0" + source.read_bytes() + b"\0")
    return hashed.hexdigest()[:24]


def _libraries(folder: Path) -> dict[str, Path]:
    """Each compiled module's full name → its file in `folder`."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    names = [*MODULES, *(f"{group}__mypyc" for group in _GROUPS)]
    return {f"{PACKAGE}.{name}": folder / f"{name}{suffix}" for name in names}


class _CompiledFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled copies, ahead of the sources the path finder would find."""

    def __init__(self, libraries: dict[str, Path]) -> None:
        self.libraries = libraries

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
    try:
        libraries = _libraries(COMPILED / digest())
        if not all(library.is_file() for library in libraries.values()):
            return False
    except OSError:  # a source that cannot be read (permissions, a vanished file) cannot be vouched for
        return False
    sys.meta_path.insert(0, _CompiledFinder(libraries))
    return True


def enabled() -> bool:
    """Whether this process imports the compiled modules (`enable` found them)."""
    return any(isinstance(finder, _CompiledFinder) for finder in sys.meta_path)


def active() -> bool:
    """Whether the concept engine runs compiled in this process (once any of its modules is imported)."""
    module = sys.modules.get(f"{PACKAGE}.{MODULES[0]}")
    return module is not None and isinstance(module.__loader__, importlib.machinery.ExtensionFileLoader)


def build() -> str:
    """Compile `MODULES` into `COMPILED/<digest>` unless done; a sentence saying what happened. Needs mypy (its
    mypyc), a C compiler and the Python headers; without them the sources stay in use, which is no error."""
    target = COMPILED / digest()
    if _built(target):
        return f"compiled modules up to date ({target.name})"
    missing = _missing_tools()
    if missing:
        return f"not compiled, {missing}: the concept engine runs from its sources (some 20 % slower)"
    COMPILED.mkdir(exist_ok=True)
    with (COMPILED / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time (two `make` runs in one checkout)
        if _built(target):
            return f"compiled modules up to date ({target.name})"
        failure = _replace(target)
    if failure:
        return f"not compiled, mypyc failed: the concept engine runs from its sources\n{failure}"
    return f"compiled {len(MODULES)} modules into {target.relative_to(HERE.parent.parent)}"


def _built(target: Path) -> bool:
    return all(library.is_file() for library in _libraries(target).values())


def _replace(target: Path) -> str:
    """Compile into `target`, the folders of other digests removed; what mypyc printed when it failed."""
    with tempfile.TemporaryDirectory(prefix=f"{target.name}.", dir=COMPILED) as work:
        failure = _compile(Path(work))
        if failure:
            return failure
        staged = Path(work) / "staged"
        staged.mkdir()
        built = Path(work) / "lib" / Path(*PACKAGE.split("."))
        for library in _libraries(staged).values():
            shutil.copy2(built / library.name, library)
        for old in COMPILED.iterdir():
            if old.is_dir() and old.name != Path(work).name:
                shutil.rmtree(old, ignore_errors=True)
        staged.rename(target)  # in one step: a process finds all of the libraries or none
    return ""


def _missing_tools() -> str:
    if importlib.util.find_spec("mypyc") is None:
        return "mypy (with mypyc) is not installed"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "no Python headers (Python.h)"
    return ""


def _compile(work: Path) -> str:
    """mypyc in a child process, from the repository root (its mypy settings are the project's), building into
    `work`: setuptools runs where no pyproject.toml is read as this project's. What it printed when it failed."""
    root = HERE.parent.parent
    groups = [([str(HERE / f"{name}.py") for name in members], f"{PACKAGE}.{group}")
              for group, members in _GROUPS.items()]
    script = (
        "import json, os, sys\n"
        "from setuptools import setup\n"
        "from mypyc.build import mypycify\n"
        "work, groups = sys.argv[1], [(files, name) for files, name in json.loads(sys.argv[2])]\n"
        "modules = mypycify([file for files, _ in groups for file in files], separate=groups,\n"
        "                   target_dir=os.path.join(work, 'c'))\n"
        "os.chdir(work)\n"
        "setup(name='toridaemon-engine', ext_modules=modules, script_args=['--quiet', 'build_ext', '--build-lib',"
        " 'lib', '--build-temp', 'objects', '--parallel', '2'])\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", script, str(work), json.dumps(groups)], cwd=root,
                              capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        return "it took over 15 minutes"
    return "" if done.returncode == 0 else (done.stdout + done.stderr)[-4000:]
