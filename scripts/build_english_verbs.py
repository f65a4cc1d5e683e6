"""Build `toridaemon/pipeline/data/english-base-verbs.txt`: English words that are verbs and nothing else.

A word is listed when the Brill lexicon that `textblob` ships (MIT; one most frequent tag per word, from the Brown
corpus and the Penn Treebank) tags it as a base-form verb (VB: "quantify", "exist") and WordNet 3.0 (Debian's
`wordnet-base`, /usr/share/wordnet; licence in `toridaemon/pipeline/data/LICENSE-conceptdb.txt`) knows it as no
noun and no adjective. So "estimate", "file", "update" and "test", which are nouns too, stay out. The concept engine
lets such a word end a term only after a singular word ("Fourier transform", "edit" of "string edit"): after a
plural it is a clause's verb ("methods exist", "experiments confirm"), and alone it is no concept ("compute").

The output is sorted, one word a line after a comment header, so the same inputs always give the same bytes.

Usage: python scripts/build_english_verbs.py [--wordnet /usr/share/wordnet] [--lexicon PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

_DEFAULT_OUT = Path(__file__).resolve().parent.parent / "toridaemon" / "pipeline" / "data" / "english-base-verbs.txt"
_HEADER = """\
# English words that are base-form verbs and nothing else: tagged VB in the Brill lexicon that textblob ships
# (MIT) and no noun or adjective lemma of WordNet 3.0 (licence: LICENSE-conceptdb.txt).
# Built by scripts/build_english_verbs.py; one lowercase word a line.
"""


def wordnet_lemmas(wordnet: Path, pos: str) -> set[str]:
    """Single-word lemmas of WordNet's `index.<pos>` (its licence header lines start with a space)."""
    lemmas = set()
    with (wordnet / f"index.{pos}").open(encoding="utf-8") as lines:
        for line in lines:
            if line[:1] not in (" ", "") and "_" not in line.split(" ", 1)[0]:
                lemmas.add(line.split(" ", 1)[0])
    return lemmas


def base_verbs(lexicon: Path) -> set[str]:
    """Lowercase words of letters the lexicon tags VB."""
    verbs = set()
    for line in lexicon.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == "VB" and parts[0].isalpha() and parts[0].islower():
            verbs.add(parts[0])
    return verbs


def textblob_lexicon() -> Path:
    spec = importlib.util.find_spec("textblob")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("textblob is not installed: pass --lexicon")
    return Path(next(iter(spec.submodule_search_locations))) / "en" / "en-lexicon.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--lexicon", type=Path, default=None, help="Brill lexicon (default: textblob's)")
    parser.add_argument("--out", type=Path, default=_DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.wordnet / "index.noun").is_file():
        print(f"no WordNet at {args.wordnet}: apt-get install wordnet-base", file=sys.stderr)
        return 1
    others = wordnet_lemmas(args.wordnet, "noun") | wordnet_lemmas(args.wordnet, "adj")
    words = sorted(base_verbs(args.lexicon or textblob_lexicon()) - others)
    args.out.write_text(_HEADER + "".join(f"{word}\n" for word in words), encoding="utf-8")
    print(f"{len(words)} words → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
