"""PDF → clean text per page: the text layer (PDFium), OCR where it is unusable, cleaning, the title."""

from toridaemon.pipeline.text.document import DocumentText, read_document

__all__ = ["DocumentText", "read_document"]
