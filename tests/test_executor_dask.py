"""DaskExecutor on real clusters: same answers as `run_job`, worker deaths, timeouts, scheduler restarts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import structlog

pytest.importorskip("distributed", reason="the dask extra is not installed")

import dask
from distributed import LocalCluster

from tests.pdfgen import SAMPLE_TEXT, make_pdf
from toridaemon.executors.base import Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.executors.dask import KEY_PREFIX, DaskExecutor, run_job_bytes
from toridaemon.executors.job import run_job
from toridaemon.faults import FAULTS_ENV
from toridaemon.pipeline import PipelineOptions

REPO = Path(__file__).resolve().parent.parent
Outcomes = list[JobOutcome | BaseException]
OPTIONS = PipelineOptions()
PRELOAD = "toridaemon.executors.preload"  # workers load the concept database once, at start


def make_jobs(folder: Path, count: int, pages: int = 1, timeout: float = 60.0) -> list[Job]:
    """`count` distinct PDFs of `pages` pages each, as jobs."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for index in range(count):
        path = make_pdf(folder / f"paper-{index:03d}.pdf", [SAMPLE_TEXT] * pages, f"Paper {index}", salt=str(index))
        jobs.append(job_for(path, timeout))
    return jobs


def job_for(path: Path, timeout: float = 60.0) -> Job:
    return Job(path, hashlib.sha256(path.read_bytes()).hexdigest(), OPTIONS, timeout)


def direct(job: Job) -> JobOutcome:
    """What the local backend would answer: `run_job` in this process."""
    answer = run_job(str(job.path), OPTIONS.model_dump(), job.sha256)
    if "failure" in answer:
        return JobOutcome(failure=Failure(**answer["failure"]))
    return JobOutcome(result=answer["result"])


def comparable(outcome: JobOutcome) -> Any:
    """An outcome without its timings, which differ from run to run."""
    if outcome.result is None:
        return outcome.failure
    return {key: value for key, value in outcome.result.items() if key != "timings_seconds"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def local_cluster(**kwargs: Any) -> AsyncIterator[LocalCluster]:
    # The scheduler always serves HTTP (health, /metrics); port 0 keeps parallel runs off 8787.
    async with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, processes=True, threads_per_worker=1, asynchronous=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0", preload=[PRELOAD], **kwargs,
    ) as cluster:
        yield cluster


@contextlib.asynccontextmanager
async def executor(address: str, shared_paths: bool, health: list[bool] | None = None) -> AsyncIterator[DaskExecutor]:
    backend = DaskExecutor(
        address, 8, shared_paths, None if health is None else health.append,
        connect_timeout=1.0, backoff_max=1.0, poll_seconds=0.1,
    )
    await backend.start()
    try:
        yield backend
    finally:
        await backend.close(10.0)


class DaskProcesses:
    """`dask scheduler` and `dask worker` as real processes, each in its own process group."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.http_port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.started: list[subprocess.Popen[bytes]] = []
        self.env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(root)}

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.root / f"{name}.log", "ab") as log:
            process = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=subprocess.STDOUT,
                                       env=self.env, start_new_session=True)
        self.started.append(process)
        return process

    def scheduler(self) -> subprocess.Popen[bytes]:
        return self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                           "--no-dashboard", "--dashboard-address", f"127.0.0.1:{self.http_port}")

    def wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the scheduler did not listen within {timeout} s") from None
                time.sleep(0.05)

    def http_get(self, route: str) -> str:
        """A page of the scheduler's HTTP server, which stays up without the dashboard."""
        url = f"http://127.0.0.1:{self.http_port}{route}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._spawn(name, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                           "--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--name", name,
                           "--death-timeout", "30", "--preload", PRELOAD,
                           "--local-directory", str(self.root / name))

    def stop_all(self) -> None:
        for process in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def dask_processes(tmp_path: Path) -> Iterator[DaskProcesses]:
    processes = DaskProcesses(tmp_path)
    yield processes
    processes.stop_all()


