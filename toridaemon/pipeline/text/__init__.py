"""PDF → clean text per page: the text layer (PDFium), OCR where it is unusable, cleaning, the title.

`read_document` loads on first use: the daemon process imports `tessdata` for a file's OCR time budget
and must not load PDFium, Tesseract and the word lists with it (its workers need them, it does not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toridaemon.pipeline.text.document import DocumentText, read_document

__all__ = ["DocumentText", "read_document"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from toridaemon.pipeline.text import document

        return getattr(document, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
