"""Title benchmark: our titles against the judged set (tests/fixtures/titles.json), in one run.

Prints, per file, the judged title and ours, then the near-match rate (similarity ≥ 0.8 after case and
punctuation folding; a file whose page 1 shows no title counts as matched only when we return none).
The baseline in the same run is the PDF's metadata title alone (what `title` was before).
Target: ≥ 90 %.

`--scans` reads page 1 of each judged file as a scan instead (rendered to an image-only PDF at 200 dpi, read by
OCR), against the first line of words of the same OCR text, what a scan's title was before the sizes of its
lines were read (`ocr._top_lines`).

`--heldout DIR` runs the held-out set instead (bench/titles-heldout.json: 150 PDFs from 27 other texlive
packages, judged by eye; see its "about"), each package extracted under DIR/<package>/ (`dpkg -x`); `--fetch`
downloads and extracts the packages missing there first (apt-get download, no root; about 1.9 GB of packages).

Usage: python bench/titles.py [--corpus DIR] [--verbose] [--scans] [--heldout DIR [--fetch]]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pypdfium2 as pdfium
from _common import debian_package, pdf_pages

from tests.scangen import scan_of
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.text import read_document
from toridaemon.pipeline.text.title import SIMILAR, first_heading, similarity

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "titles.json"
HELDOUT = REPO / "bench" / "titles-heldout.json"
CORPUS = REPO.parent / "shared" / "corpus" / "good"


def matched(judged: str | None, ours: str | None) -> bool:
    if judged is None or ours is None:
        return judged is None and ours is None
    return similarity(judged, ours) >= SIMILAR


def metadata_title(path: Path) -> str | None:
    pdf = pdfium.PdfDocument(path)
    try:
        return pdf.get_metadata_value("Title").strip() or None
    finally:
        pdf.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--verbose", action="store_true", help="print every file, not only the misses")
    parser.add_argument("--heldout", type=Path, help="run the held-out set, packages extracted under this folder")
    parser.add_argument("--fetch", action="store_true", help="download and extract the held-out packages first")
    parser.add_argument("--scans", action="store_true", help="read page 1 of each file as a 200 dpi scan")
    args = parser.parse_args()
    if args.heldout is not None:
        heldout = json.loads(HELDOUT.read_text())
        judged: dict[str, str | None] = heldout["titles"]
        if args.fetch:
            fetch(heldout["packages"], args.heldout)
        folder = args.heldout
        missing = [name for name in judged if not (folder / name).is_file()]
        if missing:  # a rate over fewer files is another figure
            raise SystemExit(f"{len(missing)} judged files missing under {folder} (e.g. {missing[0]}): use --fetch")
    else:
        judged = json.loads(FIXTURE.read_text())["titles"]
        folder = args.corpus
    options = PipelineOptions(ocr="auto" if args.scans else "off")
    baseline = "first line of the OCR text (before)" if args.scans else "metadata title only (before)"
    ours_hits = base_hits = total = 0
    for name, title in judged.items():
        path = folder / name
        if not path.is_file():
            continue
        total += 1
        if args.scans:
            read = read_document(scan_of(pdf_pages(path, [0]), dpi=200), options, name=path.name)
            ours, before = read.title, first_heading(read.pages)
        else:
            ours, before = read_document(path.read_bytes(), options, name=path.name).title, metadata_title(path)
        hit = matched(title, ours)
        ours_hits += hit
        base_hits += matched(title, before)
        if args.verbose or not hit:
            print(f"{'ok  ' if hit else 'MISS'} {name}\n     judged: {title!r}\n     ours:   {ours!r}")
    if not total:
        raise SystemExit(f"no judged file found under {folder}")
    ours_rate, base_rate = ours_hits / total, base_hits / total
    print(f"\n{total} judged files; near match = similarity ≥ {SIMILAR} after case/punctuation folding")
    print(f"  {'ours (page + plausible metadata)':<36} {ours_hits:3d}/{total}  {ours_rate:6.1%}")
    print(f"  {baseline:<36} {base_hits:3d}/{total}  {base_rate:6.1%}")
    print(f"  {'ratio ours / before':<36} {ours_rate / base_rate if base_rate else float('inf'):.2f}")
    print(f"  target ≥ 90 %: {'met' if ours_rate >= 0.9 else 'NOT MET'}")


def fetch(packages: dict[str, str], folder: Path) -> None:
    """Each package at the version judged (name → version), unpacked into folder/<package>/ unless it is there."""
    for package, version in sorted(packages.items()):
        debian_package(package, folder, version)


if __name__ == "__main__":
    main()