async def wait_busy(address: str, name: str, timeout: float) -> None:
    """Wait until the scheduler shows a task processing on the worker called `name`."""
    from distributed import Client

    deadline = time.monotonic() + timeout
    async with Client(address, asynchronous=True, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        while time.monotonic() < deadline:
            info = await client.scheduler.identity(n_workers=-1)
            mine = {addr for addr, worker in info["workers"].items() if worker["name"] == name}
            processing = await client.processing()
            if any(processing.get(addr) for addr in mine):
                return
            await asyncio.sleep(0.02)
    raise AssertionError(f"worker {name} never got a task")


def worker_child(process: subprocess.Popen[bytes]) -> int:
    """The pid of the worker process a `dask worker` nanny started."""
    import psutil

    children = psutil.Process(process.pid).children(recursive=True)
    workers = [child for child in children if "multiprocessing" in " ".join(child.cmdline())]
    assert workers, f"no worker process under {process.pid}"
    pid: int = workers[0].pid
    return pid


def make_junk(folder: Path) -> Path:
    path = folder / "junk.pdf"
    path.write_bytes(b"not a pdf at all")
    return path


def test_run_job_bytes_answers_like_run_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes mode's worker function: same data shape, the original file name, no temp file left behind."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    job = make_jobs(tmp_path / "in", 1)[0]
    answer = run_job_bytes(job.path.name, job.path.read_bytes(), OPTIONS.model_dump(), job.sha256)
    assert comparable(JobOutcome(result=answer["result"])) == comparable(direct(job))
    junk = run_job_bytes("junk.pdf", b"not a pdf at all", OPTIONS.model_dump(), None)
    assert junk == run_job(str(make_junk(tmp_path)), OPTIONS.model_dump(), None)
    assert list(scratch.iterdir()) == []


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_results_match_run_job_in_both_modes(tmp_path: Path) -> None:
    """Real PDFs and a bad one through a two-process LocalCluster give exactly `run_job`'s answers.

    The bytes-mode executor starts before its scheduler exists: it reports unhealthy, keeps trying,
    and runs the jobs it was given meanwhile once the cluster is up.
    """
    port = free_port()
    jobs = [*make_jobs(tmp_path, 6, pages=3), job_for(make_junk(tmp_path))]
    health: list[bool] = []

    async def scenario() -> tuple[list[JobOutcome], list[JobOutcome], dict[str, float], list[bool]]:
        async with executor(f"tcp://127.0.0.1:{port}", False, health) as by_bytes:
            early = [asyncio.ensure_future(by_bytes.run(job)) for job in jobs]
            await wait_until(lambda: health == [False], 10, "an unhealthy report")
            async with local_cluster(scheduler_port=port) as cluster:
                sent = await asyncio.wait_for(asyncio.gather(*early), 40)
                async with executor(cluster.scheduler_address, True) as by_path:
                    await wait_until(lambda: by_path.gauges()["threads"] == 2, 30, "two worker threads")
                    shared = await asyncio.gather(*(by_path.run(job) for job in jobs))
                    # The cluster stops before `by_bytes`, which then rightly reports it lost.
                    return sent, shared, by_path.gauges(), list(health)

    sent, shared, gauges, health_while_up = asyncio.run(scenario())
    expected = [comparable(direct(job)) for job in jobs]
    assert [comparable(outcome) for outcome in sent] == expected
    assert [comparable(outcome) for outcome in shared] == expected
    assert shared[-1].failure is not None and shared[-1].failure.reason == "not_a_pdf"
    assert all(outcome.result and outcome.result["concepts"] for outcome in shared[:-1])
    assert gauges == {"connected": 1.0, "workers": 2.0, "threads": 2.0, "in_flight": 0.0, "disconnects": 0.0}
    assert health_while_up == [False, True]


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_timeouts_hangs_and_crashes(tmp_path: Path) -> None:
    """Timeouts → `timeout` failures; a hung parse's worker is restarted; a crashing file → `WorkerCrashed`.
    The copies the killed workers were reading (bytes mode) do not stay behind: the restarted workers purge them."""
    short = make_jobs(tmp_path / "short", 1, timeout=0.001)[0]
    mark = f"{os.getpid()}-{time.monotonic_ns()}"  # names this run's copies apart from any other's
    hung = job_for(make_pdf(tmp_path / f"hangme-{mark}.pdf", [SAMPLE_TEXT]), timeout=1.0)
    crasher = job_for(make_pdf(tmp_path / f"crashme-{mark}.pdf", [SAMPLE_TEXT]))
    good = make_jobs(tmp_path / "good", 4)
    scratch = tmp_path / "scratch"

    def copies_left() -> list[Path]:
        return [*Path(tempfile.gettempdir()).glob(f"toridaemon-*/*{mark}.pdf"), *scratch.rglob(f"*{mark}.pdf")]

    async def scenario() -> list[JobOutcome]:
        # One worker death is enough to declare the crashing file guilty (the default allows three).
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            async with local_cluster(env={FAULTS_ENV: "crash:crashme,hang:hangme"},
                                     local_directory=str(scratch)) as cluster, \
                    executor(cluster.scheduler_address, False) as backend:
                await wait_until(lambda: backend.gauges()["threads"] == 2, 30, "two worker threads")
                # The same key again at once: the first task's cancellation must not reach the second.
                timed_out, again = await backend.run(short), await backend.run(job_for(short.path))
                outcomes = await hangs_and_crashes(cluster, backend, hung=hung, crasher=crasher, good=good)
                await wait_until(lambda: not copies_left(), 30, "the killed workers' copies purged")
                return [timed_out, again, *outcomes]

    timed_out, again, hang, *rest = asyncio.run(scenario())
    assert timed_out == JobOutcome(failure=Failure("text", "timeout", "no answer within 0.001 s"))
    assert hang == JobOutcome(failure=Failure("text", "timeout", "no answer within 1 s"))
    assert [comparable(outcome) for outcome in [again, *rest]] == [comparable(direct(job)) for job in [short, *good]]


async def hangs_and_crashes(
    cluster: LocalCluster, backend: DaskExecutor, *, hung: Job, crasher: Job, good: list[Job]
) -> list[JobOutcome]:
    with structlog.testing.capture_logs() as logs:
        outcomes = [await backend.run(hung)]
        await wait_until(lambda: any(e["event"] == "dask_worker_restarted" for e in logs), 30, "a restart")
        assert cluster.scheduler is not None
        assert KEY_PREFIX + hung.sha256 not in cluster.scheduler.tasks
        with pytest.raises(WorkerCrashed):
            await backend.run(crasher)
    restarts = [entry for entry in logs if entry["event"] == "dask_worker_restarted"]
    assert [entry["status"] for entry in restarts] == [{entry["workers"][0]: "OK"} for entry in restarts]
    assert any(entry["event"] == "dask_worker_killed" for entry in logs)
    # No worker thread is left stuck: the batch finishes well within its timeout.
    outcomes.extend(await asyncio.gather(*(backend.run(job_for(job.path, 20.0)) for job in good)))
    return outcomes


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_file_is_read_for_the_cluster_only_once_a_slot_is_free(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """In bytes mode every file waiting for a slot was read into the daemon's memory first: 12 files of 50 MB
    behind one worker thread took it from 110 to 721 MiB. No cluster is needed to see the order."""
    [job] = make_jobs(tmp_path, 1)
    backend = DaskExecutor("tcp://127.0.0.1:1", 8, shared_paths=False, poll_seconds=0.05)
    read: list[str] = []

    async def arguments(job: Job) -> Any:
        read.append(job.path.name)
        raise RuntimeError("read")  # ends the run here: what comes after needs a cluster

    monkeypatch.setattr(backend, "_arguments", arguments)

    async def scenario() -> None:
        backend._supervisor = asyncio.ensure_future(asyncio.sleep(3600))  # "running", with no cluster behind
        try:
            waiting = asyncio.ensure_future(backend.run(job))
            await asyncio.sleep(0.3)
            assert read == [] and not waiting.done(), "read before a slot was free"
            backend._slots.set_threads(1)
            with pytest.raises(RuntimeError, match="read"):
                await asyncio.wait_for(waiting, 5)
            assert read == [job.path.name] and backend._slots.used == 0
        finally:
            backend._supervisor.cancel()

    asyncio.run(scenario())


def test_time_without_a_worker_does_not_count_against_a_files_timeout(
    tmp_path: Path, dask_processes: DaskProcesses,
) -> None:
    """A file in flight when the workers went (a scheduler restarted, whose workers exit with it, or a worker host
    lost) was failed as `timeout` after waiting for one, though no worker ran it meanwhile."""
    [job] = make_jobs(tmp_path, 1, pages=200, timeout=4.0)
    dask_processes.scheduler()
    first = dask_processes.worker("w0")
    dask_processes.wait_listening()

    async def scenario() -> JobOutcome | BaseException:
        async with executor(dask_processes.address, True) as backend:
            await wait_until(lambda: backend.gauges()["threads"] == 1, 40, "a worker thread")
            run = asyncio.ensure_future(backend.run(job))
            await wait_busy(dask_processes.address, "w0", 20)
            os.killpg(first.pid, signal.SIGKILL)  # the worker and its nanny: none comes back
            await wait_until(lambda: backend.gauges()["threads"] == 0, 20, "the worker gone")
            await asyncio.sleep(job.timeout_seconds + 1)  # longer than the file's timeout, with no worker
            assert not run.done(), "failed while no worker could run it"
            dask_processes.worker("w1")
            [outcome] = await asyncio.wait_for(asyncio.gather(run, return_exceptions=True), 60)
            return outcome

    assert answer_hash(asyncio.run(scenario())) == job.sha256


def test_worker_and_scheduler_deaths_lose_nothing(tmp_path: Path, dask_processes: DaskProcesses) -> None:
    """`dask scheduler` + two `dask worker` processes, each killed with SIGKILL in the middle of a batch.

    A killed worker's task is re-run by Dask; a killed scheduler makes the executor report unhealthy,
    reconnect to its replacement and resubmit. Either way every job gets exactly one, right answer.
    """
    first, second = make_jobs(tmp_path / "a", 8, pages=100), make_jobs(tmp_path / "b", 6, pages=100)
    scheduler = dask_processes.scheduler()
    workers = [dask_processes.worker("w0"), dask_processes.worker("w1")]
    dask_processes.wait_listening()
    health: list[bool] = []

    async def scenario() -> tuple[Outcomes, Outcomes, list[MutableMapping[str, Any]], float]:
        async with executor(dask_processes.address, True, health) as backend:
            await wait_until(lambda: backend.gauges()["threads"] == 2, 40, "two worker threads")
            assert dask_processes.http_get("/health") == "ok"
            assert "dask_scheduler_workers" in dask_processes.http_get("/metrics")
            runs = [asyncio.ensure_future(backend.run(job)) for job in first]
            await wait_until(lambda: sum(run.done() for run in runs) >= 2, 40, "the first answers")
            await wait_busy(dask_processes.address, "w0", 20)
            os.kill(worker_child(workers[0]), signal.SIGKILL)
            after_worker = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 40)
            with structlog.testing.capture_logs() as logs:
                runs = [asyncio.ensure_future(backend.run(job)) for job in second]
                await wait_until(lambda: any(run.done() for run in runs), 40, "a first answer")
                scheduler.kill()
                await wait_until(lambda: health[-1:] == [False], 20, "the executor to report the loss")
                # What systemd's Restart= does: a new scheduler, and a worker (they exit with the old one).
                dask_processes.scheduler()
                dask_processes.worker("w2")
                after_scheduler = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 40)
            return after_worker, after_scheduler, logs, backend.gauges()["disconnects"]

    after_worker, after_scheduler, logs, disconnects = asyncio.run(scenario())
    for jobs, outcomes in ((first, after_worker), (second, after_scheduler)):
        assert [answer_hash(outcome) for outcome in outcomes] == [job.sha256 for job in jobs]
    last = after_worker[-1]
    assert isinstance(last, JobOutcome) and comparable(last) == comparable(direct(first[-1]))
    assert health == [True, False, True]
    assert disconnects == 1.0
    events = [entry["event"] for entry in logs]
    assert "dask_scheduler_lost" in events and "dask_connected" in events


