"""What a reader sees of one character of a PDF page: the size it is drawn at."""

from __future__ import annotations

import math

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

_SLANT_DEGREES = 5.0


def seen_size(textpage: pdfium.PdfTextPage, index: int, matrix: pdfium_c.FS_MATRIX) -> float | None:
    """The size a reader sees: the font size times the height the character's matrix (text matrix and page
    transform) gives it across its baseline. dvips sets every font at size 1 and scales it there, so the font
    size alone made a 17 pt title as large as its 10 pt text; a horizontal stretch (Tz) adds no height. None for
    a character whose baseline runs at a slant to the page's edges (more than `_SLANT_DEGREES` off any quarter
    turn: a page turned by /Rotate, or content turned by a quarter inside it, stays square)."""
    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, index)
    if pdfium_c.FPDFText_GetMatrix(textpage.raw, index, matrix):
        if abs(math.remainder(math.degrees(math.atan2(matrix.b, matrix.a)), 90.0)) > _SLANT_DEGREES:
            return None
        baseline = math.hypot(matrix.a, matrix.b)
        size *= abs(matrix.a * matrix.d - matrix.b * matrix.c) / baseline if baseline else 0.0
    return _font_size(size)


def _font_size(size: float) -> float:
    # A negative size sets the glyphs mirrored at that size; a size that is no number is none.
    return abs(size) if math.isfinite(size) else 0.0
