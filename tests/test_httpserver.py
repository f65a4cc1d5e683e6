"""The HTTP side channel in-process: its answers, its connection cap, its request deadline, a taken port.

Real sockets on loopback against the real server thread; only the probes are stand-ins (they are the
daemon's callables, passed in)."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter
from structlog.testing import capture_logs

from tests.polling import wait_for
from toridaemon.httpserver import MAX_REQUESTS_PER_CONNECTION, HttpBindError, HttpServer, Probes


class Stand:
    """Probe answers a test can change."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        Counter("toridaemon_files_done", "Files done.", registry=self.registry).inc(3)
        self.checks = {"loop": True, "watcher": True}
        self.is_ready = True
        self.status_error: BaseException | None = None
        self.hold: threading.Event | None = None  # while set and not released, /status holds the server's loop
        self.holding = threading.Event()
        self.during_status: Callable[[], None] | None = None  # runs on the server's loop, inside /status

    def status(self) -> dict[str, Any]:
        if self.during_status is not None:
            self.during_status()
        if self.hold is not None:
            self.holding.set()
            self.hold.wait(10)
        if self.status_error is not None:
            raise self.status_error
        return {"backlog": 0}

    def probes(self) -> Probes:
        return Probes(self.registry, lambda: self.checks, lambda: self.is_ready, self.status)


@pytest.fixture
def stand() -> Stand:
    return Stand()


@contextlib.contextmanager
def serve(stand: Stand, **kwargs: Any) -> Iterator[HttpServer]:
    server = HttpServer("127.0.0.1", 0, stand.probes(), **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(stand: Stand) -> Iterator[HttpServer]:
    with serve(stand) as started:
        yield started


def get(server: HttpServer, route: str, method: str = "GET", timeout: float = 2.0) -> tuple[int, bytes]:
    """One request on a fresh connection; the timeout bounds connect and answer (the issue's 2 s)."""
    host, port = server.address
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, route)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_endpoints_answer(server: HttpServer, stand: Stand) -> None:
    code, body = get(server, "/metrics")
    assert code == 200 and b"toridaemon_files_done_total 3.0" in body
    assert get(server, "/healthz") == (200, b'{"loop": true, "watcher": true}')
    assert get(server, "/readyz") == (200, b'{"ready": true}')
    assert get(server, "/status") == (200, b'{"backlog": 0}')
    assert get(server, "/nowhere")[0] == 404
    assert get(server, "/metrics", method="POST")[0] == 405
    assert get(server, "/healthz", method="HEAD") == (200, b"")
    stand.checks["executor"] = False
    stand.is_ready = False
    assert get(server, "/healthz")[0] == 503
    assert get(server, "/readyz") == (503, b'{"ready": false}')


def test_a_failing_probe_is_a_500_and_one_json_log_line(server: HttpServer, stand: Stand) -> None:
    stand.status_error = ValueError("a bug in the probe")
    with capture_logs() as logs:
        assert get(server, "/status")[0] == 500
    assert [entry["event"] for entry in logs] == ["http_probe_failed"]
    assert get(server, "/metrics")[0] == 200


def test_a_taken_port_names_the_setting_and_the_port(stand: Stand) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HttpBindError, match=f"metrics_port {port} is already in use"):
            HttpServer("127.0.0.1", port, stand.probes())


@pytest.mark.parametrize("host", ["metrics.example..com", "a" * 64 + ".example.com"],
                         ids=["empty-label", "long-label"])
def test_a_host_name_idna_cannot_encode_names_the_setting(stand: Stand, host: str) -> None:
    """The codec's UnicodeError escaped: a traceback and exit 1 instead of the startup error."""
    with pytest.raises(HttpBindError, match=r"metrics_host .* cannot be used"):
        HttpServer(host, 0, stand.probes())


def _idle(server: HttpServer, count: int) -> list[socket.socket]:
    return [socket.create_connection(server.address, timeout=2) for _ in range(count)]


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_connections_past_the_cap_cannot_lock_out_a_scrape(stand: Stand) -> None:
    with serve(stand, max_connections=4, request_timeout=60.0) as server:
        idle = _idle(server, 12)
        try:
            wait_for(lambda: server.guard.open == 4, 5, what="the cap reached")
            assert get(server, "/metrics", timeout=2.0)[0] == 200
            assert server.guard.open <= 4
            assert server.guard.replaced >= 8
        finally:
            for sock in idle:
                sock.close()


