"""Tesseract in-process through tesserocr: one API object per worker process for reading, and one for script
detection, each created lazily and reused.

Why tesserocr: its wheels bundle Tesseract 5.5 and Leptonica (nothing to install system-wide), and the
page image goes from PDFium's bitmap to Tesseract as raw bytes, with no PNG encode and no subprocess
per page as with pytesseract. `OMP_THREAD_LIMIT=1` keeps each worker on one core: the daemon already
runs one worker per core, and OpenMP threads inside each would only fight over them.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageFilter

from toridaemon.pipeline.text.title import FOOTNOTE_MARKS, TOP_SHARE, Line

_POINTS_PER_INCH = 72
# Tesseract's mean word confidence on the corpus pages: 57-94 upright (150 and 300 dpi, blurred), 28-41 upside down.
_UPSIDE_DOWN_CONFIDENCE = 50
# Of a page's pixels, the share dark with no dark neighbour that marks dust (see `_despeckled`): at 200 dpi and
# more; from 100 to 200 dpi, where clean small text has up to 0.6 % of its own; none checked under 100 dpi.
_SPECKLE_SHARE = 0.002
_SPECKLE_SHARE_COARSE = 0.015
_SPECKLE_FINE_DPI = 200
_SPECKLE_MIN_DPI = 100
# Dust in specks of up to 2×2 pixels, counted as 2×2 windows holding dark pixels with none in the ring of pixels
# around them, per pixel of the page: at 300 dpi (and more), where the 212 clean corpus pages (the first four of each
# file) have at most 0.016 % (leader dots; median 0.001 %) and 2 of them more than this (6 more than 0.008 %, and
# there the commas whose tails stand alone turned to full stops); at 250 dpi 20 of them have more.
_SPECK_WINDOWS = 0.00012
_SPECK_WINDOWS_MIN_DPI = 280
_STRIP_ROWS = 512
_RESOLUTION_MISMATCH = 0.9  # a scan under 90 % of `ocr_dpi` is checked for dust at its own resolution
_SCAN_COVERAGE = 0.8  # share of the page one image must cover for the page to be a scan
_ANISOTROPY = 1.1  # resolutions across and down further apart than this: no one rendering suits the scan
# A page that would render to more pixels is read at the resolution that gives this many (an A1 sheet at 300 dpi
# is 70 million): the largest page the PDF format provides for (200 inches square; PDFium takes larger ones) is
# 3.6 billion pixels at 300 dpi, which took 7 GB and half a minute to render, and Leptonica, refusing images over
# 2^31 bytes, crashed the worker. A side is held under Tesseract's limit too: a sliver of a page has little area.
_MAX_PIXELS = 64_000_000
_MAX_SIDE = 32_000
_X_HEIGHT_EM = 0.45  # a Latin font's x-height, in ems (Computer Modern 0.43, Times 0.45): from it, the font size
_MAX_TOP_LINES = 60  # lines atop a page read for its title: a page of tiny print has hundreds


class OcrUnavailable(Exception):
    """tesserocr cannot be loaded or has no data for any requested language."""


class OcrPageFailed(Exception):
    """One page could not be read: its rendering or Tesseract ran out of the worker's memory ("Failed to
    recognize"), or PDFium could not render it."""


@dataclass(frozen=True, slots=True)
class OcrPage:
    text: str
    seconds: float
    timed_out: bool
    turned: bool = False  # read turned 180° (a sheet scanned upside down)
    confidence: int = 100  # Tesseract's mean word confidence of the reading kept, 0-100
    lines: tuple[Line, ...] = ()  # when asked (`title_lines`): the lines atop the page, each with its read size


