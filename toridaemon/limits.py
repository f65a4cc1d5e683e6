"""Process limits set once at start."""

from __future__ import annotations

import resource

from toridaemon.logs import get_logger

log = get_logger("toridaemon.limits")


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit, as servers do, and return the new soft limit.

    systemd starts services with a soft limit of 1,024 (for programs that still use select()) and a
    far higher hard limit; nothing in the daemon uses select(), and the pipeline's files, the worker
    pipes and the HTTP clients then no longer compete for 1,024 descriptors.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target <= soft:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:  # a container may refuse: keep what we have, and say so
        log.warning("open_file_limit_unchanged", soft=soft, hard=hard, error=str(exc))
        return soft
    log.info("open_file_limit_raised", soft=target, was=soft)
    return target
