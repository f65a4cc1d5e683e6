"""Title benchmark: our titles against the judged set (tests/fixtures/titles.json), in one run.

Prints, per file, the judged title and ours, then the near-match rate (similarity ≥ 0.8 after case and
punctuation folding; a file whose page 1 shows no title counts as matched only when we return none).
The baseline in the same run is the PDF's metadata title alone (what `title` was before).
Target: ≥ 90 %.

`--heldout DIR` runs the held-out set instead (bench/titles-heldout.json: 150 PDFs from 27 other texlive
packages, judged by eye; see its "about"), each package extracted under DIR/<package>/ (`dpkg -x`); `--fetch`
downloads and extracts the packages missing there first (apt-get download, no root; about 1.9 GB of packages).

Usage: python bench/titles.py [--corpus DIR] [--verbose] [--heldout DIR [--fetch]]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pypdfium2 as pdfium
from _common import debian_package

from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.text import read_document
from toridaemon.pipeline.text.title import SIMILAR, similarity

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
    options = PipelineOptions(ocr="off")
    ours_hits = meta_hits = total = 0
    for name, title in judged.items():
        path = folder / name
        if not path.is_file():
            continue
        total += 1
        ours = read_document(path.read_bytes(), options, name=path.name).title
        hit = matched(title, ours)
        ours_hits += hit
        meta_hits += matched(title, metadata_title(path))
        if args.verbose or not hit:
            print(f"{'ok  ' if hit else 'MISS'} {name}\n     judged: {title!r}\n     ours:   {ours!r}")
    if not total:
        raise SystemExit(f"no judged file found under {folder}")
    ours_rate, meta_rate = ours_hits / total, meta_hits / total
    print(f"\n{total} judged files; near match = similarity ≥ {SIMILAR} after case/punctuation folding")
    print(f"  ours (page + plausible metadata)  {ours_hits:3d}/{total}  {ours_rate:6.1%}")
    print(f"  metadata title only (before)      {meta_hits:3d}/{total}  {meta_rate:6.1%}")
    print(f"  ratio ours / metadata             {ours_rate / meta_rate if meta_rate else float('inf'):.2f}")
    print(f"  target ≥ 90 %: {'met' if ours_rate >= 0.9 else 'NOT MET'}")


def fetch(packages: dict[str, str], folder: Path) -> None:
    """Each package at the version judged (name → version), unpacked into folder/<package>/ unless it is there."""
    for package, version in sorted(packages.items()):
        debian_package(package, folder, version)


if __name__ == "__main__":
    main()
