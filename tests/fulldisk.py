"""A real full filesystem for tests: a small tmpfs mounted over a folder (root with CAP_SYS_ADMIN), then filled."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SKIP_REASON = "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN) for a real ENOSPC"


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """`folder` as a tmpfs of `size` ("256k") for the block, unmounted after; skips the test where that cannot be."""
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                      capture_output=True, check=False).returncode:
        pytest.skip(SKIP_REASON)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, name: str = ".filler") -> Path:
    """Write into `folder` until its filesystem is full; returns the file to delete to free the space."""
    filler = folder / name
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler
