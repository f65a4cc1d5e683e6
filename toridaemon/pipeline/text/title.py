"""The title a reader sees: a plausible metadata title, else the largest text near the top of page 1.

Metadata titles are often file names (`galois.dvi`, `Microsoft Word - x.doc`) or `untitled`; those are
skipped. On the page, the title is the run of lines in the largest font in the top part of page 1, footnote
markers dropped, when that font is larger than the text's and is not a section heading's (numbered, or a table
of contents) and the run reads as no sentences, and its subtitle (see `_subtitle`) after it; the first line of
text is the last resort only when page 1's fonts are unknown (a scan, garbage, a blank page).
"""

from __future__ import annotations

import ctypes
import difflib
import re
import unicodedata
from dataclasses import dataclass
from itertools import islice

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import regex

from toridaemon.pipeline.language import language
from toridaemon.pipeline.text.accents import placed_accents
from toridaemon.pipeline.text.glyphs import seen_size

# Enough characters for any title block; page 1 of a book can hold thousands more.
_MAX_CHARS = 1500
# The title sits in the upper part of page 1.
TOP_SHARE = 0.6
_MAX_TITLE_LINES = 4
_SUBTITLE_LINES = 2
_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’«»—–-"
_WORDY = re.compile(r"[^\W_]")
_BY = frozenset(("by", "von", "par", "por", "door", "af", "av", "przez"))  # opening a by-line
# Anywhere in a line, no subtitle's: a by-line or copyright, an address, a year or a date.
_NOT_SUBTITLE = re.compile(
    r"\b(?:by|edited|copyright|e-?mail|dot)\b|©|@|://|<|\b(?:1[5-9]|20)\d\d\b|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}",
    re.IGNORECASE,
)
MAX_TITLE_CHARS = 300
# Longer metadata is a pasted abstract or junk, no title (and comparing it with the page's cost time with its length).
_MAX_METADATA_CHARS = 2 * MAX_TITLE_CHARS
_PARAGRAPH_CHARS = 120
_TITLE_WORDS = 30  # more words, with a sentence ending inside, are a paragraph (see `_prose`)
_PROSE_WORDS = 8  # as many words or more, with a sentence ending inside and a full stop at the end, are sentences
# One sentence ending and another beginning: a word of two lowercase letters or more (no initial, no "Dr."), a full
# stop, and a capitalised word ("… from Heuristica. Its slanted Greek …").
_SENTENCE_BREAK = regex.compile(r"\p{Ll}{2}[)”’\"']{0,2}\.\s+\p{Lu}\p{Ll}")
_SIZE_TOLERANCE = 0.92
_DROP_CAP = 2.0  # a first letter this much larger than the rest of its line's
_SET_APART = 1.05  # a font this much larger than the median line's is a title's
SIMILAR = 0.8  # near-match threshold, also of the title benchmark
SOFT_HYPHEN = "\u00ad"  # ends a line whose word goes on on the next (the text stage keeps it there)
FOOTNOTE_MARKS = "*∗†‡§¶"
_FILE_NAME = re.compile(
    r"^(microsoft (word|powerpoint|excel) - )|"
    r"\.(dvi|docx?|tex|pdf|ps|eps|odt|rtf|pptx?|xlsx?|txt|html?|indd|qxd|svg|png|jpe?g|gif|tiff?|bmp|ai|md|csv|xml)$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"^(untitled|title|document|no title|none|unknown|slide \d+|\W*)$", re.IGNORECASE)
# A hyperref option swallowed into the title (a missing comma: "… specific files pdfsubject="): the metadata is
# broken, and the page's title is more likely right.
_OPTION_LEAK = re.compile(r"\bpdf(?:title|subject|author|keywords|creator|producer|lang)\s*=", re.IGNORECASE)
_PATH = re.compile(r"^([a-z]:)?[\\/]|[\\/][^\s\\/]+[\\/]", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters that show as no letter: controls (a bell, an escape, NUL: read as spaces), private-use and unassigned
# code points, lone surrogate halves and U+FFFD (dropped). A font's mapping to them gave titles such as
# "Graph \ue000\ufffd Neural \x1b Networks".
_CONTROLS = regex.compile(r"\p{Cc}+")
_NO_LETTER = regex.compile(r"[\p{Co}\p{Cn}\p{Cs}\ufffd]+")
# Headings set large atop page 1 that are never its title: a table of contents, an abstract or a list of
# references, in the languages the sections know (sections.py), numbered or not.
_CONTENTS_NAMES = (
    "contents|table of contents|inhalt|inhaltsverzeichnis|table des matières|sommaire|índice|contenido|indice|"
    "sommario|sumário|inhoud|inhoudsopgave"
)
_ABSTRACT_NAMES = "abstract|zusammenfassung|résumé|resumen|riassunto|resumo|samenvatting"
_REFERENCES_NAMES = (
    "references|bibliography|literatur|literaturverzeichnis|bibliographie|références|referencias|bibliografía|"
    "bibliografia|riferimenti bibliografici|referências|literatuur"
)


def _heading(names: str) -> re.Pattern[str]:
    return re.compile(rf"(?:\d+(?:\.\d+)*\.?\s+)?(?:{names})\W*", re.IGNORECASE)


_CONTENTS = _heading(_CONTENTS_NAMES)
_REFERENCES = _heading(_REFERENCES_NAMES)
_NOT_A_TITLE = _heading(f"{_CONTENTS_NAMES}|{_ABSTRACT_NAMES}|{_REFERENCES_NAMES}")
_NUMBERED = re.compile(r"\d{1,2}(?:\.\d{1,2})*\.?\s+\S.*")  # "1 Introduction", "2.3. Results"


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    size: float
    top: float  # distance from the top edge of the page, in points


def plausible_metadata(title: str | None, file_stem: str | None = None) -> str | None:
    """The metadata title unless it is a file name (also the document's own), a path, a placeholder or far longer
    than a title."""
    if title is None:
        return None
    title = _unmangled(" ".join(title.split()))
    if len(title) > _MAX_METADATA_CHARS:
        return None
    if _FILE_NAME.search(title) or _PLACEHOLDER.match(title) or _PATH.search(title) or _OPTION_LEAK.search(title):
        return None
    if file_stem and _fold(title) == _fold(file_stem):
        return None
    return title if _has_letters(title) else None


def _unmangled(title: str) -> str:
    """A title whose UTF-8 bytes were read as Latin-1 or Windows-1252 ("PrÃ©cis de zoologie"), read as UTF-8 again;
    any other title as it is (valid UTF-8 is what such a reading back gives, and other text rarely does)."""
    if "Ã" not in title and "Â" not in title:
        return title
    for encoding in ("cp1252", "latin-1"):
        try:
            return title.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
    return title


def top_lines(textpage: pdfium.PdfTextPage, page: pdfium.PdfPage) -> list[Line]:
    """Lines of the top part of a page (as it is shown: its box and rotation applied) with their largest font
    size."""
    count = min(textpage.count_chars(), _MAX_CHARS)
    text = str(textpage.get_text_range(0, count))
    if len(text) != count:  # indices would not line up: ask PDFium char by char
        text = "".join(_code_point(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count))
    lines: list[Line] = []
    box = [ctypes.c_double() for _ in range(4)]
    matrix = pdfium_c.FS_MATRIX()
    side, sign, edge = _top_edge(page)
    height = page.get_height()  # as shown: a page turned a quarter shows its width
    for start, end in _line_spans(text):
        pdfium_c.FPDFText_GetCharBox(textpage.raw, start, *box)
        top = sign * (box[side].value - edge)
        if top > height * TOP_SHARE:
            continue  # text order is the content's, not the page's: a margin stamp may come first
        # Font sizes of a sample of the line's characters (all of its last ones, for footnote markers).
        sample = sorted({*range(start, end, max(1, (end - start) // 8)), *range(max(start, end - 3), end)})
        # A watermark set across the page ("DRAFT" at 45°) has no size here: a title runs along an edge.
        chars = [(text[i], size) for i in sample if (size := seen_size(textpage, i, matrix)) is not None]
        if chars:
            lines.append(_line(placed_accents(textpage, text, start, end), chars, top))
    return lines


def _code_point(code: int) -> str:
    """The character PDFium gives for one of its indices: a space for none, U+FFFD for a value past U+10FFFF (a
    glyph named "/u110000" is taken at its word, and made `chr` raise on a page 1 that a reader opens)."""
    if not code:
        return " "
    return chr(code) if code <= 0x10FFFF else "\ufffd"


def _top_edge(page: pdfium.PdfPage) -> tuple[int, float, float]:
    """Which side of a character box (left, right, bottom, top in the page's own space) faces the top edge of
    the page as shown, and how to measure from that edge: (side, sign, edge), the distance being
    sign × (box[side] − edge). A page's box need not start at the origin ([0 -842 595 0]), and a page turned by
    /Rotate shows another edge at the top: 90 degrees (clockwise) the left one, 180 the bottom, 270 the right."""
    try:
        left, bottom, right, top = page.get_bbox()
    except pdfium.PdfiumError:  # no box PDFium can tell: the page's size from the origin, as before
        left, bottom, right, top = 0.0, 0.0, page.get_width(), page.get_height()
    turned = page.get_rotation() % 360
    return {90: (0, 1.0, left), 180: (2, 1.0, bottom), 270: (1, -1.0, right)}.get(turned, (3, -1.0, top))


def _line_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]+", text) if m.group().strip()]


def _line(text: str, sample: list[tuple[str, float]], top: float) -> Line:
    # A character beyond the BMP (a math italic "𝑔", Linear B) comes as two halves, neither of them alphabetic.
    letters = [size for char, size in sample if char.isalpha() or _SURROGATE.match(char)]
    if len(letters) > 2 and letters[0] > _DROP_CAP * max(letters[1:]):
        letters = letters[1:]  # a drop cap ("T" of "The study…") does not make its line a title
    size = max(letters, default=0.0)
    # Footnote markers are set smaller (or are marker symbols) at the end of a title line.
    text = text.rstrip()
    for char, char_size in reversed(sample):
        if not text or text[-1] != char:
            break
        if char in FOOTNOTE_MARKS or (char_size < size * 0.8 and char.isalnum()):
            text = text[:-1].rstrip()
    return Line(text=" ".join(_whole_characters(text).split()), size=size, top=top)


def _whole_characters(text: str) -> str:
    """PDFium counts a character beyond the BMP (a math italic "𝑔") as two, its UTF-16 halves: read char by char
    they come apart; a pair is one character again, a lone half U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def title_from_lines(lines: list[Line]) -> str | None:
    """The title atop page 1 (see `_page_title`), its subtitle included."""
    found = _page_title(lines)
    return found[1] if found else None


def _page_title(lines: list[Line]) -> tuple[str, str] | None:
    """The title atop page 1 without and with its subtitle (see `_subtitle`): the run of consecutive lines in the
    largest font among those with real words, when that font is more than 5 % above the median line's or there are
    fewer than three such lines (too few to tell a title from text).
    Numbered section headings ("1 Introduction", "2.3. Results") count as text but are never the title; "Contents",
    "Abstract" and "References" are neither; a table of contents set larger than any other line, references headed
    as large as any, or a largest run that ends in a colon (a label of what follows), means no title."""
    lines = [line for line in lines if not _letter_spaced(line.text)]
    # "Contents", "Abstract", "References": never the title, nor text to compare sizes with (an abstract's heading
    # may be set as large as the title).
    named = [line for line in lines if _NOT_A_TITLE.fullmatch(line.text)]
    wordy = [line for line in lines if _has_letters(line.text) and line not in named]
    # A numbered section heading ("1 Introduction", and the second line of a wrapped one) is never the title,
    # and where it is the largest text, page 1 opens with a section, not a title. It counts as text all the same.
    numbered = _numbered_headings(lines)
    eligible = [line for line in wordy if line not in numbered]
    if not eligible:
        return None
    largest, sizes = max(line.size for line in eligible), [line.size for line in wordy]
    if largest < max(sizes) * _SIZE_TOLERANCE:
        return None
    if _opens_with_a_list(named, largest):
        return None
    if not _set_apart(largest, sizes):  # body text (a letter, an example page): no title
        return None
    start = next((i for i, line in enumerate(lines) if line in eligible and line.size >= largest * _SIZE_TOLERANCE),
                 None)
    if start is None:  # sizes that are no sizes (negative, not a number), however they came in
        return None
    run, end = _run(lines, start, largest)
    title = full = _joined(run)
    if len(title) > _PARAGRAPH_CHARS and not _above_text(largest, sizes):
        title = full = run[0].text.rstrip(SOFT_HYPHEN)  # two lines in one size: a paragraph, the first is kept
    elif len(sizes) >= 3:
        full = _joined([*run, *_subtitle(lines[end:], run[-1], largest, min(sizes))])
    title, full = title[:MAX_TITLE_CHARS], full[:MAX_TITLE_CHARS]
    # A run ending in a colon labels what follows ("No frame:", "Test 1: one barcode with default parameters:").
    return (title, full) if title and not title.endswith(":") and not _prose(title) else None


def _prose(text: str) -> bool:
    """Whether a run reads as sentences rather than a title: a sentence ends inside it, and it ends as a sentence
    with `_PROSE_WORDS` words or more, or holds more than `_TITLE_WORDS`. A title may hold a full stop ("Deep
    learning. A critical appraisal", "Climate adaptation in sub-Saharan Africa. Evidence from smallholder farms"),
    and a short one may end with another ("Cities. Essays on urban form.")."""
    words = len(text.split())
    long_enough = words > _TITLE_WORDS or (text.endswith(".") and words >= _PROSE_WORDS)
    return long_enough and _SENTENCE_BREAK.search(text) is not None


def _opens_with_a_list(named: list[Line], largest: float) -> bool:
    """A table of contents set above everything else (its entries are no title), or a list of references headed
    as large as anything (the largest lines are section headings: "References", "CoAuthors")."""
    return any(line.size * _SIZE_TOLERANCE > largest if _CONTENTS.fullmatch(line.text)
               else line.size >= largest * _SIZE_TOLERANCE and bool(_REFERENCES.fullmatch(line.text))
               for line in named)


def _run(lines: list[Line], start: int, size: float) -> tuple[list[Line], int]:
    """The title's lines from `start` on, all in its `size` and close together, and the index after them. A line
    of no words between two of them ("fnlineno.sty" / "—" / "Numbering Footnote Lines") is the title's too."""
    run, end = [lines[start]], start + 1
    between: list[Line] = []
    for index in range(start + 1, min(len(lines), start + _MAX_TITLE_LINES + 1)):
        line = lines[index]
        if line.top - (between or run)[-1].top > size * 2.5 or line.top - run[-1].top > size * 4:
            break
        if not _WORDY.search(line.text):
            between.append(line)
            continue
        if line.size < size * _SIZE_TOLERANCE or _NOT_A_TITLE.fullmatch(line.text):
            break  # a numbered line may go on a title ("30 Minutes"); "Abstract" not
        run += [*between, line]
        between, end = [], index + 1
        if len(run) >= _MAX_TITLE_LINES:
            break
    return run, end


def _subtitle(lines: list[Line], title: Line, size: float, text_size: float) -> list[Line]:
    """The lines right below the title that read as its subtitle ("MusiXTeX" / "Using TeX to write polyphonic" /
    "or instrumental music"): in one font, smaller than the title's, larger than the smallest text's and used by
    no line further down (a section heading's), each holding a lowercase word that is no function word (see
    `_reads_on`: an author line, "Jane Doe and John Smith", holds none). A line of no words ("—") may come first."""
    found: list[Line] = []
    above, after = title, 0  # the last line taken, and the index after it
    for index, line in enumerate(lines[: _SUBTITLE_LINES + 1]):
        if line.top - above.top > size * 2.5 or len(found) == _SUBTITLE_LINES:
            break
        if not found and not _WORDY.search(line.text):
            continue
        if not (text_size * _SET_APART < line.size < size * _SIZE_TOLERANCE):
            break
        if _NUMBERED.fullmatch(line.text) or _NOT_A_TITLE.fullmatch(line.text):
            break  # a section heading: "1 Basic coding", "Table of Contents"
        if (found and not _same_size(line.size, found[0].size)) or not _reads_on(line.text):
            break
        found.append(line)
        above, after = line, index + 1
    if found and any(_same_size(line.size, found[0].size) for line in lines[after:]):
        return []
    return found


def _reads_on(text: str) -> bool:
    """Whether a line holds a lowercase word that is no function word of the tuned languages (of an author line's
    "Jane Doe and John Smith", a name's "Maria dos Santos", an affiliation's "Department of Physics"), and is no
    by-line ("Edited by Jane Doe"), date or version line ("version 2.1, 2024/03/01", "13 juin 2022") nor an
    address (obfuscated ones too: "jane at example dot org")."""
    words = [word.strip(_PUNCTUATION) for word in text.split()]
    if not words or words[0].lower() in _BY or _NOT_SUBTITLE.search(text):
        return False
    function_words = language(None).stop_words
    return any(len(word) > 1 and word.isalpha() and word.islower() and word not in function_words
               for word in words)


def _joined(run: list[Line]) -> str:
    """The run's lines as one title; a line ending in a soft hyphen goes on without a space ("International")."""
    title = ""
    for line in run:
        if title.endswith(SOFT_HYPHEN):
            title = title[:-1] + line.text
        else:
            title = f"{title} {line.text}" if title else line.text
    return title.rstrip(SOFT_HYPHEN)


def _same_size(size: float, other: float) -> bool:
    return abs(size - other) <= other * (1 - _SIZE_TOLERANCE)


def _numbered_headings(lines: list[Line]) -> list[Line]:
    """Numbered section headings among `lines` ("1 Introduction"), with the lines that wrap them."""
    found: list[Line] = []
    heading: Line | None = None  # the line before, when it is a heading
    for line in lines:
        wrapped = heading is not None and _wraps(heading, line)
        heading = line if _NUMBERED.fullmatch(line.text) or wrapped else None
        if heading is not None:
            found.append(heading)
    return found


def _wraps(heading: Line, line: Line) -> bool:
    """Whether `line` goes on `heading`: right below it, in its size, and going on its sentence (a lowercase
    start: "1 Test of Greek" / "numerals"; not a title under a dated line, "3 March 2024" / "Annual Report")."""
    return (_same_size(line.size, heading.size) and 0 < line.top - heading.top <= heading.size * 2.5
            and line.text[:1].islower())


def _letter_spaced(text: str) -> bool:
    """A decoration set in spaced capitals ("Π Ο Λ Υ Γ Λ Ω Σ Σ Ι Α") rather than words."""
    words = text.split()
    return len(words) >= 4 and sum(len(word) == 1 for word in words) > 0.7 * len(words)


def _has_letters(text: str, count: int = 3) -> bool:
    """Whether `text` holds `count` letters; stops there (a page given as one line holds thousands)."""
    return sum(1 for _ in islice(_LETTERS.finditer(text), count)) == count


def first_heading(pages: list[str]) -> str | None:
    """The first line with real words, the last resort."""
    for page in pages[:3]:
        for raw in page.splitlines():
            line = " ".join(raw.split())
            if _has_letters(line):
                return line[:MAX_TITLE_CHARS]
    return None


def choose_title(
    metadata: str | None, lines: list[Line] | None, pages: list[str], file_stem: str | None = None, *,
    sizes_read: bool = False,
) -> str | None:
    """The largest text atop page 1 or a plausible metadata title; else, when page 1's fonts are unknown
    (`lines` None: garbage, a blank page, or text given as text) or its sizes were only read by OCR (`sizes_read`:
    a scan, where a line read larger than the rest is a title but lines read alike tell nothing), the first line
    of words.

    When both exist and differ, the page wins: stale metadata (a package's old description, a journal name) is
    common, a wrong largest line atop page 1 is not, unless nothing atop page 1 is set larger than the text. When
    they agree (metadata naming the title without its subtitle agrees too), the metadata's spelling is kept (it has
    no TeX logo fragments such as "LATEX").
    With fonts known and three lines of words or more atop page 1, none more than 5 % above the median (a letter,
    an example page), or a section heading (numbered, a table of contents) as the largest text, page 1 shows no
    title.
    """
    metadata = plausible_metadata(metadata, file_stem)
    found = _page_title(lines or [])  # none when nothing atop page 1 is set larger than the text
    if found is None:
        return metadata or (first_heading(pages) if lines is None or sizes_read else None)
    # Metadata that names the title without its subtitle agrees with the page as well; so does metadata that names
    # other lines set above the text: the largest was a journal's masthead ("JSS Journal of Statistical Software").
    if metadata and (any(similarity(title, metadata) >= SIMILAR for title in found)
                     or _shown_large(metadata, lines, besides=found[1])):
        return metadata
    return found[1]


def _shown_large(metadata: str, lines: list[Line] | None, *, besides: str) -> bool:
    """Whether consecutive lines atop page 1, all in one size above the text's and none of them part of the title
    found (`besides`, its subtitle included), read as `metadata`."""
    if not lines:
        return False
    sizes = [line.size for line in lines if _has_letters(line.text)]
    for start, line in enumerate(lines):
        if not (_has_letters(line.text) and len(sizes) >= 3 and _above_text(line.size, sizes)) or line.text in besides:
            continue
        run = [line]
        for following in lines[start + 1 : start + _MAX_TITLE_LINES]:
            if not _same_size(following.size, line.size):
                break
            run.append(following)
        for end in range(1, len(run) + 1):
            joined = _joined(run[:end])
            # Lengths more than twofold apart give a ratio under 0.67: the comparison, quadratic, is skipped.
            if len(metadata) / 2 <= len(joined) <= 2 * len(metadata) and similarity(joined, metadata) >= SIMILAR:
                return True
    return False


def _set_apart(largest: float, sizes: list[float]) -> bool:
    """Whether a title's font size stands above the text's; fewer than three lines are too few to tell."""
    return len(sizes) < 3 or _above_text(largest, sizes)


def _above_text(size: float, sizes: list[float]) -> bool:
    """Whether `size` is more than 5 % above the text's, the median of the lines' `sizes`: a title's."""
    return size > _median(sizes) * _SET_APART


def _median(sizes: list[float]) -> float:
    # The upper median: where half the lines are in one size and half in another (a letter's address block
    # over its text, an example page), no line stands above the text.
    return sorted(sizes)[len(sizes) // 2]


def readable_title(title: str | None) -> str | None:
    """A title as a reader sees it: controls read as spaces, characters that show as no letter dropped (see
    `_NO_LETTER`), whitespace runs as one space, at most `MAX_TITLE_CHARS`; None when no letter is left."""
    if title is None:
        return None
    if not title.isascii() or _CONTROLS.search(title):
        title = _NO_LETTER.sub("", _CONTROLS.sub(" ", title))
    title = " ".join(title.split())[:MAX_TITLE_CHARS].rstrip()
    return title if _LETTERS.search(title) else None


def _fold(text: str) -> str:
    # NFKC: the page's title is read from a text layer cleaned to NFKC, the metadata's is as written ("mc²").
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def similarity(first: str, second: str) -> float:
    """How alike two titles are after case and punctuation folding (0 to 1)."""
    return difflib.SequenceMatcher(None, _fold(first), _fold(second), autojunk=False).ratio()
