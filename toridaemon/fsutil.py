"""Durable file operations: temp file + fsync + rename + directory fsync, and moves that never overwrite."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from toridaemon.hashing import FileIdentity, NotRegularFile, identity_of, open_regular, still_there

TEMP_PREFIX = ".tori-"
# A whole PDF `reprocess` put into the inbox under a hidden name (`staged_name`), to be given its own name next; a
# start that finds one left by a reprocess that died gives it that name (`recovery.promote_staged`).
STAGED_PREFIX = f"{TEMP_PREFIX}staged-"
_STAGED_SUFFIX = ".tmp"
_NAME_MAX = 255  # bytes in a file name (Linux filesystems)
COPY_CHUNK = 1 << 20  # a copy across filesystems holds this much of the input in memory, never the whole file


def _process_umask() -> int:
    """The umask without changing it (os.umask would, racing other threads): Linux reports it in /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


# mkstemp creates 0600 files; outputs get the mode any other file of this process would get.
FILE_MODE = 0o666 & ~_process_umask()


# Directories whose fsync failed: the rename in them is not durable yet. A caller that retries
# after the failure finds the file already in place and would skip the fsync forever, so every
# later fsync_dir first retries these and fails while any of them still fails.
_unsynced: set[Path] = set()
_unsynced_lock = threading.Lock()


