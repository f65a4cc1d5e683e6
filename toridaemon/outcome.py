"""Durable outcomes: the result or failure record is on disk before the input leaves the inbox.

Every step is idempotent so that a retry after a crash at any instant finishes the job exactly once:
an output that already holds this content's sha256 is reused instead of written again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from toridaemon.executors.base import Failure
from toridaemon.fsutil import free_path, fsync_dir, move_durably, write_atomic

OnSuccess = Literal["move", "delete", "keep"]
ERROR_SUFFIX = ".error.json"


class Outcomes:
    """Writes results and failure records and moves inputs, per the directories and `on_success`."""

    def __init__(self, outbox: Path, processed: Path, failed: Path, on_success: OnSuccess,
                 write: Callable[[Path, bytes], None] = write_atomic) -> None:
        self.outbox, self.processed, self.failed = outbox, processed, failed
        self.on_success = on_success
        self._write = write  # a seam: fault-injection tests pass a writer that raises ENOSPC/EIO

    def result_path(self, name: str, sha256: str) -> Path:
        stem = name[:-4] if name.lower().endswith(".pdf") else name
        return free_path(self.outbox, f"{stem}.{sha256[:8]}.json",
                         lambda p: not os.path.lexists(p) or json_sha(p, "source") == sha256)

    def write_result(self, name: str, result: dict[str, Any]) -> Path:
        sha256 = result["source"]["sha256"]
        target = self.result_path(name, sha256)
        if not target.exists():
            self._write(target, _dumps(result))
        return target

    def settle_input(self, pdf: Path) -> Path | None:
        """Apply `on_success` to an input whose result is durable; returns where it is now."""
        if self.on_success == "keep" or not pdf.exists():
            return pdf if self.on_success == "keep" else None
        if self.on_success == "delete":
            pdf.unlink()
            fsync_dir(pdf.parent)
            return None
        target = free_path(self.processed, pdf.name)
        move_durably(pdf, target)
        return target

    def write_failure(self, pdf: Path, sha256: str | None, failure: Failure) -> Path:
        """Write `<name>.error.json` into failed/, then move the input beside it."""
        def is_free(path: Path) -> bool:
            error = _error_path(path)
            if os.path.lexists(path):
                return False
            return not os.path.lexists(error) or (sha256 is not None and json_sha(error, None) == sha256)

        target = free_path(self.failed, pdf.name, is_free)
        record = {"stage": failure.stage, "reason": failure.reason, "message": failure.message,
                  "at": datetime.now(UTC).isoformat(timespec="seconds"), "sha256": sha256, "name": pdf.name}
        error_path = _error_path(target)
        if not error_path.exists():
            self._write(error_path, _dumps(record))
        if pdf.exists():
            move_durably(pdf, target)
        return target


def _error_path(pdf_target: Path) -> Path:
    return pdf_target.with_name(pdf_target.name + ERROR_SUFFIX)


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8", "surrogateescape") + b"\n"


def json_sha(path: Path, section: str | None) -> str | None:
    """The sha256 recorded in an output file, or None when it is absent or not ours."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    holder = data.get(section) if section else data
    value = holder.get("sha256") if isinstance(holder, dict) else None
    return value if isinstance(value, str) else None


def file_identity(path: Path) -> tuple[int, int]:
    info = os.lstat(path)
    return info.st_size, info.st_mtime_ns
