"""Keyphrase quality and speed of the concept engine against YAKE, yake-rust and a TF-IDF baseline.

Data: every set in `../shared/keyphrase/` beside the repository (LIAAD format: docsutf8/, keys/, lan.txt). For each
set and method: exact-match F1@5, F1@10 and F1@15 after stemming (Porter for English, the language's Snowball
stemmer for other languages, none where Snowball has none; macro average over documents, all gold keys) and words
per second, all in one process and one run, the methods taking turns by chunks of documents.
YAKE and yake-rust are told each set's language (lan.txt); ours detects it, as in production (fast mode: no
embeddings). YAKE (AGPL) is a bench-only comparison, never a runtime dependency.

Choose-half/check-half: the documents of each set alternate between a half used to choose parameters (even
positions in file-name order) and a half kept to check them (odd positions); F1@10 is printed for both, and the
macro average over all sets is the figure parameters are chosen on, never one set.

Usage: python bench/keyphrases.py [--limit N] [--sets A,B] [--half choose|check|both] [--embeddings]
    [--threads N] [--keybert-sets Inspec] [--data DIR]

`--data` points at other sets in the same format, e.g. held-out ones never used to choose parameters.

`--embeddings` adds a row for our engine with the optional embeddings mode on (needs `toridaemon[embeddings]`) and
one for KeyBERT with noun-phrase candidates and the same model (`keybert-np`, see bench/_keybert.py), on the
`--keybert-sets` only: on SemEval2010's full papers it runs at some 1.5k words/s, about 20 minutes on one thread.
Install: torch==2.13.0 first, then the `embeddings` and `bench-embeddings` extras.
Every method runs with the same `--threads` budget (torch, BLAS/OpenMP, tokenizers), 1 by default as in the daemon.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "keyphrase"
TOPS = (5, 10, 15)
TOP = max(TOPS)
CHUNK = 50  # documents per method in turn, so drift of a shared machine hits every method alike
_WORD = re.compile(r"[^\W_]+")

Extractor = Callable[[str], list[str]]


@dataclass(frozen=True)
class Document:
    text: str
    keys: list[str]
    words: int
    half: str  # "choose" or "check"


@dataclass(frozen=True)
class Outcome:
    f1: dict[int, float]  # F1@k over all documents
    halves: dict[str, float]  # F1@10 of each half
    words: int
    seconds: float

    @property
    def words_per_second(self) -> float:
        return self.words / max(self.seconds, 1e-9)


def set_language(name: str, data: Path = DATA) -> str:
    """The ISO 639-1 code in a set's lan.txt ("en-US" → "en"); English when the file is missing."""
    path = data / name / "lan.txt"
    text = path.read_text(encoding="utf-8").strip() if path.is_file() else "en"
    return text.split("-")[0].lower() or "en"


def load(name: str, limit: int | None, half: str = "both", data: Path = DATA) -> list[Document]:
    """Documents of one set that have a key file, sorted by file name; `limit` applies per half."""
    folder = data / name
    docs = []
    for index, path in enumerate(sorted((folder / "docsutf8").glob("*.txt"))):
        key_path = folder / "keys" / f"{path.stem}.key"
        which = "choose" if index % 2 == 0 else "check"
        if key_path.is_file() and half in ("both", which):
            text = path.read_text(encoding="utf-8")
            keys = [line.strip() for line in key_path.read_text(encoding="utf-8").splitlines() if line.strip()]
            docs.append(Document(text=text, keys=keys, words=len(text.split()), half=which))
    if limit is not None:
        docs = [d for d in docs if d.half == "choose"][:limit] + [d for d in docs if d.half == "check"][:limit]
    return docs


def evaluate(methods: dict[str, Extractor], docs: list[Document], language: str = "en") -> dict[str, Outcome]:
    """F1@k of stemmed exact matches and the speed of every method, the methods taking turns by chunks."""
    predictions: dict[str, list[list[str]]] = {name: [] for name in methods}
    elapsed = dict.fromkeys(methods, 0.0)
    names = list(methods)
    for turn, first in enumerate(range(0, len(docs), CHUNK)):
        chunk = docs[first : first + CHUNK]
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            started = time.perf_counter()
            predictions[name].extend(methods[name](doc.text) for doc in chunk)
            elapsed[name] += time.perf_counter() - started
    words = sum(doc.words for doc in docs)
    outcomes = {}
    for name in methods:
        scores = {top: f1(docs, predictions[name], top, language) for top in TOPS}
        halves = {}
        for half in ("choose", "check"):
            pairs = [(d, p) for d, p in zip(docs, predictions[name], strict=True) if d.half == half]
            halves[half] = f1([d for d, _ in pairs], [p for _, p in pairs], 10, language) if pairs else float("nan")
        outcomes[name] = Outcome(scores, halves, words, elapsed[name])
    return outcomes


def f1(docs: list[Document], predictions: list[list[str]], top: int = 10, language: str = "en") -> float:
    """Macro F1@top of stemmed exact matches (see `_common.stemmer`), in percent."""
    from _common import stemmer

    stem_word = stemmer(language)

    def stem(phrase: str) -> str:
        return " ".join(stem_word(word) for word in _WORD.findall(phrase.lower()))

    total = 0.0
    for doc, predicted in zip(docs, predictions, strict=True):
        gold = {stem(key) for key in doc.keys}
        found = list(dict.fromkeys(stem(p) for p in predicted[:top]))
        hits = sum(1 for phrase in found if phrase in gold)
        if hits:
            precision, recall = hits / len(found), hits / len(gold)
            total += 2 * precision * recall / (precision + recall)
    return 100 * total / len(docs) if docs else float("nan")


def limit_threads(threads: int) -> None:
    """Thread pools of BLAS, OpenMP and the tokenizers (read when first loaded, so call before any import)."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[variable] = str(threads)


def torch_threads(threads: int) -> str:
    """Sets torch's intra-op threads when torch is loaded (our embeddings mode sets 1 when its model loads)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return "torch not loaded"
    torch.set_num_threads(threads)
    return f"torch {torch.get_num_threads()}"


def extractors(language: str, docs: list[Document], embeddings: bool = False) -> dict[str, Extractor]:
    """Our engine (also with embeddings and KeyBERT when asked), YAKE and yake-rust told `language` (each only when
    importable), and TF-IDF with document frequencies from `docs`."""
    from _tfidf import tfidf_extractor

    from toridaemon.pipeline import PipelineOptions, analyze_text

    options = PipelineOptions(max_concepts=TOP, min_concepts=TOP)
    found: dict[str, Extractor] = {
        "toridaemon": lambda text: [c.name for c in analyze_text(text, settings=options).concepts]
    }
    if embeddings:
        semantic = options.model_copy(update={"embeddings": True})
        found["ours+emb"] = lambda text: [c.name for c in analyze_text(text, settings=semantic).concepts]
    found.update(_yakes(language))
    found["tf-idf"] = tfidf_extractor([doc.text for doc in docs], language, TOP)
    if embeddings:
        try:
            from _keybert import extractor

            found["keybert-np"] = extractor(TOP)
        except ImportError as error:
            print(f"keybert-np: {error} (install the bench-embeddings extra): skipped")
    return found


def warm_up(language: str) -> None:
    """Loads our resources of `language` and of the undetermined-language fallback (word lists, the concept
    database) outside the clock, as YAKE and yake-rust load theirs when built: ours loads them on the first text
    of each language, once per process (some 2 s for English with its database), however short that text is. The
    language detector's model loads here too (about half a second, once per process): every text is detected."""
    from toridaemon.pipeline import analyze_text, conceptdb
    from toridaemon.pipeline.language import language as resources

    analyze_text("A short warm-up text about neural networks.", language=language)
    analyze_text("A short warm-up text about neural networks, written in English and detected as such.")
    # As the daemon's workers do after their warm-up (toridaemon/executors/preload.py): the loaded resources of
    # every method are frozen, so a full collection, set off by whichever method allocates, does not walk them.
    gc.freeze()
    conceptdb.load((), resources(None))  # None: the language could not be told


def _yakes(language: str) -> dict[str, Extractor]:
    found: dict[str, Extractor] = {}
    try:
        import yake

        yake_model = yake.KeywordExtractor(lan=language, n=3, dedupLim=0.9, top=TOP)
        found["yake"] = lambda text: [phrase for phrase, _ in yake_model.extract_keywords(text)]
    except ImportError:
        print("yake not installed (pip install -e '.[bench]'): skipped")
    try:
        import yake_rust

        rust_model = yake_rust.Yake(language=language, ngrams=3, deduplication_threshold=0.9)
        found["yake-rust"] = lambda text: [phrase for phrase, _ in rust_model.get_n_best(text, n=TOP)]
    except ImportError:
        print("yake-rust not installed (pip install yake-rust): skipped")
    return found


