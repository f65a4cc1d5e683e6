"""sd_notify against real AF_UNIX datagram sockets (filesystem path and abstract namespace)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator

import pytest

from toridaemon.systemd import Notifier, monotonic_usec, parse_address

RECEIVE_TIMEOUT = 5.0


class Receiver:
    """The service manager's end: a bound datagram socket and the address to put in `$NOTIFY_SOCKET`."""

    def __init__(self, sock: socket.socket, env_value: str) -> None:
        self.sock = sock
        self.env_value = env_value
        sock.settimeout(RECEIVE_TIMEOUT)  # a missing message fails the test instead of hanging it

    def receive(self) -> str:
        return self.sock.recv(4096).decode()

    def notifier(self) -> Notifier:
        return Notifier({"NOTIFY_SOCKET": self.env_value})


@pytest.fixture
def path_receiver() -> Iterator[Receiver]:
    # pytest's tmp_path can exceed the 108-byte limit of AF_UNIX paths; a short directory cannot.
    directory = tempfile.mkdtemp(prefix="sdn-", dir="/tmp")
    path = os.path.join(directory, "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        yield Receiver(sock, path)
    shutil.rmtree(directory)


@pytest.fixture
def abstract_receiver() -> Iterator[Receiver]:
    name = f"toridaemon-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        yield Receiver(sock, "@" + name)


@pytest.fixture(params=["path", "abstract"])
def receiver(request: pytest.FixtureRequest) -> Receiver:
    fixture: Receiver = request.getfixturevalue(f"{request.param}_receiver")
    return fixture


def test_each_message_arrives_as_one_datagram(receiver: Receiver) -> None:
    notifier = receiver.notifier()
    try:
        assert notifier.enabled
        assert notifier.ready()
        assert receiver.receive() == "READY=1"
        assert notifier.status("3 pending, 1 in flight")
        assert receiver.receive() == "STATUS=3 pending, 1 in flight"
        assert notifier.stopping()
        assert receiver.receive() == "STOPPING=1"
        assert notifier.watchdog()
        assert receiver.receive() == "WATCHDOG=1"
        assert (notifier.sent, notifier.errors) == (4, 0)
    finally:
        notifier.close()


def test_reloading_carries_the_monotonic_clock_in_microseconds(receiver: Receiver) -> None:
    notifier = receiver.notifier()
    try:
        before = monotonic_usec()
        assert notifier.reloading()
        after = monotonic_usec()
        first, second = receiver.receive().split("\n")
    finally:
        notifier.close()
    assert first == "RELOADING=1"
    key, value = second.split("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(value) <= after


def test_status_text_cannot_inject_other_assignments(path_receiver: Receiver) -> None:
    notifier = path_receiver.notifier()
    try:
        notifier.status("ok\nREADY=1")
        assert path_receiver.receive() == "STATUS=ok READY=1"
    finally:
        notifier.close()


@pytest.mark.parametrize("environ", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "vsock:2:1234"}])
def test_without_a_usable_socket_every_call_is_a_no_op(environ: dict[str, str]) -> None:
    notifier = Notifier(environ)
    assert not notifier.enabled
    assert not any([notifier.ready(), notifier.status("x"), notifier.reloading(), notifier.watchdog()])
    assert (notifier.sent, notifier.errors) == (0, 0)


def test_send_errors_are_counted_and_logged_once_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    directory = tempfile.mkdtemp(prefix="sdn-", dir="/tmp")
    notifier = Notifier({"NOTIFY_SOCKET": os.path.join(directory, "gone")})
    try:
        with caplog.at_level(logging.DEBUG, logger="toridaemon.systemd"):
            results = [notifier.watchdog() for _ in range(3)]
    finally:
        notifier.close()
        shutil.rmtree(directory)
    assert results == [False, False, False]
    assert notifier.errors == 3
    levels = [record.levelno for record in caplog.records]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG]


def test_a_full_receive_queue_costs_an_error_not_a_stall(path_receiver: Receiver) -> None:
    notifier = path_receiver.notifier()
    try:
        # Nobody reads: a blocking sender would hang here once the queue fills.
        for _ in range(100_000):
            if not notifier.watchdog():
                break
        assert notifier.errors == 1
        assert notifier.sent > 0
        path_receiver.receive()  # draining one slot makes the next send succeed again
        assert notifier.watchdog()
    finally:
        notifier.close()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_honours_usec_and_pid(environ: dict[str, str], expected: float | None) -> None:
    notifier = Notifier(environ)
    assert notifier.watchdog_interval() == expected
    assert notifier.watchdog_ping_interval() == (None if expected is None else expected / 2)


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch, path_receiver: Receiver) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", path_receiver.env_value)
    monkeypatch.setenv("WATCHDOG_USEC", "4000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    notifier = Notifier()
    try:
        assert notifier.ready()
        assert path_receiver.receive() == "READY=1"
        assert notifier.watchdog_ping_interval() == 2.0
    finally:
        notifier.close()


def test_parse_address_forms() -> None:
    assert parse_address("/run/systemd/notify") == "/run/systemd/notify"
    assert parse_address("@abc") == b"\0abc"
    assert parse_address(None) is None
