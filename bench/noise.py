"""Noise in the top-10 concepts of real PDFs: near-duplicates, function words, and names, e-mails, URLs and TeX.

Documents: `../shared/corpus/good/*.pdf` plus, with `--texlive PKG,...`, the PDF manuals of Debian's texlive
language packages (default: german, spanish, italian, portuguese, european), fetched with `apt-get download`
into `--cache` and unpacked with `dpkg-deb` (the `--per-package` smallest PDFs of each). For each document the
top-10 list of the pipeline (default settings, language detected) is checked; printed are, over all listed
concepts:
- near-duplicates: a concept whose words, stemmed in the document's language (`_common.stemmer`), equal, contain
  or lie inside a higher-ranked one's;
- function words: a concept holding a function word of the document's language (the `stop-words` package's list
  for that language, kept to words more frequent than 1 in 100,000 in wordfreq, so that rare entries do not count;
  the preposition inside a Romance noun phrase, "de" of "base de datos", is the phrase's own and does not count;
  Vietnamese's lists syllables, among them those of content words, so "địa chỉ IP", IP address, counts);
- names and markup: an e-mail address, URL, TeX token (backslash, braces, a TeX command word) or a person's name:
  two or three words the text writes capitalised, the first a given name of the US census lists shipped in the
  `names` package (when installed), the last a family name of those lists or a word rare in wordfreq's list of
  the document's language (under `_RARE_ZIPF`: "Markus Kohm", "Peter Musterfrau", which no census list holds).
Target: each share at most 3 %. Also printed, with no target: concepts of several words found in their document's
text only across a line break ("Musterhausen Mitglied Nr" of an address: `joined_across_lines`).

With `--gnome-help LANGS` (or `all`), GNOME's desktop help in those languages is added as plain texts, one per
language and topic (Debian's gnome-user-docs: 40 translations, 32 with enough translated text, among them
Greek, Serbian, Ukrainian, Finnish, Hungarian, Vietnamese, Chinese, Tamil and Marathi: see `gnome_help_texts`).

Usage: python bench/noise.py [--limit N] [--texlive german,spanish] [--per-package N] [--gnome-help el,vi|all]
                             [--cache DIR] [--show]
"""

from __future__ import annotations

import argparse
import functools
import math
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
from _common import debian_package, stemmer

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "good"
TOP = 10
TARGET = 3.0
_TEX_WORDS = frozenset(
    "textbf textit emph usepackage documentclass newcommand renewcommand begin end makeatletter makeatother def "
    "hbox vbox vspace hspace mbox fbox def edef gdef xdef let csname endcsname expandafter noexpand relax "
    "tt bf it rm sf sc ifx fi else".split()
)
_MALLARD = "{http://projectmallard.org/1.0/}"
_GNOME_TOPICS = ("net", "power", "color", "printing", "files", "backup", "bluetooth", "disk")
_GNOME_MIN_WORDS = 600
_LETTERS = r"[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*"
_LETTERS_AND_DIGITS = r"[\p{L}\p{M}\p{N}]+"
_HAN_OR_KANA = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_WORDS = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]|[\p{L}\p{M}]+")
_RARE_ZIPF = 3.0  # fewer than one in a million words: a family name, not a noun ("Mustermann" 2.7, "Berndt" 3.1)
_EMAIL = re.compile(r"\S@\S|\bdot\b.*\bat\b|\bat\b.*\bdot\b")
_URL = re.compile(r"://|\bwww\.|\.(?:com|org|net|edu|de|fr|it|es)\b")


@dataclass
class Tally:
    concepts: int = 0
    duplicates: int = 0
    function_words: int = 0
    names_markup: int = 0
    across_lines: int = 0
    examples: dict[str, list[str]] = field(
        default_factory=lambda: {"dup": [], "func": [], "name": [], "lines": []})

    def share(self, count: int) -> float:
        return 100 * count / self.concepts if self.concepts else 0.0


