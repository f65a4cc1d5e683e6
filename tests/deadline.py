"""Run a call in a forked child with a deadline, so that a hang fails a test instead of stalling the suite."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

DEADLINE = 30.0  # seconds: far above the fraction of a second these calls take, far below a stalled suite


class Hung(AssertionError):
    """The call did not return within its deadline."""


def call_with_deadline(function: Callable[..., Any], *args: Any, deadline: float = DEADLINE, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)` in a forked child: its (picklable) return value, or its exception re-raised
    as an AssertionError with the child's traceback; `Hung` when it runs past `deadline` (the child is killed)."""
    context = multiprocessing.get_context("fork")  # the child inherits loaded models: no reload per call
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_run, args=(sender, function, args, kwargs), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(deadline):
            raise Hung(f"{getattr(function, '__name__', function)} ran past {deadline} s on {args!r:.200}")
        ok, value = receiver.recv()
    finally:
        receiver.close()
        child.kill()
        child.join(timeout=10)
    if not ok:
        raise AssertionError(f"call raised in the child:\n{value}")
    return value


def _run(sender: Connection, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        sender.send((True, function(*args, **kwargs)))
    except BaseException:  # every failure goes back to the test, whatever it is
        sender.send((False, traceback.format_exc()))
    finally:
        sender.close()