def print_set(name: str, results: dict[str, Outcome]) -> None:
    ours = results["toridaemon"]
    print(f"  {'method':<11} {'F1@5':>5} {'F1@10':>6} {'F1@15':>6}  {'choose':>6} {'check':>6}  {'words/s':>9}")
    for label, outcome in results.items():
        speedup = ours.words_per_second / outcome.words_per_second
        gain = ours.f1[10] - outcome.f1[10]
        versus = "" if label == "toridaemon" else f"  ours: F1@10 {gain:+.1f}, speed ×{speedup:.2f}"
        print(
            f"  {label:<11} {outcome.f1[5]:5.1f} {outcome.f1[10]:6.1f} {outcome.f1[15]:6.1f}  "
            f"{outcome.halves['choose']:6.1f} {outcome.halves['check']:6.1f}  {outcome.words_per_second:9.0f}{versus}"
        )
    if "ours+emb" in results and "keybert-np" in results:
        semantic, baseline = results["ours+emb"], results["keybert-np"]
        speedup = semantic.words_per_second / baseline.words_per_second
        print(f"  ours+emb vs keybert-np: F1@10 {semantic.f1[10] - baseline.f1[10]:+.1f} pts, speed ×{speedup:.2f}")
    sys.stdout.flush()


def print_summary(table: dict[str, dict[str, Outcome]]) -> None:
    """Macro averages over sets (each set weighs the same), per half, and the targets."""
    methods = list(next(iter(table.values())))
    print(f"\nmacro over {len(table)} sets: F1@10 (choose half / check half); words/s over every text of every set")
    macro: dict[str, float] = {}
    for label in methods:
        rows = [results[label] for results in table.values() if label in results]
        macro[label] = sum(r.f1[10] for r in rows) / len(rows)
        choose = sum(r.halves["choose"] for r in rows) / len(rows)
        check = sum(r.halves["check"] for r in rows) / len(rows)
        speed = sum(r.words for r in rows) / max(sum(r.seconds for r in rows), 1e-9)
        print(f"  {label:<11} F1@10 {macro[label]:5.1f}  ({choose:5.1f} / {check:5.1f})  {speed:9.0f} words/s")
    if "yake" in macro:
        below = [name for name, results in table.items() if results["toridaemon"].f1[10] < results["yake"].f1[10]]
        ratio = macro["toridaemon"] / macro["yake"] if macro["yake"] else float("nan")
        print(f"  target F1@10 ≥ yake on every set: {'met' if not below else 'NOT met on ' + ', '.join(below)}")
        print(f"  target macro ≥ 1.3× yake: ×{ratio:.2f} ({'met' if ratio >= 1.3 else 'NOT met'})")
    if "yake-rust" in methods:
        slower = [
            name for name, results in table.items()
            if results["toridaemon"].words_per_second < results["yake-rust"].words_per_second
        ]
        verdict = "met" if not slower else "NOT met on " + ", ".join(slower)
        print(f"  target words/s ≥ yake-rust on every set: {verdict} (over every text: ×{_speedup(table):.2f})")


def _speedup(table: dict[str, dict[str, Outcome]]) -> float:
    """Our words/s over yake-rust's, both over every text of every set (long texts weigh by their words)."""
    def seconds(label: str) -> float:
        return sum(results[label].seconds for results in table.values())
    return seconds("yake-rust") / max(seconds("toridaemon"), 1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--limit", type=int, default=None, help="documents per half of each set")
    parser.add_argument("--sets", default=None, help="comma-separated set names (default: every set)")
    parser.add_argument("--half", choices=("choose", "check", "both"), default="both")
    parser.add_argument("--embeddings", action="store_true", help="also run ours+emb and keybert-np")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of every method")
    parser.add_argument("--keybert-sets", default="Inspec", help="data sets keybert-np runs on")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of sets in LIAAD format (default: %(default)s)")
    args = parser.parse_args(argv)
    data: Path = args.data
    if not data.is_dir():
        print(f"no keyphrase data at {data}: nothing to benchmark")
        return 0
    limit_threads(args.threads)
    from toridaemon.pipeline import native

    print("toridaemon's concept engine: " + ("compiled (mypyc)" if native.enabled() else
                                             "from its sources (not compiled: see scripts/build_native.py)"))
    names = args.sets.split(",") if args.sets else sorted(p.name for p in data.iterdir() if (p / "docsutf8").is_dir())
    table: dict[str, dict[str, Outcome]] = {}
    for name in names:
        docs = load(name, args.limit, args.half, data)
        if not docs:
            print(f"{name}: no documents")
            continue
        language = set_language(name, data)
        methods = extractors(language, docs, args.embeddings)
        if "keybert-np" in methods and name not in args.keybert_sets.split(","):
            del methods["keybert-np"]
        for method in methods.values():
            method(docs[0].text)  # loads databases and models outside the clock
        warm_up(language)
        words = sum(doc.words for doc in docs)
        print(f"\n{name} ({language}): {len(docs)} documents, {words} words; threads {args.threads} "
              f"({torch_threads(args.threads)})")
        table[name] = evaluate(methods, docs, language)
        print_set(name, table[name])
    if table:
        print_summary(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
