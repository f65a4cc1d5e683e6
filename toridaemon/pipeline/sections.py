"""Section detection from page text: headings on a line of their own, numbered or not, in any case.

The text between two headings belongs to the first one; text before any heading is `body`. Related work,
background and appendices are `body` too: the weights treat them as ordinary text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from toridaemon.pipeline.language.korean import hangul
from toridaemon.pipeline.language.unspaced import letters_as_words, unspaced_char
from toridaemon.pipeline.native import lowercase
from toridaemon.pipeline.result import Section
from toridaemon.pipeline.text.title import FOOTNOTE_MARKS, MAX_TITLE_CHARS

SECTION_NAMES = (
    "title", "abstract", "introduction", "methods", "results", "discussion", "conclusion", "references", "body",
)

# Heading names per section, English first, then German, French, Spanish, Italian, Portuguese and Dutch, then
# Chinese (Simplified and Traditional), Japanese and Korean. One pattern holds them all: papers often mix
# languages ("Abstract" above a German text).
_HEADINGS: dict[str, tuple[str, ...]] = {
    "abstract": (
        "abstract", "summary", "zusammenfassung", "kurzfassung", "résumé", "resumen", "resumo", "riassunto",
        "sommario", "samenvatting", "sintesi", "摘要", "概要", "要旨", "抄録", "초록", "요약",
    ),
    "introduction": (
        "introduction", "motivation", "overview", "einleitung", "einführung", "motivación", "introducción",
        "introduzione", "introdução", "inleiding", "motivatie", "引言", "绪论", "緒論", "前言", "导言", "導言",
        "はじめに", "序論", "緒言", "서론", "머리말",
    ),
    "methods": (
        "methods", "method", "methodology", "materials and methods", "experimental setup", "experimental design",
        "experimental methods", "experimental procedure", "proposed method", "proposed approach", "methoden",
        "methode", "methodik", "material und methoden", "méthodes", "méthode", "méthodologie", "métodos",
        "método", "metodología", "materiales y métodos", "metodi", "metodo", "metodologia", "materiali e metodi",
        "materiais e métodos", "methoden en materialen", "methodologie", "研究方法", "实验方法", "實驗方法", "提案手法",
        "手法", "연구 방법",
    ),
    "results": (
        "results", "experiments", "experimental results", "evaluation", "experimental evaluation",
        "results and discussion", "performance evaluation", "empirical evaluation", "findings", "ergebnisse",
        "evaluierung", "auswertung", "résultats", "évaluation", "expériences", "resultados", "evaluación",
        "risultati", "valutazione", "avaliação", "resultaten", "evaluatie", "实验结果", "實驗結果", "実験結果", "结果",
        "結果", "評価", "결과", "실험 결과",
    ),
    "discussion": ("discussion", "general discussion", "diskussion", "discusión", "discussione", "discussão",
                   "discussie", "讨论", "討論", "考察", "논의", "고찰"),
    "conclusion": (
        "conclusion", "conclusions", "concluding remarks", "conclusions and future work",
        "conclusion and future work", "summary and conclusions", "future work", "fazit", "schlussfolgerungen",
        "schluss", "ausblick", "zusammenfassung und ausblick", "perspectives", "conclusiones", "conclusión",
        "conclusioni", "conclusione", "conclusões", "conclusão", "conclusie", "conclusies", "结论", "結論",
        "总结", "總結", "结语", "結語", "おわりに", "まとめ", "결론", "맺음말",
    ),
    "references": (
        "references", "bibliography", "works cited", "literature cited", "reference list", "literatur",
        "literaturverzeichnis", "quellen", "références", "bibliographie", "referencias", "bibliografía",
        "bibliografia", "riferimenti", "riferimenti bibliografici", "referências", "referências bibliográficas",
        "referenties", "literatuur", "literatuurlijst", "参考文献", "參考文獻", "引用文献", "참고문헌", "참고 문헌",
    ),
    "body": (
        "related work", "related works", "background", "preliminaries", "acknowledgments", "acknowledgements",
        "acknowledgment", "acknowledgement", "appendix", "appendices", "contents", "table of contents",
        "inhalt", "inhaltsverzeichnis", "danksagung", "anhang", "grundlagen", "table des matières", "sommaire",
        "remerciements", "annexe", "índice", "agradecimientos", "apéndice", "indice", "ringraziamenti",
        "appendice", "agradecimentos", "apêndice", "inhoud", "inhoudsopgave", "dankwoord", "bijlage", "致谢", "致謝",
        "謝辞", "目录", "目錄", "目次", "附录", "附錄", "付録", "相关工作", "相關工作", "関連研究", "감사의 글", "목차",
        "부록", "관련 연구",
    ),
}
_SECTION_OF = {phrase: name for name, phrases in _HEADINGS.items() for phrase in phrases}
# Chinese, Japanese and Korean headings are often set with their letters spaced out ("摘 要", "参 考 文 献").
_SECTION_OF.update({" ".join(phrase): name for phrase, name in list(_SECTION_OF.items())
                    if len(phrase) > 1 and all(unspaced_char(char) or hangul(char) for char in phrase)})


def alternation(phrases: Iterable[str]) -> str:
    """A pattern matching any of `phrases` (a space matches any run of white space), factored by common prefixes:
    a match attempt follows one branch instead of trying each phrase in turn (three times faster here, and
    headings are tried at every line). Where one phrase continues another the longer one comes first, as in an
    alternation sorted longest first."""
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}  # a phrase ends here
    return _branches(trie)


def _branches(node: dict[str, Any]) -> str:
    branches = [(r"\s+" if char == " " else re.escape(char)) + _branches(child) for char, child in node.items() if char]
    if not branches:
        return ""
    if "" in node:
        branches.append("")
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_ALTERNATIVES = alternation(_SECTION_OF)
_BLANK = "[ \t\u3000]"  # an ideographic space spaces out Chinese and Japanese headings ("1　引言", "要　旨")
# A number ("1", "2.3", "IV", "A", "１．", "Ⅱ.", Chinese "一、" and "第一章", and "5." or "2.3" with no blank before
# a heading in Chinese, Japanese or Korean) may lead the heading; the heading must fill the line, except "Abstract"
# and "摘要", which papers often run into their first sentence ("Abstract—We study ...", "摘要：本文…"). The blanks
# around an optional colon are matched one way only: "[ \t]*:?[ \t]*$" could split a long run of blanks before a
# non-blank every way.
_HEADING = re.compile(
    rf"^{_BLANK}*(?:(?:\d{{1,2}}(?:[.．]\d{{1,2}})*|[IVX]{{1,5}}|[A-H]|[Ⅰ-Ⅻ])[.．]?{_BLANK}+"
    rf"|[一二三四五六七八九十]{{1,3}}[、．.]{_BLANK}*|第[一二三四五六七八九十\d]{{1,3}}[章节節]{_BLANK}*"
    rf"|\d{{1,2}}(?:[.．]\d{{1,2}})*[.．、]?(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]))?"
    rf"(?P<h>{_ALTERNATIVES}){_BLANK}*(?:[:：]{_BLANK}*)?$"
    rf"|^{_BLANK}*(?P<a>abstract|摘{_BLANK}*要|要{_BLANK}*旨|초{_BLANK}*록){_BLANK}*[.:：—–-]{_BLANK}*",
    re.IGNORECASE | re.MULTILINE,
)
_MAX_TITLE_WORDS = 25
_LETTER = re.compile(r"[^\W\d_]")
_MAX_TITLE_LINES = 3
# What a title read from the page leaves out ("Title∗", "Title1").
_FOOTNOTE_MARK = re.compile(f"(?:[{re.escape(FOOTNOTE_MARKS)}]|\\d){{0,3}}")
_BLANKS = re.compile(r"\s*")
_TITLE_END = re.compile(r"[ \t]*(?:\n|$)")
_JOINERS = frozenset("a an and as at by for from in into of on or the to via with".split())
# The sentence ends of scripts that need no space after them: CJK's full stop, exclamation and question marks, the
# danda of Indic scripts ("।", "॥"), Urdu's full stop "۔", Arabic's question mark, Armenian's "։", Ethiopic's "።",
# Burmese "။", Khmer "។" and "៕", Tibetan "།". A context sentence ends at one (`context`); a line ending in one but a
# question mark of Arabic script is a sentence, never a title ("ما هو التعلم العميق؟", what is deep learning?).
FULL_STOPS = "。！？।॥۔؟։።။។៕།"
_NO_TITLE_ENDS = tuple(FULL_STOPS.replace("؟", ""))


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text of one section on one page (pages count from 1)."""

    section: str
    page: int
    text: str