class _Engine:
    """One Tesseract API object of the process; re-initialised only when the languages change. `scripts`: set up
    for script detection (the `osd` data, read by Tesseract's legacy engine) rather than for reading."""

    def __init__(self, *, scripts: bool = False) -> None:
        self._api: Any = None
        self._key: tuple[Path, str] | None = None
        self._scripts = scripts

    def api(self, folder: Path, languages: str) -> Any:
        if self._key == (folder, languages):
            return self._api
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # read by OpenMP when the library starts
        try:
            import tesserocr
        except ImportError as exc:  # the wheel is a main dependency; this is a broken install
            raise OcrUnavailable(f"tesserocr cannot be imported: {exc}") from exc
        except UnicodeError as exc:  # it reads $TESSDATA_PREFIX as UTF-8 when imported: a Latin-1 folder name
            raise OcrUnavailable(f"tesserocr cannot be imported (TESSDATA_PREFIX is no UTF-8 path): {exc}") from exc
        if self._api is None:
            self._api = tesserocr.PyTessBaseAPI(init=False)
        try:
            oem = tesserocr.OEM.DEFAULT if self._scripts else tesserocr.OEM.LSTM_ONLY
            self._api.Init(path=f"{folder}/", lang=languages, oem=oem)
            if self._scripts:
                self._api.SetPageSegMode(tesserocr.PSM.OSD_ONLY)
        except (RuntimeError, UnicodeError) as exc:  # UnicodeError: Tesseract takes the folder's name as UTF-8
            self._discard()
            raise OcrUnavailable(f"Tesseract cannot load {languages} from {folder}: {exc}") from exc
        self._key = (folder, languages)
        return self._api

    def _discard(self) -> None:
        """Drop the API object: a failed Init leaves Tesseract half set up, and a later Init of data that loads
        kept that state and read every page as empty, for the rest of the worker's life."""
        api, self._api, self._key = self._api, None, None
        with contextlib.suppress(RuntimeError):
            api.End()


_ENGINE = _Engine()
_SCRIPT_ENGINE = _Engine(scripts=True)  # its own object: switching one between osd and a language reloads both


def recognize(page: pdfium.PdfPage, *, folder: Path, languages: str, dpi: float, timeout_seconds: float,
              title_lines: bool = False) -> OcrPage:
    """OCR one page rendered in grey at `dpi`; a page past its timeout keeps what was read so far.

    A page read with a low mean word confidence is read again turned 180°, and the better reading is kept: a
    sheet fed upside down. (Tesseract's layout analysis turns sideways text lines itself, so a page scanned at
    90° or 270° reads either right or upside down; no other angle needs trying.) A page too large to render at
    `dpi` (see `bounded_dpi`) is read at the resolution that fits."""
    started = time.perf_counter()
    api = _ENGINE.api(folder, languages)
    dpi = bounded_dpi(page.get_size(), dpi)
    native = _scan_dpi(page)  # the page's objects do not change between the two readings
    reading = _read(api, page, dpi, native=native, rotation=0, timeout_seconds=timeout_seconds,
                    title_lines=title_lines)
    spent = time.perf_counter() - started
    turned = False
    # Only when a second reading as long as the first fits in what is left of the page's time: rendering and
    # layout analysis are outside Tesseract's deadline, and a cut-off reading must not replace a whole one.
    if (reading.finished and reading.confidence < _UPSIDE_DOWN_CONFIDENCE and timeout_seconds - spent >= spent
            and reading.text.strip()):
        try:
            other = _read(api, page, dpi, native=native, rotation=180, timeout_seconds=timeout_seconds - spent,
                          title_lines=title_lines)
        except OcrPageFailed:  # the upright reading stands
            other = None
        if other is not None and other.finished and other.confidence > reading.confidence:
            reading, turned = other, True
    return OcrPage(text=reading.text, seconds=time.perf_counter() - started, timed_out=not reading.finished,
                   turned=turned, lines=reading.lines, confidence=reading.confidence)


def bounded_dpi(size: tuple[float, float], dpi: float) -> float:
    """`dpi`, or less for a page (`size` in points) that would render to more than `_MAX_PIXELS`, or to a side
    longer than `_MAX_SIDE`, at `dpi`."""
    width, height = abs(size[0]), abs(size[1])
    pixels = width * height * (dpi / _POINTS_PER_INCH) ** 2
    if pixels > _MAX_PIXELS:
        dpi *= math.sqrt(_MAX_PIXELS / pixels)
    longest = max(width, height) * dpi / _POINTS_PER_INCH
    return dpi * _MAX_SIDE / longest if longest > _MAX_SIDE else dpi


@dataclass(frozen=True, slots=True)
class _Reading:
    text: str
    finished: bool  # within the timeout
    confidence: int  # Tesseract's mean word confidence, 0-100
    lines: tuple[Line, ...]


def _read(
    api: Any, page: pdfium.PdfPage, dpi: float, *, native: float | None, rotation: int, timeout_seconds: float,
    title_lines: bool,
) -> _Reading:
    """The reading of the page turned by `rotation`, with the lines atop it when `title_lines`; `native` is the
    resolution of the scan the page is (`_scan_dpi`), if it is one."""
    try:
        height = _set_image(api, page, dpi, native=native, rotation=rotation)
        finished = bool(api.Recognize(timeout=max(1, int(timeout_seconds * 1000))))
        lines = _top_lines(api, dpi, height) if title_lines else ()
        confidence = int(api.MeanTextConf()) if finished else _confidence_of_words_read(api)
        return _Reading(str(api.GetUTF8Text() or ""), finished, confidence, lines)
    except (RuntimeError, MemoryError) as exc:
        raise OcrPageFailed(str(exc) or type(exc).__name__) from exc
    finally:
        api.Clear()


