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

from toridaemon.pipeline.candidates import ENDED_LINE_ROOM, ENGLISH, dehyphenate, full_line, lower_aligned
from toridaemon.pipeline.language import Language
from toridaemon.pipeline.language.korean import hangul
from toridaemon.pipeline.language.unspaced import unspaced_char
from toridaemon.pipeline.native import lowercase
from toridaemon.pipeline.sections import Span, alternation

FRONT_CHARS = 8000  # of the text: keywords follow the abstract, on the first pages
_MAX_LIST_CHARS = 600
_MAX_ITEMS = 30  # of one list
_MAX_LISTED = 60  # of all lists
_MAX_ITEM_WORDS = 6
_MAX_ITEM_CHARS = 80
_MIN_ITEMS_UNMARKED = 2
_CHECKED_CHARS = 100_000  # the words of a keyword are looked for in this much of the text
_OWN_LETTERS = 4  # a word this long or longer must occur outside the list; shorter ones ("de", "of") need not

# Labels per language (ISO 639-1), lowercase; a space matches any run of blanks.
_LABELS_OF = {
    "en": ("keywords", "key words", "key-words", "index terms", "author keywords", "keyphrases", "key phrases",
           "keywords and phrases", "key words and phrases", "additional key words and phrases"),
    "de": ("schlüsselwörter", "schlagwörter", "schlagworte", "stichwörter", "stichworte", "schlüsselbegriffe"),
    "fr": ("mots-clés", "mots clés", "mots-clefs", "mots clefs"),
    "es": ("palabras clave", "palabras claves", "palabras-clave", "descriptores"),
    "pt": ("palavras-chave", "palavras chave", "descritores", "unitermos"),
    "it": ("parole chiave", "parole-chiave"),
    "nl": ("trefwoorden", "sleutelwoorden", "kernwoorden"),
    "ca": ("paraules clau",), "pl": ("słowa kluczowe",), "cs": ("klíčová slova",), "sk": ("kľúčové slová",),
    "hu": ("kulcsszavak",), "ro": ("cuvinte cheie", "cuvinte-cheie"), "sv": ("nyckelord",), "da": ("nøgleord",),
    "nb": ("nøkkelord", "emneord"), "fi": ("avainsanat", "asiasanat"), "hr": ("ključne riječi",),
    "sr": ("ključne reči", "кључне речи"), "sl": ("ključne besede",), "lt": ("raktiniai žodžiai",),
    "lv": ("atslēgvārdi",), "et": ("märksõnad",), "ru": ("ключевые слова",), "uk": ("ключові слова",),
    "bg": ("ключови думи",), "el": ("λέξεις-κλειδιά", "λέξεις κλειδιά"),
    "tr": ("anahtar kelimeler", "anahtar sözcükler"), "id": ("kata kunci",), "vi": ("từ khóa", "từ khoá"),
    "zh": ("关键词", "關鍵詞", "关键字", "關鍵字"),
    "ja": ("キーワード",), "ko": ("키워드", "주제어", "핵심어"),
    "ar": ("الكلمات المفتاحية", "كلمات مفتاحية", "الكلمات الدالة"), "fa": ("واژگان کلیدی", "کلیدواژه‌ها"),
    "he": ("מילות מפתח",),
}
_KIN = {"bs": "hr", "sr": "hr", "no": "nb", "nn": "nb", "ms": "id"}  # one language's labels serve the others
_UNSPACED_LABELS = tuple(label for labels in _LABELS_OF.values() for label in labels
                         if all(unspaced_char(char) or hangul(char) for char in label))
