"""Korean: a noun's particle is cut off it, and predicates bound terms.

Before, every Korean concept held a particle and many a verb ("심층 학습은 신경망을 사용하는").
"""

from __future__ import annotations

import pytest

from tests.texts import KOREAN
from toridaemon.pipeline import analyze_text
from toridaemon.pipeline.language import language
from toridaemon.pipeline.language.korean import PARTICLES, is_boundary, split_particle


@pytest.mark.parametrize(("token", "words"), [
    ("학습은", ["학습", "은"]),
    ("데이터에서", ["데이터", "에서"]),
    ("신경망을", ["신경망", "을"]),
    ("GPU를", ["GPU", "를"]),  # a Latin name before a particle
    ("사이", ["사이"]),  # a listed word ending in what could be a particle stays whole
    ("정의하는", ["정의하는"]),  # a predicate: "는" is its ending, no particle
    ("딥러닝이", ["딥러닝", "이"]),  # unlisted, but "이" is the form after a final consonant
    ("데이터가", ["데이터", "가"]),
    ("차이", ["차이"]), ("국가", ["국가"]),  # "이" after a vowel, "가" after a consonant: part of the noun
    ("학습", ["학습"]),
    ("network", ["network"]),
])
def test_a_particle_is_cut_off_its_noun(token: str, words: list[str]) -> None:
    assert split_particle(token, language("ko").frequencies) == words


@pytest.mark.parametrize(("word", "boundary"), [
    ("은", True), ("에서", True), ("학습한다", True), ("사용하는", True), ("있다", True), ("학습된", True),
    ("무관하게", True), ("고정하거나", True), ("관계없는", True),
    ("람다", False),  # a loanword ending in "다" (lambda), no predicate
    ("학습", False), ("신경망", False), ("바다", False), ("gpu", False), ("하드웨어", False), ("컴퓨터하드웨어", False),
])
def test_particles_and_predicates_are_boundaries(word: str, boundary: bool) -> None:
    assert is_boundary(word, language("ko").frequencies) is boundary


def test_korean_concepts_are_nouns_without_particles_or_verbs() -> None:
    result = analyze_text(KOREAN)
    names = [c.name for c in result.concepts]
    assert result.language == "ko"
    assert names[0] == "기계 학습", names
    assert {"신경망", "인공 지능", "자연어 처리", "심층 학습", "음성 인식"} <= set(names), names
    frequencies = {c.name: c.frequency for c in result.concepts}
    assert frequencies["신경망"] == 3  # "신경망을", "신경망은", "신경망의": one noun
    # The text's predicates and nouns with their particles, as written: none is a word of a concept.
    written = set("분야이다 학습한다 사용하는 구성된다 사용된다 쓰면 빠르다 학습은 지능의 알고리즘은 데이터에서 "
                  "모델을 신경망을 신경망은 신경망의 층으로 인식과 처리에 GPU를 학습이".split())
    for concept in result.concepts:
        assert not written & set(concept.name.split()), concept.name
        assert not any(word in PARTICLES for word in concept.name.split()), concept.name
        assert concept.name.split()[0] in concept.context  # found where the text writes it with its particle

