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


def split_proclitic(token: str, code: str, frequencies: Mapping[str, float]) -> list[str]:
    """`token` as its proclitics (one token, a boundary) and the word they are written onto, or `[token]`. Of the
    ways to cut, the one leaving the most common word: "وبالحاسوب" is "and", "with" and "الحاسوب"."""
    share, best, best_share = frequencies.get(token, 0.0), "", 0.0
    for rest in _remainders(token, *_PROCLITICS[code]):
        rest_share = frequencies.get(rest, 0.0)
        if len(rest) >= 2 and rest_share > max(share, best_share):
            best, best_share = rest, rest_share
    return [token[0], best] if best else [token]  # one letter: never a word


def _remainders(token: str, conjunctions: str, prepositions: str) -> Iterator[str]:
    """What may be left of `token` without its proclitics, the fewest cut first."""
    rest = token
    if rest[:1] in conjunctions and len(rest) > 1:
        rest = rest[1:]
        yield rest
    if prepositions and rest[:1] in prepositions and len(rest) > 1:
        if rest.startswith("لل"):  # "للشبكة": ل + الشبكة; "للغة": ل + اللغة, whose noun begins with ل
            yield _ARTICLE + rest[2:]
            yield _ARTICLE + rest[1:]
        yield rest[1:]


def after_lam(word: str) -> str | None:
    """An Arabic word with the article as it is written after "ل" (for): "الشبكة" as "للشبكة", "اللغة", whose noun
    begins with ل, as "للغة"; None for a word without the article."""
    if not word.startswith(_ARTICLE) or len(word) < 3:
        return None
    return "ل" + word[2:] if word[2] == "ل" else "لل" + word[2:]


class Proclitics:
    """Finds a word of an Arabic or Hebrew text where proclitics are written onto it, as `split_proclitic` cuts
    them off: "الشبكة" inside "بالشبكة", and inside "للشبكة", where it lost its alif."""

    def __init__(self, code: str, frequencies: Mapping[str, float]) -> None:
        self._code, self._frequencies = code, frequencies
        self._letters = frozenset("".join(_PROCLITICS[code]))

    def needles(self, key: str) -> tuple[str, ...]:
        """Spellings of `key` besides its own to look for: an Arabic word with its article after "ل" ("الشبكة" as
        "للشبكة"; "اللغة", whose noun begins with ل, as "للغة")."""
        needle = after_lam(key) if self._code == "ar" else None
        return () if needle is None else (needle,)

    def shown(self, surface: str, key: str) -> str:
        """`surface`, found as `key` or one of its `needles`, as the word is written alone: "للشبكة" → "الشبكة"."""
        if self._code != "ar" or not key.startswith(_ARTICLE) or surface.startswith(_ARTICLE) or len(key) < 3:
            return surface
        return _ARTICLE + surface[len(surface) - (len(key) - 2) :]  # a needle ends as the key does

    def before(self, text: str, start: int, end: int, *, vouched: bool = False) -> bool:
        """Whether proclitics are written onto the word found at `start` (the first word of a match ending at `end`)
        and cut off it: one or two of their letters before it, no other letter or digit before them, and the whole
        read as they and this word ("بالشبكة"; not "وسائل", means, around "سائل"). `vouched`: the word is a name
        of the concept database, listed by wordfreq or not ("بالخوارزمية", "وLinux"): read so unless the whole is
        the more common word."""
        word_end = text.find(" ", start, end)
        word_end = end if word_end == -1 else word_end
        for size in (1, 2):
            first = start - size
            if first < 0 or text[first] not in self._letters:
                return False
            if first == 0 or not text[first - 1].isalnum():
                word = text[start:word_end]
                spellings = {word}
                if self._code == "ar" and word.startswith("لل"):  # "وللشبكة" is "و" and "الشبكة"
                    spellings.update((_ARTICLE + word[2:], _ARTICLE + word[1:]))
                whole = text[first:word_end]
                if vouched:
                    shares = self._frequencies
                    return (not spellings.isdisjoint(_remainders(whole, *_PROCLITICS[self._code]))
                            and shares.get(whole, 0.0) <= max(shares.get(spelling, 0.0) for spelling in spellings))
                rest = split_proclitic(whole, self._code, self._frequencies)[1:]
                return len(rest) == 1 and rest[0] in spellings
        return False
