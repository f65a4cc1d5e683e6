"""The key terms a document gives itself: the list after a "Keywords" label on its front pages.

Papers, theses and reports in most languages name their key terms under the abstract ("Keywords: …", "Index
Terms—…", "Palabras clave: …", "Mots-clés : …", "关键词：…"): the author's own concepts, in the author's words.
`author_keywords` finds them; the scoring raises each (`scoring._KEYWORD_GAIN`), and an item that is no candidate
("técnicas de aprendizaje de máquina" holds two linkers) is counted whole (`candidates.add_keywords`). The label
itself is no term of the document: terms are counted, and database names matched, in its spans with the labels
blanked out.

- Where: in the first `FRONT_CHARS` of the text after the title, a label at the start of a line, Capitalised or in
  capitals ("keywords associated with ads" at a line's start is prose), followed by a colon, a dash or a full stop,
  or alone on its line; with none of these ("Keywords Solomon Islands, development, …") the label's line must
  hold two items or more. Inside a line, a label counts before a colon (text whose lines were joined: "… data
  analysis Keywords: gene network; …").
- How far: to a blank line, a line ending in a full stop, a numbered heading ("2 Contexto"; the headings
  `split_sections` knows end the span) or a line that opens another field ("© 2020 Elsevier", "JEL
  classification: C11"). Items are separated by commas, semicolons, middle dots, spaced dashes or full stops (not
  after one letter: "E. coli"), and wrap over lines; a list without separators has an item a line (or, in Chinese
  and Japanese, between blanks). An item of more words than a key term has ends the list, which ran into prose
  ("small world Introduction The human brain is a large, …").
- Which: an item counts where its words occur in the text outside the lists. A Spanish paper's English "Keywords"
  are a translation of its terms, not its terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from toridaemon.pipeline.candidates import ENGLISH, dehyphenate
from toridaemon.pipeline.language import Language
from toridaemon.pipeline.language.unspaced import unspaced_char
from toridaemon.pipeline.native import lowercase
from toridaemon.pipeline.sections import Span, alternation

FRONT_CHARS = 8000  # of the text after the title: keywords follow the abstract, on the first pages
_MAX_LIST_CHARS = 600
_MAX_ITEMS = 30  # of one list
_MAX_LISTED = 60  # of all lists
_MAX_ITEM_WORDS = 6
_MAX_ITEM_CHARS = 80
_MIN_ITEMS_UNMARKED = 2
_CHECKED_CHARS = 100_000  # the words of a keyword are looked for in this much of the text
_OWN_LETTERS = 4  # a word this long or longer must occur outside the list; shorter ones ("de", "of") need not

# Labels in the languages of `language.resources` and more, lowercase; a space matches any run of blanks.
_LABELS = (
    "keywords", "key words", "key-words", "index terms", "author keywords", "keyphrases", "key phrases",
    "schlüsselwörter", "schlagwörter", "stichwörter", "schlüsselbegriffe", "mots-clés", "mots clés", "mots-clefs",
    "mots clefs", "palabras clave", "palabras claves", "palabras-clave", "palavras-chave", "palavras chave",
    "parole chiave", "parole-chiave", "trefwoorden", "sleutelwoorden", "kernwoorden", "paraules clau",
    "słowa kluczowe", "klíčová slova", "kľúčové slová", "kulcsszavak", "cuvinte cheie",
    "cuvinte-cheie", "nyckelord", "nøgleord", "nøkkelord", "emneord", "avainsanat", "asiasanat", "ključne riječi",
    "ključne reči", "ključne besede", "raktiniai žodžiai", "atslēgvārdi", "märksõnad", "ключевые слова",
    "ключові слова", "ключови думи", "кључне речи", "λέξεις-κλειδιά", "λέξεις κλειδιά", "anahtar kelimeler",
    "anahtar sözcükler", "kata kunci", "từ khóa", "từ khoá", "关键词", "關鍵詞", "关键字", "關鍵字", "キーワード",
    "키워드", "주제어", "핵심어", "الكلمات المفتاحية", "كلمات مفتاحية", "الكلمات الدالة", "واژگان کلیدی",
    "کلیدواژه‌ها", "מילות מפתח",
)
# A hyphen marks a label before a blank only: "Keywords-based segmentation" is prose.
_LINE_LABEL = re.compile(
    rf"^[ \t]*(?P<label>{alternation(_LABELS)})[ \t]*(?P<mark>[:：]|[—–]|-{{1,2}}(?=\s)|\.)?[ \t]*(?P<alone>\n)?",
    re.IGNORECASE | re.MULTILINE,
)
_FIRSTS = frozenset(label[0].upper() for label in _LABELS) | {" ", "\t"}
_NONBLANK = re.compile(r"\S+")
_LAST_WORDS = frozenset(label.split()[-1] for label in _LABELS)
_LONGEST_FIRST = sorted(_LABELS, key=len, reverse=True)
_NUMBERED = re.compile(r"\d{1,2}(?:\.\d{1,2})*\.?\s")  # "1 Introducción", "2.1. Datos"; not "3D printing"
_LABEL_WINDOW = max(map(len, _LABELS)) + 8  # characters before a colon that hold a label, blanks and all
# Commas, semicolons, middle dots and bullets (also their full-width forms), a dash between blanks, a full stop
# before a blank but after a word of one letter ("Del.icio.us", "E. coli" and "U.S. economy" are one item each).
_SEPARATOR = re.compile(r"[,;·•∙|，、；]|(?<![\s.]\w)(?<!^\w)\.(?=\s|$)|\s[-–—]\s")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W_]+")
_EDGES = " \t'\"“”‘’«»()[]{}*"


@dataclass(frozen=True, slots=True)
class Listing:
    """The keywords a document lists, each with the section of the span that lists it, in order, once each; and
    its spans with each label blanked out, to count terms in: "Keywords" and "Palabras clave" are no terms of it."""

    keywords: list[tuple[str, str]]
    spans: list[Span]


class _List(NamedTuple):
    label: int  # where its label starts
    items_start: int  # where the label ends
    end: int  # where its last line ends
    items: list[str]


def author_keywords(spans: list[Span], lang: Language = ENGLISH) -> Listing:
    """The `Listing` of a document's spans in language `lang` (its words join lines hyphenated in a list)."""
    listed: list[tuple[str, str]] = []
    lists: dict[int, list[_List]] = {}  # span index → its lists
    front = [(index, span) for index, span in enumerate(spans) if span.section != "title"]
    for index, text in _opening(front, FRONT_CHARS):
        for found_list in _lists(text, lang):
            lists.setdefault(index, []).append(found_list)
            listed += [(item, spans[index].section) for item in found_list.items]
        if len(listed) >= _MAX_LISTED:  # a hostile front page of labels: each item is looked for in the text
            break
    if not listed:
        return Listing([], spans)
    outside = lowercase("\n".join(_cut(text, [(each.label, each.end) for each in lists.get(index, [])])
                                  for index, text in _opening(list(enumerate(spans)), _CHECKED_CHARS)))
    found: dict[str, tuple[str, str]] = {}
    for item, section in listed[:_MAX_LISTED]:
        if lowercase(item) not in found and _used(lowercase(item), outside):
            found[lowercase(item)] = (item, section)
    unlabelled = [replace(span, text=_cut(span.text, [(each.label, each.items_start) for each in lists[index]],
                                          blank=True)) if index in lists else span
                  for index, span in enumerate(spans)]
    return Listing(list(found.values()), unlabelled)


