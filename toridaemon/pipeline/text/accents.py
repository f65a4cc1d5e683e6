"""Accents a font draws as glyphs of their own, put back on their letters by where they are drawn.

A font without accented letters (TeX's OT1, some Polish and Czech fonts) draws an accent apart from its letter,
over or under it, and PDFium lists it before the letter, after it, or a word later: "tre ´ s´c" for "treść",
"najcz˛esciej" for "najczęściej". Each goes on the letter whose box it is drawn over or under, and the spaces and
the line PDFium made up around one it listed out of place go with it; an emphasis dot over a Chinese, Japanese or
Korean character goes. Cleaning (`clean.clean_page`) puts an accent on the letter after it, for text without
boxes.
"""

from __future__ import annotations

import bisect
import ctypes
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import partial
from itertools import islice

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import regex

from toridaemon.pipeline.text.glyphs import seen_size

# Spacing accents TeX sets as glyphs of their own, and the combining mark each stands for.
SPACING_ACCENTS = {
    "\u00b4": "\u0301", "`": "\u0300", "\u00a8": "\u0308", "\u02c6": "\u0302", "^": "\u0302", "\u02dc": "\u0303",
    "~": "\u0303", "\u00b8": "\u0327", "\u02da": "\u030a", "\u02c7": "\u030c", "\u02d8": "\u0306", "\u02d9": "\u0307",
    "\u02dd": "\u030b", "\u00af": "\u0304", "\u02db": "\u0328",
}
# Accents drawn under a letter, and the combining mark each stands for there; the others are drawn over it. A dot
# or a macron is mostly over its letter: under one (TeX's \d and \b) it is taken only a few characters from it.
_UNDER = {"\u00b8": "\u0327", "\u02db": "\u0328", "\u00af": "\u0331", "\u02d9": "\u0323"}
_OVER = frozenset(SPACING_ACCENTS) - {"\u00b8", "\u02db"}
_UNDER_ALSO_REACH = 6
_SPACING_ACCENT = re.compile(f"[{re.escape(''.join(SPACING_ACCENTS))}]")
_REACH = 120  # characters either side of an accent in PDFium's order where its letter is looked for
_ALONE_REACH = 48  # for a lowercase letter under a "`", "^" or "~" standing alone (2 to 44 over the texlive manuals)
_MOST_ACCENTS = 2000  # looked at per text: bounds the work on a page of nothing but accents
# An accent's middle may lie this share of its letter's width beyond the letter's box when the letter comes right
# after it in PDFium's order, as TeX sets them: a narrow "ı" under an accent drawn a little to its right, with a
# ligature's box beside it ("cient´ıficos"). Elsewhere the middle must be over the letter: "sa´" is "śa".
_BESIDE = 0.25
_INSIDE = 0.5  # how far off a letter's middle, in widths of the letter, its box ends
# A space PDFium makes up next to an accent it lists out of place ("tre ´ s´c") goes with the accent when the
# glyphs either side, on one line, are closer than this share of the size they are drawn at: a word space is a
# quarter of it or more, a gap inside a word (the sides of two letters, a kern) some 0.15 at most.
_JOINED_GAP = 0.2
_DOTLESS = {"\u0131": "i", "\u0237": "j"}  # TeX accents an i or a j set dotless
_ASCII_ACCENTS = frozenset("`^~")
# Letters that take these accents: Latin, Greek and Cyrillic. Chinese, Japanese and Korean mark emphasis with dots
# over their characters (Hangul, kana, Han), which no combining mark stands for: such a dot is dropped.
_ACCENTED_SCRIPTS = (("A", "\u052f"), ("\u1e00", "\u1fff"))
_EMPHASISED = (("\u1100", "\u11ff"), ("\u3040", "\u30ff"), ("\u3130", "\u318f"), ("\u3400", "\u4dbf"),
               ("\u4e00", "\u9fff"), ("\uac00", "\ud7af"), ("\uf900", "\ufaff"))
_DOT = "\u02d9"
_RANGES = {name: "".join(f"{low}-{high}" for low, high in ranges)
           for name, ranges in (("accented", _ACCENTED_SCRIPTS), ("emphasised", _ACCENTED_SCRIPTS + _EMPHASISED))}
