"""Arabic and Hebrew conjunctions and prepositions written as one word with the next.

Arabic writes "and", "so" (و, ف) and "with", "for", "like" (ب, ل, ك) onto the word that follows: "والذاكرة" is "and
the memory", "بالشبكة" "with the network", "للشبكة" "for the network" (ل and the article ال make لل). Hebrew writes
"and" (ו) so ("ולשלוח", "and to send"). Read as words, the conjunction joined two terms into one ("المعالج والذاكرة
والقرص الصلب") and a term had as many keys as prefixes. `split_proclitic` cuts them off as a boundary when what is
left is a listed word more common than the whole (so "وسائل", means, is no "and" and "سائل", liquid). Hebrew's other
prefixes (ה, ב, ל, מ, ש, כ) begin too many words of their own ("מחשב", computer, is no "from" and "חשב") to be cut
without a dictionary of stems.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

# Per language: the conjunctions, then the prepositions, each a letter, in the order they are written.
_PROCLITICS = {"ar": ("وف", "بلك"), "he": ("ו", "")}
_ARTICLE = "ال"  # Arabic's; after ل it loses its alif: ل + الشبكة = للشبكة
LANGUAGES = frozenset(_PROCLITICS)
PROCLITIC_LETTERS = frozenset("".join("".join(letters) for letters in _PROCLITICS.values()))


def split_proclitic(token: str, code: str, frequencies: Mapping[str, float]) -> list[str]:
    """`token` as its proclitics (one token, a boundary) and the word they are written onto, or `[token]`."""
    share = frequencies.get(token, 0.0)
    for rest in _remainders(token, *_PROCLITICS[code]):
        if len(rest) >= 2 and frequencies.get(rest, 0.0) > share:
            return [token[0], rest]  # one letter: never a word
    return [token]


def _remainders(token: str, conjunctions: str, prepositions: str) -> Iterator[str]:
    """What may be left of `token` without its proclitics, the fewest cut first."""
    rest = token
    if rest[:1] in conjunctions and len(rest) > 1:
        rest = rest[1:]
        yield rest
    if prepositions and rest[:1] in prepositions and len(rest) > 1:
        if rest.startswith("لل"):
            yield _ARTICLE + rest[2:]
        yield rest[1:]


def proclitic_before(text: str, start: int) -> bool:
    """Whether one or two proclitic letters come right before `start` and no other letter or digit before them:
    a word found inside "بالشبكة" or "ולשלוח"."""
    for size in (1, 2):
        before = start - size
        if before < 0 or text[before] not in PROCLITIC_LETTERS:
            return False
        if before == 0 or not text[before - 1].isalnum():
            return True
    return False
