"""structlog setup: JSON lines for journald and pipes, a console renderer on a TTY.

The level is checked by a processor reading a mutable threshold rather than by a filtering bound
logger, so a live reload changes it for loggers that were already created and cached.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, WrappedLogger

LogFormat = Literal["auto", "json", "console"]
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR,
           "critical": logging.CRITICAL, "exception": logging.ERROR, "warn": logging.WARNING}


class _LevelFilter:
    def __init__(self) -> None:
        self.threshold = logging.INFO

    def __call__(self, logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        if _LEVELS.get(method, logging.INFO) < self.threshold:
            raise structlog.DropEvent
        return event


_level_filter = _LevelFilter()


def set_level(level: str) -> None:
    """Change the lowest level logged, for every logger, immediately."""
    _level_filter.threshold = _LEVELS[level.lower()]
    logging.getLogger().setLevel(_level_filter.threshold)


def configure(level: str = "info", fmt: LogFormat = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog once per process; safe to call again (it replaces, never stacks, processors)."""
    out = stream or sys.stderr
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    renderer: Any = structlog.dev.ConsoleRenderer(colors=False) if console else structlog.processors.JSONRenderer()
    set_level(level)
    structlog.configure(
        processors=[
            _level_filter,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=True,
    )
    _route_stdlib(renderer, out)


def _route_stdlib(renderer: Any, out: TextIO) -> None:
    """Libraries that log through the standard library (pebble, watchdog) get the same format and
    threshold; the root logger keeps exactly one handler however often this runs."""
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(_level_filter.threshold)


def get_logger(name: str) -> FilteringBoundLogger:
    """A logger whose calls mypy checks (`log.info("event", key=value)`): the level methods exist and
    take the event name as a string."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
