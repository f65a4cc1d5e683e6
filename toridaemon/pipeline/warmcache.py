"""What each worker process derives the same way from shipped data, kept on disk between processes.

Every forkserver and Dask worker derives three things at its start from files in the wheels: the bundled concept
database's table of names (a gzipped JSON Lines file read, then 57,000 names and aliases normalised one by one),
the automaton that finds those names in a text, and the language detector's model (a 4.5 MB xz file unpacked to
68 MB, kept as the 97 MB of tables it is read as). The table and the model took some 1.5 s of the 2.2 s a worker's
warm-up took, the automaton some 0.1 s more, and a daemon's first result waited for them. Each is kept in a file
named by a digest of all it is made from (the shipped file; for the table also the pipeline's own source and the
versions of the libraries that read words; for the automaton the names in order and pyahocorasick's build), so a
change to any of them names another file and nothing stale is read.

Where: `$CACHE_DIRECTORY` (systemd's `CacheDirectory=`), else `$XDG_CACHE_HOME/toridaemon`, else
`~/.cache/toridaemon`. The cache only saves time: a file that is missing, damaged or cannot be written is derived
afresh, as without a cache, and the work goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from toridaemon.fsutil import TEMP_PREFIX, durable_temp
from toridaemon.hashing import NotRegularFile, open_regular

T = TypeVar("T")

KEEP = 3  # files of one kind kept: a few versions of the software used side by side do not rebuild in turn
_MAGIC = b"toricache1\n"
_HEADER = struct.Struct("<IQ")  # the payload's CRC-32 and length
_STALE_TEMP_SECONDS = 600.0  # a temp file this old was left by a process that died while writing it


def folder() -> Path | None:
    """The cache folder, or None when there is none to use (no home, no setting)."""
    if systemd := os.environ.get("CACHE_DIRECTORY"):  # colon-separated when the unit names several
        return Path(systemd.split(":")[0])
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG specification ignores a relative path
        return Path(xdg) / "toridaemon"
    home = os.path.expanduser("~")
    return Path(home) / ".cache" / "toridaemon" if os.path.isabs(home) and home != "/" else None


def digest(*parts: bytes | str) -> str:
    """A name for what `parts` make: each part counts with its length, so no two lists of parts run together."""
    summed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        summed.update(len(data).to_bytes(8, "little"))
        summed.update(data)
    return summed.hexdigest()[:32]


def load_or_build(kind: str, key: Callable[[], str], build: Callable[[], bytes], parse: Callable[[bytes], T]) -> T:
    """`parse` of the bytes kept for `kind` under `key()`; of `build()` when none are kept or they do not parse,
    which are then kept. Without a key (`key` raised `OSError`, `ValueError` or `ImportError`: an input could not
    be read) or a folder, nothing is read or kept. `build`'s and `parse`'s own errors on fresh bytes reach the
    caller."""
    path = _path(kind, key)
    if path is not None and (kept := _read(path)) is not None:
        # Bytes that do not parse (damaged in a way the checksum missed, from an incompatible reader) are derived
        # again, as missing ones are.
        with contextlib.suppress(Exception):
            return parse(kept)
    fresh = build()
    value = parse(fresh)
    if path is not None:
        _write(path, fresh)
    return value


def _path(kind: str, key: Callable[[], str]) -> Path | None:
    place = folder()
    if place is None:
        return None
    try:
        return place / f"{kind}-{key()}.bin"
    except (OSError, ValueError, ImportError):
        return None


def _read(path: Path) -> bytes | None:
    """The payload kept at `path`, or None: no such file, not a regular file (a FIFO would block the read), not
    of the length its header gives (checked before reading it), damaged, or too large for memory."""
    try:
        handle, info = open_regular(path)
    except (OSError, NotRegularFile):
        return None
    with handle:
        try:
            head = handle.read(len(_MAGIC) + _HEADER.size)
            if len(head) != len(_MAGIC) + _HEADER.size or not head.startswith(_MAGIC):
                return None
            crc, length = _HEADER.unpack_from(head, len(_MAGIC))
            if info.st_size != len(head) + length:
                return None
            payload = handle.read(length)
        except (OSError, MemoryError):
            return None
    return payload if len(payload) == length and zlib.crc32(payload) == crc else None


def _write(path: Path, payload: bytes) -> None:
    """Keep `payload` at `path`, whole or not at all; drop the oldest files of its kind beyond `KEEP`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Fsynced before the rename: no name ever holds a part of a file after a power cut. The folder is not
        # fsynced: a rename lost with it costs one more derivation.
        with durable_temp(path.parent, _MAGIC + _HEADER.pack(zlib.crc32(payload), len(payload)), payload) as temp:
            os.replace(temp, path)
    except OSError:
        return  # read-only, full, or no such place: the next process derives it again
    _prune(path)


def _prune(kept: Path) -> None:
    kind = kept.name.rsplit("-", 1)[0]
    now = time.time()
    try:
        entries = [(entry.stat().st_mtime, entry) for entry in kept.parent.iterdir()]
    except OSError:
        return
    same_kind = sorted(((mtime, entry) for mtime, entry in entries
                        if entry.name.startswith(f"{kind}-") and entry.name.endswith(".bin")), reverse=True)
    stale_temps = [entry for mtime, entry in entries if entry.name.startswith(TEMP_PREFIX)
                   and entry.name.endswith(".tmp") and now - mtime > _STALE_TEMP_SECONDS]
    for entry in [entry for _mtime, entry in same_kind[KEEP:]] + stale_temps:
        if entry != kept:
            with contextlib.suppress(OSError):
                entry.unlink()