@contextlib.contextmanager
def held(stand: Stand) -> Iterator[tuple[HttpServer, threading.Event]]:
    """A server (cap 4) whose loop a /status probe holds until the event given with it is set, which it is on the
    way out."""
    release = stand.hold = threading.Event()
    with serve(stand, max_connections=4, request_timeout=60.0) as server:
        holder = threading.Thread(target=get, args=(server, "/status", "GET", 15.0), daemon=True)
        holder.start()
        try:
            assert stand.holding.wait(5), "the server never ran the holding probe"
            yield server, release
        finally:
            release.set()
            holder.join(10)


def test_a_scrape_accepted_just_before_a_flood_is_read_not_replaced(stand: Stand) -> None:
    """The scrape and, right behind it, three times the cap of idle connections queue while the server's
    loop is held (by a /status probe that blocks), so the server accepts them in one batch before it
    reads the scrape's request. Replacing the oldest waiting connection would close the scrape."""
    with held(stand) as (server, release):
        scrape = socket.create_connection(server.address, timeout=5)
        scrape.sendall(b"GET /metrics HTTP/1.1\r\nHost: prometheus\r\n\r\n")
        idle = _idle(server, 12)
        release.set()
        try:
            assert scrape.recv(64).startswith(b"HTTP/1.1 200")
            assert server.guard.replaced >= 8
        finally:
            for sock in [scrape, *idle]:
                sock.close()


def _listen_queue_limit() -> int:
    with open("/proc/sys/net/core/somaxconn", encoding="ascii") as limit:
        return int(limit.read())


@pytest.mark.skipif(not Path("/proc/sys/net/core/somaxconn").exists() or _listen_queue_limit() < 512,
                    reason="the kernel caps listen queues below 512 (net.core.somaxconn)")
def test_a_scrape_behind_a_queue_of_hundreds_is_answered(stand: Stand) -> None:
    """A flood that reconnects whatever the cap replaces keeps the listen queue full. The queue here fills
    while the server's loop is held: with a queue of 128, the kernel dropped the scrape's SYN, and its
    client asked again only after 1 s (then 3 s), past the 2 s a scrape has."""
    with held(stand) as (server, release):
        queued: list[socket.socket] = []
        try:
            queued.extend(_idle(server, 300))
            scrape = socket.create_connection(server.address, timeout=2)
            queued.append(scrape)
            scrape.sendall(b"GET /metrics HTTP/1.1\r\nHost: prometheus\r\n\r\n")
            release.set()
            assert scrape.recv(64).startswith(b"HTTP/1.1 200")
        finally:
            for sock in queued:
                sock.close()


@pytest.mark.parametrize("request_head", [
    b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /status HTTP/1.0\r\n\r\n",
], ids=["keep-alive", "connection-close", "http-1.0"])
def test_a_whole_request_is_out_of_the_replacement_queue_while_answered(stand: Stand, request_head: bytes) -> None:
    """h11 tells a finished `Connection: close` or HTTP/1.0 request by MUST_CLOSE, not DONE: it too has met
    its deadline and must not be replaced while its answer is produced."""
    with serve(stand, max_connections=4, request_timeout=60.0) as server:
        queued: list[int] = []
        stand.during_status = lambda: queued.append(len(server.guard.waiting))
        with socket.create_connection(server.address, timeout=5) as sock:
            sock.sendall(request_head)
            assert sock.recv(64).startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))
        assert queued == [0]


def test_a_connection_that_never_sends_is_closed_at_the_deadline(stand: Stand) -> None:
    with serve(stand, request_timeout=0.5) as server:
        with socket.create_connection(server.address, timeout=2) as sock:
            assert _closed_by_server(sock, within=10.0)
        assert server.guard.timed_out == 1


def test_a_request_trickling_in_is_closed_at_the_deadline(stand: Stand) -> None:
    """Each byte arrives well within any idle timeout; the whole request never does."""
    with serve(stand, request_timeout=1.0) as server:
        with socket.create_connection(server.address, timeout=2) as sock:
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            closed = False
            for _ in range(100):  # at most 100 header lines, 0.1 s apart
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    closed = True
                    break
                if _closed_by_server(sock, within=0.1):
                    closed = True
                    break
            assert closed, "the server kept a request that never completed"
            assert time.monotonic() - started < 10.0
        assert server.guard.timed_out == 1


def _asking_never_reading(server: HttpServer, count: int) -> list[socket.socket]:
    """Connections that pipeline requests for a large answer and never read one: the server's writes to them stall
    (ten answers, all a connection may have, are more than the kernel's buffers take)."""
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 200
    socks = []
    for _ in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(server.address)
        sock.settimeout(0.5)
        with contextlib.suppress(OSError):  # the server stops reading once its writes stall: enough sent
            sock.sendall(request)
        socks.append(sock)
    return socks


