"""Reading a PDF safely and pulling its text layer per page with PDFium."""

from __future__ import annotations

import ctypes
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from toridaemon.hashing import NotRegularFile, open_regular
from toridaemon.pipeline.errors import PipelineError
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.text.accents import placed_accents
from toridaemon.pipeline.text.title import Line, top_lines

_PDF_MAGIC = b"%PDF-"
# PDF readers accept a header anywhere in the first KiB; PDFium does too.
_MAGIC_WINDOW = 1024
# PDFium's load errors that mean "encrypted": a password we lack, or a security handler it cannot run.
_ENCRYPTED_ERRORS = frozenset({pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY})
# What the code reads when PDFium refuses a document without naming why (see _forget_last_error).
_NO_ERROR_NAMED = _ENCRYPTED_ERRORS | {pdfium_c.FPDF_ERR_SUCCESS, pdfium_c.FPDF_ERR_FILE}
_ENCRYPT_KEY = b"/Encrypt"  # in the trailer, or in the cross-reference stream's dictionary (never compressed)
_ESCAPED_NAME = re.compile(rb"/((?:[A-Za-z]|#[0-9A-Fa-f]{2}){7})(?![A-Za-z#])")  # seven characters, one escaped
# Pages with at most this many non-blank characters are checked for a page-sized image (a scan).
# Pages with at most this many visible characters get their image coverage measured: a scan may carry a stamp
# in a real font ("Scanned by CamScanner", a Bates number), and its words are in the image, not the text.
STAMP_CHARS = 200
STAMP_SHARE = 0.01  # a stamp's line or two cover some 0.2 % of a page; a slide's title, several per cent
FEW_CHARS = 16  # fewer visible characters than this: a page with (almost) no text (`quality.verdict`)
_MAX_OBJECTS = 5000  # a scan's page holds a few objects; a map or a CAD drawing may hold 200,000 paths
# TeX's math-symbol fonts (cmsy, its Latin Modern and AMS kin) put ⟨ and ⟩ at the codes of 'h' and 'i'.
_MATH_SYMBOL_FONT = re.compile(r"cmsy|lmsy|symbols?\b|mathsy", re.IGNORECASE)
# An opening 'h' at a word's start and a closing 'i' at a word's end, up to 40 characters apart
# ("hcmdi", "hrow header texti"); only such pairs are checked, so ordinary pages cost one regex scan.
# The literal 'h' comes first and the word-start check after it (on the character before the 'h'): a
# pattern that starts with a literal is searched for by skipping ahead, about six times faster here.
_BRACKET_PAIR = re.compile(r"h(?<![^\s({\[].)[^\n]{0,40}?(?<=\S)i(?![^\s)}\].,;:])")
_BRACKETS = {"h": "⟨", "i": "⟩"}
_FONT_NAME_BYTES = 128
_UNMAPPED_SAMPLE = 24  # characters checked per page: enough to tell a whole font from a stray glyph


@dataclass(frozen=True, slots=True)
class InputBytes:
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class LayerPage:
    """The text layer of one page; `image_coverage` and `text_share` are measured only for pages with little text
    (up to `STAMP_CHARS` visible characters)."""

    text: str
    image_coverage: float = 0.0
    text_share: float = 1.0  # the share of the page's area the text's boxes cover
    unmapped_share: float = 0.0  # sampled share of characters whose font has no usable Unicode mapping
    top_lines: tuple[Line, ...] = ()  # page 1 only: lines atop the page with their font sizes, for the title


