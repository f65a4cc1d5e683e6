"""Build `toridaemon/pipeline/data/conceptdb.jsonl.gz` from WordNet 3.0 noun files.

Source: Debian's `wordnet-base` package (`apt-get install wordnet-base`, files in /usr/share/wordnet), under the
WordNet 3.0 licence (a permissive, BSD-like licence; see `toridaemon/pipeline/data/LICENSE-conceptdb.txt`).

Each entry is `{name, aliases, category, priority}`. Kept: every multi-word noun lemma, and single-word lemmas
whose synset belongs to a topical domain (`;c` pointer), because those name specific concepts while plain single
nouns ("time", "way") would match everywhere and mean little; short single words and acronyms are left out
because lowercase matching makes them ambiguous ("CO" in "co-allocation"). A lemma is attached to its most
frequent sense only (the first synset listed in `index.noun`), so each matched string maps to one entry; the
entry's name is the first such lemma in synset order and the others become its aliases. Named people (instances
in the person file: "Isaac Newton", "Max Planck") are left out: a person's name is no concept. The category is the
synset's topical domain (or a hypernym's, a few steps up), else its WordNet lexicographer file. The output is
sorted and gzip'd with a fixed mtime, so the same input always gives the same bytes.

Usage: python scripts/build_conceptdb.py [--wordnet /usr/share/wordnet] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

_LEXNAMES = (
    "act animal artifact attribute body cognition communication event feeling food group location motive object "
    "person phenomenon plant possession process quantity relation shape state substance time"
).split()
_FIRST_NOUN_LEXFILE = 4  # lexnames 04..28 are the noun files after noun.Tops (03)
_PERSON_LEXFILE = _FIRST_NOUN_LEXFILE + _LEXNAMES.index("person")
_HYPERNYM_DEPTH = 4
_MIN_SINGLE_WORD = 5
_DEFAULT_OUT = Path(__file__).resolve().parent.parent / "toridaemon" / "pipeline" / "data" / "conceptdb.jsonl.gz"


@dataclass
class Synset:
    lemmas: list[str]
    lexfile: int
    hypernyms: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    instance: bool = False  # one named thing ("Isaac Newton", "Ohio"), not a kind of thing


def parse_data(path: Path) -> dict[str, Synset]:
    """Synsets of `data.noun` by offset: lemmas (cased, spaces), lexicographer file, hypernyms, domains."""
    synsets: dict[str, Synset] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(" "):
                continue  # the licence header
            fields = line.split(" | ", 1)[0].split()
            count = int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(count)]
            lemmas = [lemma.split("(", 1)[0] for lemma in lemmas]  # drop adjective markers like "(a)"
            synset = Synset(lemmas=lemmas, lexfile=int(fields[1]))
            pointer_at = 4 + 2 * count
            for i in range(int(fields[pointer_at])):
                symbol, target = fields[pointer_at + 1 + 4 * i], fields[pointer_at + 2 + 4 * i]
                if symbol in ("@", "@i"):
                    synset.hypernyms.append(target)
                    synset.instance = synset.instance or symbol == "@i"
                elif symbol == ";c":
                    synset.domains.append(target)
            synsets[fields[0]] = synset
    return synsets


def first_senses(path: Path) -> dict[str, str]:
    """Lowercase lemma → offset of its most frequent noun sense."""
    senses: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(" "):
                continue
            fields = line.split()
            senses[fields[0].replace("_", " ")] = fields[-int(fields[2])]
    return senses


def category(offset: str, synsets: dict[str, Synset]) -> str:
    """The topical domain within a few hypernym steps, else the name of the lexicographer file."""
    frontier = [offset]
    for _ in range(_HYPERNYM_DEPTH):
        for current in frontier:
            domains = synsets[current].domains
            if domains:
                return synsets[domains[0]].lemmas[0].title()
        frontier = [hyper for current in frontier for hyper in synsets[current].hypernyms]
    lexfile = synsets[offset].lexfile - _FIRST_NOUN_LEXFILE
    return _LEXNAMES[lexfile].title() if 0 <= lexfile < len(_LEXNAMES) else "Entity"


def eligible(lemma: str, topical: bool) -> bool:
    """Multi-word lemmas; single words only when topical, and never short words or acronyms ("CO", "file")."""
    if " " in lemma:
        return True
    return topical and len(lemma) >= _MIN_SINGLE_WORD and not any(c.isupper() for c in lemma[1:])


def build(wordnet: Path) -> list[dict[str, object]]:
    """The concept entries, sorted by name."""
    synsets = parse_data(wordnet / "data.noun")
    owned: dict[str, list[str]] = {}
    for lemma, offset in first_senses(wordnet / "index.noun").items():
        owned.setdefault(offset, []).append(lemma)
    entries = []
    for offset, keys in owned.items():
        synset = synsets[offset]
        if synset.instance and synset.lexfile == _PERSON_LEXFILE:
            continue  # a person's name is no concept of a document ("Isaac Newton" in a physics text)
        topical = bool(synset.domains)  # a direct topic link: hypernym-inherited domains are too loose
        cased = [lemma for lemma in synset.lemmas if lemma.lower() in keys]
        names = [lemma for lemma in dict.fromkeys(cased) if eligible(lemma, topical)]
        if not names:
            continue
        priority = 1.0 if topical else 0.6
        entries.append(
            {"name": names[0], "aliases": names[1:], "category": category(offset, synsets), "priority": priority}
        )
    entries.sort(key=lambda entry: (str(entry["name"]).lower(), str(entry["name"])))
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=_DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.wordnet / "data.noun").is_file():
        print(f"no WordNet at {args.wordnet}: apt-get install wordnet-base", file=sys.stderr)
        return 2
    entries = build(args.wordnet)
    lines = "".join(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n" for entry in entries)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
        handle.write(lines.encode("utf-8"))
    print(f"{len(entries)} concepts → {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
