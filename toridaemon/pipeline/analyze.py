"""The pure pipeline: a path or a text in, a `DocumentResult` out. No daemon knowledge lives here."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from toridaemon import __version__
from toridaemon.pipeline.concepts import ConceptReport, analyze_pages, clean
from toridaemon.pipeline.language import detect_language
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.result import DocumentResult, Extractor, Source
from toridaemon.pipeline.text import read_document
from toridaemon.pipeline.text.document import finish
from toridaemon.pipeline.text.extract import read_input
from toridaemon.pipeline.text.title import readable_title


def analyze_pdf(path: str | Path, settings: PipelineOptions | None = None) -> DocumentResult:
    """Extract text and concepts of the PDF at `path`; raises `PipelineError` for bad input."""
    options = settings or PipelineOptions()
    path = Path(path)
    started, began = time.perf_counter(), time.monotonic()  # the daemon's timeout runs from here
    raw = read_input(path, options)
    read_done = time.perf_counter()
    text = read_document(raw.data, options, _detector(options), name=path.name, started=began)
    text_done = time.perf_counter()
    # No title found (page 1 shows none) is no invitation to take a first line as one: "" says so.
    report = analyze_pages(text.pages, title=text.title or "", options=options, detected=text.language)
    timings = {"read": read_done - started, "text": text_done - read_done, **report.timings}
    if text.ocr_seconds:  # part of "text"; also of pages read and judged no text (`ocr_unreadable`)
        timings["ocr"] = text.ocr_seconds
    source = Source(name=path.name, sha256=raw.sha256, bytes=len(raw.data), pages=len(text.pages),
                    ocr_pages=text.ocr_pages)
    title = clean(text.title) if text.title is not None else None
    return _assemble(source, title, text.warnings, report, timings=timings, started=started)


def analyze_text(
    text: str | bytes,
    *,
    title: str | None = None,
    settings: PipelineOptions | None = None,
    name: str = "text",
    language: str | None = None,
) -> DocumentResult:
    """Concepts of plain text, as if it were a one-page document (form feeds split pages). Text given as bytes
    (a file's) is read as UTF-8, bytes that are not valid UTF-8 replaced; `source` tells those bytes.

    `language` (an ISO 639-1 code or "auto") overrides the `language` of `settings`.
    """
    options = settings or PipelineOptions()
    if language is not None:
        options = options.with_language(language)
    started = time.perf_counter()
    if isinstance(text, bytes):
        data, text = text, text.decode("utf-8", errors="replace")
    else:
        data = text.encode("utf-8", "surrogatepass")  # the input's own bytes, even where they are not valid text
    text, title = clean(text), clean(title) if title is not None else None
    cleaned = finish(text.split("\f"), _detector(options), metadata=title)
    report = analyze_pages(cleaned.pages, title=title, options=options, detected=cleaned.language)
    source = Source(name=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), pages=len(cleaned.pages))
    return _assemble(source, report.title, cleaned.warnings, report, timings=dict(report.timings), started=started)


def _detector(options: PipelineOptions) -> Callable[[str], str | None]:
    """The document's language for OCR, ligature repair and concepts: the `language` setting when it names
    one, else detected."""
    fixed = options.language
    return detect_language if fixed == "auto" else lambda _text: fixed


def _assemble(
    source: Source,
    title: str | None,
    warnings: list[str],
    report: ConceptReport,
    *,
    timings: dict[str, float],
    started: float,
) -> DocumentResult:
    timings["total"] = time.perf_counter() - started
    return DocumentResult(
        source=source,
        title=readable_title(title),
        language=report.language,
        warnings=warnings,
        sections=report.sections,
        concepts=report.concepts,
        pruning=report.pruning,
        timings_seconds={key: round(value, 6) for key, value in timings.items()},
        extractor=Extractor(name="toridaemon", version=__version__),
    )
