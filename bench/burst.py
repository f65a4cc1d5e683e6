"""A burst: N small PDFs renamed into the inbox at once, all processed; rate, parent RSS, counters.

The files (unique one-page PDFs) are written to a staging directory on the inbox's filesystem first,
then renamed into the inbox as fast as possible. While the daemon works, its parent process's VmRSS is
sampled every 0.2 s and `/metrics` is scraped every few seconds to check guarantee 5 (detected ==
sum of completed by outcome + pending). The baseline is the bare pipeline (`run_job` in a warm
`ProcessPoolExecutor(2)`) over a sample of the same files, half before the daemon runs and half after.

Targets: parent RSS < 150 MB throughout; no RSS growth per file after warm-up (the first 10 %).

Usage: python bench/burst.py [--files N] [--baseline-files N] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path

from _common import Daemon, RssSampler, generated_pdf, ratio, reconcile, verdict, wait_until, workdir
from throughput import Timing, bare, pipeline_job, spy_record

RSS_LIMIT_MIB = 150.0


def stage(staging: Path, files: int) -> list[Path]:
    staging.mkdir()
    paths = []
    for index in range(files):
        path = staging / f"burst-{index:05d}.pdf"
        path.write_bytes(generated_pdf(index))
        paths.append(path)
    return paths


Check = tuple[float, float, bool]


def run_daemon(root: Path, staged: list[Path], spy: Path | None) -> tuple[float, RssSampler, list[Check]]:
    """Seconds until every file has its outcome, the RSS samples and the mid-run reconciliations."""
    daemon = Daemon(root)
    checks: list[Check] = []
    try:
        daemon.wait_ready()
        sampler = RssSampler(daemon.pid, daemon.finished).start()
        recorder = spy_record(daemon.pid, spy, "burst") if spy else None
        started = time.perf_counter()
        for path in staged:
            os.rename(path, daemon.inbox / path.name)
        print(f"  renamed {len(staged)} files in {time.perf_counter() - started:.2f} s")
        next_scrape, next_line = started + 2.0, started + 15.0
        while (finished := daemon.finished()) < len(staged):
            now = time.perf_counter()
            if now > started + 3600:
                raise TimeoutError(f"only {finished} of {len(staged)} files finished in an hour")
            if now >= next_scrape:
                next_scrape = now + 2.0
                checks.append(reconcile(daemon.scrape()))
            if now >= next_line:
                next_line = now + 15.0
                rss = sampler.samples[-1][1] / 1024 if sampler.samples else 0.0
                print(f"  {now - started:6.1f} s: {finished} done, parent RSS {rss:.1f} MiB")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        if recorder is not None:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(60)
        # The last result file can land a moment before its counters move: wait for them, then check.
        wait_until(lambda: reconcile(daemon.scrape())[0] >= len(staged)
                   and daemon.scrape().get("toridaemon_pending", 1.0) == 0.0, 30, 0.1, "counters settled")
        checks.append(reconcile(daemon.scrape()))
        sampler.stop()
        final = daemon.scrape()
        print("  final counters: detected {:.0f}, done {:.0f}, failed {:.0f}, duplicate {:.0f}, pending {:.0f}".format(
            final.get("toridaemon_files_detected_total", 0.0),
            *(final.get(f'toridaemon_files_completed_total{{outcome="{o}"}}', 0.0)
              for o in ("done", "failed", "duplicate")),
            final.get("toridaemon_pending", 0.0)))
    finally:
        daemon.stop()
    return seconds, sampler, checks


def _growth(samples: list[tuple[float, int, int]], start: tuple[float, int, int]) -> float:
    """RSS growth in bytes per finished file from `start` to the last sample."""
    end = samples[-1]
    return (end[1] - start[1]) * 1024 / max(1, end[2] - start[2])


def memory_report(sampler: RssSampler, files: int) -> bool:
    samples = sampler.samples
    if not samples:
        print("  no RSS samples")
        return False
    peak = max(s[1] for s in samples) / 1024
    warm = next((s for s in samples if s[2] >= files // 10), samples[0])
    half = next((s for s in samples if s[2] >= files // 2), samples[0])
    end = samples[-1]
    print(f"  parent RSS: start {samples[0][1] / 1024:.1f} MiB, peak {peak:.1f} MiB, after warm-up "
          f"({warm[2]} files) {warm[1] / 1024:.1f} MiB, half-way ({half[2]} files) {half[1] / 1024:.1f} MiB, "
          f"end ({end[2]} files) {end[1] / 1024:.1f} MiB")
    late = _growth(samples, half)
    print(f"  growth per file: {_growth(samples, warm):.1f} B after warm-up (10 %), {late:.1f} B over the second half")
    print(f"  peak < {RSS_LIMIT_MIB:.0f} MiB: {verdict(peak < RSS_LIMIT_MIB)}; "
          f"no growth per file over the second half (< 100 B/file): {verdict(late < 100)}")
    return peak < RSS_LIMIT_MIB and late < 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--baseline-files", type=int, default=1_000, help="files the bare pipeline runs over")
    parser.add_argument("--tmp", default=None, help="parent of the temporary directories (default: system temp)")
    parser.add_argument("--py-spy", type=Path, default=None, help="record the daemon with py-spy into this dir")
    args = parser.parse_args(argv)
    from toridaemon.pipeline import PipelineOptions

    options = PipelineOptions().model_dump()
    with workdir(args.tmp, "tori-burst-") as root:
        print(f"burst: staging {args.files} files")
        staged = stage(root / "staging", args.files)
        sample = staged[: min(args.baseline_files, len(staged))]
        half = len(sample) // 2
        before: Timing = bare(sample[:half], pipeline_job, options)
        seconds, sampler, checks = run_daemon(root / "daemon", staged, args.py_spy)
        after: Timing = bare(sample[half:], pipeline_job, options)
    ours = args.files / seconds
    base = len(sample) / (before.seconds + after.seconds)
    print(f"\n  daemon         {ours:8.1f} files/s  ({args.files} files in {seconds:.1f} s)")
    print(f"  bare pipeline  {base:8.1f} files/s  ({len(sample)} of the files, half before and half after)")
    print(f"  daemon / bare pipeline  {ratio(ours, base):.3f}")
    memory_report(sampler, args.files)
    bad = [c for c in checks[:-1] if not c[2]]
    final = checks[-1]
    print(f"  counters reconcile at the end (detected == completed + pending): {final[0]:.0f} == {final[1]:.0f} "
          f"{verdict(final[2])}; during the run {len(checks) - 1 - len(bad)} of {len(checks) - 1} scrapes agreed"
          + "".join(f"\n    mid-run mismatch: detected {c[0]:.0f}, completed + pending {c[1]:.0f}" for c in bad))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
