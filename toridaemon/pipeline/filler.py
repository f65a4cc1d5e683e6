"""Placeholder text (lorem ipsum, blindtext) taken out of a document before its candidates are counted.

A document holds placeholder text when one of its words is found only in such text (`FILLER_MARKS`,
`BLINDTEXT_MARKS`, checked against the tokens the candidate pass has read anyway, so other documents pay nothing
more). Then each run of text between punctuation marks and line ends goes when at least 60 % of its words are
placeholder words (`LIPSUM`). That is every run of the lipsum package's 150 paragraphs, and 0.9 % of the runs of
the keyphrase sets' real text, nearly all a lone "a", "in" or "ac". The blindtext package's text is in English or
German, in common words: its sentences (`BLINDTEXT`) go whole, wherever its lines break.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from toridaemon.pipeline.language.resources import BLINDTEXT, BLINDTEXT_MARKS, FILLER_MARKS, LIPSUM
from toridaemon.pipeline.sections import Span

MIN_SHARE = 0.6
_MARK_FORMS = frozenset(form for mark in FILLER_MARKS | BLINDTEXT_MARKS
                        for form in (mark, mark.capitalize(), mark.upper()))
_RUN = re.compile(r"[^\n.!?;:]+")
_WORD = re.compile(r"[^\W\d_]+")
_ANY_WORD = "*"
_MIN_RUN = 4  # words of a blindtext sentence in a row that are blindtext, where a sentence is cut


def holds_filler(tokens: Iterable[str]) -> bool:
    """Whether any of a document's word tokens (as written) is a word of placeholder text only."""
    return not _MARK_FORMS.isdisjoint(tokens)


def without_filler(spans: list[Span]) -> list[Span]:
    """The spans with their runs of placeholder text removed."""
    return [Span(span.section, span.page, _RUN.sub(_unless_filler, _without_blindtext(span.text))) for span in spans]


def _unless_filler(run: re.Match[str]) -> str:
    words = _WORD.findall(run.group().lower())
    filler = bool(words) and sum(word in LIPSUM for word in words) >= MIN_SHARE * len(words)
    return "" if filler else run.group()


def _without_blindtext(text: str) -> str:
    """`text` with each blindtext sentence (`BLINDTEXT`) cut out, wherever its lines break or print hyphenates it,
    and each run of `_MIN_RUN` of its words or more: a figure, a listing or a page may cut a sentence in two."""
    words = [(match.start(), match.end(), _plain(match.group())) for match in _WORD.finditer(text)]
    kept, done, at = [], 0, 0
    while at < len(words):
        end = _blindtext_from(words, at)
        if end is None:
            at += 1
            continue
        kept.append(text[done : words[at][0]])
        done, at = words[end - 1][1], end
    return " ".join([*kept, text[done:]]) if kept else text


def _blindtext_from(words: list[tuple[int, int, str]], at: int) -> int | None:
    """The index after the longest blindtext read from word `at` on, or None."""
    best = None
    for sentence, start in _BY_WORD.get(words[at][2], ()):
        end, read = _read(sentence[start:], words, at)
        if read >= min(_MIN_RUN, len(sentence)) and (best is None or end > best):
            best = end
    return best


def _read(sentence: tuple[str, ...], words: list[tuple[int, int, str]], at: int) -> tuple[int, int]:
    """The index after the words from `at` that read as the start of `sentence`, and how many of its words they
    are. A word may be printed in two pieces ("gef- burn", "spe- cial", "m ̈oglichst"), and take a plural "s"."""
    read = 0
    for word in sentence:
        if at >= len(words):
            break
        found = words[at][2]
        if word == _ANY_WORD or found in (word, word + "s"):
            at += 1
        elif at + 1 < len(words) and word == found + words[at + 1][2]:
            at += 2
        else:
            break
        read += 1
    return at, read


def _plain(word: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(char))


def _by_word(sentences: Iterable[str]) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """Each word of the sentences: the sentences holding it, and where."""
    found: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for sentence in sentences:
        words = tuple(_plain(word) for word in sentence.split())
        for index, word in enumerate(words):
            if word != _ANY_WORD:
                found.setdefault(word, []).append((words, index))
    return found


_BY_WORD = _by_word(BLINDTEXT)