def _fsync_one(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """fsync `directory`, after every directory whose fsync failed before (raises while one fails)."""
    with _unsynced_lock:
        waiting = sorted(_unsynced - {directory})
    for folder in [*waiting, directory]:
        try:
            _fsync_one(folder)
        except FileNotFoundError:
            pass  # gone: nothing in it can be lost any more
        except OSError:
            with _unsynced_lock:
                _unsynced.add(folder)
            raise
        with _unsynced_lock:
            _unsynced.discard(folder)


def unsynced_dirs() -> list[Path]:
    """Directories whose last fsync failed and that no later fsync has retried successfully."""
    with _unsynced_lock:
        return sorted(_unsynced)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either nothing or the whole file."""
    with durable_temp(path.parent, data) as temp:
        os.rename(temp, path)
    fsync_dir(path.parent)


def copy_atomic(path: Path, source: BinaryIO) -> None:
    """Write the rest of `source` to `path` as `write_atomic` does, `COPY_CHUNK` bytes at a time: an input of
    gigabytes moved to another filesystem took as much of the daemon's memory."""
    with durable_temp(path.parent, source=source) as temp:
        os.rename(temp, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def durable_temp(folder: Path, *chunks: bytes, source: BinaryIO | None = None) -> Iterator[Path]:
    """A hidden temp file (`TEMP_PREFIX`…`.tmp`) in `folder` holding `chunks`, then the rest of `source` (and its
    times), fsynced, for the caller to rename into place; removed when the caller fails (a crash leaves it to
    `remove_stale_temps`)."""
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            for chunk in chunks:
                _write(handle, chunk, temp)
            if source is not None:
                while block := source.read(COPY_CHUNK):
                    _write(handle, block, temp)
                _write(handle, b"", temp)  # flushed before the times are set, or the flush would change them
                copied = os.fstat(source.fileno())
                # Its times, as a move within a filesystem keeps them; some filesystems refuse (vfat, CIFS or
                # NFS owned by another user), and times are not worth failing a move for.
                with contextlib.suppress(OSError):
                    os.utime(handle.fileno(), ns=(copied.st_atime_ns, copied.st_mtime_ns))
            _write(handle, b"", temp, sync=True)
        yield Path(temp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _write(handle: BinaryIO, data: bytes, name: str, *, sync: bool = False) -> None:
    """Write (flush, and with `sync` fsync) to the temp file `name`; a failure names it, so that a full disk says
    which folder (a failed write names no file of its own)."""
    try:
        if data:
            handle.write(data)
        else:
            handle.flush()
        if sync:
            os.fsync(handle.fileno())
    except OSError as exc:
        if not exc.filename:
            exc.filename = name
        raise


def candidate_names(name: str) -> Iterator[str]:
    """`name`, then `stem-1.ext`, `stem-2.ext`, ... for clashes."""
    yield name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    for number in range(1, 100_000):
        yield f"{stem}-{number}.{ext}" if ext else f"{stem}-{number}"


def free_path(directory: Path, name: str, is_free: Callable[[Path], bool] = lambda p: not os.path.lexists(p)) -> Path:
    """The first path for `name` in `directory` that `is_free` accepts (default: nothing is there)."""
    for candidate in candidate_names(name):
        path = directory / candidate
        if is_free(path):
            return path
    raise FileExistsError(f"no free name for {name} in {directory}")


MAX_OUTPUT_BYTES = 64 << 20  # a result or failure record: ours are far smaller


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file (symlinks followed) of at most `limit` bytes; `ValueError` for anything else:
    a FIFO put at the path would block a plain read until a writer came, and `/dev/zero` never ends."""
    try:
        handle, _info = open_regular(path, follow_symlinks=True)
    except NotRegularFile as exc:
        raise ValueError(f"{path} is not a regular file ({exc})") from None
    with handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path} is larger than {limit} bytes")
    return data


def read_output(path: Path) -> bytes:
    """An output of ours (a result, a failure record): `read_regular`, so a FIFO or a device put at its name is
    refused (`ValueError`) instead of blocking the daemon or filling its memory."""
    return read_regular(path, MAX_OUTPUT_BYTES)


def same_content(a: Path, b: Path, chunk: int = 1 << 20) -> bool:
    """Whether two regular files hold the same bytes (False when either cannot be read or is no regular file: a
    FIFO found at a name would block a plain open)."""
    try:
        with contextlib.ExitStack() as stack:
            left, right = (stack.enter_context(open_regular(path, follow_symlinks=True)[0]) for path in (a, b))
            return _same_bytes(left, right, chunk)
    except (OSError, NotRegularFile):
        return False


def _same_bytes(left: BinaryIO, right: BinaryIO, chunk: int = 1 << 20) -> bool:
    """Whether two open files hold the same bytes from where each is read on."""
    if os.fstat(left.fileno()).st_size != os.fstat(right.fileno()).st_size:
        return False
    while True:
        block = left.read(chunk)
        if block != right.read(chunk):
            return False
        if not block:
            return True


class Replaced(Exception):
    """The input's name held another file when it was moved (renamed over it since it was read). That file is
    left in, or put back into, the inbox; `moved` says whether the input's own bytes reached the target."""

    def __init__(self, path: Path, *, moved: bool) -> None:
        super().__init__(f"{path.name} was replaced by another file while it was processed")
        self.moved = moved


def move_durably(source: Path, target: Path, expect: FileIdentity | None = None) -> None:
    """Rename `source` to `target` (same filesystem) or copy+fsync+unlink across filesystems. A crash between
    that copy and the unlink leaves both: the retry finds the copy by its content (see `same_content`).

    With `expect`, the identity of the file that was read: a file renamed over its name since is never moved
    away nor unlinked (`Replaced`). A rename cannot say which file it takes, so it is checked after (by size and
    modification time: a rename keeps both, while some filesystems, mergerfs by path hash, give the file another
    inode number): one that took the other file puts it back, under a free name."""
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # another filesystem: copied below
            raise
        _copy_across(source, target, expect)
    else:
        if expect is not None and not _same_file(os.lstat(target), expect):
            # Put back beside its name, never over a file that came meanwhile; both folders are fsynced there.
            raise Replaced(move_to_free_name(target, source.parent, source.name), moved=False)
    fsync_dir(target.parent)
    fsync_dir(source.parent)


def _same_file(info: os.stat_result, expect: FileIdentity) -> bool:
    return identity_of(info)[2:] == expect[2:]  # size and modification time (see `move_durably`)


def move_to_free_name(source: Path, folder: Path, name: str) -> Path:
    """Move `source` durably into `folder` under the first free name for `name` (see `candidate_names`), never
    over a file that is there or comes meanwhile (a new drop into the inbox); copied across filesystems."""
    for candidate in candidate_names(name):
        try:
            rename_no_replace(source, folder / candidate)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            return _copy_to_free_name(source, folder, name)
        fsync_dir(folder)
        fsync_dir(source.parent)
        return folder / candidate
    raise FileExistsError(f"no free name for {name} in {folder}")


def _copy_to_free_name(source: Path, folder: Path, name: str) -> Path:
    with open(source, "rb") as handle, durable_temp(folder, source=handle) as temp:
        target = move_to_free_name(temp, folder, name)
    os.unlink(source)
    fsync_dir(source.parent)
    return target


def _copy_across(source: Path, target: Path, expect: FileIdentity | None) -> None:
    try:
        handle, info = open_regular(source)
    except NotRegularFile:  # a FIFO or a symlink renamed over the input: not this input, and not to be read here
        raise Replaced(source, moved=False) from None
    with handle:
        if expect is not None and identity_of(info) != expect:
            raise Replaced(source, moved=False)
        if not _holds_copy(target, handle, info):
            handle.seek(0)
            copy_atomic(target, handle)
    if expect is not None and not still_there(source, expect):  # the copy is the input's; the other file stays
        fsync_dir(target.parent)
        raise Replaced(source, moved=True)
    os.unlink(source)


def _holds_copy(target: Path, source: BinaryIO, info: os.stat_result) -> bool:
    """Whether `target` is a copy a move cut before the input's unlink left there, made durable now: finishing the
    move then needs no second copy, nor the space for one. Only a regular file of its own counts (never a symlink,
    nor the input itself seen through a bind mount) holding the input's bytes."""
    try:
        handle, found = open_regular(target)
    except (OSError, NotRegularFile):
        return False
    with handle:
        if (found.st_dev, found.st_ino) == (info.st_dev, info.st_ino) or not _same_bytes(source, handle):
            return False
        os.fsync(handle.fileno())  # it may have been cut before its own fsync, or come from another tool
    fsync_dir(target.parent)
    return True


_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_libc = ctypes.CDLL(None, use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)  # glibc 2.28 and later


def rename_no_replace(source: Path, target: Path) -> None:
    """Rename `source` to `target`, or raise `FileExistsError` when a file is there: atomically with Linux's
    renameat2(RENAME_NOREPLACE); where the filesystem or C library lacks it (NFS, some FUSE), a look first, with
    a window of microseconds between the look and the rename."""
    if _renameat2 is not None:
        if _renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(source), None, str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


def unlink_expected(path: Path, expect: FileIdentity | None = None) -> None:
    """Delete an input, unless (with `expect`) another file was renamed over its name since it was read."""
    if expect is not None and not still_there(path, expect):
        raise Replaced(path, moved=False)
    os.unlink(path)
    fsync_dir(path.parent)


def remove_stale_temps(directory: Path, older_than: float | None = None) -> int:
    """Delete temp files a crash left behind, or only those made or changed at least `older_than` seconds ago (in a
    folder another process may be writing one into now); returns how many."""
    removed = 0
    now = time.time()
    for entry in directory.glob(f"{TEMP_PREFIX}*.tmp"):
        if entry.name.startswith(STAGED_PREFIX):  # a whole PDF: given its name, never deleted
            continue
        with contextlib.suppress(FileNotFoundError):
            # The change time: a copy carries its input's modification time, and a link keeps it.
            if older_than is not None and now - entry.lstat().st_ctime < older_than:
                continue
            entry.unlink()
            removed += 1
    return removed


def staged_name(name: str) -> str:
    """The hidden name a whole PDF called `name` waits under (not a candidate: it ends in ".tmp"); a name too long
    for the prefix loses the end of its stem, never its extension."""
    room = _NAME_MAX - len(STAGED_PREFIX) - len(_STAGED_SUFFIX)
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 8:
        stem, dot, extension = name, "", ""
    while len(os.fsencode(stem + dot + extension)) > room:
        stem = stem[:-1]  # whole characters: a name cut inside one is read by no UTF-8 tool
    return f"{STAGED_PREFIX}{stem}{dot}{extension}{_STAGED_SUFFIX}"


def staged_original(staged: str) -> str:
    """The name a staged PDF is to be given (`staged_name` inverted)."""
    return staged[len(STAGED_PREFIX) : -len(_STAGED_SUFFIX)]
