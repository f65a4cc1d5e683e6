"""The concept engine: sections → candidates → database matches → scores → pruning → `Concept`s.

`analyze_pages` is the entry point the rest of the pipeline relies on; each step lives in its own module.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from toridaemon.pipeline import conceptdb
from toridaemon.pipeline.candidates import dehyphenate, extract
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.prune import prune
from toridaemon.pipeline.result import Concept, PruningStats, Section
from toridaemon.pipeline.scoring import Scored, score
from toridaemon.pipeline.sections import Span, split_sections, summarize

_CONTEXT_CHARS = 240
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


@dataclass(frozen=True, slots=True)
class ConceptReport:
    sections: list[Section]
    concepts: list[Concept]
    pruning: PruningStats
    timings: dict[str, float]


def analyze_pages(pages: list[str], *, title: str | None, options: PipelineOptions) -> ConceptReport:
    """Concepts of a document given as text per page."""
    started = time.perf_counter()
    database = conceptdb.load(options.concept_db_paths)
    spans = split_sections(pages, title)
    ranked = score(extract(spans), database.match(spans), options)
    concepts_done = time.perf_counter()
    pruned = prune(
        ranked, min_kept=options.min_concepts, max_kept=options.max_concepts, threshold=options.entropy_threshold
    )
    kept = [ranked[i] for i in pruned.kept]
    top = kept[0].score if kept else 1.0
    concepts = [_concept(item, item.score / top, spans) for item in kept]
    return ConceptReport(
        sections=summarize(spans),
        concepts=concepts,
        pruning=PruningStats(candidates=len(ranked), kept=len(concepts), entropy=pruned.entropy),
        timings={"concepts": concepts_done - started, "prune": time.perf_counter() - concepts_done},
    )


def _concept(item: Scored, relative: float, spans: list[Span]) -> Concept:
    surface, context = _find(item.key, spans)
    if item.entry is not None:
        name, source, category = item.entry.name, "database", item.entry.category
    else:
        name, source, category = surface or item.key, "extracted", None
    return Concept(
        name=name,
        score=round(min(1.0, max(0.0, relative)), 4),
        frequency=item.frequency,
        sections=list(item.sections),
        source=source,  # type: ignore[arg-type]  # one of the two literals above
        category=category,
        context=context,
    )


def _find(key: str, spans: list[Span]) -> tuple[str, str]:
    """The first surface form of a candidate in the body text (else the title) and its sentence."""
    pattern = _pattern(key)
    ordered = [span for span in spans if span.section != "title"] + [s for s in spans if s.section == "title"]
    for span in ordered:
        text = dehyphenate(span.text)
        match = pattern.search(text)
        if match:
            return _display(match.group(0)), _sentence(text, match.start(), match.end())
    return "", ""


def _pattern(key: str) -> re.Pattern[str]:
    parts = []
    for word in key.split(" "):
        stem = re.escape(word)
        if word.endswith("y"):
            parts.append(f"{stem[:-1]}(?:y|ies)")
        else:
            parts.append(f"{stem}(?:e?s)?")
    return re.compile(r"(?<![\w-])" + r"[\s\-]+".join(parts) + r"(?:['’]s)?(?![\w-])", re.IGNORECASE)


def _display(surface: str) -> str:
    # Keep acronyms and mixed case ("UDDI", "PlanetLab"); lowercase words capitalised only by position.
    words = surface.split()
    return " ".join(word if any(c.isupper() for c in word[1:]) else word.lower() for word in words)


def _sentence(text: str, start: int, end: int) -> str:
    left = max(0, start - _CONTEXT_CHARS // 2)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, left, start)]
    left = ends[-1] if ends else left
    stop = _SENTENCE_END.search(text, end, end + _CONTEXT_CHARS)
    right = stop.end() if stop else min(len(text), end + _CONTEXT_CHARS // 2)
    sentence = " ".join(text[left:right].split())
    return sentence if len(sentence) <= _CONTEXT_CHARS else sentence[: _CONTEXT_CHARS - 1].rstrip() + "…"
