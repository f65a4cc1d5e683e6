"""bench/steps.py calls the concept engine's steps one by one to time them; it must give `analyze_text`'s concepts,
or its breakdown times another engine than the one `bench/keyphrases.py` measures."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from toridaemon.pipeline import PipelineOptions, analyze_text

BENCH = Path(__file__).resolve().parent.parent / "bench"

# Texts that take every step: a keyword list, an acronym defined and used, a title, a database name, French.
TEXTS = [
    "Relaxed online learning of spam filters\n"
    "Abstract\n"
    "We train support vector machines (SVMs) online for spam filtering. SVMs need a kernel, and SVMs with a "
    "linear kernel are fast. We compare SVMs with logistic regression on the TREC spam corpus and on e-mail "
    "collected over a year.\n"
    "Keywords: spam filtering, online learning, support vector machines\n"
    "1 Introduction\n"
    "Spam filtering is a classification task. Online learning updates the filter after every message.\n",
    "Les réseaux de neurones profonds\n"
    "Les réseaux de neurones profonds apprennent des représentations à partir des données. Nous étudions "
    "l'apprentissage automatique des réseaux de neurones sur des corpus de textes en français, et la "
    "représentation des mots dans ces réseaux.\n",
]


@pytest.fixture(scope="module")
def steps_module() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:  # steps.py imports keyphrases.py, its neighbour
        return importlib.import_module("steps")
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize("text", TEXTS)
def test_the_steps_give_analyze_texts_concepts(steps_module: ModuleType, text: str) -> None:
    options = PipelineOptions(max_concepts=15, min_concepts=15)
    clock = steps_module.Clock()
    found = steps_module.steps(text, options, clock)
    assert found == [concept.name for concept in analyze_text(text, settings=options).concepts]
    assert {"detect", "keywords", "acronyms", "extract", "score", "context"} <= set(clock.spent)
