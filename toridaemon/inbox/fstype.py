"""Which file system holds the inbox, and whether inotify can see changes made on it.

inotify reports only changes made through the local kernel: on NFS, SMB/CIFS, FUSE mounts (sshfs,
rclone, virtiofs), 9p (WSL, VMs) and cluster file systems, a file another machine writes arrives in
silence. `watch_mode=auto` polls those, chosen by the `statfs` magic number of the inbox (the
numbers are the kernel's, `include/uapi/linux/magic.h`). watchfiles' auto-detection only knows WSL;
this extends the same idea to every remote file system the kernel names.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

# statfs magic -> name, for file systems whose changes inotify may never report.
SILENT_FILESYSTEMS: dict[int, str] = {
    0x6969: "nfs",
    0x517B: "smb",
    0xFF534D42: "cifs",
    0xFE534D42: "smb2",
    0x65735546: "fuse",
    0x01021997: "9p",
    0x00C36400: "ceph",
    0x5346414F: "afs",
    0x6B414653: "afs",
    0x73757245: "coda",
    0x564C: "ncp",
    0x01161970: "gfs2",
    0x7461636F: "ocfs2",
    0x0BD00BD0: "lustre",
    0x786F4256: "vboxsf",
    0x47504653: "gpfs",
}


class _StatFs(ctypes.Structure):
    # Only f_type (the first member, a C long on Linux) is read; the padding covers the rest of
    # `struct statfs` on every Linux ABI (120 bytes on x86_64).
    _fields_ = [("f_type", ctypes.c_long), ("_rest", ctypes.c_byte * 256)]


@functools.cache
def _statfs_call() -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    function: Callable[..., int] = ctypes.CDLL(name, use_errno=True).statfs
    return function


def fs_magic(path: Path) -> int | None:
    """The `statfs` f_type of the file system holding `path`, or None when it cannot be read."""
    call = _statfs_call()
    if call is None:
        return None
    buffer = _StatFs()
    if call(os.fsencode(path), ctypes.byref(buffer)) != 0:
        return None
    return int(buffer.f_type) & 0xFFFFFFFF


def choose_backend(mode: Literal["auto", "inotify", "polling"], path: Path,
                   magic: Callable[[Path], int | None] = fs_magic) -> tuple[Literal["inotify", "polling"], str]:
    """The observer for `path` and why: the setting wins, else polling on a silent file system."""
    if mode != "auto":
        return mode, "watch_mode setting"
    found = magic(path)
    name = SILENT_FILESYSTEMS.get(found) if found is not None else None
    if name is not None:
        return "polling", f"{name} file system (inotify does not see remote changes)"
    return "inotify", "local file system"
