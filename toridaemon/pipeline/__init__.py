"""The pure extraction pipeline: path or text in, `DocumentResult` out."""

from toridaemon.pipeline.analyze import analyze_pdf, analyze_text
from toridaemon.pipeline.conceptdb import ConceptDBError
from toridaemon.pipeline.errors import REASONS, PipelineError
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.result import Concept, DocumentResult, PruningStats, Section, Source

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
