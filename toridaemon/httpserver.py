"""The HTTP side channel: /metrics, /healthz, /readyz and /status on `metrics_host:metrics_port`.

It runs in its own thread (the standard library server); anything it needs from the event loop it
asks through the bridge, with a timeout.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class Probes:
    """What the endpoints report; each callable is thread-safe."""

    def __init__(self, registry: CollectorRegistry, healthy: Callable[[], dict[str, bool]],
                 ready: Callable[[], bool], status: Callable[[], dict[str, Any]]) -> None:
        self.registry = registry
        self.healthy = healthy
        self.ready = ready
        self.status = status


def _handler(probes: Probes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "toridaemon"

        def do_GET(self) -> None:
            route = self.path.split("?", 1)[0]
            if route == "/metrics":
                self._send(200, generate_latest(probes.registry), CONTENT_TYPE_LATEST)
            elif route == "/healthz":
                checks = probes.healthy()
                self._json(200 if all(checks.values()) else 503, checks)
            elif route == "/readyz":
                ready = probes.ready()
                self._json(200 if ready else 503, {"ready": ready})
            elif route == "/status":
                try:
                    self._json(200, probes.status())
                except TimeoutError:
                    self._json(503, {"error": "event loop did not answer in time"})
            else:
                self._json(404, {"error": "not found"})

        def _json(self, code: int, body: dict[str, Any]) -> None:
            self._send(code, json.dumps(body, default=str).encode(), "application/json")

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Scrapes every few seconds would flood the log; access logging stays off."""

    return Handler


class HttpServer:
    def __init__(self, host: str, port: int, probes: Probes) -> None:
        self._server = ThreadingHTTPServer((host, port), _handler(probes))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.5},
                                        name="toridaemon-http", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)