# The letters an accent may go on: of Latin, Greek and Cyrillic (with a dot, of Chinese, Japanese and Korean too);
# OT1's, for "`", "^" and "~": ASCII and a dotless i or j, or a capital.
_LETTERS = {
    "accented": regex.compile(f"(?=[{_RANGES['accented']}])\\p{{L}}"),
    "emphasised": regex.compile(f"(?=[{_RANGES['emphasised']}])\\p{{L}}"),
    "ascii": regex.compile("[A-Za-z\u0131\u0237]"),
    "capital": regex.compile("[A-Z]"),
}
_UPRIGHT_SLANT = 0.05  # of a glyph's matrix: text turned or mirrored is left alone
Box = tuple[float, float, float, float]  # left, bottom, right, top
_NO_BOX: Box = (math.nan, math.nan, math.nan, math.nan)


def placed_accents(textpage: pdfium.PdfTextPage, text: str, start: int = 0, end: int | None = None, *,
                   aligned: bool = True) -> str:
    """`text[start:end]` with each spacing accent put on the letter of that part it is drawn over or under, and the
    spaces and the line PDFium made up around it dropped ("tre ´ s´c" → "treść"); an accent drawn on no letter
    stays. `text` is PDFium's text of `textpage`; `aligned`: its indices are PDFium's character indices (else they
    are mapped)."""
    part = _Part(textpage, text, start, len(text) if end is None else end, aligned)
    if _SPACING_ACCENT.search(text, part.start, part.end) is None:  # most pages
        return text[part.start : part.end]
    marked: dict[int, str] = {}  # letter index → its combining marks
    placed: set[int] = set()
    for mark in islice(_SPACING_ACCENT.finditer(text, part.start, part.end), _MOST_ACCENTS):
        found = part.accented_letter(mark.start(), mark.group())
        if found is not None:
            letter, combining = found
            marked[letter] = marked.get(letter, "") + combining
            placed.add(mark.start())
    if not placed:
        return text[part.start : part.end]
    dropped = placed | {side for at in placed for side in (at - 1, at + 1) if part.made_up_space(side, placed)}
    dropped |= {at + 1 for at in placed if part.spaced_twice(at, dropped)}
    for at in sorted(placed):
        dropped |= part.emptied_line_end(at, dropped)
    pieces, done = [], part.start  # copied up to here
    for index in sorted(dropped | marked.keys()):
        pieces.append(text[done:index])
        if index not in dropped:
            pieces.append(unicodedata.normalize("NFC", _DOTLESS.get(text[index], text[index]) + marked[index]))
        done = index + 1
    return "".join(pieces) + text[done : part.end]