def detect_script(page: pdfium.PdfPage, *, folder: Path, dpi: float) -> str | None:
    """The script Tesseract finds the page written in ("Latin", "Cyrillic", "Greek", "Han", ...), from the `osd`
    data in `folder`; None when it finds no text to tell it by. 0.2 to 0.7 s an A4 page at 300 dpi (3 s an A1 one),
    outside any page timeout (as layout analysis is: it is most of the work)."""
    api = _SCRIPT_ENGINE.api(folder, "osd")
    dpi = bounded_dpi(page.get_size(), dpi)
    try:
        _set_image(api, page, dpi, native=_scan_dpi(page), rotation=0)
        found = api.DetectOrientationScript()
    except (RuntimeError, MemoryError) as exc:
        raise OcrPageFailed(str(exc) or type(exc).__name__) from exc
    finally:
        api.Clear()
    return str(found["script_name"]) if found else None


def _set_image(api: Any, page: pdfium.PdfPage, dpi: float, *, native: float | None, rotation: int) -> int:
    """Give `api` the page rendered in grey at `dpi`, turned by `rotation` and cleaned of dust; its height in
    pixels. `native` is the resolution of the scan the page is (`_scan_dpi`), if it is one."""
    try:
        bitmap = page.render(scale=dpi / _POINTS_PER_INCH, grayscale=True, rotation=rotation)
    except (MemoryError, pdfium.PdfiumError) as exc:
        raise OcrPageFailed(f"cannot render the page: {exc!r}") from exc
    try:
        if native is not None and native < dpi * _RESOLUTION_MISMATCH:  # dust is blobs at this rendering
            cleaned = _despeckled_at(page, native, rotation, (bitmap.width, bitmap.height))
        else:
            cleaned = _despeckled(_grey_pixels(bitmap), dpi)
        if cleaned is None:
            api.SetImageBytes(bytes(bitmap.buffer), bitmap.width, bitmap.height, 1, bitmap.stride)
        else:
            api.SetImageBytes(cleaned, bitmap.width, bitmap.height, 1, bitmap.width)
        height: int = bitmap.height
    finally:
        bitmap.close()  # Tesseract holds its own copy: the rendering's memory goes back before recognition
    api.SetSourceResolution(max(1, round(dpi)))
    return height


def _confidence_of_words_read(api: Any) -> int:
    """The mean confidence of the words a reading cut off by its timeout got to. Tesseract's own mean counts the
    words it never reached (blank, at 95): Arabic read with English data rose from 36 whole to 80 cut off at 0.3 s,
    and passed for text."""
    read = [confidence for word, confidence in api.MapWordConfidences() if word.strip()]
    return round(sum(read) / len(read)) if read else 0


def _top_lines(api: Any, dpi: float, height: int) -> tuple[Line, ...]:
    """The text lines Tesseract found in the top part of the image (`height` pixels high), each with the font size
    a reader sees, as `title.top_lines` gives them for a text layer. The size is told from the line's x-height
    (Tesseract's row height less its ascenders and descenders): the row height itself depends on the letters a
    line holds (a title's 17 pt row measured 15.6 to 17.3 pt), its x-height on the font alone."""
    import tesserocr  # loaded by now: `_Engine` made `api`

    iterator = api.GetIterator()
    if iterator is None:  # nothing recognised
        return ()
    points = _POINTS_PER_INCH / dpi
    lines: list[Line] = []
    for line in tesserocr.iterate_level(iterator, tesserocr.RIL.TEXTLINE):
        if line.Empty(tesserocr.RIL.TEXTLINE):  # a page of no text yields its empty iterator: asking it crashed
            continue
        box, row = line.BoundingBox(tesserocr.RIL.TEXTLINE), line.RowAttributes()
        if box is None or not row or box[1] > height * TOP_SHARE:
            continue
        text = " ".join(str(line.GetUTF8Text(tesserocr.RIL.TEXTLINE) or "").split()).rstrip(FOOTNOTE_MARKS).rstrip()
        x_height = row["row_height"] - row["ascenders"] + row["descenders"]  # descenders are negative
        lines.append(Line(text=text, size=max(0.0, x_height) * points / _X_HEIGHT_EM, top=box[1] * points))
        if len(lines) >= _MAX_TOP_LINES:
            break
    return tuple(lines)