_LANGUAGE_OF = {label: code for code, labels in _LABELS_OF.items() for label in labels}
# Chinese, Japanese and Korean labels are often set with their letters spaced out ("关 键 词").
_LANGUAGE_OF.update({" ".join(label): _LANGUAGE_OF[label] for label in _UNSPACED_LABELS})
_LABELS = tuple(_LANGUAGE_OF)
# A hyphen marks a label before a blank only ("Keywords-based segmentation" is prose); a bracket may enclose it
# ("【关键词】", "[Keywords]").
_LINE_LABEL = re.compile(
    rf"^[ \t]*[(\[【〔（]?(?P<label>{alternation(_LABELS)})[ \t]*"
    rf"(?P<mark>[:：]|[—–]|-{{1,2}}(?=\s)|\.|[)\]】〕）])?[ \t]*(?P<alone>\n)?",
    re.IGNORECASE | re.MULTILINE,
)
_FIRSTS = frozenset(label[0].upper() for label in _LABELS) | frozenset(" \t([【〔（")
_NONBLANK = re.compile(r"\S+")
_LAST_WORDS = frozenset(label.split()[-1] for label in _LABELS)
_LONGEST_FIRST = sorted(_LABELS, key=len, reverse=True)
_NUMBERED = re.compile(r"\d{1,2}(?:\.\d{1,2})*\.?\s")  # "1 Introducción", "2.1. Datos"; not "3D printing"
_LABEL_WINDOW = max(map(len, _LABELS)) + 8  # characters before a colon that hold a label, blanks and all
# Commas, semicolons, middle dots and bullets (also their full-width forms), a dash between blanks, a full stop
# before a blank but after a word of one letter ("Del.icio.us", "E. coli" and "U.S. economy" are one item each).
_SEPARATOR = re.compile(r"[,;·•∙|，、；]|(?<![\s.]\w)(?<!^\w)\.(?=\s|$)|\s[-–—]\s")
_ENDS_ON_SEPARATOR = tuple(",;·•∙|，、；-–—")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W_]+")
_EDGES = " \t'\"“”‘’«»()[]{}*-–—"
_ACRONYM_AFTER = re.compile(r"\s+\([^()]{1,12}\)\s*$")


class Keyword(NamedTuple):
    text: str  # as listed, its blanks made single spaces
    section: str  # of the span that lists it
    counts: dict[str, int]  # how often the text holds it, per section, the list too


@dataclass(frozen=True, slots=True)
class Listing:
    """The keywords a document lists, in order, once each; and its spans with each label blanked out, to count
    terms in: "Keywords" and "Palabras clave" are no terms of it."""

    keywords: list[Keyword]
    spans: list[Span]


class _List(NamedTuple):
    label: int  # where its label starts
    items_start: int  # where the label ends
    end: int  # where its last line ends
    items: list[str]
    language: str  # of its label


def author_keywords(spans: list[Span], lang: Language = ENGLISH) -> Listing:
    """The `Listing` of a document's spans in language `lang`. Where lists under labels of several languages are
    found (a Spanish paper's "Palabras clave" and its English "Keywords"), those of `lang`'s are its keywords."""
    lists: dict[int, list[_List]] = {}  # span index → its lists
    listed = 0
    for index, text in _opening(list(enumerate(spans)), FRONT_CHARS):
        lists[index] = _lists(text, lang)
        listed += sum(len(each.items) for each in lists[index])
        if listed >= _MAX_LISTED:  # a hostile front page of labels: each item is looked for in the text
            break
    chosen = [(index, each) for index, found in lists.items() for each in found]
    if not chosen:
        return Listing([], spans)
    own = _KIN.get(lang.code, lang.code)
    if any(each.language == own for _, each in chosen):
        chosen = [(index, each) for index, each in chosen if each.language == own]
    opening = _opening(list(enumerate(spans)), _CHECKED_CHARS)
    texts = [lowercase(" ".join(text.split())) for _, text in opening]  # lowered once, for every keyword
    outside = lowercase("\n".join(_cut(text, [(each.label, each.end) for each in lists.get(index, [])])
                                  for index, text in opening))
    found: dict[str, Keyword] = {}
    for index, each in chosen:
        for item in each.items[:_MAX_LISTED]:
            lower = lowercase(item)
            if lower not in found and _used(lower, outside):
                found[lower] = Keyword(item, spans[index].section, _counts(lower, spans, texts))
    unlabelled = [replace(span, text=_cut(span.text, [(each.label, each.items_start) for each in lists[index]],
                                          blank=True)) if lists.get(index) else span
                  for index, span in enumerate(spans)]
    return Listing(list(found.values())[:_MAX_LISTED], unlabelled)


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


