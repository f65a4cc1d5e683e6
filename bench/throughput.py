"""End-to-end throughput: the daemon against the same pipeline in a bare process pool, in one run.

Three contenders over the same PDFs (the shared corpus, or generated ones when it is absent), each with
two worker processes:

1. daemon: `python -m toridaemon run` on temporary directories; once `daemon_ready` is logged, the files
   are renamed into the inbox from a staging directory on the same filesystem; timed until every
   result (or failure record) is written.
2. bare pipeline: `toridaemon.executors.job.run_job` over the same paths in a bare
   `concurrent.futures.ProcessPoolExecutor(2)` whose workers are warmed exactly like the daemon's.
3. bare text: pypdfium2 alone (open, `get_textpage().get_text_range()` per page) in the same kind of pool.

Rounds repeat the three in rotating order. Prints pages/s of each, and the ratios
daemon / bare pipeline (target ≥ 0.9) and bare pipeline / bare text (target ≥ 0.5).

Usage: python bench/throughput.py [--rounds N] [--limit N] [--tmp DIR] [--py-spy DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    REPO,
    Daemon,
    corpus,
    generated_pdf,
    iso_to_epoch,
    ratio,
    tree_cpu_seconds,
    verdict,
    wait_until,
    workdir,
)

WORKERS = 2


# ---- worker-side functions (module level: they are pickled by reference) -------------------------
def text_job(path: str) -> int:
    """Open, extract every page's text, close; returns the page count."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        pages = len(pdf)
        for index in range(pages):
            page = pdf[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return pages


def pipeline_job(path: str, options: dict[str, Any]) -> int:
    from toridaemon.executors.job import run_job

    answer = run_job(path, options)
    return int(answer["result"]["source"]["pages"]) if "result" in answer else 0


def _ping() -> int:
    return 0


# ---- contenders ---------------------------------------------------------------------------------
def _pool() -> concurrent.futures.ProcessPoolExecutor:
    # One forkserver serves every pool of this process and its preload applies once, when it starts: it
    # preloads what the daemon's does, so workers of both bare contenders start as warm as the daemon's.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["toridaemon.executors.preload"])
    return concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=context)


@dataclass
class Timing:
    seconds: float  # wall
    cpu: float  # CPU seconds of the whole process tree (ours or the daemon's, with workers) meanwhile
    pages: int = 0
    failures: int = 0


def bare(files: list[Path], work: Callable[..., int], *extra: Any) -> Timing:
    """Run `work(path, *extra)` over every file in a warm 2-process pool."""
    with _pool() as pool:
        for future in [pool.submit(_ping) for _ in range(WORKERS * 2)]:
            future.result()
        cpu, started = tree_cpu_seconds(os.getpid()), time.perf_counter()
        pages = sum(pool.map(work, [str(f) for f in files], *([e] * len(files) for e in extra)))
        seconds = time.perf_counter() - started
        return Timing(seconds, tree_cpu_seconds(os.getpid()) - cpu, pages)


def daemon(files: list[Path], tmp: str | None, spy: Path | None) -> Timing:
    """Seconds from the first rename into the inbox until every file has its outcome; failures."""
    with workdir(tmp, "tori-throughput-") as root:
        run = Daemon(root, workers=WORKERS)
        try:
            run.wait_ready()
            staging = root / "staging"
            staging.mkdir()
            staged = [Path(shutil.copy(f, staging / f.name)) for f in files]
            recorder = spy_record(run.pid, spy, "throughput") if spy else None
            cpu, started, renamed_at = tree_cpu_seconds(run.pid), time.perf_counter(), time.time()
            for path in staged:
                os.rename(path, run.inbox / path.name)
            wait_until(lambda: run.finished() >= len(files), 1800, 0.01, "all results")
            timing = Timing(time.perf_counter() - started, tree_cpu_seconds(run.pid) - cpu)
            if recorder is not None:
                recorder.send_signal(signal.SIGINT)
                recorder.wait(60)
            timing.failures = sum(1 for _ in run.failed.glob("*.error.json"))
            _stage_summary(run, renamed_at)
        finally:
            run.stop()
    return timing