def _large_metrics(stand: Stand) -> None:
    """An answer of some 800 KB from 500 series with long labels: 6,000 short ones took 0.12 s of CPU to write
    out each, and the 16 answers before four connections stall took over 10 s with the other tests' load."""
    many = Counter("toridaemon_test_series", "Many series: an answer of some 800 KB.", ["name"],
                   registry=stand.registry)
    for index in range(500):
        many.labels(name=f"series-{index:05d}-" + "x" * 750).inc()


def test_clients_that_ask_and_never_read_cannot_lock_out_a_scrape(stand: Stand) -> None:
    """Each held a slot for good: its whole request had arrived (so it was no longer replaceable) and its answer
    could not be written. At the cap every new connection was refused, a scrape or /healthz among them."""
    _large_metrics(stand)
    with serve(stand, max_connections=4, request_timeout=60.0) as server:
        stalled = _asking_never_reading(server, 4)
        try:
            wait_for(lambda: len(server.guard.waiting) == 4, 10, what="the four stalled answers")
            assert get(server, "/healthz", timeout=5.0)[0] == 200
            assert server.guard.replaced >= 1 and server.guard.open <= 4
        finally:
            for sock in stalled:
                sock.close()


def test_clients_pipelining_requests_on_every_slot_give_them_back(stand: Stand) -> None:
    """Small answers the kernel's buffers take whole: no write stalls, each connection is busy answering a
    pipeline of thousands of requests, none is idle, and a new connection at the cap was refused for as long."""
    with serve(stand, max_connections=4, request_timeout=60.0) as server:
        flood = []
        for _ in range(4):
            sock = socket.create_connection(server.address, timeout=2)
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 3000)
            flood.append(sock)
        try:
            wait_for(lambda: _answers(server) == 200, 10, what="a scrape answered beside the pipelines")
            assert [_answers_until_closed(sock) for sock in flood] == [MAX_REQUESTS_PER_CONNECTION] * 4
        finally:
            for sock in flood:
                sock.close()


def _answers(server: HttpServer) -> int | None:
    try:
        return get(server, "/healthz", timeout=1.0)[0]
    except OSError:
        return None


def _answers_until_closed(sock: socket.socket) -> int:
    """How many answers arrive on `sock` before the server closes it (or stops answering for 2 s)."""
    sock.settimeout(2.0)
    received = b""
    with contextlib.suppress(TimeoutError):
        while chunk := sock.recv(1 << 16):
            received += chunk
    return received.count(b"HTTP/1.1 200")


def test_a_connection_is_closed_after_its_last_allowed_answer_which_says_so(server: HttpServer) -> None:
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n" * (MAX_REQUESTS_PER_CONNECTION + 5))
        assert _answers_until_closed(sock) == MAX_REQUESTS_PER_CONNECTION
    # A keep-alive client that asks one request at a time is told to open a new connection, and never sends a
    # request into a closed one (Python's http.client raised RemoteDisconnected for the 11th).
    host, port = server.address
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        for index in range(1, 2 * MAX_REQUESTS_PER_CONNECTION + 2):
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            assert response.status == 200 and response.read() == b'{"ready": true}'
            closing = response.getheader("connection") == "close"
            assert closing == (index % MAX_REQUESTS_PER_CONNECTION == 0)
    finally:
        connection.close()


def test_an_answer_the_client_does_not_take_is_dropped_at_the_deadline(stand: Stand) -> None:
    _large_metrics(stand)
    with serve(stand, request_timeout=1.0) as server:
        [stalled] = _asking_never_reading(server, 1)
        with stalled:
            wait_for(lambda: server.guard.timed_out == 1, 10, what="the stalled answer dropped")
            wait_for(lambda: server.guard.open == 0, 5, what="its slot given back")


def test_keep_alive_connections_serve_several_requests(server: HttpServer) -> None:
    host, port = server.address
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        for _ in range(3):
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            assert (response.status, json.loads(response.read())) == (200, {"ready": True})
    finally:
        connection.close()


class Keep(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_malformed_requests_are_answered_400_and_logged_once(server: HttpServer) -> None:
    records: list[logging.LogRecord] = []
    handler = Keep(records)
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        for _ in range(20):
            with socket.create_connection(server.address, timeout=2) as sock:
                sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
                assert sock.recv(100).startswith(b"HTTP/1.1 400")
    finally:
        logger.removeHandler(handler)
    assert [record.getMessage() for record in records] == ["Invalid HTTP request received."]
    assert get(server, "/readyz")[0] == 200