def _counts(item: str, spans: list[Span], texts: list[str]) -> dict[str, int]:
    """How often each section's `texts` (lowercase, blanks made single spaces) hold the (lowercase) item as whole
    words: a keyword that is no candidate ("internet of things": English terms end at "of") is counted so."""
    counts: dict[str, int] = {}
    bounded = not any(map(unspaced_char, item))  # Chinese and Japanese words need no blank around them
    for span, lower in zip(spans, texts, strict=False):
        found, at = 0, lower.find(item)
        while at >= 0:
            end = at + len(item)
            if not bounded or ((at == 0 or not lower[at - 1].isalnum()) and not lower[end : end + 1].isalnum()):
                found += 1
            at = lower.find(item, at + 1)
        if found:
            counts[span.section] = counts.get(span.section, 0) + found
    return counts


def _lists(text: str, lang: Language) -> list[_List]:
    """The lists of `text`: after a label at a line's start, or inside a line before a colon ("… data analysis
    Keywords: gene network; …", of text whose lines were joined). Matching the labels at every position of a text
    took some 60 µs a news article, these two scans a sixth of that."""
    found = []
    full: list[int] = []  # the text's full line, measured when a label is found
    for match in _line_labels(text):
        label, after = match.group("label"), match.end("label")
        if label[:1].islower():  # a sentence's word at a line's start, not a label
            continue
        listed, end = _list_text(text, match.end(), _full(text, full), lang)
        marked = match.group("mark") is not None or match.group("alone") is not None
        # Without a mark, only a line of items after a blank is a list: "Keywords in Development" is a heading,
        # "Keywords-based segmentation, …" a sentence.
        if listed and (marked or (text[after : after + 1].isspace() and _SEPARATOR.search(listed.split("\n")[0]))):
            items = _items(listed, lang)
            if items and (marked or len(items) >= _MIN_ITEMS_UNMARKED):
                found.append(_List(match.start("label"), after, end, items, _language(label)))
    for colon in _colons(text):
        labelled = _label_before(text, colon)
        if labelled is not None:
            listed, end = _list_text(text, colon + 1, _full(text, full), lang)
            if items := _items(listed, lang):
                found.append(_List(labelled[0], colon, end, items, labelled[1]))
    return sorted(found)


def _full(text: str, measured: list[int]) -> int:
    if not measured:
        measured.append(full_line([text]))
    return measured[0]


def _language(label: str) -> str:
    return _LANGUAGE_OF.get(" ".join(lower_aligned(label).split()), "")


def _line_labels(text: str) -> Iterable[re.Match[str]]:
    """`_LINE_LABEL`'s matches, tried only at the lines that start with a blank, a bracket or a label's first
    letter in capitals: scanning every position took twice as long."""
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


