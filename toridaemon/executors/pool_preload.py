"""The local pool's forkserver preload: each worker it forks dies with it, exits quietly when its pool is gone
before it starts, and starts with a warm pipeline.

The tie comes first and needs nothing but the standard library: the forkserver ignores a preload that
raises ImportError, and a warm-up that failed so must not leave the workers untied as well.
"""

from __future__ import annotations

import importlib
import signal

from toridaemon.executors.forktie import die_with_the_forkserver, quiet_when_the_pool_is_gone

# The forkserver ignores Ctrl-C once it serves; its preload (seconds of imports) is no different: a terminal's
# SIGINT reaches the whole group, and the parent decides.
signal.signal(signal.SIGINT, signal.SIG_IGN)
die_with_the_forkserver()
quiet_when_the_pool_is_gone()
importlib.import_module("toridaemon.executors.preload")
