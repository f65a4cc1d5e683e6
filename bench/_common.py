"""Shared helpers of the benchmarks: statistics, the real daemon as a subprocess, corpus and PDF inputs.

Every benchmark measures our code and a baseline in the same run and prints their ratio; absolute times
on a shared machine drift too much to mean anything on their own.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS_GOOD = REPO.parent / "shared" / "corpus" / "good"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.polling import JsonLog, wait_for  # noqa: E402 - needs the repository on sys.path first

wait_until = wait_for  # the benchmarks' name for the suite's poll-against-a-deadline helper


# ---- statistics -------------------------------------------------------------------------------
def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ratio(ours: float, base: float) -> float:
    return ours / base if base else float("inf")


def row(label: str, ours: float, base: float, unit: str, target: str = "") -> str:
    """One line of a comparison table: ours, baseline, ours/baseline and the target."""
    return f"  {label:<28} {ours:>11.2f} {base:>11.2f} {unit:<8} {ratio(ours, base):>7.3f}x  {target}"


def header(ours: str = "ours", base: str = "baseline") -> str:
    return f"  {'':<28} {ours:>11} {base:>11} {'unit':<8} {'ratio':>8}  target"


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


# ---- inputs -----------------------------------------------------------------------------------
# ---- keyphrase matching --------------------------------------------------------------------------
_SNOWBALL = {"ar": "arabic", "da": "danish", "nl": "dutch", "fi": "finnish", "fr": "french", "de": "german",
             "hu": "hungarian", "it": "italian", "no": "norwegian", "nb": "norwegian", "pt": "portuguese",
             "ro": "romanian", "ru": "russian", "es": "spanish", "sv": "swedish"}


@functools.cache
def stemmer(language: str) -> Callable[[str], str]:
    """A word's stem for matching phrases: Porter's for English (the published protocol), the language's Snowball
    stemmer for other languages, the word itself where Snowball has none (Polish)."""
    from nltk.stem import PorterStemmer, SnowballStemmer

    if language == "en":
        stem: Callable[[str], str] = PorterStemmer().stem
        return stem
    name = _SNOWBALL.get(language)
    if name is None:
        return lambda word: word
    stem = SnowballStemmer(name).stem
    return stem


def corpus(limit: int | None = None) -> list[Path]:
    """The real PDFs of the shared corpus, smallest first; empty when absent."""
    if not CORPUS_GOOD.is_dir():
        return []
    return sorted(CORPUS_GOOD.glob("*.pdf"), key=lambda p: p.stat().st_size)[:limit]


def debian_package(package: str, folder: Path, version: str | None = None) -> Path:
    """folder/<package>: the Debian package (at `version`, else the one apt offers) downloaded with `apt-get
    download` (no root) into folder/debs and unpacked once; the unpacking goes to a temporary folder first, so a
    broken one is redone."""
    target = folder / package
    if target.is_dir():
        return target
    debs = folder / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    pattern = f"{package}_{version or '*'}_*.deb"
    deb = next(debs.glob(pattern), None)
    if deb is None:
        subprocess.run(["apt-get", "download", f"{package}={version}" if version else package], cwd=debs,
                       check=True, timeout=600)
        deb = next(debs.glob(pattern))
    partial = folder / f".{package}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], check=True, timeout=600)
    partial.rename(target)
    return target


def pdf_pages(path: Path, indices: list[int]) -> bytes:
    """The pages `indices` (from 0) of the PDF at `path`, alone in a PDF of their own."""
    import io

    import pypdfium2 as pdfium

    source, subset = pdfium.PdfDocument(path), pdfium.PdfDocument.new()
    try:
        subset.import_pages(source, indices)
        buffer = io.BytesIO()
        subset.save(buffer)
        return buffer.getvalue()
    finally:
        subset.close()
        source.close()


def generated_pdf(index: int) -> bytes:
    """A small, valid, unique one-page PDF (unique content, so no file is a duplicate of another)."""
    from tests.pdfgen import SAMPLE_TEXT, pdf_bytes

    return pdf_bytes([SAMPLE_TEXT + f"\nDocument reference {index}.\n"], title=f"Generated {index}")


def iso_to_epoch(stamp: str) -> float:
    """structlog's `TimeStamper(fmt="iso", utc=True)` value as Unix time."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@contextmanager
