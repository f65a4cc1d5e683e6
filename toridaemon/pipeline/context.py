"""Where a kept concept first occurs: its surface form (for display) and the sentence around it.

Each candidate is looked up by its first surface form (lowercase; where nouns decline, the surface in dictionary
forms first, `CandidateTable.base_forms`), else by its key (lowercase, plurals folded,
so "neural network" is a prefix of "neural networks"), with a plain substring search in the lowercased text; a
regular expression that allows plural endings on every word is the fallback. Only kept concepts are looked up, and
every search moves forward at least one character per step, so this costs little and always ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toridaemon.pipeline.candidates import ENGLISH, dehyphenate, lower_aligned
from toridaemon.pipeline.language import Language
from toridaemon.pipeline.language.clitics import LANGUAGES as PROCLITIC_LANGUAGES
from toridaemon.pipeline.language.clitics import Proclitics
from toridaemon.pipeline.language.korean import particle_after
from toridaemon.pipeline.language.unspaced import unspaced_edges
from toridaemon.pipeline.native import lowercase
from toridaemon.pipeline.sections import FULL_STOPS, Span

CONTEXT_CHARS = 240
# A sentence ends at ".", "!" or "?" before a space, or at the sentence ends of other scripts (`FULL_STOPS`: CJK's,
# the danda, Khmer's…), which need no space after them. One class first: the search skips to its characters.
_SENTENCE_END = re.compile(rf"[.!?{FULL_STOPS}](?:(?<=[{FULL_STOPS}])|(?=\s))")
# Every script written without spaces (`unspaced.unspaced_char`) and Hangul (`korean.hangul`) are in these blocks,
# with full stops of other scripts: not the Latin ones nor General Punctuation's quotes and dashes.
_OTHER_SCRIPTS = re.compile(rf"[\u0e00-\u19ff\u2e80-\U0010ffff{FULL_STOPS}]")
_PLURAL_TAILS = ("", "s", "es", "'s", "’s")
_LONGEST_TAIL = max(map(len, _PLURAL_TAILS))
_DOTTED_I = "i\u0307"  # what "İ" lowercases to; `lower_aligned` keeps the "i"
_OPENERS = frozenset(".!?:\"'“”„«»‹›([{¿¡-–—•")  # a capital after one of these may be a sentence's first


@dataclass(frozen=True, slots=True)
class _Text:
    original: str
    lower: str
    # No character of a script written without spaces, of Hangul or full stops of other scripts (`_OTHER_SCRIPTS`):
    # no edges of Chinese or Japanese words nor Korean particles to look for, and "." "!" "?" end sentences. Most text.
    plain: bool


class Locator:
    """Finds concepts in a document's spans, body text first and the title last."""

    def __init__(self, spans: list[Span], lang: Language = ENGLISH, proper: frozenset[str] | set[str] = frozenset()
                 ) -> None:
        self._body = [_prepare(dehyphenate(span.text, lang)) for span in spans if span.section != "title"]
        self._title = [_prepare(dehyphenate(span.text, lang)) for span in spans if span.section == "title"]
        self._spans = self._body + self._title  # a title capitalises every word: only the body tells names
        self._keep_case = lang.capitalised_nouns  # German nouns keep their capital
        self._clitics = Proclitics(lang.code, lang.frequencies) if lang.code in PROCLITIC_LANGUAGES else None
        self._proper = proper  # lowercased words the text writes only Capitalised ("Ovar", "Markov")
        self._names: dict[str, bool] = {}

    def find(self, keys: tuple[str, ...]) -> tuple[str, str]:
        """(surface form, sentence) of the first of `keys` that is found, where it first occurs, or ("", "")."""
        # A key holding "İ" lowercased ("i" and a combining dot) is looked for as the aligned copy holds it too.
        forms: dict[str, None] = {}
        for key in dict.fromkeys(keys):  # the keys given repeat: a surface form is often its key
            spaced = " ".join(key.split())
            if spaced:
                forms[spaced] = None
                if _DOTTED_I in spaced:
                    forms[spaced.replace(_DOTTED_I, "i")] = None
        keys = tuple(forms)
        if not keys:  # an empty needle is found everywhere and names nothing
            return "", ""
        # The body before the title; in each, the keys in the order given (the concept's own name before its
        # aliases), each where it first occurs.
        for spans in (self._body, self._title):
            for key in keys:
                for text in spans:
                    found = _find_plain(text, key, self._clitics)
                    if found:
                        surface = text.original[found[0] : found[1]]
                        if self._clitics is not None:
                            surface = self._clitics.shown(surface, key)
                        return self._display(surface), _sentence(text, found[0], found[1])
        pattern = re.compile("|".join(_pattern(key) for key in keys), re.IGNORECASE)
        for text in self._spans:
            match = pattern.search(text.original)
            if match:
                return self._display(match.group(0)), _sentence(text, match.start(), match.end())
        return "", ""

    def _display(self, surface: str) -> str:
        if self._keep_case or surface.islower():  # a lowercase word is shown lowercase, name or not
            return " ".join(surface.split())
        # Keep acronyms, mixed case ("UDDI", "PlanetLab") and names; lowercase words capitalised only by position.
        # A name of several words is kept whole where the text writes it so inside a sentence and one of its words
        # only ever Capitalised ("the Free Software Foundation"; not "Machine Learning" of a conference's name in
        # the references, when the text writes "machine learning" too).
        words = surface.split()
        if (len(words) > 1 and words[0][:1].isupper() and any(lowercase(word) in self._proper for word in words)
                and self._written_inside(" ".join(words))):
            return " ".join(words)
        return " ".join(word if _mixed_case(word) or self._is_name(word) else lowercase(word) for word in words)

    def _written_inside(self, phrase: str) -> bool:
        return any(_inside_sentence(text.original, phrase, whole_name=True) for text in self._body)

    def _is_name(self, word: str) -> bool:
        """A word the text writes only Capitalised, and at least once inside a sentence ("in Ovar", not only
        "Tracking is…" at the start of sentences)."""
        lower = lowercase(word)
        if lower not in self._proper:
            return False
        known = self._names.get(lower)
        if known is None:
            known = self._names[lower] = any(_inside_sentence(text.original, word) for text in self._body)
        return known