def read_input(path: Path, options: PipelineOptions) -> InputBytes:
    """Read a regular file without following symlinks or blocking on FIFOs, within the byte limit."""
    try:
        handle, info = open_regular(path)
    except NotRegularFile as exc:
        raise PipelineError("read", "not_regular_file", f"{path.name} is not a regular file ({exc})") from exc
    except OSError as exc:
        raise PipelineError("read", "unreadable", f"cannot open {path.name}: {exc.strerror}") from exc
    with handle:
        if info.st_size == 0:
            raise PipelineError("read", "empty_file", f"{path.name} has zero bytes")
        if info.st_size > options.max_file_bytes:
            raise PipelineError(
                "read", "too_large", f"{info.st_size} bytes exceeds max_file_bytes={options.max_file_bytes}"
            )
        try:
            # Sized by the file, not by the limit: read(n) reserves n bytes up front, and a 200 MiB
            # reservation per file breaks a worker under its memory cap. One byte more shows growth.
            data = handle.read(info.st_size + 1)
        except OSError as exc:
            raise PipelineError("read", "unreadable", f"cannot read {path.name}: {exc.strerror}") from exc
    if len(data) > options.max_file_bytes:
        raise PipelineError("read", "too_large", f"file grew beyond max_file_bytes={options.max_file_bytes}")
    if len(data) > info.st_size:
        raise PipelineError("read", "changed_during_processing", f"{path.name} grew while it was read")
    if not data:
        raise PipelineError("read", "empty_file", f"{path.name} has zero bytes")
    return InputBytes(data=data, sha256=hashlib.sha256(data).hexdigest())


def open_document(data: bytes, options: PipelineOptions) -> pdfium.PdfDocument:
    """Open the document (empty password allowed) and check the page limit; the caller closes it."""
    _forget_last_error()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _open_error(exc, data) from exc
    count = len(pdf)
    if count > options.max_pages:
        pdf.close()
        raise PipelineError("limits", "too_many_pages", f"{count} pages exceeds max_pages={options.max_pages}")
    return pdf


def _forget_last_error() -> None:
    """Set PDFium's last error to "file not found", which no document in memory gives.

    PDFium keeps its last error: a document it refuses without naming one (a page tree of no pages, "/Count 0")
    would otherwise read as whatever an earlier file in this process failed with.
    """
    pdfium_c.FPDF_LoadDocument(b"", None)  # opening no path fails at once and sets FPDF_ERR_FILE


def _open_error(exc: pdfium.PdfiumError, data: bytes) -> PipelineError:
    # PDFium's error code, not the message's wording, says why: messages change between releases.
    # Encryption is only believed where the file has an /Encrypt entry.
    code = getattr(exc, "err_code", None)
    if code in _ENCRYPTED_ERRORS and _has_encrypt_entry(data):
        return PipelineError("open", "encrypted", f"the document is encrypted ({exc})")
    if _PDF_MAGIC not in data[:_MAGIC_WINDOW]:
        return PipelineError("open", "not_a_pdf", f"no PDF header and PDFium says: {exc}")
    if code in _NO_ERROR_NAMED:
        return PipelineError("open", "corrupt_pdf", "PDFium cannot load the document and names no error of its "
                             "own: a document without pages does this")
    return PipelineError("open", "corrupt_pdf", str(exc))


def _has_encrypt_entry(data: bytes) -> bool:
    """Whether the file names an /Encrypt entry, also spelt with a name's #xx escapes ("/Encr#79pt")."""
    if _ENCRYPT_KEY in data:
        return True
    return b"#" in data and any(_unescaped(name) == _ENCRYPT_KEY[1:] for name in _ESCAPED_NAME.findall(data))


def _unescaped(name: bytes) -> bytes:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda escape: bytes([int(escape.group(1), 16)]), name)


def layer_page(pdf: pdfium.PdfDocument, index: int) -> LayerPage:
    """The text layer of page `index`, TeX's math brackets restored; raises `PipelineError` on failure."""
    try:
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            try:
                text = str(textpage.get_text_range())
                text = placed_accents(textpage, _brackets(textpage, text), aligned=textpage.count_chars() == len(text))
                lines = tuple(top_lines(textpage, page)) if index == 0 else ()
                unmapped = _unmapped_share(textpage)
                visible = visible_chars(text)
                # The text's share first (at most STAMP_CHARS characters: cheap); the walk over the page's
                # objects only where the text is a stamp's or less.
                share = _text_share(textpage, page) if FEW_CHARS < visible <= STAMP_CHARS else 1.0
                coverage = _image_coverage(page) if visible <= FEW_CHARS or share <= STAMP_SHARE else 0.0
            finally:
                textpage.close()
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            return LayerPage(text=text, image_coverage=coverage, text_share=share, unmapped_share=unmapped,
                             top_lines=lines)
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise PipelineError("text", "extraction_error", f"page {index + 1}: {exc}") from exc