def _grey_pixels(bitmap: pdfium.PdfBitmap) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A grey rendering's pixels as rows × columns (its rows are padded to `stride` bytes)."""
    pixels: np.ndarray[Any, np.dtype[np.uint8]] = bitmap.to_numpy().reshape(bitmap.height, -1)[:, : bitmap.width]
    return pixels


def _despeckled(pixels: np.ndarray[Any, np.dtype[np.uint8]], dpi: float) -> bytes | None:
    """The page's bytes cleaned of dust on the glass, else None.

    One-pixel dust: dark pixels with no dark 4-neighbour (text strokes at 200 dpi and more are never one pixel
    wide), cleaned by a 3×3 median filter. At 300 dpi the 897 clean corpus pages have at most 0.054 % of them
    (median 0.006 %); 3 % dust turned a page's reading to garbage (mean word confidence 91 → 56), 6 % to
    nothing, and 10 % kept Tesseract's layout analysis busy for 96 s past a 1 s recognition timeout; filtered,
    each read as the clean page did. Below 200 dpi small clean text has such pixels too (page 1-4 of each corpus
    file: at most 0.19 % at 150 dpi, 0.44 % at 120, 0.6 % at 100), so there only a share over 1.5 % is dust, and
    under 100 dpi none is looked for. Dust only stays one pixel when the scan's resolution is the rendering's
    (see `_despeckled_at`).

    Specks of up to 2×2 pixels with nothing within a pixel of them (`_lone_specks`), at 300 dpi and more: over
    0.03 % of a prose page's pixels such dust raised its word error rate from 2.7 % to 8.9 %, over 0.1 % to
    20.7 %. Where one-pixel dust does not call for the filter and they are many, their windows alone are made
    white (`_without_lone_specks`); a lone pixel fills four windows, so sparse one-pixel dust is made white so too.
    So are the dots of print under 6 pt (i-dots and full stops at 5 pt).

    The checks cost about 11 ms a 300 dpi page (in strips, so a huge page needs no page-sized masks), the filter
    about 200 ms and the whitening 20 ms, only on speckled pages; a page too large to clean in the worker's memory
    is read as it is."""
    height, width = pixels.shape
    if dpi < _SPECKLE_MIN_DPI or height < 3 or width < 3:
        return None
    share = _SPECKLE_SHARE if dpi >= _SPECKLE_FINE_DPI else _SPECKLE_SHARE_COARSE
    try:
        alone, specks = _dust_counts(pixels, dpi)
        if alone >= share * (height - 2) * (width - 2):
            return Image.fromarray(np.ascontiguousarray(pixels), "L").filter(ImageFilter.MedianFilter(3)).tobytes()
        return _without_lone_specks(pixels) if specks >= _SPECK_WINDOWS * height * width else None
    except MemoryError:
        return None


def _dust_counts(pixels: np.ndarray[Any, np.dtype[np.uint8]], dpi: float) -> tuple[int, int]:
    """The page's dark pixels with no dark 4-neighbour, and its lone 2×2 specks' windows (counted at
    `_SPECK_WINDOWS_MIN_DPI` and more only)."""
    alone = specks = 0
    for top, bottom, block in _dark_strips(pixels):
        dark = block[: bottom - top + 2]  # rows top..bottom-1, each with its neighbours above and below
        inner = dark[1:-1, 1:-1]
        alone += int(np.count_nonzero(inner & ~dark[:-2, 1:-1] & ~dark[2:, 1:-1] & ~dark[1:-1, :-2] & ~dark[1:-1, 2:]))
        if dpi >= _SPECK_WINDOWS_MIN_DPI:
            specks += int(np.count_nonzero(_lone_specks(block)))
    return alone, specks


def _dark_strips(pixels: np.ndarray[Any, np.dtype[np.uint8]]
                 ) -> Iterator[tuple[int, int, np.ndarray[Any, np.dtype[np.bool_]]]]:
    """The page in strips of rows top..bottom-1 (from row 1), each as (top, bottom, its dark pixels with one row
    more above and two below): the neighbours of each row, and the rings of the 2×2 windows starting on it. In
    strips, a huge page needs no page-sized masks."""
    height = pixels.shape[0]
    for top in range(1, height - 1, _STRIP_ROWS):
        bottom = min(top + _STRIP_ROWS, height - 1)
        yield top, bottom, pixels[top - 1 : bottom + 2] < 128


