"""Local pool vs Dask cluster: one corpus through `LocalExecutor` and `DaskExecutor` in the same run.

Both get the same number of single-threaded worker processes (a LocalCluster on this machine), both
are warmed up on the corpus first, then timed on it in alternating passes. Printed: pages/s of each, their ratio, the
per-task overhead of Dask (its seconds per task minus the local ones) and the round trip of a no-op
task on the cluster, which is the floor of that overhead.

Usage: python bench/executors.py [--workers 2] [--limit N] [--rounds 5] [--shared-paths | --bytes]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import corpus, generated_pdf, header, row

from toridaemon.executors.base import Executor, Job
from toridaemon.executors.dask import DaskExecutor
from toridaemon.executors.local import LocalExecutor
from toridaemon.pipeline import PipelineOptions

GENERATED = 40


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each backend")
    parser.add_argument("--limit", type=int, default=None, help="use at most N corpus files")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes of each backend (median kept)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--shared-paths", dest="shared", action="store_true", default=True)
    mode.add_argument("--bytes", dest="shared", action="store_false", help="send file contents, not paths")
    return parser.parse_args(argv)


def make_jobs(folder: Path, limit: int | None) -> tuple[list[Job], str]:
    """Jobs for the shared corpus when present, else for generated PDFs written to `folder`."""
    paths = corpus(limit)
    source = "shared corpus"
    if not paths:
        source = "generated PDFs"
        paths = []
        for index in range(limit or GENERATED):
            path = folder / f"generated-{index:03d}.pdf"
            path.write_bytes(generated_pdf(index))
            paths.append(path)
    options = PipelineOptions()
    jobs = [Job(path, hashlib.sha256(path.read_bytes()).hexdigest(), options, 300.0) for path in paths]
    return jobs, source


async def timed_pass(backend: Executor, jobs: list[Job]) -> tuple[float, int]:
    """Run every job at once (the backend queues them); return wall seconds and pages parsed."""
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(backend.run(job) for job in jobs))
    elapsed = time.perf_counter() - started
    pages = sum(outcome.result["source"]["pages"] for outcome in outcomes if outcome.result)
    failed = [outcome.failure for outcome in outcomes if outcome.failure]
    if failed:
        print(f"  {len(failed)} failures, first: {failed[0]}", file=sys.stderr)
    return elapsed, pages


async def measure(local: Executor, dask: Executor, jobs: list[Job], rounds: int) -> tuple[float, float, int]:
    """Median wall time of each backend; passes alternate so that drifting machine load hits both alike."""
    for backend in (local, dask):
        await timed_pass(backend, jobs)  # warm-up: worker start, caches
    local_times, dask_times, pages = [], [], 0
    for _ in range(rounds):
        elapsed, pages = await timed_pass(local, jobs)
        local_times.append(elapsed)
        dask_times.append((await timed_pass(dask, jobs))[0])
    return statistics.median(local_times), statistics.median(dask_times), pages


def _noop(value: int) -> int:
    return value


async def noop_round_trip(address: str, count: int = 200) -> float:
    """Mean seconds of one no-op task submitted, run and gathered, one at a time."""
    from distributed import Client

    async with Client(address, asynchronous=True) as client:  # type: ignore[no-untyped-call]
        started = time.perf_counter()
        for index in range(count):
            await client.submit(_noop, index, key=f"noop-{index}", pure=False)
        return (time.perf_counter() - started) / count


async def run(args: argparse.Namespace, jobs: list[Job]) -> None:
    from distributed import LocalCluster

    async with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=args.workers, threads_per_worker=1, processes=True, asynchronous=True,
        host="127.0.0.1", dashboard_address="127.0.0.1:0", preload=["toridaemon.executors.preload"],
    ) as cluster:
        local = LocalExecutor(args.workers)
        dask = DaskExecutor(cluster.scheduler_address, 64, args.shared)
        await local.start()
        await dask.start()
        try:
            local_seconds, dask_seconds, pages = await measure(local, dask, jobs, args.rounds)
        finally:
            await dask.close(30.0)
            await local.close(30.0)
        round_trip = await noop_round_trip(cluster.scheduler_address)
    report(args, jobs, pages=pages, dask_s=dask_seconds, local_s=local_seconds, round_trip=round_trip)


def report(
    args: argparse.Namespace, jobs: list[Job], *, pages: int, dask_s: float, local_s: float, round_trip: float
) -> None:
    mode = "shared paths" if args.shared else "bytes"
    print(f"{len(jobs)} files, {pages} pages, {args.workers} workers each, dask mode: {mode}, "
          f"median of {args.rounds} alternating passes")
    print(header("dask", "local"))
    print(row("pages per second", pages / dask_s, pages / local_s, "pages/s"))
    print(row("seconds per task", dask_s / len(jobs) * 1e3, local_s / len(jobs) * 1e3, "ms"))
    print(f"  per-task overhead of dask: {(dask_s - local_s) / len(jobs) * 1e3:+.2f} ms "
          f"(wall time per file, {args.workers} in parallel)")
    print(f"  no-op task round trip on the cluster: {round_trip * 1e3:.2f} ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="toridaemon-bench-") as folder:
        jobs, source = make_jobs(Path(folder), args.limit)
        print(f"corpus: {source}")
        asyncio.run(run(args, jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