class _Part:
    """Part `start`..`end` of a page's text, with the boxes of its characters, each asked of PDFium once."""

    def __init__(self, textpage: pdfium.PdfTextPage, text: str, start: int, end: int, aligned: bool) -> None:
        self._textpage = textpage
        self._text = text
        self.start, self.end = max(0, start), min(len(text), end)
        self._boxes: dict[int, Box] = {}
        self._sides = [ctypes.c_double() for _ in range(4)]
        self._kinds: dict[str, list[int]] = {}
        self._aligned = aligned
        self._units: list[int] = []  # of an unaligned text, where each character starts in UTF-16 units

    def _char(self, index: int) -> int:
        """PDFium's character index of the text's `index` (-1 for none). PDFium counts its text in UTF-16 units: a
        character beyond the BMP (a math italic "𝑥") is two."""
        if self._aligned:
            return index
        if not self._units:
            units = 0
            for char in self._text:
                self._units.append(units)
                units += 2 if char > "\uffff" else 1
        return int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(self._textpage.raw, self._units[index]))

    def box(self, index: int) -> Box:
        box = self._boxes.get(index)
        if box is None:
            box = self._boxes[index] = self._box(index)
        return box

    def _box(self, index: int) -> Box:
        """The box of the text's character at `index`; none where PDFium's character there is another (a text
        whose indices drifted from PDFium's, though as long)."""
        char = self._char(index)
        raw, sides = self._textpage.raw, self._sides
        if (char < 0 or pdfium_c.FPDFText_GetUnicode(raw, char) != ord(self._text[index])
                or not pdfium_c.FPDFText_GetCharBox(raw, char, *sides)):
            return _NO_BOX  # NaN compares false, so no accent goes on it and no space goes
        left, right, bottom, top = (side.value for side in sides)  # PDFium gives them in this order
        return left, bottom, right, top

    def accented_letter(self, at: int, accent: str) -> tuple[int, str] | None:
        """The index of the letter the accent at `at` is drawn over or under, the nearest in PDFium's order (of two
        as near, the one whose middle is nearer the accent's), and the combining mark it stands for there; None for
        none; an emphasis dot over or under a Chinese, Japanese or Korean character stands for no mark."""
        if accent in _OVER:
            found = self._letter(at, accent, partial(_over, self.box(at)), _REACH)
            if found is not None:
                return found, SPACING_ACCENTS[accent] if _accented_script(self._text[found]) else ""
        if accent in _UNDER:
            reach = _UNDER_ALSO_REACH if accent in _OVER else _REACH
            found = self._letter(at, accent, partial(_under, self.box(at)), reach)
            if found is not None:
                return found, _UNDER[accent] if _accented_script(self._text[found]) else ""
        return None

    def _letter(self, at: int, accent: str, drawn_on: Callable[[Box], float | None], reach: int) -> int | None:
        """The nearest letter in PDFium's order the accent is drawn on (`drawn_on` says how far off its middle); one
        beside the accent's middle only right after the accent (spaces between skipped), where TeX sets an accent's
        letter."""
        after = at + 1  # the character right after the accent, spaces skipped
        while after < self.end and self._text[after] == " ":
            after += 1
        for letters in self._nearest_letters(at, accent, reach):
            near = [(off, index) for index in letters
                    if (off := drawn_on(self.box(index))) is not None and (off <= _INSIDE or index == after)]
            if near:
                index = min(near)[1]
                return index if self._upright(index) else None
        return None

    def _nearest_letters(self, at: int, accent: str, reach: int) -> Iterator[list[int]]:
        """The letters `accent` may go on (`_LETTERS`) within `reach` of `at`, the nearest first, those as near
        together. "`", "^" and "~" are OT1's accents only on its letters, the ASCII ones and a dotless i or j
        (elsewhere they are code's: "^Έ"); TeX sets them next to their letter, but PDFium may list one over a
        capital a line away ("FACOLT`A"), or one standing alone between spaces words away ("vingti`eme" read as
        "vingtieme `"): past its neighbours, a mark looks at the letters within `_ALONE_REACH` when it stands alone,
        and at capitals only beyond that or when it is written onto a word, which spares the boxes of a code
        listing's letters."""
        if accent not in _ASCII_ACCENTS:
            yield from _by_distance(self._letters("emphasised" if accent == _DOT else "accented"), at, reach)
            return
        yield [index for index in (at - 1, at + 1) if self.start <= index < self.end
               and _LETTERS["ascii"].fullmatch(self._text[index])]
        alone = all(not self.start <= index < self.end or self._text[index] in " \r\n" for index in (at - 1, at + 1))
        if alone:
            yield from _by_distance(self._letters("ascii"), at, _ALONE_REACH, nearest=2)
        yield from _by_distance(self._letters("capital"), at, reach, nearest=_ALONE_REACH + 1 if alone else 2)

    def _letters(self, kind: str) -> list[int]:
        """The indices of the part's letters of `kind` (`_LETTERS`), found once."""
        found = self._kinds.get(kind)
        if found is None:
            found = self._kinds[kind] = [match.start() for match in _LETTERS[kind].finditer(
                self._text, self.start, self.end)]
        return found

    def _upright(self, index: int) -> bool:
        """Whether the letter at `index` is drawn upright: text turned or mirrored has its over and under swapped."""
        matrix = pdfium_c.FS_MATRIX()
        char = self._char(index)
        if char < 0 or not pdfium_c.FPDFText_GetMatrix(self._textpage.raw, char, matrix):
            return False
        slant = _UPRIGHT_SLANT * max(abs(matrix.a), abs(matrix.d))
        return bool(matrix.a > 0 and matrix.d > 0 and abs(matrix.b) <= slant and abs(matrix.c) <= slant)

    def made_up_space(self, index: int, placed: set[int]) -> bool:
        """Whether the character at `index` is a space PDFium made up beside a misplaced accent: the glyphs either
        side of it (spaces and placed accents skipped) touch on one line, or one of them is a line end."""
        if not (self.start <= index < self.end and self._text[index] == " " and self._generated(index)):
            return False
        before, after = self._next_glyph(index, -1, placed), self._next_glyph(index, 1, placed)
        if before is None or after is None:
            return True
        size = seen_size(self._textpage, self._char(before), pdfium_c.FS_MATRIX())
        left, right = self.box(before), self.box(after)
        on_one_line = left[1] < right[3] and right[1] < left[3]
        return size is not None and on_one_line and right[0] - left[2] < _JOINED_GAP * size

    def spaced_twice(self, at: int, dropped: set[int]) -> bool:
        """Whether the accent at `at` sat between two spaces that both stay: one of them goes."""
        return all(self.start <= side < self.end and self._text[side] == " " and side not in dropped
                   for side in (at - 1, at + 1))

    def emptied_line_end(self, at: int, dropped: set[int]) -> set[int]:
        """The line end after the accent at `at` when the accent, with spaces, was its line's all ("die⏎¨⏎unter"):
        a blank line would part a sentence into paragraphs."""
        before = at - 1
        while before >= self.start and (before in dropped or self._text[before] == " "):
            before -= 1
        if before >= self.start and self._text[before] not in "\r\n":
            return set()
        after = at + 1
        while after < self.end and (after in dropped or self._text[after] == " "):
            after += 1
        if after >= self.end or self._text[after] not in "\r\n":
            return set()
        return {after, after + 1} if self._text.startswith("\r\n", after) else {after}

    def _generated(self, index: int) -> bool:
        char = self._char(index)
        return char >= 0 and pdfium_c.FPDFText_IsGenerated(self._textpage.raw, char) == 1

    def _next_glyph(self, index: int, step: int, placed: set[int]) -> int | None:
        """The nearest character from `index` in direction `step` that is neither a space nor a placed accent; None
        at a line end or the part's end."""
        index += step
        while self.start <= index < self.end and (self._text[index] == " " or index in placed):
            index += step
        return index if self.start <= index < self.end and self._text[index] not in "\r\n" else None


