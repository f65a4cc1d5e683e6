"""Machine-readable failures of the pipeline.

Every failure carries a `stage` (where it happened) and a `reason` from `REASONS`; the daemon writes
both into `<name>.error.json` and the README documents the list.
"""

from __future__ import annotations

from typing import Final

REASONS: Final[dict[str, str]] = {
    "empty_file": "the file has zero bytes",
    "too_large": "the file is larger than max_file_bytes",
    "too_many_pages": "the document has more pages than max_pages",
    "not_a_pdf": "the file does not start like a PDF and PDFium cannot open it",
    "encrypted": "the document needs a password we do not have",
    "corrupt_pdf": "PDFium cannot parse the document",
    "extraction_error": "text extraction failed on a page",
    "timeout": "parsing took longer than file_timeout_seconds; the worker was killed",
    "stalled": "parsing timed out while the daemon stood still (frozen, starved) max_attempts times",
    "worker_crashed": "the worker process died (memory cap, crash) max_attempts times",
    "memory_limit": "the worker exceeded worker_memory_limit_mb",
    "not_regular_file": "the inbox entry is a symlink, FIFO, socket, device or directory",
    "unreadable": "the file cannot be opened or read (permissions, I/O error)",
    "changed_during_processing": "the file changed between claim and parse",
    "vanished": "the file disappeared from the inbox before it was read (or before its worker opened it)",
    "internal_error": "an unexpected error in toridaemon itself",
}


class PipelineError(Exception):
    """A document that cannot be processed, with a reason from `REASONS`."""

    def __init__(self, stage: str, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown failure reason {reason!r}")
        super().__init__(stage, reason, message)
        self.stage = stage
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.stage}/{self.reason}: {self.message}"
