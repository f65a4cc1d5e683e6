"""The function worker processes run: the pipeline, with failures turned into plain data.

Returning data rather than raising keeps the answer picklable whatever went wrong, and lets every
backend (local pool, Dask) share one function; `as_outcome` reads that answer back on the daemon's side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toridaemon.executors.base import CONCEPT_DB_UNAVAILABLE, Failure, JobOutcome
from toridaemon.faults import worker_fault
from toridaemon.pipeline.errors import PipelineError
from toridaemon.pipeline.options import PipelineOptions


def run_job(path: str, options: dict[str, Any], expected_sha256: str | None = None) -> dict[str, Any]:
    """Analyse one PDF; return `{"result": ...}` or `{"failure": {stage, reason, message}}`."""
    # Imported here, where workers run it (their warm-up imported it already): the daemon's process imports
    # this module to hand `run_job` over, and the concept engine would add 0.5 s and 48 MB to it for nothing.
    from toridaemon.pipeline.analyze import analyze_pdf
    from toridaemon.pipeline.conceptdb import ConceptDBError, require_usable

    worker_fault(Path(path).name)
    try:
        validated = PipelineOptions.model_validate(options)
        require_usable(validated.concept_db_paths)  # before the parse, which a file held back would waste
        result = analyze_pdf(path, validated)
    except PipelineError as exc:
        return {"failure": {"stage": exc.stage, "reason": exc.reason, "message": exc.message}}
    except ConceptDBError as exc:
        return {"failure": {"stage": "concepts", "reason": CONCEPT_DB_UNAVAILABLE, "message": str(exc)[:1000]}}
    except MemoryError:
        return {"failure": {"stage": "text", "reason": "memory_limit", "message": "worker memory cap reached"}}
    except Exception as exc:  # any other error is a bug to report as data, not a reason to die
        return {"failure": {"stage": "pipeline", "reason": "internal_error", "message": repr(exc)[:500]}}
    if expected_sha256 and result.source.sha256 != expected_sha256:
        return {"failure": {"stage": "read", "reason": "changed_during_processing",
                            "message": "content hash differs from the one claimed"}}
    return {"result": result.to_dict()}


def as_outcome(answer: dict[str, Any]) -> JobOutcome:
    """The `JobOutcome` for an answer of `run_job`."""
    if "failure" in answer:
        return JobOutcome(failure=Failure(**answer["failure"]))
    return JobOutcome(result=answer["result"])


class SentOptions:
    """Job options as `run_job` takes them (`model_dump`), dumped once per options object: options are frozen,
    and one object serves every file of a settings snapshot."""

    def __init__(self) -> None:
        self._last: tuple[PipelineOptions, dict[str, Any]] | None = None

    def __call__(self, options: PipelineOptions) -> dict[str, Any]:
        if self._last is None or self._last[0] is not options:
            self._last = (options, options.model_dump())
        return self._last[1]
