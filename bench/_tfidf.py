"""TF-IDF baseline of bench/keyphrases.py: n-grams of up to three words between stop words and punctuation, each
scored by its count in the document × log(documents / documents holding it) over the documents of the same set.

Stop words: the `stop-words` package's list of the set's language, so the baseline shares no tuning with ours.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

MAX_WORDS = 3
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|[^\w\s]+|\d+")


def tfidf_extractor(texts: Sequence[str], language: str, top: int) -> Callable[[str], list[str]]:
    """An extractor whose document frequencies come from `texts` (every document of the set)."""
    import stop_words

    try:
        stop = frozenset(stop_words.get_stop_words(language))
    except stop_words.StopWordError:
        stop = frozenset()
    frequencies: Counter[str] = Counter()
    for text in texts:
        frequencies.update(set(_ngrams(text, stop)))
    total = len(texts)

    def extract(text: str) -> list[str]:
        counts = Counter(_ngrams(text, stop))
        scored = {term: count * math.log((1 + total) / (1 + frequencies[term])) for term, count in counts.items()}
        return sorted(scored, key=lambda term: (-scored[term], term))[:top]

    return extract


def _ngrams(text: str, stop: frozenset[str]) -> list[str]:
    grams: list[str] = []
    run: list[str] = []
    for token in [*_TOKEN.findall(text.lower()), "."]:
        if token[0].isalpha() and token not in stop and len(token) > 1:
            run.append(token)
            continue
        for i in range(len(run)):
            grams.extend(" ".join(run[i:j]) for j in range(i + 1, min(len(run), i + MAX_WORDS) + 1))
        run = []
    return grams
