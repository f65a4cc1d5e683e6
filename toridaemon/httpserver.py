"""The HTTP side channel: /metrics, /healthz, /readyz and /status on `metrics_host:metrics_port`.

uvicorn serves it on its own thread and its own event loop, so the daemon's loop never waits on a
client. uvicorn alone does not bound what idle clients hold: `timeout_keep_alive` only runs after a
response and every received byte cancels it, a connection that never sends a request line is kept
forever, and `limit_concurrency` answers 503 to requests but never refuses or closes a connection.
So the protocol below adds the two limits file descriptors need:
- at most `max_connections` open connections; at the cap, a new connection replaces the oldest one
  still waiting for its request, so idle or slow clients cannot lock out a real scrape. A connection
  whose whole request head has already arrived when it is accepted is not replaced before that head
  is read: a flood accepted in the same batch right after a real scrape would otherwise push it out;
- a whole request (headers and body) within `request_timeout` of the connection or of the previous
  response, however slowly its bytes trickle in; and its response taken by the client within
  `request_timeout` of the request: a client that asks and never reads holds its slot no longer, and
  at the cap it is replaced as an idle one is;
- at most `MAX_REQUESTS_PER_CONNECTION` answers on one connection: clients pipelining requests on every
  slot never leave one free.
The kernel queues up to `LISTEN_QUEUE` connections not yet accepted: a flood that reconnects each
replaced connection keeps the queue full, and a queue no longer than the flood drops a scrape's SYN,
which its client repeats only after 1 s and then 3 s. asyncio accepts `ACCEPT_BATCH` of them per
wakeup, because it opens every descriptor of a batch before the cap sees one.
The probes never wait for the daemon's event loop: `/status` is a snapshot its tick publishes.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import resource
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import h11
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from uvicorn.protocols.http.flow_control import CLOSE_HEADER
from uvicorn.protocols.http.h11_impl import H11Protocol

from toridaemon.logs import get_logger

log = get_logger("toridaemon.http")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
# The kernel caps it at net.core.somaxconn (4096 since Linux 5.4), the operator's knob.
LISTEN_QUEUE = 4096
# asyncio accepts this many queued connections per wakeup, before any reaches the connection cap: with a soft
# open-file limit of 1,024 and 256 connections allowed, a batch of 4,096 ran the daemon out of descriptors.
ACCEPT_BATCH = 128
KEEP_ALIVE_SECONDS = 5
# The client's side once its whole request is in: DONE, or MUST_CLOSE after a `Connection: close` or HTTP/1.0 one.
_REQUEST_MET = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
_PEEKED_BYTES = 4096  # a scrape's request head is far shorter; a longer one just stays replaceable
# Answers per connection (nginx has keepalive_requests): a client pipelining requests by the thousand on every
# connection it may hold gives its slots back, and a scrape gets one (Prometheus asks once per interval).
MAX_REQUESTS_PER_CONNECTION = 10


class HttpBindError(OSError):
    """The metrics server cannot listen where the settings say (a startup error, not a crash)."""


class Probes:
    """What the endpoints report; each callable is thread-safe."""

    def __init__(self, registry: CollectorRegistry, healthy: Callable[[], dict[str, bool]],
                 ready: Callable[[], bool], status: Callable[[], dict[str, Any]]) -> None:
        self.registry = registry
        self.healthy = healthy
        self.ready = ready
        self.status = status


def http_url(host: str, port: int, path: str) -> str:
    """The URL of `path` on the side channel at `host`:`port`; an IPv6 address goes in brackets ("http://::1:9464/"
    is no URL)."""
    return f"http://[{host}]:{port}{path}" if ":" in host else f"http://{host}:{port}{path}"


def _json(code: int, body: dict[str, Any]) -> tuple[int, bytes, str]:
    return code, json.dumps(body, default=str).encode(), "application/json"


async def _answer(probes: Probes, route: str) -> tuple[int, bytes, str]:
    if route == "/metrics":
        return 200, generate_latest(probes.registry), CONTENT_TYPE_LATEST
    if route == "/healthz":
        checks = probes.healthy()
        return _json(200 if all(checks.values()) else 503, checks)
    if route == "/readyz":
        ready = probes.ready()
        return _json(200 if ready else 503, {"ready": ready})
    if route == "/status":
        return _json(200, probes.status())  # a snapshot the daemon's tick publishes: no wait
    return _json(404, {"error": "not found"})


def _app(probes: Probes) -> Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                                      Awaitable[None]]:
    async def app(scope: Scope, receive: Callable[[], Awaitable[Message]],
                  send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            code, body, kind = _json(405, {"error": "method not allowed"})
        else:
            try:
                code, body, kind = await _answer(probes, scope["path"])
            except Exception:  # a probe's bug is a 500 and one JSON log line, never a raw traceback
                log.exception("http_probe_failed", route=scope["path"])
                code, body, kind = _json(500, {"error": "internal error"})
        headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    return app


class _Guard:
    """Connection bookkeeping shared by every connection of one server (used on its loop only)."""

    def __init__(self, max_connections: int, request_timeout: float) -> None:
        self.max_connections = max_connections
        self.request_timeout = request_timeout
        self.open = 0
        self.waiting: dict[_GuardedH11Protocol, None] = {}  # still waiting for a whole request, oldest first
        self.replaced = 0
        self.timed_out = 0


def _request_head_arrived(transport: asyncio.BaseTransport) -> bool:
    """True when a whole request head is already in the socket's receive buffer (peeked, not read)."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    try:
        peek = socket.socket(sock.family, sock.type, sock.proto, sock.fileno())
    except OSError:  # the descriptor is no socket any more: nothing to protect
        return False
    try:
        peek.settimeout(0)  # a process-wide default timeout would otherwise make recv wait for data first
        head = peek.recv(_PEEKED_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return False
    finally:
        peek.detach()  # the transport owns the descriptor
    return b"\r\n\r\n" in head


class _GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and a deadline for each whole request."""

    guard: _Guard  # set on the subclass each server makes

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._answering = False  # from a whole request until its response is written
        self._served = 0
        guard = self.guard
        if guard.open >= guard.max_connections:
            oldest = next(iter(guard.waiting), None)
            if oldest is not None:
                guard.replaced += 1
                oldest._drop()
        self._counted = guard.open < guard.max_connections
        if not self._counted:  # every connection is busy with a request: this one waits its turn elsewhere
            transport.abort()
            return
        guard.open += 1
        self._arm(replaceable=not _request_head_arrived(transport))

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._drop()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state in _REQUEST_MET:
            if not self._answering:  # the whole request arrived: now its answer must be taken within the deadline
                self._answering = True
                self._arm(replaceable=self.flow.write_paused)  # paused: the last answer is not taken yet
                if self._served + 1 >= MAX_REQUESTS_PER_CONNECTION and self.cycle is not None:
                    # The last answer says so (as nginx's keepalive_requests does): uvicorn answers a request that
                    # asked to close with `Connection: close`, and a keep-alive client opens a new connection.
                    scope = self.cycle.scope
                    scope["headers"] = [*scope["headers"], CLOSE_HEADER]
        elif self._deadline is not None:  # read, yet not whole: it can be replaced again
            self.guard.waiting[self] = None

    def on_response_complete(self) -> None:
        self._answering = False
        self._served += 1
        if self._served >= MAX_REQUESTS_PER_CONNECTION:
            self.transport.close()  # the answers it holds are still written, within the deadline armed below
        # The next request's deadline (armed before uvicorn reads a pipelined one, which arms its answer's), or a
        # closing connection's: its client must take what is left.
        self._arm()
        super().on_response_complete()

    def pause_writing(self) -> None:
        """The client does not read what it asked for: its slot may go to a new connection at the cap (clients
        pipelining requests they never read held every slot, and no scrape got in)."""
        super().pause_writing()
        if self._counted:
            self.guard.waiting[self] = None

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._answering:
            self.guard.waiting.pop(self, None)

    def _arm(self, replaceable: bool = True) -> None:
        """Start the request deadline; a `replaceable` connection also queues to be replaced at the cap."""
        self._disarm()
        self._deadline = self.loop.call_later(self.guard.request_timeout, self._expire)
        if replaceable:
            self.guard.waiting[self] = None

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.guard.waiting.pop(self, None)

    def _expire(self) -> None:
        self._deadline = None
        self.guard.timed_out += 1
        self._drop()

    def _drop(self) -> None:
        """Close at once and give the slot back (idempotent)."""
        self._disarm()
        if self._counted:
            self._counted = False
            self.guard.open -= 1
        if not self.transport.is_closing():
            self.transport.abort()


class _OncePer(logging.Filter):
    """Lets each distinct uvicorn message through at most once per `seconds` ("Invalid HTTP request
    received." for every malformed request would otherwise let any client flood the log)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._last.get(record.msg, -self.seconds) < self.seconds:
            return False
        self._last[record.msg] = now
        return True


def _quiet_uvicorn() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(known, _OncePer) for known in logger.filters):
        logger.addFilter(_OncePer(60.0))


def _protocol(guard: _Guard) -> type[_GuardedH11Protocol]:
    return type("GuardedH11Protocol", (_GuardedH11Protocol,), {"guard": guard})


def default_max_connections() -> int:
    """A quarter of the open-file limit, at most 256: the pipeline keeps the rest."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(4, min(256, soft // 4))


class _ListeningSocket(socket.socket):
    """A listening socket whose queue keeps its length: asyncio listens again with its accept batch size."""

    def listen(self, _backlog: int = LISTEN_QUEUE) -> None:
        super().listen(LISTEN_QUEUE)


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = _ListeningSocket(family, kind, proto)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode ("a..b", a 64-letter label)
        raise HttpBindError(f"metrics_host {host!r} cannot be used: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen()
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise HttpBindError(f"metrics_port {port} is already in use on {host} (choose another "
                                f"metrics_port, or 0 for any free port)") from exc
        raise HttpBindError(f"cannot listen on metrics_host {host} metrics_port {port}: "
                            f"{exc.strerror or exc}") from exc
    return sock


class HttpServer:
    """Listens at construction (so a taken port fails startup); serves from `start` to `stop`."""

    def __init__(self, host: str, port: int, probes: Probes, *, max_connections: int | None = None,
                 request_timeout: float = 5.0) -> None:
        self._socket = _listen(host, port)
        self.guard = _Guard(max_connections or default_max_connections(), request_timeout)
        config = uvicorn.Config(_app(probes), http=_protocol(self.guard), interface="asgi3", lifespan="off",
                                log_config=None, log_level="warning", access_log=False, proxy_headers=False,
                                server_header=False, backlog=ACCEPT_BATCH, timeout_keep_alive=KEEP_ALIVE_SECONDS,
                                timeout_graceful_shutdown=1)
        _quiet_uvicorn()
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="toridaemon-http", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def _serve(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException:  # the probes go dark; say so once, as JSON
            log.exception("http_server_failed")
