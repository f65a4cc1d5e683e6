"""Dask backend: jobs run on an existing Dask distributed cluster, keyed by content hash.

The daemon enforces the per-file timeout and owns the connection. When the scheduler goes away it
reports unhealthy, reconnects with capped exponential backoff and resubmits what was in flight; the
`run` calls waiting on those jobs never notice. Dask re-runs a task whose worker died, up to
`distributed.scheduler.allowed-failures` times; after that the task errs with `KilledWorker`, which
becomes `WorkerCrashed` here. `dask` is imported lazily so the default install does not need it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from toridaemon.executors.base import Failure, Job, JobOutcome, WorkerCrashed
from toridaemon.executors.job import SentOptions, as_outcome, run_job

if TYPE_CHECKING:
    from distributed import Client, Future

log = structlog.get_logger("toridaemon.executor")

KEY_PREFIX = "toridaemon-"
CONNECTION_LOST = "scheduler-connection-lost"
_CLOSE_SECONDS = 5.0


# PDFium is not thread-safe: a Dask worker started with several threads still parses one file at a time.
_PDFIUM = threading.Lock()


def run_job_by_path(path: str, options: dict[str, Any], expected_sha256: str | None) -> dict[str, Any]:
    """Worker side of shared-path mode: `run_job` on the path the daemon sees, which the worker shares."""
    with _PDFIUM:
        return run_job(path, options, expected_sha256)


def run_job_bytes(name: str, data: bytes, options: dict[str, Any], expected_sha256: str | None) -> dict[str, Any]:
    """Worker side of bytes mode: write `data` as `name` in a private folder, run the job, delete it.

    The folder is made inside the worker's own directory. A worker killed on a file (a crash, a hang's restart)
    never reaches the delete; in the temp folder, each such kill left a copy of the document behind for good.
    Dask purges a dead worker's directory when the next worker starts there (its nanny's restart)."""
    folder = tempfile.mkdtemp(prefix="toridaemon-", dir=_worker_directory())
    try:
        path = Path(folder) / (Path(name).name or "input.pdf")
        path.write_bytes(data)
        with _PDFIUM:
            return run_job(str(path), options, expected_sha256)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _worker_directory() -> str | None:
    """The running Dask worker's local directory; None (the temp folder) outside a worker's task."""
    from distributed import get_worker

    try:
        return str(get_worker().local_directory)
    except ValueError:  # no worker runs this call
        return None


class _Slots:
    """At most `limit` jobs on the cluster; the limit follows the cluster's thread count up to `cap`.

    Keeping submissions to what the workers can run at once means a job's timeout measures its own
    work, not the time it waited in the scheduler's queue behind other files.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.limit = 0
        self.used = 0
        self._changed = asyncio.Event()

    def set_threads(self, threads: int) -> None:
        self.limit = max(0, min(self.cap, threads))
        self._changed.set()

    async def acquire(self, stop: asyncio.Event, poll: float) -> None:
        while self.used >= self.limit:
            if stop.is_set():
                raise RuntimeError("executor closed")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), poll)
        self.used += 1

    def release(self) -> None:
        self.used -= 1
        self._changed.set()

    async def wait_idle(self) -> None:
        """Return once no job holds a slot (callers bound this with a timeout)."""
        while self.used:
            self._changed.clear()
            await self._changed.wait()


class AnswerLost(Exception):
    """The connection to the worker holding a task's answer closed before the answer was gathered."""


