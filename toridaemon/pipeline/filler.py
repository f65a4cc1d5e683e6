"""Placeholder text (lorem ipsum) taken out of a document before its candidates are counted.

A document holds placeholder text when one of its words is found only in such text (`FILLER_MARKS`, checked
against the tokens the candidate pass has read anyway, so other documents pay nothing more). Then each run of
text between punctuation marks and line ends goes when at least 60 % of its words are placeholder words
(`LIPSUM`). That is every run of the lipsum package's 150 paragraphs, and 0.9 % of the runs of the keyphrase
sets' real text, nearly all a lone "a", "in" or "ac".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from toridaemon.pipeline.language.resources import FILLER_MARKS, LIPSUM
from toridaemon.pipeline.sections import Span

MIN_SHARE = 0.6
_MARK_FORMS = frozenset(form for mark in FILLER_MARKS for form in (mark, mark.capitalize(), mark.upper()))
_RUN = re.compile(r"[^\n.!?;:]+")
_WORD = re.compile(r"[^\W\d_]+")


def holds_filler(tokens: Iterable[str]) -> bool:
    """Whether any of a document's word tokens (as written) is a word of placeholder text only."""
    return not _MARK_FORMS.isdisjoint(tokens)


def without_filler(spans: list[Span]) -> list[Span]:
    """The spans with their runs of placeholder text removed."""
    return [Span(span.section, span.page, _RUN.sub(_unless_filler, span.text)) for span in spans]


def _unless_filler(run: re.Match[str]) -> str:
    words = _WORD.findall(run.group().lower())
    filler = bool(words) and sum(word in LIPSUM for word in words) >= MIN_SHARE * len(words)
    return "" if filler else run.group()
