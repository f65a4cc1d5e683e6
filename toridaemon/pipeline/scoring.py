"""Candidate scores: section-weighted frequency × position × specificity × length prior × database boost.

- frequency: occurrences weighted by the section they occur in (title and abstract count more), dampened
  logarithmically so long documents do not reward only their most repeated words;
- position: authors name their subject early, so a term first seen near the start gains up to `_POSITION_GAIN`;
- specificity: the mean, over the term's words, of how rare the word is in general use of the document's
  language (wordfreq, see `language.resources`);
- length prior: a slight preference for two- and three-word phrases; single words stay in (some topics are one word),
  but an adjective alone ("statistical", "dense") is held back: it names a property, rarely the subject;
- database boost: a term the concept database knows is more likely a real concept (× 1 + boost × priority).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

from toridaemon.pipeline.candidates import ENGLISH, CandidateTable, unlinked
from toridaemon.pipeline.conceptdb import ConceptEntry, Hit, entry_keys
from toridaemon.pipeline.language import Language
from toridaemon.pipeline.language.resources import LINK_MARK
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.sections import SECTION_NAMES

# Chosen on the macro F1@10 over six sets (abstracts, papers, news, reader tags, reports; English and French),
# choose half only (bench/keyphrases.py): one-word topics ("fisheries", "coalition") are as likely as phrases.
_LENGTH_PRIOR = {1: 0.95, 2: 1.0, 3: 1.1, 4: 0.9}
_ADJECTIVE_ALONE = 0.7  # chosen as the length prior was: 0.3 and 0.5 score a little lower, 1.0 clearly lower
_SPEC_NORM = 0.5
# Romance noun phrases (`Language.linkers`). A word that opens under `_HEAD_SHARE` of its runs follows a noun, as an
# adjective does ("distribuida"): alone it scores `_MODIFIER_ALONE` of its value. A term with a linker is scored
# when it occurs `_LINKED_LEAST` times. Chosen on the macro F1@10 of the choose halves (only WikiNews, in French, has
# linkers; its choose half stayed within one point over the settings tried) and on held-out Spanish, Portuguese and
# French sets (bench/README.md), where terms with a linker met once cost 0.5 to 2 points of F1@10.
_MODIFIER_ALONE = 0.3
_HEAD_SHARE = 0.2
_LINKED_LEAST = 2
# A keyword the document lists (`keywords.author_keywords`) is the author's own concept: its score is multiplied by
# this. Chosen on the macro F1@10 of the choose halves (see `_MODIFIER_ALONE`; of the six sets, citeulike180 and
# fao30 list keywords in 23 texts) and checked on held-out sets (bench/README.md).
_KEYWORD_GAIN = 1.5
_tf = math.log1p
_POSITION_GAIN = 2.0
_POSITION_SCALE = 60.0  # words: about the length of a title and the first sentences
_SPECIFICITY_FLOOR = 0.05
_CHARS_PER_WORD = 6.0
_LONG_DOCUMENT = 3000  # distinct candidates
_LATE = 4 * _POSITION_SCALE  # converts a database hit's character offset into a word position
_CACHE_LIMIT = 200_000
_V = TypeVar("_V")
_factor_caches: dict[str, dict[str, float]] = {}  # per language: a term's words → `_term_factor`
_surface_key_caches: dict[str, dict[str, tuple[str, str]]] = {}  # per `Language.key`: a hit's words → its keys


@dataclass(slots=True)  # not frozen: a frozen dataclass takes twice as long to build, and every candidate is one
class Scored:
    key: str
    score: float
    counts: dict[str, int]  # occurrences per section
    entry: ConceptEntry | None = None
    variants: tuple[str, ...] = ()  # candidate keys merged into this one (the key itself first)
    by_name: bool = False  # a database entry whose own name occurs, not only an alias
    written: tuple[str, ...] = ()  # a database entry's names and aliases as the text holds them (lowercase)

    @property
    def frequency(self) -> int:
        return _occurrences(self.counts)

    @property
    def sections(self) -> list[str]:
        """Section names in document-structure order (unknown names last, sorted)."""
        if len(self.counts) == 1:  # most terms occur in one section
            return list(self.counts)
        names = [name for name in SECTION_NAMES if name in self.counts]
        return [*names, *sorted(set(self.counts) - set(names))]


def score(
    table: CandidateTable, hits: dict[str, Hit], options: PipelineOptions, lang: Language = ENGLISH
) -> tuple[list[Scored], int]:
    """Candidates with their scores, best first (ties by key, so the order is deterministic), and how many
    distinct candidates there were.

    In a long document a term seen once, late, and unknown to the database cannot outrank the terms it repeats,
    so such terms are counted but not scored: scoring them is most of the work on long documents.
    """
    merged = _merge(table, hits, lang)
    skip_once = len(merged) > _LONG_DOCUMENT
    weights = {section: options.section_weight(section) for section in table.counts}
    weights.update({section: options.section_weight(section) for hit in hits.values() for section in hit.counts})
    factors = _bounded(_factor_caches.setdefault(lang.code, {}))
    by_name = {key for key, hit in hits.items() if hit.by_name}
    names = table.name_parts(lang) if table.titled else set()
    surfaces, boost = table.surface, options.database_boost
    heads, linked, keywords = table.heads, table.linked, table.keywords
    linked_names = table.linked_names(lang) if linked and table.titled else set()
    verbs = table.verb_like()
    spelt_out: dict[str, list[str]] = {}  # a long form's key → its acronyms' (`_spell_out`)
    for short, long in table.acronyms.items():
        spelt_out.setdefault(long, []).append(short)
    scored: list[Scored] = []
    for key, (counts, first, entry, variants) in merged.items():
        listed = bool(keywords) and any(variant in keywords for variant in variants)  # `variants` holds `key`
        occurrences = _occurrences(counts)
        if skip_once and first > _LATE and entry is None and not listed and len(counts) == 1 and occurrences == 1:
            continue
        surface = surfaces.get(key, key)
        if linked and entry is None and key in linked and not listed and (
                occurrences < _LINKED_LEAST or _modifier(key.split(" ", 1)[0], heads, merged)):
            # "présence de catalyseurs" once is a phrase of a sentence, "base de datos" recurs; "moyen d'Orgnac"
            # of "Pléistocène moyen d'Orgnac" starts on an adjective.
            continue
        if entry is None and not listed and _no_concept(
                key, surface, table, lang, names=names, linked_names=linked_names, verbs=verbs,
                frequency=occurrences):
            continue
        # Keys of stemmed languages are stems, which no frequency list holds: their surface words are looked up.
        # Chinese and Japanese keys are their words unchanged, where the surface writes them with no space between.
        # A database name is weighed by the words a candidate of it would hold ("zealand" of "new zealand").
        scored_as = key if entry is None else _surface_keys(entry.name, lang)[1] or key
        looked_up = scored_as if lang.english or lang.unspaced else surfaces.get(scored_as, scored_as)
        factor = _factor(scored_as, looked_up, factors, lang)
        for short in spelt_out.get(key, ()):
            if short in variants:  # as specific as its acronym: "internet of things" by "iot" too
                shown = short if lang.english or lang.unspaced else surfaces.get(short, short)
                factor = max(factor, _factor(short, shown, factors, lang))
        weighted = 0.0
        for section, count in counts.items():
            weighted += weights[section] * count
        value = _tf(weighted) * factor * (1.0 + _POSITION_GAIN / (1.0 + first / _POSITION_SCALE))
        if heads and entry is None and not listed and " " not in key and _opens_rarely(key, heads, occurrences):
            value *= _MODIFIER_ALONE
        if entry is not None:
            value *= 1.0 + boost * entry.priority
        if listed:
            value *= _KEYWORD_GAIN
        written = tuple(sorted(hits[key].surfaces)) if entry is not None else ()
        scored.append(Scored(key, value, counts, entry, variants, key in by_name, written))
    scored.sort(key=lambda item: (-item.score, item.key))
    return scored, len(merged)


def _factor(key: str, looked_up: str, factors: dict[str, float], lang: Language) -> float:
    """`_term_factor`, kept in `factors`."""
    factor = factors.get(looked_up)
    if factor is None:
        factor = factors[looked_up] = _term_factor(key, looked_up, lang)
    return factor


def _no_concept(key: str, surface: str, table: CandidateTable, lang: Language, *, names: set[str],
                linked_names: set[str], verbs: set[str], frequency: int) -> bool:
    """A person's name (`CandidateTable.name_parts`, `CandidateTable.linked_names`), or a term that opens on a verb
    at the start of a sentence or a heading ("Configurar la impresora", "Configurar red inalámbrica"): an
    infinitive (`Language.infinitives`) the text writes lowercase too, where it bounds terms. One never written
    lowercase is a name ("Ovar", "OVAR"). Or a word met only as a participle (`CandidateTable.participles`:
    "distribuidas"; not "el filtrado", "l'uscita", "distribución" beside it), or a term shown opening or ending on
    a word that opens sentences before determiners (`CandidateTable.verb_like`: "Abra la ventana")."""
    if key in linked_names or (names and any(word in names for word in _words_shown(surface, key, table.linked, lang))):
        return True
    if verbs and (surface.split(" ", 1)[0] in verbs or surface[surface.rfind(" ") + 1 :] in verbs):
        return True  # shown opening or ending on a word the text uses as a verb (`CandidateTable.verb_like`)
    as_participle = table.participles.get(key, 0)
    if as_participle and as_participle + table.capital_participles.get(key, 0) >= frequency:
        return True  # met only as a participle: with a capital too, at a sentence's start ("Distribuidas en …")
    return bool(table.lowercase_infinitives) and key.split(" ", 1)[0] in table.lowercase_infinitives


def _words_shown(surface: str, key: str, linked: set[str], lang: Language) -> list[str]:
    """The words of a term's surface, an elided linker's word without it ("anne" of "carnet d'anne")."""
    words = surface.split(" ")
    return [unlinked(word, lang.linkers) for word in words] if key in linked else words


def _occurrences(counts: dict[str, int]) -> int:
    """The occurrences of `counts` (per section) together. A loop the compiled module runs over the dict itself:
    `sum` of its values was a generic call, made for every candidate."""
    found = 0
    for count in counts.values():
        found += count
    return found


def _modifier(word: str, heads: dict[str, int], merged: dict[str, Occurrences]) -> bool:
    """Whether `word`, a candidate of one word in `merged`, opens rarely (`_opens_rarely`)."""
    found = merged.get(word)
    return found is not None and _opens_rarely(word, heads, _occurrences(found[0]))


def _opens_rarely(word: str, heads: dict[str, int], occurrences: int) -> bool:
    """Whether `word` (a key of one word, met `occurrences` times) opens under `_HEAD_SHARE` of the runs it is in
    (`CandidateTable.heads`): it follows a noun, as an adjective does."""
    return heads.get(word, 0) < _HEAD_SHARE * occurrences


def _term_factor(key: str, looked_up: str, lang: Language) -> float:
    """What a term's words give its score, the same in every document: specificity × length prior."""
    words = key.split(" ")
    parts = looked_up.split(" ")
    if LINK_MARK in words:  # "base de datos" weighs as two words, "de" as nothing, "d'énergie" as "énergie"
        words = [word for word in words if word != LINK_MARK]
        parts = words if looked_up == key else [unlinked(part, lang.linkers) for part in parts
                                                if part not in lang.linkers] or parts
    rarities = lang.rarities
    spec = 0.0
    for word in parts:
        value = rarities.get(word)
        spec += lang.specificity(word) if value is None else value
    spec = spec * len(words) / len(parts)
    factor = max(_SPECIFICITY_FLOOR, spec / math.pow(len(words), _SPEC_NORM)) * _LENGTH_PRIOR.get(len(words), 0.5)
    return factor * _ADJECTIVE_ALONE if len(words) == 1 and looked_up in lang.adjectives else factor


