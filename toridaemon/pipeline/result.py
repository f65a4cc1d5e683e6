"""The result contract: one `DocumentResult` per document (see ARCHITECTURE.md and schema/result.schema.json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

ConceptSource = Literal["database", "extracted"]


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    sha256: str
    bytes: int
    pages: int
    ocr_pages: list[int] = field(default_factory=list)  # 1-based numbers of the pages read by OCR


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    pages: list[int]
    chars: int


@dataclass(frozen=True, slots=True)
class Concept:
    name: str
    score: float
    frequency: int
    sections: list[str]
    source: ConceptSource
    category: str | None = None
    context: str = ""


@dataclass(frozen=True, slots=True)
class PruningStats:
    candidates: int
    kept: int
    entropy: float


@dataclass(frozen=True, slots=True)
class Extractor:
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class DocumentResult:
    source: Source
    title: str | None
    language: str | None  # ISO 639-1; None when it could not be told
    sections: list[Section]
    concepts: list[Concept]
    pruning: PruningStats
    timings_seconds: dict[str, float]
    extractor: Extractor
    schema_version: int = SCHEMA_VERSION
    warnings: list[str] = field(default_factory=list)  # e.g. no_text, ocr_unavailable (README lists them)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form, keys in contract order. Built field by field: `dataclasses.asdict` deep-copies
        every value through a generic recursion, some 1.5 % of a worker's time per document."""
        return {
            "schema_version": self.schema_version,
            "source": {**_fields(self.source), "ocr_pages": list(self.source.ocr_pages)},
            "title": self.title,
            "language": self.language,
            "warnings": list(self.warnings),
            "sections": [{**_fields(section), "pages": list(section.pages)} for section in self.sections],
            "concepts": [{**_fields(concept), "sections": list(concept.sections)} for concept in self.concepts],
            "pruning": _fields(self.pruning),
            "timings_seconds": dict(self.timings_seconds),
            "extractor": _fields(self.extractor),
        }


def _fields(item: Any) -> dict[str, Any]:
    """A flat dataclass's fields in declaration order (lists are copied by the caller)."""
    return {name: getattr(item, name) for name in item.__dataclass_fields__}
