"""Candidate terms: runs of content words between stop words and punctuation, and their n-grams.

Without a part-of-speech tagger, noun-phrase-like candidates come from cheap lexical rules: function words,
reporting verbs and vague modifiers are boundaries, so are adverbs ("-ly" forms of known words), words with
digits and punctuation; a past participle may open a term ("distributed system") but not end one. Each word is
normalised to lowercase with its plural folded, so "Networks" and "network" are one candidate. Counting is one
pass over the tokens with a per-token-type cache: linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from toridaemon.pipeline.lexicon import is_known
from toridaemon.pipeline.sections import Span

MAX_WORDS = 4

_STOP_TEXT = """
    a about above according across actually after afterwards again against ago al all almost alone along
    already also although always am among amongst an and another any anyhow anyone anything anyway anywhere
    are around as aside at available away b based be became because become becomes becoming been before
    beforehand behind being below beside besides best better between beyond both brief but by c can cannot
    certain certainly clearly consider considered considering contain containing contains corresponding
    could currently d define defined demonstrate demonstrated describe described describes despite did
    different do does doing done down due during e each eg either else elsewhere enough especially et etc
    even ever every everyone everything everywhere example examples except f far few fewer first following
    follows for former formerly found four from further furthermore g gave general generally get gets
    getting give given gives giving go goes going gone good got great h had has have having he hence her
    here hereby herein hers herself him himself his how however i ie if ii iii important in include included
    includes including indeed instead into introduce introduced is it its itself j just k keep known l last
    later latter least less let like likely m made main mainly make makes making many may me meanwhile might
    more moreover most mostly much must my myself n namely near nearly necessary need needed needs neither
    never nevertheless new next no nobody non none nor not nothing novel now nowhere o obtain obtained of
    off often on once one ones only onto or other others otherwise our ours ourselves out over overall own p
    paper particular particularly per perhaps possible present presented presents previous previously
    proposed propose proposes provide provided provides providing q quite r rather really recent recently
    regarding related relatively respectively s said same second see seem seemed seems seen several shall
    she should show showed shown shows significant significantly similar similarly simple simply since so
    some somehow someone something sometimes somewhat specific still study studied such suggest suggested
    sure t take taken than that the their theirs them themselves then thence there thereafter thereby
    therefore therein thereof these they third this those though three through throughout thus to together
    too took toward towards two u under unless unlike until up upon us use used useful uses using usually v
    various very via vs w was way we well were what whatever when whence whenever where whereas whereby
    wherein whether which while who whoever whole whom whose why will with within without would x y yet you
    your yours yourself z able allow allows allowed achieve achieved applied apply applying aim aims
    addition additional associated called compared consists discussed discuss effective efficient existing
    focus focuses help hold improve improved improves increase increased investigate investigated lead leads
    major order require required requires requiring role solve solved study work works
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Word tokens keep inner hyphens and apostrophes; any run of other non-space characters is a boundary, and so
# is a blank line (a paragraph break in PDF text).
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’-][A-Za-z0-9]+)*|[^\sA-Za-z]+|\n[ \t]*\n")
_LINE_HYPHEN = re.compile(r"([A-Za-z]+)-[ \t]*\n[ \t]*([a-z]+)")
_NO_FOLD = frozenset(
    ("series", "species", "analysis", "basis", "axis", "thesis", "physics", "mathematics", "news", "lens", "bias")
)
_IRREGULAR = {
    "matrices": "matrix", "vertices": "vertex", "indices": "index", "appendices": "appendix",
    "criteria": "criterion", "phenomena": "phenomenon", "analyses": "analysis", "hypotheses": "hypothesis",
    "theses": "thesis", "syntheses": "synthesis", "diagnoses": "diagnosis", "axes": "axis", "children": "child",
    "people": "person", "men": "man", "women": "woman",
}
_CACHE_LIMIT = 200_000

# token → (normalised word, may end a term), or None for a boundary.
WordInfo = tuple[str, bool] | None
_info_cache: dict[str, WordInfo] = {}
_UNSEEN: WordInfo = ("", False)  # a sentinel compared by identity: None is a cached answer


@dataclass
class CandidateTable:
    """Occurrence counts of each candidate per section, and the word index of its first occurrence."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)
    words: int = 0


def extract(spans: list[Span]) -> CandidateTable:
    """Count every candidate of every span."""
    if len(_info_cache) > _CACHE_LIMIT:
        _info_cache.clear()  # bounds memory in a long-lived worker
    table = CandidateTable()
    for span in spans:
        counts = table.counts.setdefault(span.section, {})
        table.words = _count(dehyphenate(span.text), counts, table.first, table.words)
    return table


def dehyphenate(text: str) -> str:
    """Join words hyphenated across a line break: "informa-\\ntion" → "information", "web-\\nbased" → "web-based"."""
    if "-\n" not in text and "- \n" not in text:
        return text
    return _LINE_HYPHEN.sub(_join, text)


def fold(word: str) -> str:
    """A lowercase word with its English plural ending removed ("networks" → "network", "queries" → "query")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _NO_FOLD or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def normalize(phrase: str) -> str:
    """The candidate key of a phrase: its words lowercased and folded, joined by single spaces."""
    words = [info[0] for info in map(_cached, _TOKEN.findall(dehyphenate(phrase))) if info is not None]
    return " ".join(words)


def classify(token: str) -> WordInfo:
    """The normalised form of a word token and whether it may end a term, or None for a boundary."""
    lower = token.lower()
    if lower.endswith(("'s", "’s")):
        lower = lower[:-2]
    if len(lower) < 2 or lower in STOP_WORDS or not lower.replace("-", "").replace("'", "").isalpha():
        return None  # digits mark codes, table cells and figure labels rather than terms
    if lower.endswith("ly") and len(lower) > 5 and (is_known(lower[:-2]) or is_known(lower[:-3] + "y")):
        return None  # an adverb ("efficiently", "easily")
    participle = lower.endswith("ed") and len(lower) > 4 and not lower.endswith("eed")
    return fold(lower), not participle


def _cached(token: str) -> WordInfo:
    info = _info_cache.get(token, _UNSEEN)
    if info is _UNSEEN:
        info = _info_cache[token] = classify(token)
    return info


def _join(match: re.Match[str]) -> str:
    head, tail = match.group(1), match.group(2)
    joined = head + tail
    return joined if is_known(joined.lower()) or not is_known(head.lower()) else f"{head}-{tail}"


def _count(text: str, counts: dict[str, int], first: dict[str, int], position: int) -> int:
    cache = _info_cache
    run: list[tuple[str, bool]] = []
    for token in _TOKEN.findall(text):
        info = cache.get(token, _UNSEEN)
        if info is _UNSEEN:
            info = cache[token] = classify(token)
        if info is None:
            if run:
                _emit(run, counts, first, position - len(run))
                run = []
            continue
        run.append(info)
        position += 1
    if run:
        _emit(run, counts, first, position - len(run))
    return position


def _emit(run: list[tuple[str, bool]], counts: dict[str, int], first: dict[str, int], start: int) -> None:
    size = len(run)
    if size == 1:  # the most common run: skip the n-gram loops
        word, may_end = run[0]
        if may_end:
            counts[word] = counts.get(word, 0) + 1
            if word not in first:
                first[word] = start
        return
    words = [word for word, _ in run]
    for i in range(size):
        for j in range(i + 1, min(size, i + MAX_WORDS) + 1):
            if not run[j - 1][1]:
                continue
            key = " ".join(words[i:j]) if j - i > 1 else words[i]
            counts[key] = counts.get(key, 0) + 1
            if key not in first:
                first[key] = start + i
