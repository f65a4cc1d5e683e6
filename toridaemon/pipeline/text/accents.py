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

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# Spacing accents TeX sets as glyphs of their own, and the combining mark each stands for.
SPACING_ACCENTS = {
    "\u00b4": "\u0301", "`": "\u0300", "\u00a8": "\u0308", "\u02c6": "\u0302", "^": "\u0302", "\u02dc": "\u0303",
    "~": "\u0303", "\u00b8": "\u0327", "\u02da": "\u030a", "\u02c7": "\u030c", "\u02d8": "\u0306", "\u02d9": "\u0307",
    "\u02dd": "\u030b", "\u00af": "\u0304", "\u02db": "\u0328",
}
_SPACING_ACCENT = re.compile(f"[{re.escape(''.join(SPACING_ACCENTS))}]")
_REACH = 120  # characters either side of an accent in PDFium's order where its letter is looked for
_MOST_ACCENTS = 2000  # placed per text: bounds the work on a page of nothing but accents
# A space PDFium makes up next to an accent it lists out of place ("tre ´ s´c") goes with the accent when the
# letters either side are closer than this share of the font size: a word space is a fifth of it or more.
_JOINED_GAP = 0.15
_DOTLESS = {"\u0131": "i", "\u0237": "j"}  # TeX accents an i or a j set dotless
Box = tuple[float, float, float, float]  # left, bottom, right, top


def placed_accents(textpage: pdfium.PdfTextPage, text: str, start: int = 0, end: int | None = None) -> str:
    """`text[start:end]` with each spacing accent put on the letter of that part it is drawn over or under, and the
    spaces PDFium made up around it dropped ("tre ´ s´c" → "treść"); an accent drawn over no letter stays. The
    caller vouches that `text`'s indices are PDFium's character indices of `textpage`."""
    part = _Part(textpage, text, start, len(text) if end is None else end)
    marked: dict[int, str] = {}  # letter index → its combining marks
    placed: set[int] = set()
    for mark in _SPACING_ACCENT.finditer(text, part.start, part.end):
        if len(placed) >= _MOST_ACCENTS:
            break
        letter = part.accented_letter(mark.start())
        if letter is not None:
            marked[letter] = marked.get(letter, "") + SPACING_ACCENTS[mark.group()]
            placed.add(mark.start())
    if not placed:
        return text[part.start : part.end]
    dropped = placed | {side for at in placed for side in (at - 1, at + 1) if part.made_up_space(side, placed)}
    kept = (
        _DOTLESS.get(text[index], text[index]) + marked[index] if index in marked else text[index]
        for index in range(part.start, part.end)
        if index not in dropped
    )
    return unicodedata.normalize("NFC", "".join(kept))


class _Part:
    """Part `start`..`end` of a page's text, with the boxes of its characters, each asked of PDFium once."""

    def __init__(self, textpage: pdfium.PdfTextPage, text: str, start: int, end: int) -> None:
        self._textpage = textpage
        self._text = text
        self.start, self.end = max(0, start), min(len(text), end)
        self._boxes: dict[int, Box] = {}

    def box(self, index: int) -> Box:
        box = self._boxes.get(index)
        if box is None:
            try:
                box = self._textpage.get_charbox(index)
            except pdfium.PdfiumError:  # no box: NaN compares false, so no accent goes on it and no space goes
                box = (math.nan,) * 4
            self._boxes[index] = box
        return box

    def accented_letter(self, at: int) -> int | None:
        """The index of the letter the accent at `at` is drawn over or under, the nearest in PDFium's order; None
        for none."""
        left, bottom, right, top = self.box(at)
        middle = (left + right) / 2
        for distance in range(1, _REACH + 1):
            for index in (at - distance, at + distance):
                if (self.start <= index < self.end and self._text[index].isalpha()
                        and _drawn_on(self.box(index), middle, bottom, top)):
                    return index
        return None

    def made_up_space(self, index: int, placed: set[int]) -> bool:
        """Whether the character at `index` is a space PDFium made up beside a misplaced accent: the characters
        either side of it (accents and spaces skipped) touch, or one of them is a line end."""
        if not (self.start <= index < self.end and self._text[index] == " "
                and pdfium_c.FPDFText_IsGenerated(self._textpage.raw, index) == 1):
            return False
        before, after = self._next_glyph(index, -1, placed), self._next_glyph(index, 1, placed)
        if before is None or after is None:
            return True
        gap = self.box(after)[0] - self.box(before)[2]
        return gap < _JOINED_GAP * float(pdfium_c.FPDFText_GetFontSize(self._textpage.raw, before))

    def _next_glyph(self, index: int, step: int, placed: set[int]) -> int | None:
        """The nearest character from `index` in direction `step` that is neither a space nor a placed accent; None
        at a line end or the part's end."""
        index += step
        while self.start <= index < self.end and (self._text[index] == " " or index in placed):
            index += step
        return index if self.start <= index < self.end and self._text[index] not in "\r\n" else None


def _drawn_on(letter: Box, middle: float, bottom: float, top: float) -> bool:
    """Whether a mark centred at `middle`, from `bottom` to `top`, sits over or under `letter`: its middle within
    the letter's width, and less than half the letter's height above or below it."""
    letter_left, letter_bottom, letter_right, letter_top = letter
    if not letter_left <= middle <= letter_right:
        return False
    height = letter_top - letter_bottom
    half = letter_bottom + height / 2
    return half <= bottom <= letter_top + height / 2 or letter_bottom - height / 2 <= top <= half