def _lone_specks(dark: np.ndarray[Any, np.dtype[np.bool_]]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """The 2×2 windows of `dark` (rows i, i + 1 and columns j, j + 1, for i from 1 to its height − 3 and j from 1
    to its width − 3) that hold dark pixels while the 12 pixels around them hold none: dust of up to 2×2 pixels.
    Such a speck fills exactly one window (a lone pixel four)."""
    pairs_down = dark[:-1] | dark[1:]  # row i: rows i and i + 1
    pairs_across = dark[:, :-1] | dark[:, 1:]
    fours_across = pairs_across[:, :-2] | pairs_across[:, 2:]  # column j: columns j to j + 3
    held = pairs_down[1:-1, 1:-2] | pairs_down[1:-1, 2:-1]
    ring = fours_across[:-3] | fours_across[3:] | pairs_down[1:-1, :-3] | pairs_down[1:-1, 3:]
    lone: np.ndarray[Any, np.dtype[np.bool_]] = held & ~ring
    return lone


def _without_lone_specks(pixels: np.ndarray[Any, np.dtype[np.uint8]]) -> bytes:
    """The page's bytes with the 2×2 window of every lone speck (`_lone_specks`) made white, grey pixels in it
    too; nothing outside them changes, and this costs a page some 20 ms where the median filter costs some 200
    (a clean page with leader dots pays it too)."""
    cleaned = np.array(pixels)
    for top, _bottom, block in _dark_strips(pixels):
        lone = _lone_specks(block)  # window (a, b): rows top + a, columns b + 1
        rows, columns = lone.shape
        for down in (0, 1):
            for across in (1, 2):
                cleaned[top + down : top + down + rows, across : across + columns][lone] = 255
    return cleaned.tobytes()


def _despeckled_at(page: pdfium.PdfPage, native: float, rotation: int, size: tuple[int, int]) -> bytes | None:
    """For a scan made at a lower resolution than it is read at (a 200 dpi scan read at 300 dpi): rendered larger,
    its dust is blobs no 3×3 median removes. So the check and the filter run on a rendering at the scan's own
    resolution `native`, and the cleaned page is scaled to `size`. None when it is not speckled."""
    if native < _SPECKLE_MIN_DPI:
        return None
    bitmap = page.render(scale=native / _POINTS_PER_INCH, grayscale=True, rotation=rotation)
    try:
        width, height = bitmap.width, bitmap.height
        cleaned = _despeckled(_grey_pixels(bitmap), native)
    finally:
        bitmap.close()
    if cleaned is None:
        return None
    try:
        return Image.frombytes("L", (width, height), cleaned).resize(size, Image.Resampling.BILINEAR).tobytes()
    except MemoryError:
        return None


def _scan_dpi(page: pdfium.PdfPage) -> float | None:
    """The resolution of the one image that makes up a scanned page, or None when the page is not that: not one
    top-level image (one inside a form has the form's coordinates, not the page's) over most of the page, or
    one with unequal resolutions across and down (a 204×98 dpi fax: no single rendering keeps its dust single
    pixels). Read with PDFium's own calls, stopping at a second image: a page may hold 50,000 drawing objects."""
    image = _only_image(page)
    matrix, wide, high = pdfium_c.FS_MATRIX(), ctypes.c_uint(), ctypes.c_uint()
    if image is None or not (pdfium_c.FPDFPageObj_GetMatrix(image, matrix)
                             and pdfium_c.FPDFImageObj_GetImagePixelSize(image, wide, high)):
        return None
    # The matrix maps the image's unit square onto the page: its columns are the placed sides, in points, whatever
    # the turn or skew; their cross product is the area covered.
    across = math.hypot(matrix.a, matrix.b) / _POINTS_PER_INCH
    down = math.hypot(matrix.c, matrix.d) / _POINTS_PER_INCH
    area = abs(matrix.a * matrix.d - matrix.b * matrix.c) / _POINTS_PER_INCH**2
    page_width, page_height = page.get_size()
    if not (across > 0 and down > 0 and area >= _SCAN_COVERAGE * page_width * page_height / _POINTS_PER_INCH**2):
        return None
    first, second = wide.value / across, high.value / down
    if not first or not second or max(first, second) > _ANISOTROPY * min(first, second):
        return None
    return float(round(math.sqrt(first * second)))  # 199.99999 is a 200 dpi scan


def _only_image(page: pdfium.PdfPage) -> Any:
    """The page's one top-level image object (a raw handle), or None when it has none or several."""
    image = None
    for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        found = pdfium_c.FPDFPage_GetObject(page.raw, index)
        if pdfium_c.FPDFPageObj_GetType(found) == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            if image is not None:
                return None
            image = found
    return image
