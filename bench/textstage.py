"""Text-stage cost on born-digital PDFs: `read_document` against plain PDFium extraction, in one process.

Both read the same PDFs from memory (the shared corpus, or generated ones when it is absent), alternating
file by file and swapping which goes first every round, so drift on a shared machine hits both alike:

- baseline: open, `get_textpage().get_text_range()` per page, close (what the text stage used to be);
- ours: `toridaemon.pipeline.text.read_document` with the default options (text layer, per-page OCR
  verdict, language, cleaning, running lines, title).

Prints pages per CPU second (the steadier figure) and per wall second of both and ours / baseline,
then where our time goes: the text layer (with the bracket, unmapped-font and title-line reads), the
per-page verdict, the language, and the cleaning with the title, each in milliseconds per page and as a
share of the baseline's extraction. Issue 11 asks that the per-page decision cost almost nothing when
the text layer is fine; the end-to-end check is bench/throughput.py's pipeline / bare text ratio.

Usage: python bench/textstage.py [--rounds N] [--limit N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pypdfium2 as pdfium
from _common import corpus, generated_pdf, header, row

from toridaemon.pipeline.language import detect_language
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.text import read_document
from toridaemon.pipeline.text.document import finish
from toridaemon.pipeline.text.extract import layer_page, open_document
from toridaemon.pipeline.text.quality import verdict as page_verdict

_PARTS = ("text layer", "verdict", "language", "clean+title")


def plain_text(data: bytes) -> int:
    """The baseline: every page's text layer with PDFium alone; returns the page count."""
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        return len(pdf)
    finally:
        pdf.close()


@dataclass
class Clock:
    cpu: float = 0.0
    wall: float = 0.0
    pages: int = 0

    def time(self, work: Callable[[], int]) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        self.pages += work()
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall


@dataclass
class Parts:
    """CPU seconds of our stage's parts: text layer, per-page verdict, the rest (language, cleaning, title).

    The parts are `read_document`'s own steps on a document without pages to OCR, called one by one."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_PARTS, 0.0))
    pages: int = 0

    def measure(self, data: bytes, options: PipelineOptions) -> None:
        marks = [time.process_time()]
        pdf = open_document(data, options)
        try:
            layer = [layer_page(pdf, index) for index in range(len(pdf))]
        finally:
            pdf.close()
        marks.append(time.process_time())
        for page in layer:
            page_verdict(page)
        marks.append(time.process_time())
        texts = [page.text for page in layer]
        language = detect_language("\n".join(texts))
        marks.append(time.process_time())
        finish(texts, lambda _: language, lines=list(layer[0].top_lines) if layer else [])
        marks.append(time.process_time())
        for name, start, end in zip(_PARTS, marks[:-1], marks[1:], strict=True):
            self.seconds[name] += end - start
        self.pages += len(layer)


def inputs(limit: int | None, generated: int) -> list[bytes]:
    files = corpus(limit)
    if files:
        return [path.read_bytes() for path in files]
    return [generated_pdf(index) for index in range(generated)]


def ours(data: bytes, options: PipelineOptions) -> int:
    return len(read_document(data, options).pages)


def run(datas: list[bytes], rounds: int, options: PipelineOptions) -> tuple[Clock, Clock, Parts]:
    """Each file in turn: the baseline, ours, and ours in parts; the order rotates every round."""
    base, mine, parts = Clock(), Clock(), Parts()
    for data in datas:  # warm-up: imports, word lists, language models
        ours(data, options)
        plain_text(data)
    for round_index in range(rounds):
        for data in datas:
            contenders: list[Callable[[], object]] = [
                partial(base.time, partial(plain_text, data)),
                partial(mine.time, partial(ours, data, options)),
                partial(parts.measure, data, options),
            ]
            shift = round_index % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                contender()
    return base, mine, parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4, help="passes over the files (alternating order)")
    parser.add_argument("--limit", type=int, default=None, help="use only the N smallest corpus files")
    parser.add_argument("--generated", type=int, default=30, help="files to generate when the corpus is absent")
    parser.add_argument("--profile", default=None, help="also write a cProfile of ours (one pass) to this file")
    args = parser.parse_args()
    options = PipelineOptions()
    datas = inputs(args.limit, args.generated)
    base, mine, parts = run(datas, args.rounds, options)
    print(f"{len(datas)} files, {base.pages // args.rounds} pages, {args.rounds} rounds")
    print(header("ours", "plain"))
    print(row("pages per CPU second", mine.pages / mine.cpu, base.pages / base.cpu, "pages/s"))
    print(row("pages per wall second", mine.pages / mine.wall, base.pages / base.wall, "pages/s"))
    plain_ms = 1000 * base.cpu / base.pages
    print(f"  plain extraction: {plain_ms:.3f} ms/page; ours in parts (CPU, same rounds):")
    for name, seconds in parts.seconds.items():
        per_page = 1000 * seconds / max(1, parts.pages)
        print(f"    {name:<12} {per_page:7.3f} ms/page  {per_page / plain_ms:6.1%} of plain extraction")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [ours(data, options) for data in datas])
        profiler.dump_stats(args.profile)
        print(f"  profile of one pass written to {args.profile}")


if __name__ == "__main__":
    main()