def split_sections(pages: list[str], title: str | None) -> list[Span]:
    """The document as section spans in reading order; the first span is the title when there is one.

    Without a given title (None), the first line of the first page counts as the title when it is short; an
    empty title says the document has none.
    """
    spans: list[Span] = []
    first = pages[0] if pages else ""
    if title is None:
        title, first = _leading_title(first)
    else:
        first = _without_title(first, title)
    if title:
        spans.append(Span("title", 1, title))
    current = "body"
    for number, page in enumerate(pages, start=1):
        position = 0
        text = first if number == 1 else page
        for match in _headings(text):
            _append(spans, current, number, text[position : match.start()])
            heading = match.group("h") or match.group("a")
            current = section_of(heading)
            position = match.end()
        _append(spans, current, number, text[position:])
    return spans


def _headings(text: str) -> Iterator[re.Match[str]]:
    """`_HEADING.finditer(text)`, its match tried at the start of each line only, where both its alternatives
    start (`^`): trying every position took some 20 µs a news text, most of the time splitting it took."""
    at = 0
    while True:
        match = _HEADING.match(text, at)
        if match is not None:
            yield match
            at = match.end()  # past a heading's line end ("materials and⏎methods"), never right after one
        at = text.find("\n", at) + 1
        if not at:
            return


