"""English: the curated function-word list and plural folding (Snowball's English stemmer merges too much for
display: "computer", "computing" and "computation" all become "comput", so English keeps its plural rules).

The list holds function words plus reporting verbs ("propose", "show") and vague modifiers ("novel", "various")
that open or close spans in scientific prose but never belong to a term.
"""

from __future__ import annotations

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
_NO_FOLD = frozenset(
    ("series", "species", "analysis", "basis", "axis", "thesis", "physics", "mathematics", "news", "lens", "bias")
)
_IRREGULAR = {
    "matrices": "matrix", "vertices": "vertex", "indices": "index", "appendices": "appendix",
    "criteria": "criterion", "phenomena": "phenomenon", "analyses": "analysis", "hypotheses": "hypothesis",
    "theses": "thesis", "syntheses": "synthesis", "diagnoses": "diagnosis", "axes": "axis", "children": "child",
    "people": "person", "men": "man", "women": "woman",
}


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
