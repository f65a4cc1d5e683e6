"""Korean words without their particles, and predicates as boundaries.

Korean writes spaces between phrases, not words: a noun carries its particle ("학습은", "신경망을": learning, neural
network, with a topic and an object marker), and a verb or adjective its ending ("학습한다", "사용하는"). Read as
words, every concept held a particle and many a verb ("심층 학습은 신경망을 사용하는"). `split_particle` cuts a
particle off a noun, `is_boundary` tells particles and predicates, which bound terms as function words do:
- a particle is cut when what is left is a word of wordfreq's Korean list (a list of morphemes, so it holds the
  nouns), is two syllables or more before an unambiguous particle, or ends in no Hangul ("GPU를"); a token that
  is itself a listed word stays whole ("사이", between, ends in "이", a subject marker);
- a predicate is a token the list does not hold that ends in a verbal ending: a final "다" ("한다", "있다",
  "입니다"), an attributive or connective one ("사용하는", "없는", "학습되고"), or "한"/"된" after a listed noun
  ("학습된", a noun made a verb).
"""

from __future__ import annotations

# Case and topic particles, and their common combinations, longest first so the longest one is cut.
_PARTICLES = tuple(sorted((
    "은 는 이 가 을 를 의 에 에서 에게 께 께서 한테 으로 로 와 과 도 만 까지 부터 보다 처럼 마다 이나 나 "
    "에는 에서는 으로는 로는 에도 에서도 으로도 로도 과의 와의 에서의 으로의 로의 에게서 이라는 라는"
).split(), key=len, reverse=True))
PARTICLES = frozenset(_PARTICLES)
# Particles that never end a noun of two syllables or more: cut even when the list lacks what is left.
_CLEAR = frozenset(("을", "를", "에서", "에게", "으로", "에서는", "으로는", "에서의", "으로의", "께서", "에게서"))
# Endings after a verb's or adjective's stem ("있는", "없는") or after a noun made a verb ("사용하는", "학습된"):
# attributive and connective forms. A final "다" ends every declarative predicate.
_ENDINGS = ("하는", "되는", "있는", "없는", "하고", "하며", "하여", "해서", "하면", "되고", "되어", "하지", "되지")
_AFTER_NOUN = ("한", "된", "할", "될")


def split_particle(token: str, listed: dict[str, float]) -> list[str]:
    """`token` as a word and its particle, or whole (see the module docstring)."""
    if token in listed or not _hangul(token[-1:]):
        return [token]
    for particle in _PARTICLES:
        if len(token) > len(particle) and token.endswith(particle):
            stem = token[: -len(particle)]
            # A Latin name or a number before a particle ("GPU를", "CNN은") is cut off it too.
            if stem in listed or (len(stem) >= 2 and particle in _CLEAR) or not _hangul(stem[-1]):
                return [stem, particle]
    return [token]


def is_boundary(word: str, listed: dict[str, float]) -> bool:
    """A particle, or a predicate the list does not hold as a word."""
    if word in PARTICLES:
        return True
    if word in listed or len(word) < 2 or not _hangul(word):
        return False
    return (word.endswith("다") or (word.endswith(_ENDINGS) and len(word) > 2)
            or (word.endswith(_AFTER_NOUN) and word[:-1] in listed))



def _hangul(word: str) -> bool:
    """Whether `word` is Hangul syllables only (a Latin word or a number keeps whatever it ends in)."""
    return all("\uac00" <= char <= "\ud7a3" for char in word)