def section_of(heading: str) -> str:
    """The section a matched heading names. Case-insensitive matching is wider than `str.lower` ("İ", "ı", "ſ"
    match "i" and "s"), so a heading the table does not hold as lowercased is matched phrase by phrase."""
    key = " ".join(lowercase(heading).split())
    found = _SECTION_OF.get(key)
    if found is not None:
        return found
    for phrase, name in _SECTION_OF.items():
        if re.fullmatch(re.escape(phrase).replace(r"\ ", r"\s+"), heading, re.IGNORECASE):
            return name
    return "body"


def summarize(spans: list[Span]) -> list[Section]:
    """One `Section` per name, in order of first appearance, with its pages and character count."""
    pages: dict[str, list[int]] = {}
    chars: dict[str, int] = {}
    for span in spans:
        numbers = pages.setdefault(span.section, [])
        if not numbers or numbers[-1] != span.page:
            numbers.append(span.page)
        chars[span.section] = chars.get(span.section, 0) + len(span.text)
    return [Section(name=name, pages=numbers, chars=chars[name]) for name, numbers in pages.items()]


def _leading_title(page: str) -> tuple[str | None, str]:
    line, _, rest = page.lstrip().partition("\n")
    line = line.strip()
    if (not _LETTER.search(line) or len(line) > MAX_TITLE_CHARS or _words(line) > _MAX_TITLE_WORDS
            or line.endswith(_NO_TITLE_ENDS) or _HEADING.match(line)):
        return None, page  # no letters ("123 456"): no title, which the result's null title says too
    # A wrapped title goes on while a line ends on a short joining word or the next one starts in lowercase.
    for _ in range(_MAX_TITLE_LINES - 1):
        following, _, remainder = rest.partition("\n")
        following = following.strip()
        words = line.split()
        joins = lowercase(words[-1]) in _JOINERS or following[:1].islower()
        if not following or not joins or _HEADING.match(following) or len(line) + len(following) >= MAX_TITLE_CHARS:
            break
        line, rest = f"{line} {following}", remainder
    return line, rest


def _words(line: str) -> int:
    """About how many words a line holds: Chinese, Japanese, Thai and their neighbours put no space between theirs
    (`unspaced.letters_as_words`)."""
    words = len(line.split())
    return words if line.isascii() else words + letters_as_words(line)


def _without_title(page: str, title: str) -> str:
    """The page without the copy of the title it opens with (a title read from the page is in its text too): the
    title's words, over one or more lines, each perhaps with a footnote mark, and then a line end.

    Read part by part as the expression `\\s*w1<mark>\\s+w2<mark>…[ \\t]*(?:\\n|$)` (`re.IGNORECASE`) reads it: each
    part can match one way only, as a word holds no blank and a mark is neither a blank nor a line end. Compiling
    that expression, new for each title, took some 2 ms a document."""
    words = title.split()
    if not words or len(words) > _MAX_TITLE_WORDS:
        return page
    position = _BLANKS.match(page).end()  # type: ignore[union-attr]  # \s* always matches
    for index, word in enumerate(words):
        if index:
            blanks = _BLANKS.match(page, position).end()  # type: ignore[union-attr]
            if blanks == position:
                return page
            position = blanks
        end = position + len(word)  # an IGNORECASE match reads one character for each of the word's
        if not _same_word(page[position:end], word):
            return page
        position = _FOOTNOTE_MARK.match(page, end).end()  # type: ignore[union-attr]  # {0,3} always matches
    found = _TITLE_END.match(page, position)
    return page[found.end():] if found else page


def _same_word(written: str, word: str) -> bool:
    """Whether `written` is `word` up to case, as `re.IGNORECASE` compares them ("ſ" and "K", the Kelvin sign, are
    an "s" and a "k" there)."""
    if written == word:
        return True
    if written.isascii() and word.isascii():
        return lowercase(written) == lowercase(word)
    return _ignoring_case(word).fullmatch(written) is not None


@lru_cache(maxsize=256)
def _ignoring_case(word: str) -> re.Pattern[str]:
    return re.compile(re.escape(word), re.IGNORECASE)


def _append(spans: list[Span], section: str, page: int, text: str) -> None:
    if text.strip():
        spans.append(Span(section, page, text))