def visible_chars(text: str) -> int:
    """Characters of `text` other than spaces, tabs and line ends."""
    return len(text) - sum(text.count(blank) for blank in " \r\n\t")


def _brackets(textpage: pdfium.PdfTextPage, text: str) -> str:
    """Map 'h…i' set in a math-symbol font back to ⟨…⟩."""
    pairs = [(m.start(), m.end() - 1) for m in _BRACKET_PAIR.finditer(text)]
    if not pairs or textpage.count_chars() != len(text):  # indices must line up with PDFium's
        return text
    fixes = [(start, end) for start, end in pairs if _is_math_font(textpage, start) and _is_math_font(textpage, end)]
    if not fixes:
        return text
    chars = list(text)
    for start, end in fixes:
        chars[start], chars[end] = _BRACKETS["h"], _BRACKETS["i"]
    return "".join(chars)


def _unmapped_share(textpage: pdfium.PdfTextPage) -> float:
    """Share of a sample of characters PDFium flags as having no Unicode mapping in their font."""
    count = textpage.count_chars()
    if count == 0:
        return 0.0
    sample = range(0, count, max(1, count // _UNMAPPED_SAMPLE))
    has_error, raw = pdfium_c.FPDFText_HasUnicodeMapError, textpage.raw  # looked up once, not per character
    errors = sum(has_error(raw, index) == 1 for index in sample)
    return float(errors) / len(sample)


def _is_math_font(textpage: pdfium.PdfTextPage, index: int) -> bool:
    flags = ctypes.c_int()
    buffer = ctypes.create_string_buffer(_FONT_NAME_BYTES)  # longer names are cut: the start is enough
    if pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, _FONT_NAME_BYTES, ctypes.byref(flags)) <= 0:
        return False
    return bool(_MATH_SYMBOL_FONT.search(buffer.value.decode("utf-8", "replace")))


def _text_share(textpage: pdfium.PdfTextPage, page: pdfium.PdfPage) -> float:
    """Share of the page area the text's boxes cover (one box per run of characters on a line)."""
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return 1.0
    covered = 0.0
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        covered += abs(right - left) * abs(top - bottom)
    return float(min(1.0, covered / (width * height)))


def _image_coverage(page: pdfium.PdfPage) -> float:
    """Share of the page's visible box (its CropBox, else its MediaBox) covered by image objects (summed, capped
    at 1). The box is taken where it lies: a scan whose MediaBox starts below 0,0 was judged empty, never read."""
    left_edge, bottom_edge, right_edge, top_edge = page.get_cropbox()
    (x0, x1), (y0, y1) = sorted((left_edge, right_edge)), sorted((bottom_edge, top_edge))  # a box given inverted
    area = (x1 - x0) * (y1 - y0)
    if not area > 0:
        return 0.0
    covered = 0.0
    # The objects inside a form XObject give their bounds in the form's space: each form's matrix maps them onto
    # the page (a scan drawn as a unit-square form scaled to the page, a figure's form scaled down).
    to_page: list[pdfium.PdfMatrix | None] = [None]  # per nesting level; None: the page's own space
    # Walked in Python, one object at a time (0.5 s for 200,000 vector paths): a page of that many objects is no
    # scan, so the walk stops there, and where the images cover the page whole.
    for seen, obj in enumerate(page.get_objects(max_depth=4)):
        if seen >= _MAX_OBJECTS or covered >= area:
            break
        outer = to_page[obj.level]
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            del to_page[obj.level + 1 :]
            to_page.append(obj.get_matrix() if outer is None else obj.get_matrix().multiply(outer))
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            # Inside a form, the image's own square is carried through the matrices, not its box in the form's
            # space: a box of a turned box is larger than the image.
            left, bottom, right, top = obj.get_bounds() if outer is None else (
                obj.get_matrix().multiply(outer).on_rect(0.0, 0.0, 1.0, 1.0))
            covered += max(0.0, min(right, x1) - max(left, x0)) * max(0.0, min(top, y1) - max(bottom, y0))
    return float(min(1.0, covered / area))


def metadata_title(pdf: pdfium.PdfDocument) -> str | None:
    try:
        title = pdf.get_metadata_value("Title").strip()
    except (pdfium.PdfiumError, KeyError, ValueError):
        return None
    return title or None
