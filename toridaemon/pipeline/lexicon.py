"""Background English word frequencies, the measure of how specific a word is.

Why `wordfreq`: a keyphrase is a term that is frequent in the document but rare in general language, and the
classic way to measure "rare in general" is a document-frequency table from a reference corpus. `wordfreq` ships
such a table inside its wheel (Apache-2.0 code, CC-BY-SA data, no download at run time), built from many sources
(Wikipedia, subtitles, news, books, web text), so no single genre skews it. We use its `small` English list
(~29k words, loads in ~20 ms): any word missing from it is rarer than about one in a million, which is all the
resolution specificity needs, and the large list costs half a second and ~40 MB per worker process.
"""

from __future__ import annotations

import math
from functools import lru_cache

import wordfreq

# Zipf scale: log10 of occurrences per billion words. "the" ≈ 7.7, "network" ≈ 5.0, "eigenvalue" ≈ 2.5.
_COMMON_ZIPF = 6.5
_RARE_ZIPF = 2.5


@lru_cache(maxsize=1)
def frequencies() -> dict[str, float]:
    """Word → frequency (fraction of all words) for English."""
    return dict(wordfreq.get_frequency_dict("en", wordlist="small"))


def is_known(word: str) -> bool:
    """Whether `word` (lowercase) is an English word of the background list."""
    return word in frequencies()


def specificity(word: str) -> float:
    """0 for the most common words, 1 for words rarer than about one in a million; hyphenated parts averaged."""
    table = frequencies()
    frequency = table.get(word)
    if frequency is None and "-" in word:
        parts = [part for part in word.split("-") if part]
        return sum(specificity(part) for part in parts) / len(parts) if parts else 1.0
    if not frequency:
        return 1.0
    zipf = math.log10(frequency * 1e9)
    return min(1.0, max(0.0, (_COMMON_ZIPF - zipf) / (_COMMON_ZIPF - _RARE_ZIPF)))