def texlive_pdfs(packages: Iterable[str], cache: Path, per_package: int) -> list[Path]:
    """The smallest `per_package` PDFs of each texlive-lang-PKG package, downloaded and unpacked once."""
    found: list[Path] = []
    for package in packages:
        target = debian_package(f"texlive-lang-{package}", cache)
        pdfs = sorted(target.rglob("*.pdf"), key=lambda p: p.stat().st_size)
        found.extend(pdfs[:per_package])
    return found


def gnome_help_texts(languages: Iterable[str], cache: Path, topics: Iterable[str] = _GNOME_TOPICS
                     ) -> list[tuple[str, str]]:
    """(name, text) of GNOME's desktop help in `languages` (Debian's gnome-user-docs, Mallard pages, as translators
    left them): per language and topic, the titles and paragraphs of the topic's pages, without the lines left
    untranslated (those of the English original), when at least `_GNOME_MIN_WORDS` words are left (a Chinese or
    Japanese character counts as half a word). A language with no such text is named on stderr."""
    root = debian_package("gnome-user-docs", cache) / "usr" / "share" / "help"
    english = {line for topic in topics for line in _mallard_lines(root / "C", topic)}
    found: list[tuple[str, str]] = []
    for code in languages:
        before = len(found)
        for topic in topics:
            lines = [line for line in _mallard_lines(root / code, topic) if line not in english]
            if sum(map(_words, lines)) >= _GNOME_MIN_WORDS:
                found.append((f"gnome-help/{code}/{topic}", "\n".join(lines)))
        if len(found) == before:
            print(f"  gnome-help/{code}: too little translated text", file=sys.stderr)
    return found


def _words(line: str) -> float:
    return sum(0.5 if len(word) == 1 and _HAN_OR_KANA.match(word) else 1.0 for word in _WORDS.findall(line))


def _mallard_lines(folder: Path, topic: str) -> list[str]:
    """The titles and paragraphs of the help pages of `topic` in `folder`, one line each, without the pages'
    credits and links (their `info` and `links` elements)."""
    from xml.etree import ElementTree

    lines = []
    for page in sorted((folder / "gnome-help").glob(f"{topic}-*.page")):
        try:
            root = ElementTree.parse(page).getroot()  # noqa: S314  # a Debian package's own pages
        except ElementTree.ParseError:
            continue
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag in (_MALLARD + "info", _MALLARD + "links"):
                    parent.remove(child)
        lines += [" ".join("".join(element.itertext()).split()) for element in root.iter()
                  if element.tag in (_MALLARD + "title", _MALLARD + "p")]
    return [line for line in lines if line]


def function_words(code: str | None) -> frozenset[str]:
    import stop_words

    if not code:
        return frozenset()
    try:
        listed = stop_words.get_stop_words(code)
    except stop_words.StopWordError:
        return frozenset()
    return frozenset(w.lower() for w in listed if _zipf(w.lower(), code) >= 4.0)


def holds_function_word(words: list[str], function: frozenset[str], language: str | None) -> bool:
    """Whether a concept's words hold a function word; a Romance linker between two of them ("de" of "base de
    datos", `resources.LINKERS`) is the noun phrase's own, as a hyphen is a compound's, and does not count."""
    from toridaemon.pipeline.language.resources import LINKERS

    linkers = LINKERS.get(language or "", frozenset())
    return any(word in function and not (0 < at < len(words) - 1 and word in linkers) for at, word in enumerate(words))


def _zipf(word: str, code: str) -> float:
    """The Zipf frequency of `word` as wordfreq's `small` list holds it, looked up without wordfreq's tokenizer
    (Chinese, Japanese and Korean would need jieba or MeCab); 0 for a word or a language it does not list."""
    import wordfreq

    if code not in wordfreq.available_languages("small"):
        return 0.0
    share = _frequencies(code).get(word.casefold(), 0.0)  # wordfreq's keys are casefolded: "strasse", "τησ"
    return math.log10(share * 1e9) if share > 0 else 0.0


