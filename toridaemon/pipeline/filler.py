"""Placeholder text (lorem ipsum, blindtext) taken out of a document before its candidates are counted.

A document holds placeholder text when one of its words is found only in such text (`FILLER_MARKS` for lorem
ipsum, `BLINDTEXT_MARKS` for blindtext, checked against the tokens the candidate pass has read anyway, so other
documents pay nothing more), and only the kinds it holds are taken out. Lorem ipsum: each run of text between
punctuation marks and line ends goes when at least 60 % of its words are placeholder words (`LIPSUM`). That is
every run of the lipsum package's 150 paragraphs, and 0.9 % of the runs of the keyphrase sets' real text, nearly all
a lone "a", "in" or "ac". The blindtext package's text is in English or German, in common words: its sentences
(`BLINDTEXT`) go whole, wherever its lines break, and so does a piece of one that a line break (`_MIN_RUN` words
or more) or the text's own start or end (`_MIN_EDGE_RUN`) parts from the rest of it, when it holds a word ordinary
text seldom uses (a figure, a listing or a page may cut a sentence in two); a sentence that only starts the same
stays ("There is no need for special hardware", "No information is lost").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from functools import cache
from typing import Literal

import wordfreq

from toridaemon.pipeline.language.resources import BLINDTEXT, BLINDTEXT_MARKS, FILLER_MARKS, LIPSUM
from toridaemon.pipeline.sections import Span

Filler = Literal["lipsum", "blindtext"]
MIN_SHARE = 0.6
_RUN = re.compile(r"[^\n.!?;:]+")
_WORD = re.compile(r"[^\W\d_]+")
_MIN_RUN = 4  # words of a blindtext sentence in a row that go where a line break cuts the sentence
_MIN_EDGE_RUN = 2  # the same, where the text itself starts or ends
_COMMON_ZIPF = 4.5  # "printed", "nonsense" and "Buchstaben" are under it; "information" and "need" are not


def _forms(marks: Iterable[str]) -> frozenset[str]:
    return frozenset(form for mark in marks for form in (mark, mark.capitalize(), mark.upper()))


_MARKS: tuple[tuple[Filler, frozenset[str]], ...] = (("lipsum", _forms(FILLER_MARKS)),
                                                      ("blindtext", _forms(BLINDTEXT_MARKS)))


def holds_filler(tokens: AbstractSet[str]) -> frozenset[Filler]:
    """The kinds of placeholder text a document's word tokens (as written) hold a word of, that only they use."""
    return frozenset(kind for kind, forms in _MARKS if not forms.isdisjoint(tokens))


def without_filler(spans: list[Span], kinds: frozenset[Filler]) -> list[Span]:
    """The spans with their placeholder text of the `kinds` removed."""
    return [Span(span.section, span.page, _without(span.text, kinds)) for span in spans]


def _without(text: str, kinds: frozenset[Filler]) -> str:
    if "blindtext" in kinds:
        text = _without_blindtext(text)
    return _RUN.sub(_unless_filler, text) if "lipsum" in kinds else text


def _unless_filler(run: re.Match[str]) -> str:
    words = _WORD.findall(run.group().lower())
    filler = bool(words) and sum(word in LIPSUM for word in words) >= MIN_SHARE * len(words)
    return "" if filler else run.group()


def _without_blindtext(text: str) -> str:
    """`text` with each blindtext sentence (`BLINDTEXT`) cut out, wherever its lines break or print hyphenates it,
    and each piece of one that a break cuts from the rest of it (see `_whole_or_cut`)."""
    words = [(match.start(), match.end(), _plain(match.group())) for match in _WORD.finditer(text)]
    kept, done, at = [], 0, 0
    while at < len(words):
        end = _blindtext_from(text, words, at)
        if end is None:
            at += 1
            continue
        kept.append(text[done : words[at][0]])
        done, at = words[end - 1][1], end
    return " ".join([*kept, text[done:]]) if kept else text


def _blindtext_from(text: str, words: list[tuple[int, int, str]], at: int) -> int | None:
    """The index after the longest blindtext read from word `at` on, or None."""
    best = None
    for sentence, start in _BY_WORD.get(words[at][2], ()):
        end, read = _read(sentence[start:], words, at)
        whole_or_cut = _whole_or_cut(text, words, (at, end), start=start, read=read, length=len(sentence))
        if whole_or_cut and (best is None or end > best):
            best = end
    return best


def _whole_or_cut(text: str, words: list[tuple[int, int, str]], span: tuple[int, int], *, start: int, read: int,
                  length: int) -> bool:
    """Whether `read` words of a sentence of `length`, from its word `start` on, read at words `span`, are all of
    it, or a piece that holds a word ordinary text seldom uses and, on each side it is cut, ends at a line break
    (`_MIN_RUN` words or more) or at the text's own start or end (`_MIN_EDGE_RUN`)."""
    cut_before, cut_after = start > 0, start + read < length
    if not (cut_before or cut_after):
        return True
    # "No information" at a page's start, "There is no need" before a line break: no uncommon word, they stay.
    at_an_edge = (not cut_before or span[0] == 0) and (not cut_after or span[1] == len(words))
    return read >= (_MIN_EDGE_RUN if at_an_edge else _MIN_RUN) and (
        not cut_before or _line_break(text, words, span[0])) and (
        not cut_after or _line_break(text, words, span[1])) and any(
        words[at][2] in _uncommon_words() for at in range(*span))


def _line_break(text: str, words: list[tuple[int, int, str]], at: int) -> bool:
    """Whether a line ends (or the text does) between word `at` and the one before it."""
    if at == 0 or at == len(words):
        return True
    return "\n" in text[words[at - 1][1] : words[at][0]]


def _read(sentence: tuple[str, ...], words: list[tuple[int, int, str]], at: int) -> tuple[int, int]:
    """The index after the words from `at` that read as the start of `sentence`, and how many of its words they
    are. A word may be printed in two pieces ("gef- burn", "spe- cial", "m ̈oglichst"), and take a plural "s"."""
    read = 0
    for word in sentence:
        if at >= len(words):
            break
        found = words[at][2]
        if found in (word, word + "s"):
            at += 1
        elif at + 1 < len(words) and word == found + words[at + 1][2]:
            at += 2
        else:
            break
        read += 1
    return at, read


@cache
def _uncommon_words() -> frozenset[str]:
    """The blindtext words (`_plain`) under `_COMMON_ZIPF` in English and in German: "alphabet", "font", "Grauwert"."""
    return frozenset(_plain(word) for sentence in BLINDTEXT for word in sentence.split()
                     if max(wordfreq.zipf_frequency(word, code) for code in ("en", "de")) < _COMMON_ZIPF)


def _plain(word: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(char))


def _by_word(sentences: Iterable[str]) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """Each word of the sentences: the sentences holding it, and where."""
    found: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for sentence in sentences:
        words = tuple(_plain(word) for word in sentence.split())
        for index, word in enumerate(words):
            found.setdefault(word, []).append((words, index))
    return found


_BY_WORD = _by_word(BLINDTEXT)