def _surface_keys(surface: str, lang: Language) -> tuple[str, str]:
    # The same database names and aliases turn up in document after document: each is normalised once.
    cache = _bounded(_surface_key_caches.setdefault(lang.key, {}))
    keys = cache.get(surface)
    if keys is None:
        keys = cache[surface] = entry_keys(surface, lang)
    return keys


def _bounded(cache: dict[str, _V]) -> dict[str, _V]:
    if len(cache) > _CACHE_LIMIT:
        cache.clear()  # bounds memory in a long-lived worker
    return cache


Occurrences = tuple[dict[str, int], float, ConceptEntry | None, tuple[str, ...]]


def _merge(table: CandidateTable, hits: dict[str, Hit], lang: Language) -> dict[str, Occurrences]:
    """Candidates keyed by normalised text; a database hit takes over the candidates of its name and aliases."""
    merged: dict[str, Occurrences] = {}
    for section, counts in table.counts.items():
        for key, count in counts.items():
            known = merged.get(key)
            if known is None:
                merged[key] = ({section: count}, table.first[key], None, (key,))
            else:
                known[0][section] = known[0].get(section, 0) + count
    surface_keys = {key: [_surface_keys(surface, lang) for surface in sorted(hit.surfaces)]
                    for key, hit in hits.items()}
    # First every name's share of the terms inside it, then the take-overs: the counts do not depend on which
    # name the text holds first. "new zealand" holds the text's "zealand" that often, and no more.
    for key, hit in hits.items():
        for inner in {inner for own, inner in surface_keys[key] if inner != own}:
            _take_out(merged, inner, hit.counts)
    for key, hit in hits.items():
        total: dict[str, int] = {}
        first = hit.first / _CHARS_PER_WORD
        variants = tuple(dict.fromkeys([key, *(own for own, _inner in surface_keys[key])]))
        for variant in variants:
            found = merged.pop(variant, None)
            if found is not None:
                _add_counts(total, found[0])
                first = min(first, found[1])
        merged[key] = (total or dict(hit.counts), first, hit.entry, variants)
    _spell_out(merged, table.acronyms)
    return merged