def _opening(spans: list[tuple[int, Span]], chars: int) -> list[tuple[int, str]]:
    """The spans' indices with their texts, up to `chars` characters in all."""
    opening = []
    for index, span in spans:
        if chars <= 0:
            break
        opening.append((index, span.text[:chars]))
        chars -= len(span.text)
    return opening


def _cut(text: str, ranges: list[tuple[int, int]], *, blank: bool = False) -> str:
    """`text` without the (sorted) `ranges`, or with them `blank`ed in place (its length stays)."""
    pieces, done = [], 0
    for start, end in ranges:
        begin = max(start, done)  # overlapping ranges go once
        pieces += [text[done:begin], " " * max(0, end - begin) if blank else ""]
        done = max(done, end)
    return "".join(pieces) + text[done:]


def _lists(text: str, lang: Language) -> list[_List]:
    """The lists of `text`: after a label at a line's start, or inside a line before a colon ("… data analysis
    Keywords: gene network; …", of text whose lines were joined). Matching the labels at every position of a text
    took some 60 µs a news article, these two scans a sixth of that."""
    found = []
    for match in _line_labels(text):
        label, after = match.group("label"), match.end("label")
        if label[:1].islower():  # a sentence's word at a line's start, not a label
            continue
        lines, end = _list_lines(text, match.end())
        marked = match.group("mark") is not None or match.group("alone") is not None
        # Without a mark, only a line of items after a blank is a list: "Keywords in Development" is a heading,
        # "Keywords-based segmentation, …" a sentence.
        if lines and (marked or (text[after : after + 1].isspace() and _SEPARATOR.search(lines[0]))):
            items = _items(lines, lang)
            if items and (marked or len(items) >= _MIN_ITEMS_UNMARKED):
                found.append(_List(match.start("label"), after, end, items))
    for colon in _colons(text):
        start = _label_before(text, colon)
        if start is not None:
            lines, end = _list_lines(text, colon + 1)
            if items := _items(lines, lang):
                found.append(_List(start, colon, end, items))
    return sorted(found)


