"""structlog setup: JSON lines for journald and pipes, a console renderer on a TTY.

The level is checked by a processor reading a mutable threshold rather than by a filtering bound
logger, so a live reload changes it for loggers that were already created and cached.

Lines reach the stream through `LineWriter`, a thread of its own: a stream that stalls (a full pipe, a slow
journald) or breaks (a restarted journald, a closed terminal, `| head`) never blocks or breaks the thread that
logs, be it the event loop or a file's bookkeeping.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import MutableMapping
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
FLUSH_SECONDS = 2.0  # at exit, how long the last lines may take to leave


class LineWriter:
    """Writes log lines to a stream from one thread, in order. At most `LIMIT` lines wait; more are dropped, and
    so are lines the stream refuses (EPIPE, EIO, closed): `dropped` counts both."""

    LIMIT = 10_000
    # After a line wakes the writer, it waits this long for more before writing them all at once: one wake-up per
    # line cost the daemon more CPU than the write itself (about 0.3 ms each on a loaded machine).
    LINGER_SECONDS = 0.05

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.dropped = 0
        self._reset()

    def _reset(self) -> None:
        self._lines: deque[str] = deque()
        self._changed = threading.Condition()
        self._queued = 0  # lines accepted since the start
        self._settled = 0  # of those, written or dropped
        self._thread: threading.Thread | None = None

    def write(self, line: str) -> None:
        """Queue one line (without its newline); never blocks on the stream."""
        with self._changed:
            if len(self._lines) >= self.LIMIT:
                self.dropped += 1
                return
            self._lines.append(line)
            self._queued += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="toridaemon-log-writer", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until the lines queued before this call were written (or dropped);
        False on timeout. Lines queued meanwhile by other threads are not waited for."""
        with self._changed:
            target = self._queued
            return self._changed.wait_for(lambda: self._settled >= target, timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._lines))
            time.sleep(self.LINGER_SECONDS)
            with self._changed:
                batch, stream = list(self._lines), self.stream
                self._lines.clear()
            refused = False
            try:
                stream.write("".join(f"{line}\n" for line in batch))
                stream.flush()
            except Exception:  # EPIPE, EIO, a closed stream: this thread must outlive any of them
                refused = True
            with self._changed:
                self.dropped += len(batch) if refused else 0
                self._settled += len(batch)
                self._changed.notify_all()


def reserve_standard_fds() -> None:
    """Give any of fds 0–2 the process started without (`2>&-`) a target before anything else is opened, or the
    next file opened (the journal's lock) takes its number and receives what libraries and child processes write
    to "stderr". A closed stderr becomes a copy of stdout when there is one, so such output reaches the journal."""
    for fd in (0, 1, 2):
        if _is_open(fd):
            continue
        if fd == 2 and _is_open(1):
            os.dup2(1, 2)
            continue
        opened = os.open(os.devnull, os.O_RDWR)
        if opened != fd:
            os.dup2(opened, fd)
            os.close(opened)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def printable(text: object) -> str:
    """`text` with the characters a terminal would act on (escapes, NUL, line breaks) written as escapes: file
    names come from whoever drops files, and "\x1b]0;…\x07" in one retitled the operator's terminal."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in str(text))


def stderr_is_a_tty() -> bool:
    """Whether a person reads stderr (False too when the process started with it closed)."""
    return sys.stderr is not None and sys.stderr.isatty()


def _standard_stream() -> TextIO:
    """stderr, or stdout when the process started with stderr closed (`2>&-`: Python's is None then)."""
    return sys.stderr or sys.stdout or open(os.devnull, "w")


_writer = LineWriter(_standard_stream())
# A process forked while the writer holds its lock or runs its thread must not inherit either.
os.register_at_fork(after_in_child=_writer._reset)
atexit.register(lambda: _writer.flush(FLUSH_SECONDS))


def flush(timeout: float = FLUSH_SECONDS) -> bool:
    """Wait until the log lines written so far have reached the stream (or were dropped)."""
    return _writer.flush(timeout)


def dropped_lines() -> int:
    """Log lines lost to a full buffer or a stream that refused them, since the process started."""
    return _writer.dropped


class _WriterLogger:
    """What structlog's bound loggers call with each rendered line."""

    def msg(self, message: str) -> None:
        _writer.write(message)

    log = debug = info = warn = warning = error = critical = exception = fatal = failure = err = msg


class _WriterHandler(logging.Handler):
    """The standard library's records (pebble, watchdog), through the same writer."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _writer.write(self.format(record))
        except Exception:  # a record that cannot be formatted: the standard library's own report
            self.handleError(record)


def set_level(level: str) -> None:
    """Change the lowest level logged, for every logger, immediately."""
    _level_filter.threshold = _LEVELS[level.lower()]
    logging.getLogger().setLevel(_level_filter.threshold)


def configure(level: str = "info", fmt: LogFormat = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog once per process; safe to call again (it replaces, never stacks, processors).
    Lines written before go to the previous stream first."""
    out = stream or _standard_stream()
    _writer.flush(FLUSH_SECONDS)
    _writer.stream = out
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
        logger_factory=lambda *_args: _WriterLogger(),
        cache_logger_on_first_use=True,
    )
    _route_stdlib(renderer)


def _route_stdlib(renderer: Any) -> None:
    """Libraries that log through the standard library (pebble, watchdog) get the same format and
    threshold; the root logger keeps exactly one handler however often this runs."""
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            _named_event,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
        ],
    )
    handler = _WriterHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(_level_filter.threshold)


def _named_event(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A library's record with no message (distributed logs a cancelled reconnect's exception so) gets an event
    name of its logger's: an error line whose event was "" named nothing an operator could search for."""
    if not str(event.get("event") or "").strip():
        event["event"] = f"{event.get('logger', 'library')}_message_empty"
    return event


def get_logger(name: str) -> FilteringBoundLogger:
    """A logger whose calls mypy checks (`log.info("event", key=value)`): the level methods exist and
    take the event name as a string."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
