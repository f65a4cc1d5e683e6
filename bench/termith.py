"""TermITH-Eval as held-out keyphrase sets: French abstracts of four domains, in the LIAAD layout `keyphrases.py
--data` reads.

TermITH-Eval (github.com/termith-anr/TermITH-Eval, CC BY 4.0) holds 399 TEI files, 100 per domain (archaeology,
chemistry, linguistics, information science; 99 in the last), each a French title and abstract with the keywords
INIST's professional indexers gave it. The keywords are mostly terms of a controlled vocabulary, which the text
often does not hold: every method scores lower here than on author keywords. Each domain becomes one set,
`TermITH-<domain>/` with `docsutf8/<id>.txt` (title, then abstract), `keys/<id>.key` (the French keywords, one
per line) and `lan.txt`; a file without an abstract or keywords is left out.

Usage: python bench/termith.py CLONE OUT, then python bench/keyphrases.py --data OUT
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from pathlib import Path

_TEI = "{http://www.tei-c.org/ns/1.0}"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def convert(clone: Path, out: Path) -> dict[str, int]:
    """Writes one set per `corpus_<domain>` folder of `clone` into `out`; returns the documents written per set."""
    written: dict[str, int] = {}
    for path in sorted(clone.glob("corpus_*/*.xml")):
        document = _read(path)
        if document is None:
            continue
        text, keys = document
        folder = out / f"TermITH-{path.parent.name.removeprefix('corpus_')}"
        if folder.name not in written:  # the set's folders and language, once per set
            (folder / "docsutf8").mkdir(parents=True, exist_ok=True)
            (folder / "keys").mkdir(exist_ok=True)
            (folder / "lan.txt").write_text("fr\n", encoding="utf-8")
        (folder / "docsutf8" / f"{path.stem}.txt").write_text(text, encoding="utf-8")
        (folder / "keys" / f"{path.stem}.key").write_text("\n".join(keys) + "\n", encoding="utf-8")
        written[folder.name] = written.get(folder.name, 0) + 1
    return written


def _read(path: Path) -> tuple[str, list[str]] | None:
    """(French title and abstract, French keywords) of one TEI file, or None when either is missing."""
    root = ET.parse(path).getroot()  # noqa: S314 - the files of a dataset the user cloned, read once
    title = next((_text(node) for node in root.iter(f"{_TEI}title")
                  if node.get("type") == "main" and node.get(_LANG) == "fr"), "")
    abstract = " ".join(_text(paragraph) for node in root.iter(f"{_TEI}abstract") if node.get(_LANG) == "fr"
                        for paragraph in node.iter(f"{_TEI}p"))
    # The indexers' keywords: scheme "inist-francis" (humanities) or "inist-pascal" (sciences), in French.
    keys = [_text(term) for node in root.iter(f"{_TEI}keywords")
            if node.get("scheme", "").startswith("inist-") and node.get(_LANG) == "fr"
            for term in node.iter(f"{_TEI}term")]
    keys = [key for key in keys if key]
    if not abstract or not keys:
        return None
    return f"{title}\n{abstract}\n", keys


def _text(node: ET.Element) -> str:
    return " ".join("".join(node.itertext()).split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("clone", type=Path, help="a clone of github.com/termith-anr/TermITH-Eval")
    parser.add_argument("out", type=Path, help="folder the sets are written into")
    args = parser.parse_args(argv)
    written = convert(args.clone, args.out)
    if not written:
        print(f"no TEI files with a French abstract and keywords under {args.clone}/corpus_*/")
        return 1
    for name, count in written.items():
        print(f"{args.out / name}: {count} documents")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
