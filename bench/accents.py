"""Accents a font draws as glyphs of their own (`toridaemon.pipeline.text.accents`): how many are put on their
letters, what that does to the words, and what it costs, on PDFs where they occur.

Documents: the PDF manuals of Debian's texlive language packages (`--texlive`, fetched as `bench/noise.py` does)
and the shared corpus (`../shared/corpus/good/`), the first `--pages` pages of each. Every page's text layer is
read in passes over all the PDFs, in one process: as the pipeline reads it (`extract.layer_page`), and with the
accents left where PDFium lists them (placement switched off in this process), the two kinds of pass alternating,
twice each; each text then cleaned as the pipeline cleans a page (`clean.clean_page`, which puts an accent on the
letter after it). Printed, over the pages
holding a spacing accent (´ ¨ ˆ ^ ˜ ~ ¸ ˚ ˇ ˘ ˙ ˝ ¯ ˛ `):
- spacing accents left in the cleaned text, with placement and without;
- the share of words (three letters or more) that wordfreq's list of the page's detected language holds: a word
  cut at an accent ("tre ść", "zał ˛acznika") is none;
- the time of reading the text layer of every page (with the lines atop page 1 the title is read from), all pages,
  with placement and without.

Usage: python bench/accents.py [--texlive polish,czechslovak,...] [--pages N] [--cache DIR]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium
import wordfreq
from _common import corpus
from noise import texlive_pdfs

from toridaemon.pipeline.language import detect_language
from toridaemon.pipeline.text import extract, title
from toridaemon.pipeline.text.accents import SPACING_ACCENTS, placed_accents
from toridaemon.pipeline.text.clean import clean_page

_ACCENT = re.compile(f"[{re.escape(''.join(SPACING_ACCENTS))}]")
_WORD = re.compile(r"[^\W\d_]{3,}")
_DEFAULT_PACKAGES = "polish,czechslovak,french,german,spanish,italian,portuguese,european,cyrillic,greek"


def _unplaced(textpage: pdfium.PdfTextPage, text: str, start: int = 0, end: int | None = None, *,
              aligned: bool = True) -> str:
    return text[start:end]


def read_pages(paths: list[Path], pages: int, placing: bool) -> tuple[list[str], float]:
    """The text layers of the first `pages` pages of each PDF, and the seconds their reading took."""
    for module in (extract, title):  # what `layer_page` and the title's `top_lines` call
        module.__dict__["placed_accents"] = placed_accents if placing else _unplaced
    texts, spent = [], 0.0
    for path in paths:
        pdf = pdfium.PdfDocument(path)
        try:
            for index in range(min(pages, len(pdf))):
                started = time.perf_counter()
                texts.append(extract.layer_page(pdf, index).text)
                spent += time.perf_counter() - started
        finally:
            pdf.close()
    return texts, spent


def known_share(texts: list[str]) -> tuple[int, int]:
    """Words of `texts` (cleaned in their detected language) wordfreq's list of that language holds, and all."""
    known = total = 0
    for text in texts:
        code = detect_language(text) or "en"
        if code not in wordfreq.available_languages():
            continue
        words = wordfreq.get_frequency_dict(code)
        found = _WORD.findall(clean_page(text, code).lower())
        known += sum(1 for word in found if word in words)
        total += len(found)
    return known, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texlive", default=_DEFAULT_PACKAGES, help="texlive-lang-* packages ('' for none)")
    parser.add_argument("--per-package", type=int, default=1000, help="PDFs of each package")
    parser.add_argument("--pages", type=int, default=10, help="pages read of each PDF")
    parser.add_argument("--max-bytes", type=int, default=5_000_000, help="larger PDFs are skipped")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "toridaemon-bench-texlive")
    args = parser.parse_args()
    packages = [name for name in args.texlive.split(",") if name]
    paths = [path for path in texlive_pdfs(packages, args.cache, args.per_package) + corpus(limit=1000)
             if path.stat().st_size <= args.max_bytes]
    readable = []
    for path in paths:
        try:
            pdfium.PdfDocument(path).close()
            readable.append(path)
        except pdfium.PdfiumError:
            continue
    read_pages(readable, args.pages, True)  # once before timing: fonts, word lists and caches loaded
    with_: list[str] = []
    without: list[str] = []
    time_with = time_without = 0.0
    for _ in range(2):  # alternated: a shared machine's drift hits both alike
        without, spent = read_pages(readable, args.pages, False)
        time_without += spent
        with_, spent = read_pages(readable, args.pages, True)
        time_with += spent
    accented = [index for index, text in enumerate(without) if _ACCENT.search(text)]
    print(f"{len(readable)} PDFs, {len(without)} pages, {len(accented)} with a spacing accent")
    for label, texts in (("placed", with_), ("as listed", without)):
        chosen = [texts[index] for index in accented]
        left = sum(len(_ACCENT.findall(clean_page(text, None))) for text in chosen)
        known, total = known_share(chosen)
        print(f"  accents {label:<10} accents left {left:6d}  known words {100 * known / max(total, 1):5.2f} % "
              f"of {total}")
    print(f"  text layer of all pages: {1000 * time_with / 2:8.1f} ms placed, {1000 * time_without / 2:8.1f} ms as "
          f"listed, ×{time_with / max(time_without, 1e-9):.3f}")


if __name__ == "__main__":
    main()
