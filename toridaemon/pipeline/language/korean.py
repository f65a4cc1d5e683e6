"""Korean words without their particles, and predicates as boundaries.

Korean writes spaces between phrases, not words: a noun carries its particle ("학습은", "신경망을": learning, neural
network, with a topic and an object marker), and a verb or adjective its ending ("학습한다", "사용하는"). Read as
words, every concept held a particle and many a verb ("심층 학습은 신경망을 사용하는"). `split_particle` cuts a
particle off a noun, `is_boundary` tells particles and predicates, which bound terms as function words do:
- a particle is cut when what is left is a word of wordfreq's Korean list (a list of morphemes, so it holds the
  nouns), is two syllables or more before an unambiguous particle, or ends in no Hangul ("GPU를"); a token that
  is itself a listed word stays whole ("사이", between, ends in "이", a subject marker);
- a predicate is a token the list does not hold that ends in a verbal ending: a final "다" ("한다", "있다",
  "입니다"), one after "있"/"없" ("관계없는"), or one of a noun made a verb after a listed noun ("사용하는",
  "무관하게", "학습된").
"""

from __future__ import annotations

# Case and topic particles, and their common combinations, longest first so the longest one is cut.
_PARTICLES = tuple(sorted((
    "은 는 이 가 을 를 의 에 에서 에게 께 께서 한테 으로 로 와 과 도 만 까지 부터 보다 처럼 마다 이나 나 "
    "에는 에서는 으로는 로는 에도 에서도 으로도 로도 과의 와의 에서의 으로의 로의 에게서 이라는 라는"
).split(), key=len, reverse=True))
PARTICLES = frozenset(_PARTICLES)
# Particles that (almost) never end a noun of two syllables or more: cut even when the list lacks what is left.
# Not "이" nor "가", which end many ("차이", "국가").
_CLEAR = frozenset(("은", "는", "을", "를", "에서", "에게", "으로", "에서는", "으로는", "에서의", "으로의", "께서",
                    "에게서"))
# Endings of a verb or adjective after its stem: "있"/"없" ("관계없는"), and after a noun made a verb with "하" or "되"
# ("사용하는", "무관하게", "고정하거나", "학습된"), which counts only after a listed noun ("하드웨어" is no verb).
_AFTER_STEM = ("있는", "없는", "있고", "없고", "있으며", "없으며", "있어", "없어", "없이")
_AFTER_NOUN = tuple(
    "하는 하게 하거나 하고 하며 하여 하면 하지 하기 하려 하려면 하던 하도록 하므로 하기에 하여야 해야 한 할 함 합니다 "
    "했던 했고 했으며 했을 하였고 하였던 되는 되게 되고 되며 되어 되면 되지 되기 되도록 되던 된 될 됨 됐던 됐고 "
    "되었고 되었던".split()
)


def split_particle(token: str, listed: dict[str, float]) -> list[str]:
    """`token` as a word and its particle, or whole (see the module docstring)."""
    if token in listed or not _hangul(token[-1:]) or is_boundary(token, listed):
        return [token]  # a predicate keeps its ending: "정의하는" is no "정의하" and "는"
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
    return (word.endswith("다") or (word.endswith(_AFTER_STEM) and len(word) > 2)
            or any(word.endswith(ending) and word[: -len(ending)] in listed for ending in _AFTER_NOUN))


def _hangul(word: str) -> bool:
    """Whether `word` is Hangul syllables only (a Latin word or a number keeps whatever it ends in)."""
    return all("\uac00" <= char <= "\ud7a3" for char in word)
