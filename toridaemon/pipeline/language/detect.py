"""Which language a document is written in: py3langid on a bounded sample of its text.

Why py3langid: a naive Bayes model over byte n-grams (97 languages) that ships inside its wheel (4.5 MB,
BSD-3-Clause), answers in well under a millisecond for a page of text and loads in about a second, once per
process. lingua is more accurate on single short sentences, but its models are many times larger (some 800 MB of
memory for all of them in high-accuracy mode, by its author's account) and it is slower; a document gives the
detector paragraphs, where both agree.
"""

from __future__ import annotations

import threading
from itertools import islice
from typing import Any

import regex

SAMPLE_CHARS = 750  # in three slices: enough for a sure answer on paragraphs, at a cost independent of the length
MIN_CONFIDENCE = 0.5  # a normalised probability below this is "unsure"
MIN_LETTERS = 12
_ALIASES = {"nn": "nb", "no": "nb"}  # Norwegian variants share wordfreq's and Snowball's "nb"/"norwegian"
_LETTER = regex.compile(r"\p{L}")
_lock = threading.Lock()
_identifier: list[Any] = []


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language of `text`, or None when there is too little text or the model is unsure."""
    sample = _sample(text)
    if sum(1 for _ in islice(_LETTER.finditer(sample), MIN_LETTERS)) < MIN_LETTERS:
        return None
    code, confidence = _model().classify(sample)
    if confidence < MIN_CONFIDENCE or not isinstance(code, str) or len(code) != 2:
        return None
    return _ALIASES.get(code, code)


def _sample(text: str) -> str:
    """The start, middle and end of long texts: a front page alone may be in another language than the body."""
    if len(text) <= SAMPLE_CHARS:
        sample = text
    else:
        third = SAMPLE_CHARS // 3
        middle = len(text) // 2
        sample = " ".join((text[:third], text[middle : middle + third], text[-third:]))
    # Lone surrogates cannot be encoded; the model reads UTF-8 bytes.
    return sample.encode("utf-8", "replace").decode("utf-8")


def _model() -> Any:
    with _lock:
        if not _identifier:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
        return _identifier[0]
