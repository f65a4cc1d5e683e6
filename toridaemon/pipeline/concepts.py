"""The concept engine: sections → candidates → database matches → scores → pruning → `Concept`s.

`analyze_pages` is the entry point the rest of the pipeline relies on; each step lives in its own module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from toridaemon.pipeline import conceptdb
from toridaemon.pipeline.candidates import extract
from toridaemon.pipeline.context import Locator
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.prune import prune
from toridaemon.pipeline.result import Concept, PruningStats, Section
from toridaemon.pipeline.scoring import Scored, score
from toridaemon.pipeline.sections import split_sections, summarize


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
    ranked, candidates = score(extract(spans), database.match(spans), options)
    concepts_done = time.perf_counter()
    pruned = prune(
        ranked, min_kept=options.min_concepts, max_kept=options.max_concepts, threshold=options.entropy_threshold
    )
    if options.embeddings:  # the optional extra re-ranks semantically and keeps as many concepts
        from toridaemon.pipeline.embeddings import rerank

        ranked, pruned = rerank(ranked, spans, len(pruned.kept))
    kept = [ranked[i] for i in pruned.kept]
    top = kept[0].score if kept else 1.0
    locator = Locator(spans)
    concepts = [_concept(item, item.score / top, locator) for item in kept]
    return ConceptReport(
        sections=summarize(spans),
        concepts=concepts,
        pruning=PruningStats(candidates=candidates, kept=len(concepts), entropy=pruned.entropy),
        timings={"concepts": concepts_done - started, "prune": time.perf_counter() - concepts_done},
    )


def _concept(item: Scored, relative: float, locator: Locator) -> Concept:
    surface, context = locator.find(item.variants or (item.key,))
    if item.entry is not None:
        name, source, category = item.entry.name, "database", item.entry.category
    else:
        name, source, category = surface or item.key, "extracted", None
    return Concept(
        name=name,
        score=round(min(1.0, max(0.0, relative)), 4),
        frequency=item.frequency,
        sections=item.sections,
        source=source,  # type: ignore[arg-type]  # one of the two literals above
        category=category,
        context=context,
    )