def workdir(parent: str | None, prefix: str) -> Iterator[Path]:
    """A temporary directory (on `parent`'s filesystem when given), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=parent) as name:
        yield Path(name)


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


# ---- the daemon -------------------------------------------------------------------------------
class Daemon:
    """`python -m toridaemon run` on the directories under `root`, JSON logs in `root/daemon.log`."""

    def __init__(self, root: Path, extra_env: dict[str, str] | None = None, workers: int = 2) -> None:
        self.root = root
        self.inbox, self.outbox = root / "inbox", root / "outbox"
        self.processed, self.failed, self.state = root / "processed", root / "failed", root / "state"
        for directory in (self.inbox, self.outbox, self.processed, self.failed, self.state):
            directory.mkdir(parents=True, exist_ok=True)
        self.log_path = root / "daemon.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TORI_")}
        env.update({
            "TORI_INBOX_DIR": str(self.inbox), "TORI_OUTBOX_DIR": str(self.outbox),
            "TORI_PROCESSED_DIR": str(self.processed), "TORI_FAILED_DIR": str(self.failed),
            "TORI_STATE_DIR": str(self.state), "TORI_METRICS_PORT": "0", "TORI_STABILITY_SECONDS": "0.2",
            "TORI_MAX_PARALLEL_WORKERS": str(workers), "TORI_LOG_FORMAT": "json", "TORI_LOG_LEVEL": "info",
        })
        env.update(extra_env or {})
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "toridaemon", "run"], env=env, cwd=root,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self._log_events = JsonLog(self.log_path)
        self.ready: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        return self.proc.pid

    def events(self) -> list[dict[str, Any]]:
        """Every JSON log event so far (read incrementally)."""
        return self._log_events.events()

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            return next((e for e in self.events() if e.get("event") == "daemon_ready"), None)

        self.ready = wait_until(ready, timeout, 0.05, "daemon_ready")
        # The worker pool warms up after READY; the benchmarks time a warm daemon, as their baselines are warm.
        started = wait_until(lambda: next((e for e in self.events() if e.get("event") == "executor_started"), None),
                             timeout, 0.05, "executor_started")
        if started.get("backend") == "local":  # its first pool (forkserver, preload, workers) is built after that
            wait_until(lambda: any(e.get("event") == "executor_health" and e.get("healthy") for e in self.events()),
                       timeout, 0.05, "worker pool built")
        return self.ready

    def finished(self) -> int:
        """Results plus failure records written so far."""
        with os.scandir(self.outbox) as entries:
            results = sum(1 for e in entries if e.name.endswith(".json"))
        with os.scandir(self.failed) as entries:
            failures = sum(1 for e in entries if e.name.endswith(".error.json"))
        return results + failures

    def scrape(self) -> dict[str, float]:
        """`/metrics` as {name{labels}: value}."""
        url = str(self.ready["metrics"])
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own loopback server
            body = response.read().decode()
        out: dict[str, float] = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            self._log.close()


def reconcile(metrics: dict[str, float]) -> tuple[float, float, bool]:
    """Guarantee 5: detected == sum(completed by outcome) + pending; returns (detected, rhs, ok)."""
    detected = metrics.get("toridaemon_files_detected_total", 0.0)
    completed = sum(v for k, v in metrics.items() if k.startswith("toridaemon_files_completed_total{"))
    rhs = completed + metrics.get("toridaemon_pending", 0.0)
    return detected, rhs, abs(detected - rhs) < 0.5


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds on a thread, with a caller-supplied progress figure."""

    def __init__(self, pid: int, progress: Callable[[], int], interval: float = 0.2) -> None:
        self.samples: list[tuple[float, int, int]] = []  # (monotonic, rss KiB, progress)
        self._pid, self._progress, self._interval = pid, progress, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            rss = rss_kib(self._pid)
            if rss is None:
                return
            self.samples.append((time.monotonic(), rss, self._progress()))


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and every live descendant (forkserver workers included)."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += float(times.user + times.system)
    return total