def _prepare(text: str) -> _Text:
    original = " ".join(text.split())
    # Offsets into the lowercase copy are offsets into the original, where a name keeps its case ("NASA"): one
    # "İ" made the whole text lowercase.
    return _Text(original, lower_aligned(original), original.isascii() or _OTHER_SCRIPTS.search(original) is None)


def _find_plain(text: _Text, key: str, clitics: Proclitics | None = None) -> tuple[int, int] | None:
    lower = text.lower
    stem = key[:-1] + "ie" if key.endswith("y") else key
    needles = (key, stem) if clitics is None else (key, stem, *clitics.needles(key))
    for needle in dict.fromkeys(needles):
        if not needle:
            continue
        position = lower.find(needle)
        while position != -1:
            end = position + len(needle)
            if not text.plain and unspaced_edges(lower, position, end):  # Chinese or Japanese: no word boundary
                return position, end
            # After proclitics: "بالشبكة", "with" and "the network".
            if position == 0 or not lower[position - 1].isalnum() or (
                    clitics is not None and clitics.before(lower, position, end)):
                # No plural tail is longer than two characters: a third ends the look (from every occurrence
                # in a long run of word characters and apostrophes, the whole run would be scanned again).
                tail_end, limit = end, min(len(lower), end + _LONGEST_TAIL + 1)
                while tail_end < limit and (lower[tail_end].isalnum() or lower[tail_end] in "'’"):
                    tail_end += 1
                if lower[end:tail_end] in _PLURAL_TAILS:
                    return position, end if lower[end:tail_end] in ("", "'s", "’s") else tail_end
                if not text.plain and particle_after(lower, end):  # a Korean noun carries its particle: "신경망을"
                    return position, end
            position = lower.find(needle, position + 1)
    return None


def _pattern(key: str) -> str:
    parts = [f"{re.escape(w[:-1])}(?:y|ies)" if w.endswith("y") else f"{re.escape(w)}(?:e?s)?" for w in key.split()]
    return r"\b" + r"[\s\-]+".join(parts) + r"\b"


def _inside_sentence(text: str, word: str, *, whole_name: bool = False) -> bool:
    """Whether `word` occurs as a word of `text` (whose spaces `_prepare` made single) after another word of
    its sentence; each occurrence is looked at once. `whole_name`: and not followed by a capitalised word (then it
    is part of a longer name: "Free Software" of "the Free Software Foundation")."""
    position = text.find(word)
    while position != -1:
        end = position + len(word)
        whole = (position == 0 or not text[position - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
        before = position - 2 if position >= 2 and text[position - 1] == " " else position - 1
        longer = whole_name and text[end : end + 1] == " " and text[end + 1 : end + 2].isupper()
        if whole and before >= 0 and text[before] not in _OPENERS and not longer:
            return True
        position = text.find(word, end)
    return False


def _mixed_case(word: str) -> bool:
    return any(any(map(str.isupper, part[1:])) for part in word.split("-"))


def _sentence(prepared: _Text, start: int, end: int) -> str:
    text = prepared.original
    left = max(0, start - CONTEXT_CHARS // 2)
    stop = min(len(text), end + CONTEXT_CHARS)
    if prepared.plain:  # no full stop of another script: the three ASCII ones, found by `str.find`
        left = _last_stop_end(text, left, start)
        right = _first_stop_end(text, end, stop)
    else:
        ends = [m.end() for m in _SENTENCE_END.finditer(text, left, start)]
        left = ends[-1] if ends else left
        found = _SENTENCE_END.search(text, end, stop)
        right = found.end() if found else -1
    right = right if right >= 0 else min(len(text), end + CONTEXT_CHARS // 2)
    sentence = text[left:right].strip()
    return sentence if len(sentence) <= CONTEXT_CHARS else sentence[: CONTEXT_CHARS - 1].rstrip() + "…"


# In text with no full stop of another script `_SENTENCE_END` finds a ".", "!" or "?" before a space that is inside
# the span searched: these two find the same ends, as its `finditer` and `search` would (a regular expression took a
# third of the lookups' time).
def _last_stop_end(text: str, low: int, high: int) -> int:
    """The end of the last sentence end in `text[low:high]`, or `low` when none ends there."""
    while high > low:
        mark = max(text.rfind(".", low, high), text.rfind("!", low, high), text.rfind("?", low, high))
        if mark < 0:
            break
        if mark + 1 < high and text[mark + 1].isspace():
            return mark + 1
        high = mark
    return low


def _first_stop_end(text: str, low: int, high: int) -> int:
    """The end of the first sentence end in `text[low:high]`, or -1 when none ends there."""
    while low < high:
        marks = [mark for mark in (text.find(".", low, high), text.find("!", low, high), text.find("?", low, high))
                 if mark >= 0]
        if not marks:
            break
        mark = min(marks)
        if mark + 1 < high and text[mark + 1].isspace():
            return mark + 1
        low = mark + 1
    return -1
