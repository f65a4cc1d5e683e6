"""Reading a PDF safely and pulling its text per page with PDFium."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

from toridaemon.hashing import NotRegularFile, open_regular
from toridaemon.pipeline.errors import PipelineError
from toridaemon.pipeline.options import PipelineOptions

_PDF_MAGIC = b"%PDF-"
# PDF readers accept a header anywhere in the first KiB; PDFium does too.
_MAGIC_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class InputBytes:
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class ExtractedText:
    pages: list[str]
    title: str | None


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
            data = handle.read(options.max_file_bytes + 1)
        except OSError as exc:
            raise PipelineError("read", "unreadable", f"cannot read {path.name}: {exc.strerror}") from exc
    if len(data) > options.max_file_bytes:
        raise PipelineError("read", "too_large", f"file grew beyond max_file_bytes={options.max_file_bytes}")
    if not data:
        raise PipelineError("read", "empty_file", f"{path.name} has zero bytes")
    return InputBytes(data=data, sha256=hashlib.sha256(data).hexdigest())


def extract_text(data: bytes, options: PipelineOptions) -> ExtractedText:
    """Open the document (empty password allowed), check the page limit and return the text of each page."""
    pdf = _open(data)
    try:
        count = len(pdf)
        if count > options.max_pages:
            raise PipelineError("limits", "too_many_pages", f"{count} pages exceeds max_pages={options.max_pages}")
        pages = [_page_text(pdf, index) for index in range(count)]
        return ExtractedText(pages=pages, title=_title(pdf))
    finally:
        pdf.close()


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise PipelineError("open", "encrypted", "the document needs a password") from exc
        if _PDF_MAGIC not in data[:_MAGIC_WINDOW]:
            raise PipelineError("open", "not_a_pdf", f"no PDF header and PDFium says: {message}") from exc
        raise PipelineError("open", "corrupt_pdf", message) from exc


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    try:
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            try:
                return str(textpage.get_text_range()).replace("\r\n", "\n").replace("\r", "\n")
            finally:
                textpage.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise PipelineError("text", "extraction_error", f"page {index + 1}: {exc}") from exc


def _title(pdf: pdfium.PdfDocument) -> str | None:
    try:
        title = pdf.get_metadata_value("Title").strip()
    except (pdfium.PdfiumError, KeyError, ValueError):
        return None
    return title or None