def _line_labels(text: str) -> Iterable[re.Match[str]]:
    """`_LINE_LABEL`'s matches, tried only at the lines that start with a blank or with a label's first letter in
    capitals: scanning every position took twice as long."""
    at = 0
    while True:
        if text[at : at + 1] in _FIRSTS and (match := _LINE_LABEL.match(text, at)):
            yield match
        at = text.find("\n", at) + 1
        if not at:
            return


def _colons(text: str) -> Iterable[int]:
    """Where the colons of `text` are (full-width ones too): found by `str.find`, which took a tenth of the time a
    regular expression did."""
    for colon in (":", "："):
        at = text.find(colon)
        while at >= 0:
            yield at
            at = text.find(colon, at + 1)


def _label_before(text: str, colon: int) -> int | None:
    """Where a label starts that ends right before the colon at `colon` (blanks between allowed), not lowercase
    and not at the start of its line (`_LINE_LABEL` finds that one); None if there is none. Of labels ending
    alike ("Author Keywords", "Keywords") the longest is the one."""
    window = max(0, colon - _LABEL_WINDOW)
    last = text[window:colon].split()[-1:]
    if not last or _folded(last[0]) not in _LAST_WORDS:  # most colons: a time, a ratio, "Source:"
        return None
    words = list(_NONBLANK.finditer(text, window, colon))
    for label in _LONGEST_FIRST:
        count = label.count(" ") + 1
        if len(words) >= count and _folded(" ".join(word.group() for word in words[-count:])) == label:
            start = words[-count].start()
            if (start > 0 and not text[start - 1].isspace()) or text[start].islower():
                return None
            return start if text[text.rfind("\n", 0, start) + 1 : start].strip() else None
    return None


def _folded(text: str) -> str:
    """`text` lowercased as a label is matched: the Turkish "İ" as "i" ("ANAHTAR KELİMELER"), not "i̇"."""
    return lowercase(text.replace("\u0130", "I"))


def _list_lines(text: str, start: int) -> tuple[list[str], int]:
    """The lines of the list that starts at `start`, and where the last one ends: up to a blank line after it, a
    line that ends in a full stop, a numbered heading ("2 Contexto"; the headings `split_sections` knows end the
    span), or a line that opens another field: "© 2020 Elsevier", "JEL classification: C11", "ACM Reference
    Format:", "中图分类号：TP391"."""
    lines: list[str] = []
    end = at = start
    for line in text[start : start + _MAX_LIST_CHARS].split("\n"):
        stripped = line.strip()
        if stripped and lines and (_NUMBERED.match(stripped) or stripped[0] == "©" or ":" in stripped
                                   or "：" in stripped):
            break
        at += len(line) + 1
        if not stripped:
            if lines:
                break
            continue  # the label alone on its line, a blank line, then the list
        lines.append(stripped)
        end = at - 1
        if stripped.endswith((".", "。")):
            break
    return lines, min(end, len(text))


def _items(lines: list[str], lang: Language) -> list[str]:
    """The items of a list's lines, up to the first that is no key term (prose the list ran into, an address).
    Items separated by commas and the like may wrap over lines ("Técnicas de aprendizaje⏎de máquina", "segmen-⏎
    tation"); without separators, each line is an item (Elsevier's article-info box), or in Chinese and Japanese
    each run between blanks ("深度学习 神经网络")."""
    text = "\n".join(lines)
    if _SEPARATOR.search(text):
        pieces = _SEPARATOR.split(dehyphenate(text, lang))
    elif len(lines) > 1:
        pieces = lines
    else:
        pieces = text.split() if any(map(unspaced_char, text)) else [text]
    items: list[str] = []
    for piece in pieces[:_MAX_ITEMS]:
        item = " ".join(piece.strip(_EDGES).split())
        if not item:
            continue
        if (len(item.split()) > _MAX_ITEM_WORDS or len(item) > _MAX_ITEM_CHARS or not _LETTER.search(item)
                or "@" in item or "://" in item):
            break
        items.append(item)
    return items


def _used(item: str, outside: str) -> bool:
    """Whether the words of a (lowercase) item occur in the text `outside` the lists: each of `_OWN_LETTERS`
    letters or more, or its only ones (Chinese and Japanese items are one run of letters, written inside longer
    runs)."""
    words = _WORD.findall(item)
    long_words = [word for word in words if len(word) >= _OWN_LETTERS] or words
    return bool(long_words) and all(word in outside for word in long_words)