def _accented_script(char: str) -> bool:
    return any(low <= char <= high for low, high in _ACCENTED_SCRIPTS)


def _by_distance(positions: list[int], at: int, reach: int, *, nearest: int = 1) -> Iterator[list[int]]:
    """The `positions` (sorted) from `nearest` to `reach` away from `at`, the nearest first, those as near together."""
    right = bisect.bisect_left(positions, at + nearest)
    left = bisect.bisect_right(positions, at - nearest) - 1
    while True:
        before = at - positions[left] if left >= 0 else reach + 1
        beyond = positions[right] - at if right < len(positions) else reach + 1
        distance = min(before, beyond)
        if distance > reach:
            return
        letters = []
        if before == distance:
            letters.append(positions[left])
            left -= 1
        if beyond == distance:
            letters.append(positions[right])
            right += 1
        yield letters


def _over(mark: Box, letter: Box) -> float | None:
    """How far off the middle of `letter` a mark is drawn over it (its middle within the letter's width, or a
    quarter of it beside, and its bottom between the letter's middle and half the letter's height above it);
    None when it is not."""
    height = letter[3] - letter[1]
    return _off(mark, letter) if letter[1] + height / 2 <= mark[1] <= letter[3] + height / 2 else None


def _under(mark: Box, letter: Box) -> float | None:
    """As `_over`, for a mark drawn under `letter` (its top between the letter's middle and half its height
    below it)."""
    height = letter[3] - letter[1]
    return _off(mark, letter) if letter[1] - height / 2 <= mark[3] <= letter[1] + height / 2 else None


def _off(mark: Box, letter: Box) -> float | None:
    """How far the mark's middle is from the letter's, in widths of the letter; None beyond `_BESIDE` of its box,
    or for a letter with no area (a line end's box)."""
    width, height = letter[2] - letter[0], letter[3] - letter[1]
    if not (width > 0 and height > 0):
        return None
    middle = (mark[0] + mark[2]) / 2
    if not letter[0] - _BESIDE * width <= middle <= letter[2] + _BESIDE * width:
        return None
    return abs(middle - (letter[0] + letter[2]) / 2) / width
