"""Logging: JSON off a TTY, console on one, and live level changes that reach cached loggers."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from toridaemon.logs import LineWriter, configure, dropped_lines, flush, get_logger, set_level


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_stdlib_logging() -> Iterator[None]:
    """`configure` replaces the root handlers (basicConfig(force=True)); put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    set_level("info")


def lines(stream: io.StringIO) -> list[str]:
    assert flush(5.0)
    return stream.getvalue().splitlines()


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(stream)]


def test_json_lines_when_not_a_tty() -> None:
    stream = io.StringIO()
    configure("info", "auto", stream=stream)
    get_logger("toridaemon.test").info("file_done", file="paper.pdf", seconds=0.5)
    [record] = records(stream)
    assert record["event"] == "file_done"
    assert record["level"] == "info"
    assert (record["file"], record["seconds"]) == ("paper.pdf", 0.5)
    assert record["timestamp"].endswith("Z")


def test_json_carries_context_variables_and_exceptions() -> None:
    stream = io.StringIO()
    configure("info", "json", stream=stream)
    log = get_logger("toridaemon.test")
    with structlog.contextvars.bound_contextvars(request="r1"):
        try:
            raise ValueError("bad thing")
        except ValueError:
            log.exception("it_failed")
    [record] = records(stream)
    assert record["request"] == "r1"
    assert record["level"] == "error"
    assert "ValueError: bad thing" in record["exception"]


def test_console_when_asked() -> None:
    stream = io.StringIO()
    configure("info", "console", stream=stream)
    get_logger("toridaemon.test").info("file_done", file="paper.pdf")
    [line] = lines(stream)
    with pytest.raises(ValueError):
        json.loads(line)
    assert "file_done" in line
    assert "file=paper.pdf" in line


def test_auto_is_console_on_a_tty_and_json_can_be_forced() -> None:
    tty = TtyStream()
    configure("info", "auto", stream=tty)
    get_logger("a").info("on_a_tty")
    assert flush(5.0)
    assert "on_a_tty" in tty.getvalue()
    assert not tty.getvalue().lstrip().startswith("{")

    forced = TtyStream()
    configure("info", "json", stream=forced)
    get_logger("b").info("forced_json")
    assert records(forced)[0]["event"] == "forced_json"


def test_level_threshold_from_configure() -> None:
    stream = io.StringIO()
    configure("warning", "json", stream=stream)
    log = get_logger("toridaemon.test")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    assert [r["event"] for r in records(stream)] == ["w", "e"]


def test_set_level_reaches_loggers_already_created_and_cached() -> None:
    stream = io.StringIO()
    configure("info", "json", stream=stream)
    assert structlog.get_config()["cache_logger_on_first_use"] is True
    log = get_logger("toridaemon.cached")
    log.info("before")  # first use: the bound logger is now cached
    log.debug("hidden_at_info")

    set_level("warning")
    log.info("hidden_at_warning")
    log.warning("shown_at_warning")

    set_level("DEBUG")
    log.debug("shown_at_debug")
    assert [r["event"] for r in records(stream)] == ["before", "shown_at_warning", "shown_at_debug"]


def test_configure_twice_does_not_stack_output() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure("info", "json", stream=first)
    configure("info", "json", stream=second)
    get_logger("fresh").info("once")
    logging.getLogger("some.library").warning("stdlib once")
    assert flush(5.0)
    assert first.getvalue() == ""
    out = lines(second)
    assert len(out) == 2
    assert json.loads(out[0])["event"] == "once"
    assert json.loads(out[1]) | {"timestamp": ""} == {
        "event": "stdlib once", "logger": "some.library", "level": "warning", "timestamp": ""}


def test_a_library_record_without_a_message_is_named_by_its_logger() -> None:
    """distributed logs a cancelled reconnect's exception with no message: the line's event was ""."""
    stream = io.StringIO()
    configure("info", "json", stream=stream)
    try:
        raise ConnectionRefusedError("refused")
    except ConnectionRefusedError:
        logging.getLogger("distributed.client").exception("")
    [line] = map(json.loads, lines(stream))
    assert line["event"] == "distributed.client_message_empty" and "ConnectionRefusedError" in line["exception"]


def test_standard_library_loggers_follow_the_configured_level() -> None:
    stream = io.StringIO()
    configure("warning", "json", stream=stream)
    logging.getLogger("pebble").info("hidden")
    logging.getLogger("watchdog").warning("shown")
    assert [(e["logger"], e["level"], e["event"]) for e in map(json.loads, lines(stream))] == [
        ("watchdog", "warning", "shown")]


def test_set_level_also_reaches_standard_library_loggers() -> None:
    stream = io.StringIO()
    configure("info", "json", stream=stream)
    set_level("warning")
    logging.getLogger("pebble").info("should be hidden after set_level('warning')")
    set_level("debug")
    logging.getLogger("watchdog").debug("should be shown after set_level('debug')")
    assert [(e["logger"], e["level"], e["event"]) for e in map(json.loads, lines(stream))] == [
        ("watchdog", "debug", "should be shown after set_level('debug')")]


class BrokenStream(io.StringIO):
    """A stream whose reader went away: a restarted journald, a closed terminal, `| head`."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


class StalledStream(io.StringIO):
    """A stream whose writes block until released, as a full pipe does while its reader is busy."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.release.wait(30)
        return super().write(text)


def test_a_broken_stream_drops_lines_and_never_raises() -> None:
    configure("info", "json", stream=BrokenStream())
    before = dropped_lines()
    get_logger("toridaemon.test").info("lost")
    logging.getLogger("pebble").warning("lost too")
    assert flush(5.0)
    assert dropped_lines() - before == 2

    stream = io.StringIO()
    configure("info", "json", stream=stream)
    get_logger("toridaemon.test").info("back")
    assert [r["event"] for r in records(stream)] == ["back"]


def test_logging_does_not_wait_for_a_stalled_stream() -> None:
    stream = StalledStream()
    configure("info", "json", stream=stream)
    log = get_logger("toridaemon.test")
    logger = threading.Thread(target=lambda: [log.info("line", n=n) for n in range(3)])
    logger.start()
    logger.join(10)
    assert not logger.is_alive()  # all three calls returned while the stream still blocks
    assert not flush(0.05)
    stream.release.set()
    assert [r["n"] for r in records(stream)] == [0, 1, 2]


def test_lines_beyond_the_buffer_are_dropped_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = StalledStream()
    configure("info", "json", stream=stream)
    monkeypatch.setattr(LineWriter, "LIMIT", 5)
    before = dropped_lines()
    log = get_logger("toridaemon.test")
    for n in range(20):
        log.info("line", n=n)
    stream.release.set()
    kept = [r["n"] for r in records(stream)]
    assert kept == list(range(len(kept))) and 5 <= len(kept) < 20  # the oldest kept, in order
    assert dropped_lines() - before == 20 - len(kept)


def test_flush_waits_for_the_lines_before_it_not_for_later_ones() -> None:
    stream = io.StringIO()
    writer = LineWriter(stream)
    writer.write("first")
    stop = threading.Event()

    def keep_logging() -> None:
        while not stop.is_set():
            writer.write("later")

    other = threading.Thread(target=keep_logging)
    other.start()
    try:
        assert writer.flush(10.0)  # returns once "first" is out, though the buffer never empties
    finally:
        stop.set()
        other.join(10)
    assert stream.getvalue().startswith("first\n")
