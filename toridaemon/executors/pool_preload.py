"""The local pool's forkserver preload: each worker it forks dies with it, and starts with a warm pipeline.

The tie comes first and needs nothing but the standard library: the forkserver ignores a preload that
raises ImportError, and a warm-up that failed so must not leave the workers untied as well.
"""

from __future__ import annotations

import importlib

from toridaemon.executors.forktie import die_with_the_forkserver

die_with_the_forkserver()
importlib.import_module("toridaemon.executors.preload")