@functools.cache
def _frequencies(code: str) -> dict[str, float]:
    import wordfreq

    return dict(wordfreq.get_frequency_dict(code, wordlist="small"))


def words_of(name: str, language: str | None, pattern: str = _LETTERS) -> list[str]:
    """The words of a concept's name (runs of `pattern`: letters with their marks, the vowel signs of Indic
    scripts, and apostrophes between them, as in Ukrainian "з'єднання", whose "з" is no word of its own),
    lowercased: Chinese and Japanese ones as the engine cuts them (their text has no spaces to tell words by)."""
    from toridaemon.pipeline.language.unspaced import UNSPACED, split_words

    found = regex.findall(pattern, name.lower())
    if language not in UNSPACED:
        return found
    return [word for token in found for word in split_words(token, language)]


def person_names() -> tuple[frozenset[str], frozenset[str]]:
    """Given names and family names of the US census lists in the `names` package (empty when not installed)."""
    try:
        import names
    except ImportError:
        return frozenset(), frozenset()
    folder = Path(names.__file__).parent

    def read(*files: str) -> frozenset[str]:
        words: set[str] = set()
        for file in files:
            words.update(line.split()[0].lower() for line in (folder / file).read_text().splitlines() if line)
        return frozenset(words)

    return read("dist.male.first", "dist.female.first"), read("dist.all.last")


def stems(name: str, language: str | None = None) -> list[str]:
    stem = stemmer(language or "en")
    return [stem(word) for word in words_of(name, language, _LETTERS_AND_DIGITS)]


def near_duplicate(words: list[str], earlier: list[list[str]]) -> bool:
    for other in earlier:
        short, long = (words, other) if len(words) <= len(other) else (other, words)
        if short and any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1)):
            return True
    return False


def is_name_or_markup(
    name: str, context: str, given: frozenset[str], family: frozenset[str], language: str | None = None
) -> bool:
    if _EMAIL.search(name) or _URL.search(name) or any(c in name for c in "\\{}"):
        return True
    words = name.split()
    if any(word.lower() in _TEX_WORDS for word in words):
        return True
    last = words[-1].lower() if words else ""
    if 2 <= len(words) <= 3 and words[0].lower() in given and (last in family or _rare(last, language)):
        match = re.search(r"\b" + r"\s+".join(map(re.escape, words)) + r"\b", context, re.IGNORECASE)
        return match is not None and all(part[:1].isupper() for part in match.group(0).split())
    return False


def _rare(word: str, language: str | None) -> bool:
    import wordfreq

    code = language if language in wordfreq.available_languages("small") else "en"
    return _zipf(word, code) < _RARE_ZIPF


def results(paths: list[Path], texts: list[tuple[str, str]]) -> Iterator[tuple[str, Any, str]]:
    """(name, result, text) of each PDF and each text, read as the daemon reads them (default settings): a PDF's
    pages are read once, as `analyze_pdf` reads them, and their text is the one its concepts come from (for
    `joined_across_lines`)."""
    from toridaemon.pipeline import PipelineError, PipelineOptions, analyze_text
    from toridaemon.pipeline.concepts import analyze_pages
    from toridaemon.pipeline.text import read_document
    from toridaemon.pipeline.text.extract import read_input

    options = PipelineOptions(max_concepts=TOP)
    for path in paths:
        try:
            document = read_document(read_input(path, options).data, options, name=path.name)
            report = analyze_pages(document.pages, title=document.title or "", options=options,
                                   detected=document.language)
        except PipelineError as error:
            print(f"  {path.name}: {error}", file=sys.stderr)
            continue
        yield path.name, report, "\f".join(document.pages)
    for name, text in texts:
        yield name, analyze_text(text, settings=options, name=name), text