class _Session:
    """One connected client; `gone` is set once it must not be used any more."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.gone = asyncio.Event()


class DaskExecutor:
    """Runs jobs as tasks on the Dask cluster whose scheduler listens at `address`."""

    name = "dask"
    queues_ahead = False  # `max_parallel_workers` is the only bound on this daemon's files on the cluster

    def __init__(
        self,
        address: str,
        max_inflight: int,
        shared_paths: bool,
        on_health: Callable[[bool], None] | None = None,
        *,
        retries: int = 2,
        connect_timeout: float = 10.0,
        backoff_max: float = 30.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.address = address
        self.shared_paths = shared_paths
        self.disconnects = 0
        self._on_health = on_health
        self._healthy: bool | None = None
        self._retries = retries
        self._as_sent = SentOptions()
        self._connect_timeout = connect_timeout
        self._backoff_max = backoff_max
        self._poll = poll_seconds
        self._slots = _Slots(max_inflight)
        self._session: _Session | None = None
        self._connected = asyncio.Event()
        self._stop = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._background: set[asyncio.Future[None]] = set()
        self._workers = 0
        self._threads = 0
        self._threads_seen: bool | None = None  # whether the session's last figures had a thread; None: no figures

    async def start(self) -> None:
        """Connect in the background; wait up to `connect_timeout` for the first connection."""
        try:
            import distributed  # noqa: F401 - fail here, with a hint, when the extra is missing
        except ImportError as exc:
            raise ImportError("executor=dask needs the extra: pip install 'toridaemon[dask]'") from exc
        self._supervisor = asyncio.create_task(self._supervise(), name="toridaemon-dask-supervisor")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), self._connect_timeout)

    async def run(self, job: Job) -> JobOutcome:
        if self._supervisor is None or self._stop.is_set():
            raise RuntimeError("executor not running")
        await self._slots.acquire(self._stop, self._poll)
        lost = 0
        try:
            # Read once a slot is held: in bytes mode, every file waiting for one was held in memory (12 files of
            # 50 MB behind one worker thread took the daemon from 110 to 721 MiB).
            args = await self._arguments(job)
            while True:
                session = await self._ready_session()
                try:
                    outcome = await self._attempt(session, job, args)
                except AnswerLost as exc:  # the task ran; its worker died before the answer came back
                    lost += 1
                    if lost > self._retries:
                        raise WorkerCrashed(f"the answer was lost {lost} times with its worker: {exc}") from exc
                    outcome = None
                if outcome is not None:
                    return outcome
                log.warning("dask_job_resubmitted", file=job.path.name, sha256=job.sha256)
        finally:
            self._slots.release()

    async def resize(self, workers: int) -> None:
        """No-op: the cluster's size belongs to its operators; submissions follow its thread count."""

    async def close(self, timeout: float) -> None:
        """Let in-flight jobs finish within `timeout`, then disconnect."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._slots.wait_idle(), timeout)
        self._stop.set()
        for task in list(self._background):
            task.cancel()
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is None:
            return
        supervisor.cancel()  # its cleanup closes the client
        try:
            await asyncio.wait_for(asyncio.gather(supervisor, return_exceptions=True), 2 * _CLOSE_SECONDS)
        except TimeoutError:
            log.warning("dask_close_timeout", address=self.address)

    def gauges(self) -> dict[str, float]:
        return {
            "connected": float(self._connected.is_set()),
            "workers": float(self._workers),
            "threads": float(self._threads),
            "in_flight": float(self._slots.used),
            "disconnects": float(self.disconnects),
        }

    # -- one job -----------------------------------------------------------------------------

    async def _arguments(self, job: Job) -> tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]:
        options = self._as_sent(job.options)
        if self.shared_paths:
            return run_job_by_path, (str(job.path), options, job.sha256)
        data = await asyncio.to_thread(job.path.read_bytes)
        return run_job_bytes, (job.path.name, data, options, job.sha256)

    async def _ready_session(self) -> _Session:
        while not self._stop.is_set():
            session = self._session
            if session is not None and not session.gone.is_set():
                return session
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._connected.wait(), self._poll)
        raise RuntimeError("executor closed")

    async def _attempt(
        self, session: _Session, job: Job, args: tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]
    ) -> JobOutcome | None:
        """One submission; `None` means the connection was lost and the job must be resubmitted."""
        function, arguments = args
        with warnings.catch_warnings():
            # Bytes mode embeds the file in the task on purpose: the scheduler can then re-run it
            # on another worker if the first one dies, which scattered data would not survive.
            warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
            future = session.client.submit(
                function, *arguments, key=KEY_PREFIX + job.sha256, retries=self._retries, pure=False
            )
        answer = asyncio.ensure_future(_answer(future))
        gone = asyncio.ensure_future(session.gone.wait())
        try:
            done = await self._first_of(answer, gone, job.timeout_seconds)
            if answer in done:
                return self._outcome(session, job, answer)
            if gone in done:
                self._check_running()
                return None
            log.warning("dask_task_timeout", file=job.path.name, timeout=job.timeout_seconds)
            await self._replace_busy_worker(session, future.key)
            return JobOutcome(failure=Failure("text", "timeout", f"no answer within {job.timeout_seconds:g} s"))
        finally:
            for waiter in (answer, gone):
                waiter.cancel()
            # Dropping our only reference is what cancels an unfinished task on the cluster: the
            # scheduler forgets it and tells its worker to drop it. `Client.cancel` is not used: its
            # broadcast report can arrive late and cancel a new submission of the same key.
            future.release()  # type: ignore[no-untyped-call]
            await asyncio.sleep(0)  # the client handles the release before the key can be reused

    async def _first_of(self, answer: asyncio.Future[Any], gone: asyncio.Future[Any], timeout: float
                        ) -> set[asyncio.Future[Any]]:
        """The first of `answer` and `gone` to finish, or none once the task has had `timeout` seconds of a cluster
        with a thread to run it. Time with no worker thread does not count: a file in flight when the workers went
        (a scheduler restarted, whose workers exit with it) was failed as `timeout` after waiting for one."""
        loop = asyncio.get_running_loop()
        spent = 0.0
        while True:
            began = loop.time()
            done, _ = await asyncio.wait({answer, gone}, timeout=min(self._poll, timeout - spent),
                                         return_when="FIRST_COMPLETED")
            if done:
                return done
            if self._threads > 0:
                spent += loop.time() - began
            if spent >= timeout:
                return set()

    def _outcome(self, session: _Session, job: Job, answer: asyncio.Future[dict[str, Any]]) -> JobOutcome | None:
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError
        from distributed.comm.core import CommClosedError

        try:
            return as_outcome(answer.result())
        except FutureCancelledError as exc:
            if exc.reason == CONNECTION_LOST or session is not self._session:
                session.gone.set()
                self._check_running()
                return None
            raise WorkerCrashed(f"task cancelled on the cluster: {exc.reason}") from exc
        except KilledWorker as exc:
            log.warning("dask_worker_killed", file=job.path.name, sha256=job.sha256)
            raise WorkerCrashed(f"workers died running this file: {exc}") from exc
        except CommClosedError as exc:  # run_job answers every error as data: this one is the cluster's
            log.warning("dask_answer_lost", file=job.path.name, sha256=job.sha256, error=repr(exc)[:200])
            raise AnswerLost(str(exc)) from exc
        except Exception as exc:  # a task error is reported like run_job reports one
            if session.gone.is_set() or session.client.status != "running":
                session.gone.set()
                self._check_running()
                return None
            return JobOutcome(failure=Failure("pipeline", "internal_error", repr(exc)[:500]))

    async def _replace_busy_worker(self, session: _Session, key: object) -> None:
        """Restart the worker running a timed-out task: a thread stuck in a parse cannot be stopped."""
        try:
            asking = session.client.processing()  # type: ignore[no-untyped-call]
            processing = await asyncio.wait_for(asking, _CLOSE_SECONDS)
        except Exception as exc:  # without the map the worker keeps its busy thread; say so
            log.warning("dask_worker_restart_failed", error=repr(exc))
            return
        workers = [worker for worker, keys in processing.items() if key in keys]
        if workers:
            restart = asyncio.ensure_future(self._restart(session, workers))
            self._background.add(restart)
            restart.add_done_callback(self._background.discard)

    async def _restart(self, session: _Session, workers: list[str]) -> None:
        # Only workers started under a nanny (the default of `dask worker`) can be restarted.
        try:
            restarting = session.client.restart_workers(workers, timeout=30, raise_for_error=False)
            status = await asyncio.wait_for(restarting, 35)
        except Exception as exc:  # the next timeout on that worker tries again
            log.warning("dask_worker_restart_failed", workers=workers, error=repr(exc))
            return
        log.warning("dask_worker_restarted", workers=workers, status=status)

    def _check_running(self) -> None:
        """A job whose connection dropped is resubmitted, unless the executor is closing."""
        if self._stop.is_set():
            raise RuntimeError("executor closed before the job finished")

    # -- connection --------------------------------------------------------------------------

    async def _supervise(self) -> None:
        """Keep one client connected until `close`: connect, watch, and reconnect with backoff."""
        delay = 0.5
        while not self._stop.is_set():
            client = await self._connect()
            if isinstance(client, str):
                self._set_health(False)
                log.warning("dask_connect_failed", address=self.address, retry_in=delay, error=client)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, self._backoff_max)
                continue
            delay = 0.5
            try:
                await self._serve(_Session(client))
            except Exception:  # a bug here must not end reconnection for good
                log.exception("dask_supervisor_error", address=self.address)

    async def _connect(self) -> Client | str:
        """A connected client, or why none could connect."""
        from distributed import Client

        client = Client(  # type: ignore[no-untyped-call]
            self.address, asynchronous=True, timeout=self._connect_timeout, set_as_default=False
        )
        try:
            await asyncio.wait_for(client, self._connect_timeout + 1.0)
        except asyncio.CancelledError:
            await _close_client(client)
            raise
        except Exception as exc:  # every failure to connect is retried after a pause
            await _close_client(client)
            return repr(exc)[:300]
        return client

    async def _serve(self, session: _Session) -> None:
        """Hand out `session` until its connection drops or the executor stops, then close it."""
        self._session = session
        await self._refresh(session)
        self._connected.set()
        self._set_health(True)
        log.info("dask_connected", address=self.address, workers=self._workers, threads=self._threads)
        try:
            while not self._stop.is_set() and not session.gone.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(session.gone.wait(), self._poll)
                if session.client.status != "running":
                    session.gone.set()
                else:
                    await self._refresh(session)
        finally:
            self._connected.clear()
            self._session = None
            # The next cluster's figures are not this one's: none until its first refresh.
            self._workers = self._threads = 0
            self._threads_seen = None
            session.gone.set()
            if not self._stop.is_set():
                self.disconnects += 1
                self._set_health(False)
                log.error("dask_scheduler_lost", address=self.address, in_flight=self._slots.used)
            await _close_client(session.client)

    async def _refresh(self, session: _Session) -> None:
        """Read the cluster's size; the submission limit follows its thread count."""
        scheduler = session.client.scheduler
        if scheduler is None:
            return
        try:
            info = await asyncio.wait_for(scheduler.identity(n_workers=0), _CLOSE_SECONDS)
        except Exception as exc:  # a missed refresh keeps the last figures
            log.debug("dask_refresh_failed", error=repr(exc))
            return
        threads = int(info.get("total_threads", 0))
        # The daemon is not ready while no worker can run a file: said on the session's first figures, and on
        # every change between none and some.
        if self._threads_seen is None or self._threads_seen != bool(threads):
            (log.info if threads else log.warning)("dask_worker_threads", address=self.address, threads=threads)
            self._threads_seen = bool(threads)
        self._workers = int(info.get("n_workers", 0))
        self._threads = threads
        self._slots.set_threads(self._threads)

    def _set_health(self, healthy: bool) -> None:
        if healthy == self._healthy:
            return
        self._healthy = healthy
        if self._on_health is None:
            return
        try:
            self._on_health(healthy)
        except Exception:  # a faulty callback must not stop reconnection
            log.exception("dask_health_callback_failed")


async def _answer(future: Future[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = await future
    return result


async def _close_client(client: Client) -> None:
    with contextlib.suppress(Exception):
        closing = client.close(timeout=_CLOSE_SECONDS)  # type: ignore[no-untyped-call]
        await asyncio.wait_for(closing, _CLOSE_SECONDS + 1.0)
