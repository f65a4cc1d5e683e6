"""The concept engine: sections → language → candidates → database matches → scores → pruning → `Concept`s.

`analyze_pages` is the entry point the rest of the pipeline relies on; each step lives in its own module.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass

import regex

from toridaemon.pipeline import conceptdb
from toridaemon.pipeline.acronyms import defined_acronyms
from toridaemon.pipeline.candidates import add_acronyms, add_keywords, extract
from toridaemon.pipeline.context import Locator
from toridaemon.pipeline.filler import without_filler
from toridaemon.pipeline.keywords import author_keywords
from toridaemon.pipeline.language import Language, detect_language, language, mixed, other_languages
from toridaemon.pipeline.native import lowercase
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.prune import prune, starting_order
from toridaemon.pipeline.result import Concept, PruningStats, Section
from toridaemon.pipeline.scoring import Scored, score
from toridaemon.pipeline.sections import Span, split_sections, summarize
from toridaemon.pipeline.text.clean import stream_safe, unmarked

AUTO = "auto"  # the `language` setting's value, and `analyze_pages`' default: detect the language


@dataclass(frozen=True, slots=True)
class ConceptReport:
    sections: list[Section]
    concepts: list[Concept]
    pruning: PruningStats
    timings: dict[str, float]
    language: str | None  # ISO 639-1, None when undetermined
    title: str | None = None  # the title the sections were read with: the given one, or the text's first line


# Format characters are invisible and no word boundary: a zero-width space, a soft hyphen or a direction mark
# inside a word split it ("graph neu", "ral networks"). The zero-width (non-)joiners are spelling in Persian and
# Indic scripts and stay.
_INVISIBLE = regex.compile(r"[\p{Cf}--[\u200c\u200d]]", regex.VERSION1)


def analyze_pages(
    pages: list[str], *, title: str | None, options: PipelineOptions, detected: str | None = AUTO
) -> ConceptReport:
    """Concepts of a document given as text per page. `title` None takes a short first line as the title, ""
    says there is none. `detected` is the language the text stage already detected (None: unsure); with the
    default, it is detected here. The `language` setting overrides both."""
    started = time.perf_counter()
    pages = [clean(page) for page in pages]
    title = clean(title) if title is not None else None
    if options.language != AUTO:
        code: str | None = options.language
    elif detected != AUTO:
        code = detected
    else:
        code = detect_language("\n".join([title or "", *pages]))
    spans = split_sections(pages, title)
    lang = _resources(code, spans, options)
    title = spans[0].text if spans and spans[0].section == "title" else None  # as given, or the first line
    listing = author_keywords(spans, lang)
    table = extract(listing.spans, lang)
    if table.filler:  # counted again without it (rare): its words bound no candidates, and it hides the language
        spans = without_filler(spans, table.filler)
        if options.language == AUTO:
            # Blindtext is written in the document's own language (babel's), lorem ipsum in none: only blindtext
            # leaves its answer standing when too little text is left to tell.
            told = detect_language("\n".join(span.text for span in spans))
            code = told if told is not None or table.filler != {"blindtext"} else code
        lang = _resources(code, spans, options)
        listing = author_keywords(spans, lang)
        table = extract(listing.spans, lang)
    add_keywords(table, listing.keywords, lang)
    add_acronyms(table, defined_acronyms(spans), lang)
    database = conceptdb.load(options.concept_db_paths, language(code))  # the main language's
    ranked, candidates = score(table, database.match(listing.spans), options, lang)
    concepts_done = time.perf_counter()
    pruned = prune(
        ranked, min_kept=options.min_concepts, max_kept=options.max_concepts, threshold=options.entropy_threshold
    )
    # The optional extra re-ranks semantically and keeps as many concepts; its model (MiniLM) reads English only.
    if options.embeddings and lang.english:
        from toridaemon.pipeline.embeddings import rerank

        ranked, pruned = rerank(starting_order(ranked), spans, len(pruned.kept))
    # Scores shown are those the pick used (a near-duplicate's lowered by its redundancy), best first.
    shown = pruned.adjusted or [ranked[i].score for i in pruned.kept]
    order = sorted(range(len(shown)), key=lambda n: -shown[n])
    top = shown[order[0]] if order and shown[order[0]] > 0 else 1.0
    locator = Locator(spans, lang, table.titled)
    concepts: list[Concept] = []
    names: set[str] = set()
    for n in order:
        concept = _concept(ranked[pruned.kept[n]], shown[n] / top, locator, table.surface, table.base_forms)
        if concept.name.casefold() not in names:  # variants shown alike appear once
            names.add(concept.name.casefold())
            concepts.append(concept)
    return ConceptReport(
        sections=summarize(spans),
        concepts=concepts,
        pruning=PruningStats(candidates=candidates, kept=len(concepts), entropy=pruned.entropy),
        timings={"concepts": concepts_done - started, "prune": time.perf_counter() - concepts_done},
        language=code,
        title=title,
    )


def _resources(code: str | None, spans: list[Span], options: PipelineOptions) -> Language:
    """The resources of language `code`, with the function words of the other languages whole passages of a long
    text are in (see `other_languages`) when the language was detected, not set."""
    if options.language != AUTO or code is None:
        return language(code)
    also = other_languages("\n".join(span.text for span in spans), code)
    return mixed(code, also) if also else language(code)


def clean(text: str) -> str:
    """Text every later step can rely on: lone surrogates (undecodable input) replaced, invisible format
    characters removed, composed to NFC so that a letter and its accent are one character (in linear time:
    `stream_safe`, after the removal: invisible characters between short runs of marks made one long run)."""
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
        if not unmarked(text):  # most Latin-script text is: no mark run to break, nothing invisible
            if _INVISIBLE.search(text):
                text = _INVISIBLE.sub("", text)
            text = stream_safe(text)
        text = unicodedata.normalize("NFC", text)
    return text


def _concept(item: Scored, relative: float, locator: Locator, surfaces: dict[str, str],
             base_forms: dict[str, str]) -> Concept:
    keys = item.variants or (item.key,)
    # The names and aliases the text holds are looked for as written too: a key drops inner function words and
    # punctuation ("capital belgium" of "capital of Belgium", "mt everest" of "Mt. Everest"). The concept's own
    # name comes first, as written when the text holds it ("Statue of Liberty" before "Lady Liberty").
    named = (lowercase(item.entry.name),) if item.entry is not None and item.by_name else ()
    # Where nouns decline, the surface in dictionary forms first ("резервная копия", not "резервной копии").
    base = base_forms.get(item.key)
    own_key = (*((base,) if base else ()), surfaces.get(item.key, item.key), item.key)
    surface, context = locator.find(named + own_key + tuple(surfaces.get(key, key) for key in keys) + keys
                                    + item.written)
    if item.entry is not None:  # found by an alias only: named with the document's own words
        written = surface or surfaces.get(item.key) or next(iter(item.written), item.entry.name)
        name = item.entry.name if item.by_name else written
        source, category = "database", item.entry.category
    else:
        name, source, category = surface or base or surfaces.get(item.key, item.key), "extracted", None
    # By position, in the order of `Concept`'s fields: a frozen dataclass is slow to build, by keyword a third slower.
    return Concept(name, round(min(1.0, max(0.0, relative)), 4), item.frequency, item.sections,
                   source, category, context)  # type: ignore[arg-type]  # `source`: one of the two literals above


__all__ = ["ConceptReport", "Language", "analyze_pages", "clean"]
