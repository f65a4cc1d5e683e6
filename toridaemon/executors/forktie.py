"""Workers that die with the forkserver that forked them, from the fork on (stdlib only, so it loads first)."""

from __future__ import annotations

import ctypes
import os
import signal

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
