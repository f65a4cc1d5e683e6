"""Accents a font draws as glyphs of their own, put back on their letters by where they are drawn.

A font without accented letters (TeX's OT1, some Polish and Czech fonts) draws an accent apart from its letter,
over or under it, and PDFium lists it before the letter, after it, or a word later: "tre ´ s´c" for "treść",
"najcz˛esciej" for "najczęściej". Each goes on the letter whose box it is drawn over or under, and the spaces PDFium
made up around one it listed out of place go with it. Cleaning (`clean.clean_page`) puts an accent on the letter
after it, for text without boxes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from itertools import islice

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from toridaemon.pipeline.text.glyphs import seen_size

# Spacing accents TeX sets as glyphs of their own, and the combining mark each stands for.
SPACING_ACCENTS = {
    "\u00b4": "\u0301", "`": "\u0300", "\u00a8": "\u0308", "\u02c6": "\u0302", "^": "\u0302", "\u02dc": "\u0303",
    "~": "\u0303", "\u00b8": "\u0327", "\u02da": "\u030a", "\u02c7": "\u030c", "\u02d8": "\u0306", "\u02d9": "\u0307",
    "\u02dd": "\u030b", "\u00af": "\u0304", "\u02db": "\u0328",
}
# Accents drawn under a letter, and the combining mark each stands for there; the others are drawn over it.
_UNDER = {"\u00b8": "\u0327", "\u02db": "\u0328", "\u00af": "\u0331", "\u02d9": "\u0323"}
_OVER = frozenset(SPACING_ACCENTS) - {"\u00b8", "\u02db"}
_SPACING_ACCENT = re.compile(f"[{re.escape(''.join(SPACING_ACCENTS))}]")
_REACH = 120  # characters either side of an accent in PDFium's order where its letter is looked for
_MOST_ACCENTS = 2000  # looked at per text: bounds the work on a page of nothing but accents
# A space PDFium makes up next to an accent it lists out of place ("tre ´ s´c") goes with the accent when the
# glyphs either side are closer than this share of the size they are drawn at: a word space is a quarter of it or
# more, a gap inside a word (the sides of two letters, a kern) some 0.15 at most.
_JOINED_GAP = 0.2
_DOTLESS = {"\u0131": "i", "\u0237": "j"}  # TeX accents an i or a j set dotless
Box = tuple[float, float, float, float]  # left, bottom, right, top


def placed_accents(textpage: pdfium.PdfTextPage, text: str, start: int = 0, end: int | None = None, *,
                   aligned: bool = True) -> str:
    """`text[start:end]` with each spacing accent put on the letter of that part it is drawn over or under, and the
    spaces PDFium made up around it dropped ("tre ´ s´c" → "treść"); an accent drawn on no letter stays. `text` is
    PDFium's text of `textpage`; `aligned`: its indices are PDFium's character indices (else they are mapped)."""
    part = _Part(textpage, text, start, len(text) if end is None else end, aligned)
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
        self._aligned = aligned
        self._boxes: dict[int, Box] = {}

    def _char(self, index: int) -> int:
        """PDFium's character index of the text's `index` (-1 for none)."""
        return index if self._aligned else int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(self._textpage.raw, index))

    def box(self, index: int) -> Box:
        box = self._boxes.get(index)
        if box is None:
            box = self._boxes[index] = self._box(index)
        return box

    def _box(self, index: int) -> Box:
        char = self._char(index)
        try:
            if char < 0:
                raise pdfium.PdfiumError("no character")
            left, bottom, right, top = self._textpage.get_charbox(char)
        except pdfium.PdfiumError:  # no box: NaN compares false, so no accent goes on it and no space goes
            return (math.nan,) * 4
        return float(left), float(bottom), float(right), float(top)

    def accented_letter(self, at: int, accent: str) -> tuple[int, str] | None:
        """The index of the letter the accent at `at` is drawn over or under, the nearest in PDFium's order, and the
        combining mark it stands for there; None for none."""
        left, bottom, right, top = self.box(at)
        middle = (left + right) / 2
        for distance in range(1, _REACH + 1):
            for index in (at - distance, at + distance):
                if not (self.start <= index < self.end and self._text[index].isalpha()):
                    continue
                letter = self.box(index)
                if accent in _OVER and _over(letter, middle, bottom):
                    return index, SPACING_ACCENTS[accent]
                if accent in _UNDER and _under(letter, middle, top):
                    return index, _UNDER[accent]
        return None

    def made_up_space(self, index: int, placed: set[int]) -> bool:
        """Whether the character at `index` is a space PDFium made up beside a misplaced accent: the glyphs either
        side of it (accents and spaces skipped) touch, or one of them is a line end."""
        if not (self.start <= index < self.end and self._text[index] == " " and self._generated(index)):
            return False
        before, after = self._next_glyph(index, -1, placed), self._next_glyph(index, 1, placed)
        if before is None or after is None:
            return True
        size = seen_size(self._textpage, self._char(before), pdfium_c.FS_MATRIX())
        return size is not None and self.box(after)[0] - self.box(before)[2] < _JOINED_GAP * size

    def spaced_twice(self, at: int, dropped: set[int]) -> bool:
        """Whether the accent at `at` sat between two spaces that both stay: one of them goes."""
        return all(self.start <= side < self.end and self._text[side] == " " and side not in dropped
                   for side in (at - 1, at + 1))

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


def _over(letter: Box, middle: float, bottom: float) -> bool:
    """Whether a mark centred at `middle` whose lowest point is `bottom` is drawn over `letter`: its middle within
    the letter's width, and its bottom between the letter's middle and half the letter's height above it."""
    letter_left, letter_bottom, letter_right, letter_top = letter
    height = letter_top - letter_bottom
    return letter_left <= middle <= letter_right and letter_bottom + height / 2 <= bottom <= letter_top + height / 2


def _under(letter: Box, middle: float, top: float) -> bool:
    """Whether a mark centred at `middle` whose highest point is `top` is drawn under `letter` (as `_over`)."""
    letter_left, letter_bottom, letter_right, letter_top = letter
    height = letter_top - letter_bottom
    return letter_left <= middle <= letter_right and letter_bottom - height / 2 <= top <= letter_bottom + height / 2
