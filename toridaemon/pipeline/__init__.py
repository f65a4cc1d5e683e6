"""The pure extraction pipeline: path or text in, `DocumentResult` out.

The names below load on first use, so that importing one light module (`options`, `errors`) does not
import the whole pipeline: the daemon process only needs its options, its workers need the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from toridaemon.pipeline import native

if TYPE_CHECKING:
    from toridaemon.pipeline.analyze import analyze_pdf, analyze_text
    from toridaemon.pipeline.conceptdb import ConceptDBError
    from toridaemon.pipeline.errors import REASONS, PipelineError
    from toridaemon.pipeline.options import PipelineOptions
    from toridaemon.pipeline.result import Concept, DocumentResult, PruningStats, Section, Source

native.enable()  # before any module of the concept engine loads: its compiled copies, when they match the sources

_HOMES = {
    "analyze_pdf": "analyze", "analyze_text": "analyze", "ConceptDBError": "conceptdb", "REASONS": "errors",
    "PipelineError": "errors", "PipelineOptions": "options", "Concept": "result", "DocumentResult": "result",
    "PruningStats": "result", "Section": "result", "Source": "result",
}

__all__ = [
    "REASONS",
    "Concept",
    "ConceptDBError",
    "DocumentResult",
    "PipelineError",
    "PipelineOptions",
    "PruningStats",
    "Section",
    "Source",
    "analyze_pdf",
    "analyze_text",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
