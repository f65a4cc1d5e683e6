"""Korean words without their particles, and predicates as boundaries.

Korean writes spaces between phrases, not words: a noun carries its particle ("학습은", "신경망을": learning, neural
network, with a topic and an object marker), and a verb or adjective its ending ("학습한다", "사용하는"). Read as
words, every concept held a particle and many a verb ("심층 학습은 신경망을 사용하는"). `split_particle` cuts a
particle off a noun, `is_boundary` tells particles and predicates, which bound terms as function words do:
- a particle is cut when what is left is a word of wordfreq's Korean list (a list of morphemes, so it holds the
  nouns), ends in no Hangul ("GPU를"), or is two syllables or more before an unambiguous particle or one of the
  form its last syllable takes ("딥러닝이": "이" after a final consonant); a token that is itself a listed word
  stays whole ("사이", between, ends in "이", a subject marker);
- a predicate is a token the list does not hold that ends in a verbal ending: a final "다" after a syllable of
  a predicate ("한다", "있다", "입니다"; not "람다"), one after "있"/"없" ("관계없는"), a connective or
  adverbial one ("쓰면", "빠르게"), or one of a noun made a verb after a listed noun ("사용하는", "학습된").
"""

from __future__ import annotations

# Case and topic particles, and their common combinations, longest first so the longest one is cut.
_PARTICLES = tuple(sorted((
    "은 는 이 가 을 를 의 에 에서 에게 께 께서 한테 으로 로 와 과 도 만 까지 부터 보다 처럼 마다 이나 나 "
    "에는 에서는 으로는 로는 에도 에서도 으로도 로도 과의 와의 에서의 으로의 로의 에게서 이라는 라는"
).split(), key=len, reverse=True))
PARTICLES = frozenset(_PARTICLES)
# Particles that (almost) never end a noun of two syllables or more: cut even when the list lacks what is left.
_CLEAR = frozenset(("에서", "에게", "께서", "에게서", "에서는", "에서의"))
# Particles with a form for each kind of noun end: after a final consonant ("딥러닝이", "모델을") or after a vowel
# ("데이터가", "시스템을" but "소프트웨어를"); "로" also after "ㄹ". A particle of the wrong form is part of the
# noun ("차이", "국가": a vowel before "이", a consonant before "가").
_AFTER_CONSONANT = frozenset(("이", "은", "을", "과", "으로", "이나", "이라는", "으로는", "으로도", "으로의", "과의"))
_AFTER_VOWEL = frozenset(("가", "는", "를", "와", "나", "라는", "와의"))
_AFTER_VOWEL_OR_L = frozenset(("로", "로는", "로도", "로의"))
_RIEUL = 8  # the final consonant "ㄹ" in a syllable's code
# Syllables before a final "다" of a predicate: endings of tense and politeness ("한다", "했다", "입니다"), the
# copula ("이다") and common adjectives' stems ("같다", "어렵다"); a loanword ending in "다" ("람다") stays a noun.
_BEFORE_DA = frozenset("한 된 있 없 이 니 했 됐 였 었 았 는 겠 렸 졌 왔 갔 쳤 웠 같 좋 많 높 낮 크 르 렵 쉽 싶 않 진 "
                       "친".split())
# Endings of a verb or adjective after its stem: "있"/"없" ("관계없는"), and after a noun made a verb with "하" or "되"
# ("사용하는", "무관하게", "고정하거나", "학습된"), which counts only after a listed noun ("하드웨어" is no verb).
_AFTER_STEM = ("있는", "없는", "있고", "없고", "있으며", "없으며", "있어", "없어", "없이")
# Connective and adverbial endings of any verb or adjective ("쓰면", "빠르게", "어렵지만"), on a word the list lacks
# (nouns ending so are common words it holds: "화면", "무게").
_CONNECTIVES = ("면", "며", "지만", "니까", "려고", "도록", "거나", "어서", "아서", "게")
_AFTER_NOUN = tuple(
    "하는 하게 하거나 하고 하며 하여 하면 하지 하기 하려 하려면 하던 하도록 하므로 하기에 하여야 해야 한 할 함 합니다 "
    "했던 했고 했으며 했을 하였고 하였던 되는 되게 되고 되며 되어 되면 되지 되기 되도록 되던 된 될 됨 됐던 됐고 "
    "되었고 되었던".split()
)


def split_particle(token: str, listed: dict[str, float]) -> list[str]:
    """`token` as a word and its particle, or whole (see the module docstring)."""
    if token in listed or not hangul(token[-1:]) or is_boundary(token, listed):
        return [token]  # a predicate keeps its ending: "정의하는" is no "정의하" and "는"
    for particle in _PARTICLES:
        if len(token) > len(particle) and token.endswith(particle):
            stem = token[: -len(particle)]
            # A Latin name or a number before a particle ("GPU를", "CNN은") is cut off it too.
            if (stem in listed or not hangul(stem[-1])
                    or (len(stem) >= 2 and (particle in _CLEAR or _fits(stem[-1], particle)))):
                return [stem, particle]
    return [token]


def is_boundary(word: str, listed: dict[str, float]) -> bool:
    """A particle, or a predicate the list does not hold as a word."""
    if word in PARTICLES:
        return True
    if word in listed or len(word) < 2 or not hangul(word):
        return False
    return ((word.endswith("다") and word[-2] in _BEFORE_DA) or (word.endswith(_AFTER_STEM) and len(word) > 2)
            or word.endswith(_CONNECTIVES)
            or any(word.endswith(ending) and word[: -len(ending)] in listed for ending in _AFTER_NOUN))


def _fits(syllable: str, particle: str) -> bool:
    """Whether `particle` has the form that follows `syllable` (see `_AFTER_CONSONANT`)."""
    final = (ord(syllable) - 0xAC00) % 28  # 0: the syllable ends in its vowel
    if particle in _AFTER_CONSONANT:
        return final != 0
    if particle in _AFTER_VOWEL:
        return final == 0
    return particle in _AFTER_VOWEL_OR_L and final in (0, _RIEUL)


def particle_after(text: str, stop: int) -> bool:
    """Whether a particle follows at `stop`, and then no letter or digit: a noun's end ("신경망을 사용").
    The longest particle is three syllables."""
    if not hangul(text[stop : stop + 1]):  # most text: no Hangul syllable there
        return False
    return any(text[stop : stop + size] in PARTICLES and (stop + size == len(text) or not text[stop + size].isalnum())
               for size in (1, 2, 3))


def hangul(word: str) -> bool:
    """Whether `word` is Hangul syllables only, and not empty (a Latin word or a number keeps whatever it ends
    in)."""
    return bool(word) and all("\uac00" <= char <= "\ud7a3" for char in word)