def answer_hash(outcome: object) -> str | None:
    """The content hash a successful outcome reports; anything else fails the comparison."""
    if isinstance(outcome, JobOutcome) and outcome.result is not None:
        return str(outcome.result["source"]["sha256"])
    return repr(outcome)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("unit", ["toridaemon-dask-scheduler.service", "toridaemon-dask-worker.service"])
def test_cluster_units_are_accepted_by_systemd(tmp_path: Path, unit: str) -> None:
    """systemd accepts both units, and their sandbox rates as well as the daemon's (exposure ≤ 2)."""
    copy = tmp_path / unit
    copy.write_text((REPO / "systemd" / unit).read_text())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                            capture_output=True, text=True, timeout=60, check=False)
    # ExecStart names the cluster's venv, which a development machine lacks.
    problems = [line for line in result.stderr.splitlines() if "is not executable" not in line]
    assert problems == []
    security = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(copy)],
                              capture_output=True, text=True, timeout=60, check=False)
    exposure = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", security.stdout)
    assert exposure is not None and float(exposure.group(1)) <= 2.0, security.stdout


def test_every_port_of_the_cluster_units_is_on_a_given_host() -> None:
    """Without `--dashboard-address`, a worker's HTTP port (its /metrics) listened on 0.0.0.0 whatever `--host`
    said (seen with `ss -ltn`); the scheduler's was given already. Both default to loopback."""
    expected = {"toridaemon-dask-scheduler.service": ("--dashboard-address ${TORIDASK_HOST}:", "TORIDASK_HOST"),
                "toridaemon-dask-worker.service": ("--dashboard-address ${TORIDASK_HTTP_ADDRESS}",
                                                   "TORIDASK_HTTP_ADDRESS")}
    for unit, (option, variable) in expected.items():
        text = (REPO / "systemd" / unit).read_text()
        start = " ".join(text.split("ExecStart=", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ").split())
        assert "--host ${TORIDASK_HOST}" in start and option in start, start
        assert f"Environment={variable}=127.0.0.1" in text


def test_an_answer_lost_with_its_worker_is_resubmitted_a_bounded_number_of_times(tmp_path: Path) -> None:
    """`run_job` answers every error of the document as data, so a `CommClosedError` from gathering the answer
    is the cluster's (a worker died holding it): the job is submitted again, as for a lost scheduler, and after
    `retries` more losses it is a crash, never the file's internal error. Seen when a worker was killed under
    load; provoked here by handing `_outcome` that answer and by an `_attempt` that always loses it."""
    from distributed.comm.core import CommClosedError

    from toridaemon.executors.dask import AnswerLost, _Session

    job = job_for(make_pdf(tmp_path / "doc.pdf", [SAMPLE_TEXT]))

    async def scenario() -> int:
        backend = DaskExecutor("tcp://127.0.0.1:1", 1, True, retries=2)  # never connected: its parts are driven
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        answer.set_exception(CommClosedError("in <TCP (closed) ConnectionPool.gather>: Connection reset by peer"))
        session = _Session(object())  # type: ignore[arg-type]  # not reached on this path
        with pytest.raises(AnswerLost, match="Connection reset"):
            backend._outcome(session, job, answer)
        attempts = 0

        async def lose_it(*_: object) -> JobOutcome | None:
            nonlocal attempts
            attempts += 1
            if attempts < 3:
                raise AnswerLost("reset")
            return direct(job)

        async def ready() -> _Session:
            return session

        backend._attempt = lose_it  # type: ignore[method-assign,assignment]
        backend._ready_session = ready  # type: ignore[method-assign]
        backend._supervisor = asyncio.ensure_future(asyncio.sleep(0))
        backend._slots.set_threads(1)  # what a connected cluster of one thread reports
        outcome = await backend.run(job)
        assert outcome.result is not None and attempts == 3
        attempts = -10  # loses it every time from here on
        with pytest.raises(WorkerCrashed, match="lost 3 times"):
            await backend.run(job)
        return attempts

    assert asyncio.run(scenario()) == -7
