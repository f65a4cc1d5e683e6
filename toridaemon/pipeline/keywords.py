"""The key terms a document gives itself: the list after a "Keywords" label on its front pages.

Papers, theses and reports in most languages name their key terms under the abstract ("Keywords: …", "Index
Terms—…", "Palabras clave: …", "Mots-clés : …", "关键词：…"): the author's own concepts, in the author's words.
`author_keywords` finds them; the scoring raises each (`scoring._KEYWORD_GAIN`), and an item that is no candidate
("técnicas de aprendizaje de máquina" holds two linkers) is counted whole (`candidates.add_keywords`). The label
itself is no term of the document: terms are counted, and database names matched, in its spans with the labels
blanked out.

- Where: in the first `FRONT_CHARS` of the text after the title, a label at the start of a line, Capitalised or in
  capitals ("keywords associated with ads" at a line's start is prose), followed by a colon, a dash or a full stop,
  or alone on its line; with none of these ("Keywords Solomon Islands, development, …") the list must hold two
  items. Inside a line, a label counts before a colon (text whose lines were joined: "… data analysis Keywords:
  gene network; …").
- How far: to a blank line, a line ending in a full stop, or a numbered heading ("2 Contexto"; the headings
  `split_sections` knows end the span). Items are separated by commas, semicolons, middle dots, spaced dashes or
  full stops; one of more words than a key term has ends the list, which ran into prose ("small world Introduction
  The human brain is a large, …").
- Which: an item counts where its words occur in the text outside the lists. A Spanish paper's English "Keywords"
  are a translation of its terms, not its terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

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
_LINE_LABEL = re.compile(
    rf"^[ \t]*(?P<label>{alternation(_LABELS)})[ \t]*(?P<mark>[:：]|[—–]|-{{1,2}}|\.)?[ \t]*(?P<alone>\n)?",
    re.IGNORECASE | re.MULTILINE,
)
_FIRSTS = frozenset(label[0].upper() for label in _LABELS) | {" ", "\t"}
_NONBLANK = re.compile(r"\S+")
_LAST_WORDS = frozenset(label.split()[-1] for label in _LABELS)
_LABEL_WINDOW = max(map(len, _LABELS)) + 8  # characters before a colon that hold a label, blanks and all
# Commas, semicolons, middle dots and bullets (also their full-width forms), a dash between blanks, a full stop
# before a blank ("Del.icio.us" is one item).
_SEPARATOR = re.compile(r"[,;·•∙|，、；]|\.(?=\s|$)|\s[-–—]\s")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W_]+")
_EDGES = " \t'\"“”‘’«»()[]{}*"


@dataclass(frozen=True, slots=True)
class Listing:
    """The keywords a document lists, each with the section of the span that lists it, in order, once each; and
    its spans with each label blanked out, to count terms in: "Keywords" and "Palabras clave" are no terms of it."""

    keywords: list[tuple[str, str]]
    spans: list[Span]


def author_keywords(spans: list[Span]) -> Listing:
    """The `Listing` of a document's spans."""
    listed: list[tuple[str, str]] = []
    labels: dict[int, list[tuple[int, int]]] = {}  # span index → where its labels are
    front = [(index, span) for index, span in enumerate(spans) if span.section != "title"]
    for index, text in _opening(front, FRONT_CHARS):
        for start, end, items in _lists(text):
            labels.setdefault(index, []).append((start, end))
            listed += [(item, spans[index].section) for item in items]
        if len(listed) >= _MAX_LISTED:  # a hostile front page of labels: each item is looked for in the text
            break
    if not listed:
        return Listing([], spans)
    text = lowercase("\n".join(text for _, text in _opening(list(enumerate(spans)), _CHECKED_CHARS)))
    in_lists = lowercase("\n".join(item for item, _ in listed))
    found: dict[str, tuple[str, str]] = {}
    for item, section in listed[:_MAX_LISTED]:
        if lowercase(item) not in found and _used(lowercase(item), text, in_lists):
            found[lowercase(item)] = (item, section)
    unlabelled = [replace(span, text=_blanked(span.text, labels[index])) if index in labels else span
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


def _blanked(text: str, ranges: list[tuple[int, int]]) -> str:
    pieces, done = [], 0
    for start, end in ranges:
        pieces += [text[done:start], " " * (end - start)]
        done = end
    return "".join(pieces) + text[done:]


def _lists(text: str) -> Iterable[tuple[int, int, list[str]]]:
    """Where each label of `text` is, and the items of its list: after a label at a line's start, or inside a line
    before a colon ("… data analysis Keywords: gene network; …", of text whose lines were joined). Matching the
    labels at every position of a text took some 60 µs a news article, these two scans a sixth of that."""
    found = []
    for match in _line_labels(text):
        if match.group("label")[:1].islower():  # a sentence's word at a line's start, not a label
            continue
        marked = match.group("mark") is not None or match.group("alone") is not None
        items = _items(_list_text(text, match.end()))
        if items and (marked or len(items) >= _MIN_ITEMS_UNMARKED):
            found.append((match.start("label"), match.end("label"), items))
    for colon in _colons(text):
        start = _label_before(text, colon)
        if start is not None and (items := _items(_list_text(text, colon + 1))):
            found.append((start, colon, items))
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
    and not at the start of its line (`_LINE_LABEL` finds that one); None if there is none."""
    window = max(0, colon - _LABEL_WINDOW)
    last = text[window:colon].split()[-1:]
    if not last or lowercase(last[0]) not in _LAST_WORDS:  # most colons: a time, a ratio, "Source:"
        return None
    words = list(_NONBLANK.finditer(text, window, colon))
    lower = lowercase(" ".join(word.group() for word in words))
    if not lower.endswith(_LABELS):
        return None
    label = next(label for label in _LABELS if lower.endswith(label))
    count = label.count(" ") + 1
    if len(words) < count or lowercase(" ".join(word.group() for word in words[-count:])) != label:
        return None  # the label's end inside a longer word ("Monkeywords")
    start = words[-count].start()
    if (start > 0 and not text[start - 1].isspace()) or text[start].islower():
        return None
    return start if text[text.rfind("\n", 0, start) + 1 : start].strip() else None


def _list_text(text: str, start: int) -> str:
    """The lines of the list that starts at `start`, joined: up to a blank line after it, a numbered heading, or a
    line that ends in a full stop."""
    lines: list[str] = []
    for line in text[start : start + _MAX_LIST_CHARS].split("\n"):
        stripped = line.strip()
        if not stripped:
            if lines:
                break
            continue  # the label alone on its line, a blank line, then the list
        if lines and stripped[0].isdigit():  # a numbered heading: the headings `split_sections` knows end the span
            break
        lines.append(stripped)
        if stripped.endswith((".", "。")):
            break
    return " ".join(lines)


def _items(text: str) -> list[str]:
    """The items of a list's text, up to the first that is no key term (prose the list ran into, an address)."""
    items: list[str] = []
    for piece in _SEPARATOR.split(text)[:_MAX_ITEMS]:
        item = " ".join(piece.strip(_EDGES).split())
        if not item:
            continue
        if (len(item.split()) > _MAX_ITEM_WORDS or len(item) > _MAX_ITEM_CHARS or not _LETTER.search(item)
                or "@" in item or "://" in item):
            break
        items.append(item)
    return items


def _used(item: str, text: str, in_lists: str) -> bool:
    """Whether the words of a (lowercase) item occur in the `text` more often than in the lists' items: each of
    `_OWN_LETTERS` letters or more, or its only ones (Chinese and Japanese items are one run of letters, written
    inside longer runs)."""
    words = _WORD.findall(item)
    long_words = [word for word in words if len(word) >= _OWN_LETTERS] or words
    return bool(long_words) and all(text.count(word) > in_lists.count(word) for word in long_words)