def joined_across_lines(name: str, text: str) -> bool:
    """Whether a concept of several words occurs in `text` only with a line or page break between two of its
    words: a line of an address, a title page or a table run on into the next ("Musterhausen Mitglied Nr"). Its
    first word starts a word of the text; its last may go on ("molecule" of "molecules")."""
    words = name.split()
    if len(words) < 2:
        return False
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, words))
    found = [match.group() for match in re.finditer(pattern, text, re.IGNORECASE)]
    return bool(found) and all("\n" in occurrence or "\f" in occurrence for occurrence in found)


def tally(documents: Iterable[tuple[str, Any, str]], show: bool) -> Tally:
    given, family = person_names()
    total = Tally()
    for name, result, text in documents:
        function = function_words(result.language)
        earlier: list[list[str]] = []
        for concept in result.concepts[:TOP]:
            total.concepts += 1
            words = stems(concept.name, result.language)
            if near_duplicate(words, earlier):
                total.duplicates += 1
                total.examples["dup"].append(concept.name)
            earlier.append(words)
            if holds_function_word(words_of(concept.name, result.language), function, result.language):
                total.function_words += 1
                total.examples["func"].append(f"{concept.name} ({result.language})")
            if is_name_or_markup(concept.name, concept.context, given, family, result.language):
                total.names_markup += 1
                total.examples["name"].append(concept.name)
            if joined_across_lines(concept.name, text):
                total.across_lines += 1
                total.examples["lines"].append(concept.name)
        if show:
            print(f"  {name} [{result.language}]: {', '.join(c.name for c in result.concepts[:TOP])}")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--limit", type=int, default=None, help="PDFs of the shared corpus")
    parser.add_argument("--texlive", default="german,spanish,italian,portuguese,european",
                        help="texlive-lang-* packages whose PDF manuals to add ('' for none)")
    parser.add_argument("--per-package", type=int, default=8)
    parser.add_argument("--gnome-help", default="",
                        help="languages of GNOME's help to add as texts (gnome-user-docs, e.g. 'el,vi'; 'all')")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "toridaemon-bench-texlive")
    parser.add_argument("--show", action="store_true", help="print every top-10 list")
    args = parser.parse_args(argv)
    paths = sorted(SHARED.glob("*.pdf"))[: args.limit] if SHARED.is_dir() else []
    packages = [p for p in args.texlive.split(",") if p]
    if packages:
        paths += texlive_pdfs(packages, args.cache, args.per_package)
    texts = gnome_help_texts(_gnome_languages(args.gnome_help, args.cache), args.cache) if args.gnome_help else []
    if not paths and not texts:
        print("no documents: nothing to measure")
        return 0
    total = tally(results(paths, texts), args.show)
    print(f"\n{len(paths)} PDFs and {len(texts)} texts, {total.concepts} concepts in top-{TOP} lists "
          f"(target: each share ≤ {TARGET:.0f} %)")
    for label, count, key in (
        ("near-duplicates", total.duplicates, "dup"),
        ("function words", total.function_words, "func"),
        ("names, e-mails, URLs, TeX", total.names_markup, "name"),
    ):
        share = total.share(count)
        verdict = "met" if share <= TARGET else "NOT met"
        print(f"  {label:<27} {share:5.1f} %  ({count})  {verdict}; e.g. {', '.join(total.examples[key][:6])}")
    print(f"  {'joined across lines':<27} {total.share(total.across_lines):5.1f} %  ({total.across_lines})  "
          f"no target; e.g. {', '.join(total.examples['lines'][:6])}")
    return 0


def _gnome_languages(asked: str, cache: Path) -> list[str]:
    if asked != "all":
        return [code for code in asked.split(",") if code]
    help_folder = debian_package("gnome-user-docs", cache) / "usr" / "share" / "help"
    return sorted(folder.name for folder in help_folder.iterdir() if folder.name != "C")


if __name__ == "__main__":
    raise SystemExit(main())
