"""The sd_notify protocol: newline-separated `KEY=value` datagrams to `$NOTIFY_SOCKET`.

Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op. A failed send is logged and counted,
never raised: losing one status line must not take the daemon down (a lost watchdog ping is what
the watchdog exists to notice).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping

logger = logging.getLogger(__name__)

NOTIFY_SOCKET = "NOTIFY_SOCKET"
WATCHDOG_USEC = "WATCHDOG_USEC"
WATCHDOG_PID = "WATCHDOG_PID"


def parse_address(value: str | None) -> str | bytes | None:
    """The socket address in `$NOTIFY_SOCKET`: a path, or `@name` for the abstract namespace.

    Other forms (systemd 254 also accepts `vsock:`) are not supported and yield None.
    """
    if not value:
        return None
    if value.startswith("@"):
        # Abstract names are bytes starting with NUL; the rest is not NUL-terminated.
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    logger.warning("unsupported NOTIFY_SOCKET address %r; sd_notify disabled", value)
    return None


def monotonic_usec() -> int:
    """CLOCK_MONOTONIC in microseconds, the clock systemd compares `MONOTONIC_USEC` against."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class Notifier:
    """Sends sd_notify messages; safe to call from any thread."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._address = parse_address(self._environ.get(NOTIFY_SOCKET))
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._failing = False
        self.sent = 0
        self.errors = 0

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def ready(self) -> bool:
        """Startup (or a reload) is complete."""
        return self.send("READY=1")

    def status(self, text: str) -> bool:
        """A one-line status shown by `systemctl status`."""
        # A newline would start a new assignment: a status text must never smuggle one in.
        return self.send("STATUS=" + " ".join(text.splitlines()))

    def reloading(self) -> bool:
        """A reload started; send `ready()` when it is over (Type=notify-reload requires both)."""
        return self.send("RELOADING=1", f"MONOTONIC_USEC={monotonic_usec()}")

    def stopping(self) -> bool:
        """Shutdown started."""
        return self.send("STOPPING=1")

    def watchdog(self) -> bool:
        """Keep-alive; send only while the loop and the watcher are healthy."""
        return self.send("WATCHDOG=1")

    def watchdog_interval(self) -> float | None:
        """`WatchdogSec=` in seconds when the watchdog is meant for this process, else None.

        Ping at half this interval (`watchdog_ping_interval`), as sd_watchdog_enabled(3) advises.
        """
        raw = self._environ.get(WATCHDOG_USEC, "")
        pid = self._environ.get(WATCHDOG_PID)
        if pid is not None and pid != str(os.getpid()):
            return None  # set for another process, e.g. inherited by a worker
        try:
            usec = int(raw)
        except ValueError:
            return None
        return usec / 1_000_000 if usec > 0 else None

    def watchdog_ping_interval(self) -> float | None:
        """How often to call `watchdog()`: half the interval, or None when no watchdog is set."""
        interval = self.watchdog_interval()
        return None if interval is None else interval / 2

    def send(self, *assignments: str) -> bool:
        """Send `KEY=value` lines as one datagram; True when sent, False when disabled or failed."""
        if self._address is None:
            return False
        payload = "\n".join(assignments).encode()
        with self._lock:
            try:
                self._connect().sendto(payload, self._address)
            except OSError as exc:
                self._record_failure(exc, payload)
                return False
            self.sent += 1
            self._failing = False
        return True

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def _connect(self) -> socket.socket:
        if self._socket is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            # Called from the event loop: a full receive queue must cost an error, not a stall.
            sock.setblocking(False)
            self._socket = sock
        return self._socket

    def _record_failure(self, exc: OSError, payload: bytes) -> None:
        self.errors += 1
        # The watchdog ping repeats every few seconds: warn when sending starts failing, not every time.
        level = logging.DEBUG if self._failing else logging.WARNING
        self._failing = True
        logger.log(level, "sd_notify send failed: %s (message %r)", exc, payload[:60])