def _spell_out(merged: dict[str, Occurrences], acronyms: dict[str, str]) -> None:
    """Count each acronym's occurrences as its long form's, once both are candidates: "MRF" as "markov random field"
    (`acronyms.defined_acronyms`). Not an acronym the database knows as a concept of its own: its hit has taken
    over its occurrences."""
    for short, long in acronyms.items():
        acronym, full = merged.get(short), merged.get(long)
        if acronym is not None and full is not None and acronym[2] is None and short != long:
            del merged[short]
            counts = dict(full[0])
            _add_counts(counts, acronym[0])
            merged[long] = (counts, min(full[1], acronym[1]), full[2], (*full[3], short))


def _add_counts(total: dict[str, int], counts: dict[str, int]) -> None:
    """Add `counts` (occurrences per section) to `total`."""
    for section, count in counts.items():
        total[section] = total.get(section, 0) + count


def _take_out(merged: dict[str, Occurrences], key: str, counts: dict[str, int]) -> None:
    """Lower the occurrences of candidate `key` by `counts`, per section; a candidate left with none goes."""
    found = merged.get(key)
    if found is None:
        return
    left = {section: count - counts.get(section, 0) for section, count in found[0].items()}
    left = {section: count for section, count in left.items() if count > 0}
    if left:
        merged[key] = (left, *found[1:])
    else:
        del merged[key]