def _label_before(text: str, colon: int) -> tuple[int, str] | None:
    """Where a label starts that ends right before the colon at `colon` (blanks between allowed), not lowercase
    and not at the start of its line (`_LINE_LABEL` finds that one), and its language; None if there is none. Of
    labels ending alike ("Author Keywords", "Keywords") the longest is the one. A Chinese or Japanese label needs
    no blank before it ("…本文研究。关键词：")."""
    window = max(0, colon - _LABEL_WINDOW)
    before = text[window:colon].rstrip()
    start = None
    for label in _UNSPACED_LABELS:
        if before.endswith(label) and not before[-len(label) - 1 : -len(label)].isalnum():
            start, found = window + len(before) - len(label), label
            break
    else:
        last = before.split()[-1:]
        if not last or lower_aligned(last[0]) not in _LAST_WORDS:  # most colons: a time, a ratio, "Source:"
            return None
        words = list(_NONBLANK.finditer(text, window, colon))
        for found in _LONGEST_FIRST:
            count = found.count(" ") + 1
            if len(words) >= count and lower_aligned(" ".join(word.group() for word in words[-count:])) == found:
                start = words[-count].start()
                break
        if start is None or (start > 0 and not text[start - 1].isspace()) or text[start].islower():
            return None
    if not text[text.rfind("\n", 0, start) + 1 : start].strip():
        return None
    return start, _LANGUAGE_OF[found]


def _list_text(text: str, start: int, full: int, lang: Language) -> tuple[str, int]:
    """The list that starts at `start`, its lines joined, and where its last line ends. A line is the list's
    (`_continues`) up to a blank line, or to a line that ends in a full stop; an item a line is told by the line
    break kept between them, items that wrap by a line break, which `_items` reads as a blank."""
    listed: list[str] = []
    end = at = start
    width = start - text.rfind("\n", 0, start) - 1  # of the label's part of the first line
    previous = 0  # the width of the list's last line
    for line in text[start : start + _MAX_LIST_CHARS].split("\n"):
        stripped = line.strip()
        joint = _continues(listed, stripped, previous, full, lang) if stripped and listed else ""
        if joint is None:
            break
        at += len(line) + 1
        if not stripped:
            if listed:
                break
            width = 0
            continue  # the label alone on its line, a blank line, then the list
        listed += [joint, stripped]
        previous, width = width + len(line.rstrip()), 0
        end = at - 1
        if stripped.endswith((".", "。")):
            break
    return "".join(listed), min(end, len(text))


def _continues(listed: list[str], line: str, previous: int, full: int, lang: Language) -> str | None:
    """How `line` joins the list so far ("\n" within an item, "; " between items), or None where the list ended
    before it: at a numbered heading ("2 Contexto"; the headings `split_sections` knows end the span), a line that
    opens another field ("© 2020 Elsevier", "JEL classification: C11", "中图分类号：TP391"), or a line after one
    its author ended ("Keywords: graph mining, ageing⏎The human brain is …")."""
    if _NUMBERED.match(line) or line[0] == "©" or ":" in line or "：" in line:
        return None
    if listed[-1].endswith(_ENDS_ON_SEPARATOR) or line[0].islower():
        return "\n"  # "…, Random Key⏎Predistribution, …", "Técnicas de aprendizaje⏎de máquina"
    if previous >= ENDED_LINE_ROOM * full and lowercase(line.split(None, 1)[0]) not in lang.stop_words:
        return "\n"  # wrapped at the margin: "…, Random Key⏎Predistribution"; not a sentence's "The files …"
    if not any(_SEPARATOR.search(piece) for piece in listed) and not _SEPARATOR.search(line):
        return "; "  # an item a line: Elsevier's article-info box
    return None


def _items(listed: str, lang: Language) -> list[str]:
    """The items of a list's text, up to the first that is no key term (prose the list ran into, an address).
    Items may wrap over lines ("Técnicas de aprendizaje⏎de máquina", "segmen-⏎tation"); in Chinese and Japanese
    a list without separators has its items between blanks ("深度学习 神经网络")."""
    if _SEPARATOR.search(listed):
        pieces = _SEPARATOR.split(dehyphenate(listed, lang))
    else:
        pieces = listed.split() if any(map(unspaced_char, listed)) else [listed]
    items: list[str] = []
    for piece in pieces[:_MAX_ITEMS]:
        # "Internet of Things (IoT)": the long form is the item (`acronyms` reads the definition in the text).
        item = " ".join(_ACRONYM_AFTER.sub("", piece).strip(_EDGES).split())
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
