"""Where the concept engine's time goes: each step of `analyze_pages`, timed on the texts of keyphrase sets.

The compiled engine's modules call each other directly, so neither a profiler nor a wrapper sees its steps. This
script calls the same steps in turn, as `concepts.analyze_pages` does for a one-page text, and times each. It runs
two passes over the same texts: the first starts with cold word and term caches, as a new worker does; the second
runs with them warm. It checks that the steps give the concepts `analyze_text` gives, so it cannot drift from the
engine unnoticed.

Usage: python bench/steps.py [--sets WikiNews,Inspec] [--limit N] [--data DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from keyphrases import DATA, TOP, limit_threads, load, set_language, warm_up


class Clock:
    """Seconds spent per step, summed over texts."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._last = time.perf_counter()

    def step(self, name: str, less: float = 0.0) -> None:
        """The time since the last step goes to `name`, but for `less` seconds counted elsewhere."""
        now = time.perf_counter()
        self.spent[name] = self.spent.get(name, 0.0) + now - self._last - less
        self._last = now

    def add(self, name: str, seconds: float) -> None:
        self.spent[name] = self.spent.get(name, 0.0) + seconds


def steps(text: str, options: Any, clock: Clock) -> list[str]:
    """The concept names of `text` as `analyze_text` finds them, each step timed on `clock`."""
    from toridaemon.pipeline import conceptdb, concepts
    from toridaemon.pipeline.acronyms import defined_acronyms
    from toridaemon.pipeline.candidates import add_acronyms, add_keywords, extract
    from toridaemon.pipeline.context import Locator
    from toridaemon.pipeline.keywords import author_keywords
    from toridaemon.pipeline.language import detect_language, language
    from toridaemon.pipeline.prune import prune
    from toridaemon.pipeline.scoring import score
    from toridaemon.pipeline.sections import split_sections
    from toridaemon.pipeline.text.document import finish

    detection: list[float] = []

    def detect(sample: str) -> str | None:
        started = time.perf_counter()
        code = detect_language(sample)
        detection.append(time.perf_counter() - started)
        return code

    clock.step("other")
    document = finish(concepts.clean(text).split("\f"), detect)  # as analyze_text reads a text
    clock.add("detect", sum(detection))
    clock.step("clean and title", less=sum(detection))
    pages = [concepts.clean(page) for page in document.pages]
    spans = split_sections(pages, None)
    lang = concepts._resources(document.language, spans, options)
    clock.step("sections")
    listing = author_keywords(spans, lang)
    clock.step("keywords")
    table = extract(listing.spans, lang)
    add_keywords(table, listing.keywords, lang)
    clock.step("extract")
    add_acronyms(table, defined_acronyms(spans), lang)
    clock.step("acronyms")
    hits = conceptdb.load(options.concept_db_paths, language(document.language)).match(listing.spans)
    clock.step("database")
    ranked, _ = score(table, hits, options, lang)
    clock.step("score")
    pruned = prune(ranked, min_kept=options.min_concepts, max_kept=options.max_concepts,
                   threshold=options.entropy_threshold)
    clock.step("prune")
    shown = pruned.adjusted or [ranked[i].score for i in pruned.kept]
    order = sorted(range(len(shown)), key=lambda n: -shown[n])
    top = shown[order[0]] if order and shown[order[0]] > 0 else 1.0
    locator = Locator(spans, lang, table.titled)
    names: dict[str, str] = {}  # as `analyze_pages`: variants shown alike appear once
    for n in order:
        name = concepts._concept(ranked[pruned.kept[n]], shown[n] / top, locator, table.surface,
                                 table.base_forms).name
        names.setdefault(name.casefold(), name)
    clock.step("context")
    return list(names.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--sets", default="WikiNews,Inspec", help="comma-separated set names")
    parser.add_argument("--limit", type=int, default=None, help="documents per half of each set")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of sets in LIAAD format")
    args = parser.parse_args(argv)
    limit_threads(1)
    from toridaemon.pipeline import PipelineOptions, analyze_text, native

    print("engine: " + ("compiled (mypyc)" if native.enabled() else "from its sources"))
    options = PipelineOptions(max_concepts=TOP, min_concepts=TOP)
    for name in args.sets.split(","):
        texts = [doc.text for doc in load(name, args.limit, "both", args.data)]
        if not texts:
            print(f"{name}: no documents")
            continue
        warm_up(set_language(name, args.data))
        for label in ("first pass", "second pass"):
            clock = Clock()
            found = [steps(text, options, clock) for text in texts]
            clock.step("other")
            per_text = {step: seconds / len(texts) * 1e6 for step, seconds in clock.spent.items()}
            print(f"{name} {label}: {sum(per_text.values()):.0f} µs a text; "
                  + ", ".join(f"{step} {value:.0f}" for step, value in per_text.items()))
        for text, names in zip(texts, found, strict=True):
            if [c.name for c in analyze_text(text, settings=options).concepts] != names:
                print(f"{name}: the steps no longer give analyze_text's concepts; update bench/steps.py")
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
