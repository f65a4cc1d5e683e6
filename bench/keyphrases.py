"""Keyphrase quality and speed of the concept engine against YAKE (and yake-rust when installed).

Data: `../shared/keyphrase/{Inspec,SemEval2010}` beside the repository (LIAAD format). For each data set and
method: exact-match F1@10 after Porter stemming (macro average over documents) and words per second, all in one
process and one run, the methods taking turns by chunks of documents. YAKE (AGPL) is a bench-only comparison,
never a runtime dependency.

Usage: python bench/keyphrases.py [--limit N] [--sets Inspec,SemEval2010] [--embeddings] [--threads N]
    [--keybert-sets Inspec]

`--embeddings` adds a row for our engine with the optional embeddings mode on (needs `toridaemon[embeddings]`) and
one for KeyBERT with noun-phrase candidates and the same model (`keybert-np`, see bench/_keybert.py), on the
`--keybert-sets` only: on SemEval2010's full papers it runs at some 1.5k words/s, about 20 minutes on one thread.
Install: torch==2.13.0 first, then the `embeddings` and `bench-embeddings` extras.
Every method runs with the same `--threads` budget (torch, BLAS/OpenMP, tokenizers), 1 by default as in the daemon.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "keyphrase"
TOP = 10
_WORD = re.compile(r"[a-z0-9]+")

Extractor = Callable[[str], list[str]]


@dataclass(frozen=True)
class Document:
    text: str
    keys: list[str]
    words: int


@dataclass(frozen=True)
class Outcome:
    f1: float
    words_per_second: float


def load(name: str, limit: int | None) -> list[Document]:
    """Documents of one data set that have a key file, sorted by file name."""
    folder = DATA / name
    docs = []
    for path in sorted((folder / "docsutf8").glob("*.txt"))[:limit]:
        key_path = folder / "keys" / f"{path.stem}.key"
        if key_path.is_file():
            text = path.read_text(encoding="utf-8")
            keys = [line.strip() for line in key_path.read_text(encoding="utf-8").splitlines() if line.strip()]
            docs.append(Document(text=text, keys=keys, words=len(text.split())))
    return docs


CHUNK = 50  # documents per method in turn, so drift of a shared machine hits every method alike


def evaluate(methods: dict[str, Extractor], docs: list[Document]) -> dict[str, Outcome]:
    """Macro F1@10 of stemmed exact matches and the speed of every method, the methods taking turns by chunks."""
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
    return {name: Outcome(f1(docs, predictions[name]), words / elapsed[name]) for name in methods}


def f1(docs: list[Document], predictions: list[list[str]]) -> float:
    """Macro F1@10 of stemmed exact matches, in percent."""
    from nltk.stem import PorterStemmer

    stemmer = PorterStemmer()

    def stem(phrase: str) -> str:
        return " ".join(stemmer.stem(word) for word in _WORD.findall(phrase.lower()))

    total = 0.0
    for doc, predicted in zip(docs, predictions, strict=True):
        gold = {stem(key) for key in doc.keys}
        found = list(dict.fromkeys(stem(p) for p in predicted[:TOP]))
        hits = sum(1 for phrase in found if phrase in gold)
        if hits:
            precision, recall = hits / len(found), hits / len(gold)
            total += 2 * precision * recall / (precision + recall)
    return 100 * total / len(docs)


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


def extractors(embeddings: bool = False) -> dict[str, Extractor]:
    """Our engine (also with embeddings and KeyBERT when asked), YAKE and yake-rust (each only when importable)."""
    from toridaemon.pipeline import PipelineOptions, analyze_text

    options = PipelineOptions(max_concepts=TOP, min_concepts=TOP)
    found: dict[str, Extractor] = {
        "toridaemon": lambda text: [c.name for c in analyze_text(text, settings=options).concepts]
    }
    if embeddings:
        semantic = options.model_copy(update={"embeddings": True})
        found["ours+emb"] = lambda text: [c.name for c in analyze_text(text, settings=semantic).concepts]
    try:
        import yake

        yake_model = yake.KeywordExtractor(lan="en", n=3, dedupLim=0.9, top=TOP)
        found["yake"] = lambda text: [phrase for phrase, _ in yake_model.extract_keywords(text)]
    except ImportError:
        print("yake not installed (pip install -e '.[bench]'): skipped")
    try:
        import yake_rust

        rust_model = yake_rust.Yake(language="en", ngrams=3, deduplication_threshold=0.9)
        found["yake-rust"] = lambda text: [phrase for phrase, _ in rust_model.get_n_best(text, n=TOP)]
    except ImportError:
        print("yake-rust not installed (pip install yake-rust): skipped")
    if embeddings:
        try:
            from _keybert import extractor

            found["keybert-np"] = extractor(TOP)
        except ImportError as error:
            print(f"keybert-np: {error} (install the bench-embeddings extra): skipped")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--limit", type=int, default=None, help="documents per data set")
    parser.add_argument("--sets", default="Inspec,SemEval2010")
    parser.add_argument("--embeddings", action="store_true", help="also run ours+emb and keybert-np")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of every method")
    parser.add_argument("--keybert-sets", default="Inspec", help="data sets keybert-np runs on")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no keyphrase data at {DATA}: nothing to benchmark")
        return 0
    limit_threads(args.threads)
    all_methods = extractors(args.embeddings)
    for method in all_methods.values():
        method("A short warm-up text about neural networks.")  # loads databases and models outside the clock
    print(f"threads: {args.threads} ({torch_threads(args.threads)})")
    for name in args.sets.split(","):
        methods = dict(all_methods)
        if "keybert-np" in methods and name not in args.keybert_sets.split(","):
            del methods["keybert-np"]
            print(f"\nkeybert-np: skipped on {name} (add it to --keybert-sets)")
        docs = load(name, args.limit)
        if not docs:
            print(f"{name}: no documents")
            continue
        words = sum(doc.words for doc in docs)
        print(f"\n{name}: {len(docs)} documents, {words} words")
        results = evaluate(methods, docs)
        ours = results["toridaemon"]
        for label, outcome in results.items():
            speedup = ours.words_per_second / outcome.words_per_second
            versus = f"  ours vs this: F1 {ours.f1 - outcome.f1:+.1f} pts, speed ×{speedup:.2f}"
            ratio = "" if label == "toridaemon" else versus
            print(f"  {label:<11} F1@10 {outcome.f1:5.1f}  {outcome.words_per_second:9.0f} words/s{ratio}")
        if "ours+emb" in results and "keybert-np" in results:
            semantic, baseline = results["ours+emb"], results["keybert-np"]
            speedup = semantic.words_per_second / baseline.words_per_second
            print(f"  ours+emb vs keybert-np: F1 {semantic.f1 - baseline.f1:+.1f} pts, speed ×{speedup:.2f}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