def spy_record(pid: int, out: Path, name: str) -> subprocess.Popen[bytes]:
    """py-spy record of the daemon and its workers as collapsed stacks (`--format raw`) in `out/name.raw`."""
    out.mkdir(parents=True, exist_ok=True)
    spy = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "py-spy")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--subprocesses", "--idle", "--rate", "200",
                             "--format", "raw", "--output", str(out / f"{name}.raw")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stage_summary(run: Daemon, renamed_at: float) -> None:
    """Where a file's time went: its stay in the daemon, and the worker's own timings per pipeline stage; and how
    long after the first rename the first file was claimed (the bare pool starts its first job at once)."""
    events = run.events()
    done = [e for e in events if e.get("event") == "file_done"]
    if not done:
        return
    claimed = [iso_to_epoch(str(e["timestamp"])) for e in events if e.get("event") == "file_claimed"]
    if claimed:
        print(f"    daemon: first file claimed {(min(claimed) - renamed_at) * 1000:.1f} ms after the first rename")
    stay = sum(float(e["seconds"]) for e in done)
    stages: dict[str, float] = {}
    for event in done:
        for stage, seconds in event["timings"].items():
            stages[stage] = stages.get(stage, 0.0) + float(seconds)
    parts = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in stages.items())
    print(f"    daemon: {len(done)} files; summed claim-to-record {stay:.2f} s; worker stages (s): {parts}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="repeat all three contenders N times")
    parser.add_argument("--limit", type=int, default=None, help="use only the N smallest corpus files")
    parser.add_argument("--generated", type=int, default=60, help="files to generate when the corpus is absent")
    parser.add_argument("--tmp", default=None, help="parent of the temporary directories (default: system temp)")
    parser.add_argument("--py-spy", type=Path, default=None, help="record the daemon with py-spy into this dir")
    args = parser.parse_args(argv)
    from toridaemon.pipeline import PipelineOptions

    options = PipelineOptions().model_dump()
    with workdir(args.tmp, "tori-inputs-") as inputs:
        files = corpus(args.limit)
        if not files:
            files = [inputs / f"generated-{i}.pdf" for i in range(args.generated)]
            for i, path in enumerate(files):
                path.write_bytes(generated_pdf(i))
        print(f"throughput: {len(files)} files, {WORKERS} workers, {args.rounds} round(s)")
        contenders: list[tuple[str, Callable[[], Timing]]] = [
            ("text", lambda: bare(files, text_job)),
            ("pipeline", lambda: bare(files, pipeline_job, options)),
            ("daemon", lambda: daemon(files, args.tmp, args.py_spy)),
        ]
        timings: dict[str, list[Timing]] = {name: [] for name, _ in contenders}
        for index in range(args.rounds):
            shift = index % len(contenders)
            for name, go in contenders[shift:] + contenders[:shift]:
                timing = go()
                timings[name].append(timing)
                print(f"  round {index + 1}: {name:<9} {timing.seconds:7.2f} s wall {timing.cpu:7.2f} s CPU"
                      + (f"  ({timing.failures} failed)" if timing.failures else ""))
    report(timings)
    return 0


def report(timings: dict[str, list[Timing]]) -> None:
    pages = next(t.pages for t in timings["text"])
    wall = {name: pages / statistics.median(t.seconds for t in runs) for name, runs in timings.items()}
    cpu = {name: pages / statistics.median(t.cpu for t in runs) for name, runs in timings.items()}
    print(f"\n  {pages} pages per round; medians over rounds")
    print(f"  {'':<16} {'pages/s':>9} {'pages/CPU-s':>12}")
    for name, label in (("daemon", "daemon"), ("pipeline", "bare pipeline"), ("text", "bare text")):
        print(f"  {label:<16} {wall[name]:9.1f} {cpu[name]:12.1f}")
    for (top, bottom, target) in (("daemon", "pipeline", 0.9), ("pipeline", "text", 0.5)):
        by_wall, by_cpu = ratio(wall[top], wall[bottom]), ratio(cpu[top], cpu[bottom])
        print(f"  {top} / bare {bottom:<9} {by_wall:6.3f} (wall)  {by_cpu:6.3f} (CPU)   target ≥ {target}  "
              f"{verdict(by_wall >= target)}")

if __name__ == "__main__":
    raise SystemExit(main())
