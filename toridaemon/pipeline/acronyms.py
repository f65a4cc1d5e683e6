"""The acronyms a document defines: "Markov random fields (MRFs)", "personal information management (PIM)".

A paper names a concept in full once and by its acronym after: "MRF" and "Markov random field" are one concept, and
each alone is a near-duplicate of the other in a list of concepts. `defined_acronyms` finds the definitions with
Schwartz and Hearst's rule (A simple algorithm for identifying abbreviation definitions in biomedical text, PSB
2003): the letters and digits of the short form, read from its end, are found in order in the words before the
parenthesis, reading them from their end, the first one at the start of a word; the long form starts at that word
and holds at most `min(letters + 5, 2 × letters)` words. The scoring counts the acronym's occurrences as the long
form's (`scoring._merge`).
"""

from __future__ import annotations

import re

from toridaemon.pipeline.sections import Span

_CHECKED_CHARS = 100_000  # definitions are looked for in this much of the text: they come at first use
_MAX_DEFINITIONS = 200
# A short form in parentheses after a word and a blank: two to ten letters, digits or hyphens, two capitals at least
# ("MRF", "IoT", "GS-DR", "MRFs"); not a Roman numeral ("Fe (III)", "Section (II)").
_SHORT = re.compile(r"(?<=[^\W_]) \((?P<short>[^\W_][\w-]{1,9})\)")  # matched where " (" is
_CAPITALS = re.compile(r"[A-Z]")
_ROMAN = re.compile(r"[IVXLC]+")
_WORDS = re.compile(r"[^\W_][\w'-]*")
_PUNCTUATION = re.compile(r"[.,;:!?()\[\]]")  # a long form holds none: "Schwarz, Hearst and colleagues" is no name


def defined_acronyms(spans: list[Span]) -> list[tuple[str, str]]:
    """The (short form, long form) pairs the spans define, as written (blanks made single spaces), in order; a
    short form once. Not a short form the text also writes otherwise than in capitals: "pets" beside "positron
    emission tomography (PET)" would be counted as the tomography."""
    found: dict[str, str] = {}
    budget = _CHECKED_CHARS
    texts = []
    for span in spans:
        text = span.text[:budget]
        texts.append(text)
        budget -= len(text)
        at = text.find(" (")  # most texts hold few: a search for the pattern at every position took 30 µs a text
        while at >= 0 and len(found) < _MAX_DEFINITIONS:
            match = _SHORT.match(text, at)
            if match is not None:
                short = match.group("short")
                if len(_CAPITALS.findall(short)) >= 2 and not _ROMAN.fullmatch(short) and short not in found:
                    long = _long_form(short, text[max(0, at - 200) : at])
                    if long is not None:
                        found[short] = long
            at = text.find(" (", at + 2)
        if budget <= 0 or len(found) >= _MAX_DEFINITIONS:
            break
    if not found:
        return []
    whole = "\n".join(texts)
    lower = whole.lower()
    return [(short, long) for short, long in found.items() if _only_an_acronym(short, whole, lower)]


def _only_an_acronym(short: str, text: str, lower: str) -> bool:
    """Whether every whole word of `text` spelt as `short` (or its plural, or its singular) in any case is written
    as it is: "PET" is no acronym alone where the text writes "pets". `lower` is `text` lowercased."""
    stem = singular(short)
    spellings = {stem, stem + "s", short}
    needle = stem.lower()
    if len(lower) != len(text):  # "İ": offsets into `lower` would not be offsets into `text`
        return True
    at = lower.find(needle)
    while at >= 0:
        end = at + len(needle) + (lower[at + len(needle) : at + len(needle) + 1] == "s")
        if (at == 0 or not _in_word(lower[at - 1])) and not _in_word(lower[end : end + 1]) and (
                text[at:end] not in spellings):
            return False
        at = lower.find(needle, at + 1)
    return True


def _in_word(char: str) -> bool:
    """Whether `char` (one character, or none at an end of the text) belongs to a word."""
    return char.isalnum() or (char != "" and char in "_-")


def singular(short: str) -> str:
    """A short form without the "s" of its plural ("MRFs" → "MRF"; "IoT", "GPS" as they are)."""
    return short[:-1] if short.endswith("s") and short[:-1].isupper() else short


def _long_form(short: str, before: str) -> str | None:
    """The long form `short` abbreviates at the end of `before` (the text before its parenthesis), or None."""
    letters = [char.lower() for char in singular(short) if char.isalnum()]
    clause = _PUNCTUATION.split(before)[-1]  # the words right before it: no sentence or list before them
    words = list(_WORDS.finditer(clause))[-min(len(letters) + 5, 2 * len(letters)) :]
    if not words:
        return None
    written = clause[words[0].start() :]
    text = written.lower()
    if len(text) != len(written):  # "İ": offsets into the lowercase text would not be offsets into the text
        return None
    at = len(text)
    for index in range(len(letters) - 1, -1, -1):
        at = text.rfind(letters[index], 0, at)
        while index == 0 and at > 0 and text[at - 1].isalnum():  # the first letter starts a word
            at = text.rfind(letters[index], 0, at)
        if at < 0:
            return None
    long = " ".join(written[at:].split())
    if len(long) <= len(short) or short.lower() in long.lower().split() or " " not in long:
        return None
    return long
