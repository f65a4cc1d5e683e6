"""Workers that die with the forkserver that forked them, from the fork on, and that exit quietly when their pool
closed before they started (stdlib only, so it loads first)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import traceback
from types import TracebackType

_PR_SET_PDEATHSIG = 1


def die_with_the_forkserver() -> None:
    """Called in the local pool's forkserver (by its preload): every process it forks from now on dies with it.

    The tie is made in the child right after the fork, before any of the worker's own code runs. Made
    later (in the pool's initializer), a forkserver killed while a worker was still starting left
    that worker running: reparented, invisible to pebble (which counts it as dead), never exiting.
    A process a worker forks in turn is tied the same way, to that worker.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    forker = [0]

    def note_forker() -> None:
        forker[0] = os.getpid()

    def tie_to_forker() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != forker[0]:  # the forker died before the request above took effect
            os._exit(1)

    os.register_at_fork(before=note_forker, after_in_child=tie_to_forker)


def quiet_when_the_pool_is_gone() -> None:
    """Called in the local pool's forkserver (by its preload): a worker it forked that finds its pool gone exits
    without a traceback. A pool closed right after its first jobs (an `ingest` of two files that both failed at
    once) can be gone while a worker it asked for is still starting; the worker then reads the pool's lock, a
    semaphore its pool already removed, and the forkserver's child hands the FileNotFoundError to
    `sys.excepthook`, which printed it on the user's terminal. Any other error is printed as before."""
    shown = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if not _pool_gone(error, trace):
            shown(kind, error, trace)

    sys.excepthook = hook


def _pool_gone(error: BaseException, trace: TracebackType | None) -> bool:
    """Whether `error` is a missing semaphore raised while a lock was unpickled (`multiprocessing.synchronize`)."""
    return isinstance(error, FileNotFoundError) and any(
        frame.f_code.co_name == "__setstate__" and frame.f_code.co_filename.endswith(
            os.path.join("multiprocessing", "synchronize.py"))
        for frame, _ in traceback.walk_tb(trace))
