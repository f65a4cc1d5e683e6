"""Acronyms a document defines: found by Schwartz and Hearst's rule, and counted as their long forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toridaemon.pipeline import PipelineOptions, analyze_text
from toridaemon.pipeline.acronyms import defined_acronyms
from toridaemon.pipeline.sections import Span


def defined(text: str) -> list[tuple[str, str]]:
    return defined_acronyms([Span("body", 1, text)])


@pytest.mark.parametrize(("text", "expected"), [
    ("We use Markov random fields (MRFs) here.", [("MRFs", "Markov random fields")]),
    ("Towards task-based personal information management (PIM).", [("PIM", "personal information management")]),
    ("the Text REtrieval Conference (TREC) runs", [("TREC", "Text REtrieval Conference")]),
    ("the Internet of Things (IoT) grows", [("IoT", "Internet of Things")]),
    ("It ends here. Random fields (RF) start", [("RF", "Random fields")]),  # in its own sentence
    ("both support vector machines (SVM) and SVM variants (SVM)", [("SVM", "support vector machines")]),
])
def test_an_acronym_is_defined_by_the_words_before_its_parenthesis(text: str, expected: list[tuple[str, str]]) -> None:
    assert defined(text) == expected


@pytest.mark.parametrize("text", [
    "the results (TREC) were good",  # its letters are not the words'
    "as shown in the table (see Fig. 2)",  # not an acronym
    "a big model (Bm) fits",  # one capital
    "Bayesian (BN) models",  # one word
    "We use the Bayes rule. Tests (BT) follow",  # the long form would run into the sentence before
    "the federal reserve (ER) rules",  # its first letter starts no word
    "the Interim Index (III) rules",  # a Roman numeral
    "Schwarz, Hearst and colleagues (SHC) wrote",  # a long form holds no comma
    "Fe(II) is oxidised",  # no blank before the parenthesis
    "positron emission tomography (PET) of pets",  # the text writes it as a word too
])
def test_no_definition(text: str) -> None:
    assert defined(text) == []


def test_a_database_name_for_the_acronym_keeps_it_a_concept_of_its_own(tmp_path: Path) -> None:
    database = tmp_path / "concepts.json"
    database.write_text(json.dumps([{"name": "SVM", "category": "Learning"}]), encoding="utf-8")
    text = ("Relaxed online learning\nAbstract\nWe train support vector machines (SVMs) online. SVMs need a kernel, "
            "and SVMs with a linear kernel are fast. We compare SVMs with logistic regression on spam filtering.\n")
    options = PipelineOptions(max_concepts=10, min_concepts=10, concept_db_paths=(str(database),))
    concepts = {concept.name: concept.frequency for concept in analyze_text(text, settings=options).concepts}
    # Each occurrence is counted once: the database's "SVM" keeps its four, the long form its one.
    assert concepts["SVM"] == 4
    assert all(count == 1 for name, count in concepts.items() if "support vector machines" in name)


def test_the_acronym_counts_as_its_long_form_and_is_no_concept_of_its_own() -> None:
    text = ("Relaxed online learning\nAbstract\nWe train support vector machines (SVMs) online. SVMs need a kernel, "
            "and SVMs with a linear kernel are fast. We compare SVMs with logistic regression on spam filtering.\n")
    options = PipelineOptions(max_concepts=10, min_concepts=10)
    concepts = {concept.name: concept.frequency for concept in analyze_text(text, settings=options).concepts}
    assert concepts.get("support vector machines") == 5 and "SVMs" not in concepts
    undefined = text.replace(" (SVMs)", "")
    plain = {concept.name for concept in analyze_text(undefined, settings=options).concepts}
    assert "SVMs" in plain


def test_definitions_are_looked_for_in_a_bounded_part_of_the_text() -> None:
    assert defined("Abc Bcd (AB) " * 100_000) == [("AB", "Abc Bcd")]
    filler = Span("body", 1, "Filler words here. " * 3_000)  # 57,000 characters
    assert defined_acronyms([filler, filler, Span("body", 2, "Abc Bcd (AB)")]) == []  # past the first 100,000
    many = " ".join(f"alpha{i} beta{i} (A{i}B)" for i in range(10_000))
    assert len(defined(many)) == 200


@given(st.lists(st.one_of(st.sampled_from(["(", ")", " (AB)", " (IoT)", "Alpha Beta", ". ", ", ", "İ", "s", "ab"]),
                          st.text(max_size=10)), max_size=60))
@settings(max_examples=200, deadline=None)
def test_any_text_defines_acronyms_it_holds(parts: list[str]) -> None:
    text = "".join(parts)
    for short, long in defined(text):
        assert f"({short})" in text and long in " ".join(text.split()) and " " in long


def test_an_acronym_in_the_singular_and_the_plural_counts_as_its_long_form() -> None:
    """English folding keeps "dps" apart from "dp": both count as "dynamic programs"."""
    text = ("Stage planning\nAbstract\nWe solve dynamic programs (DPs) by stages. A DP has states, and DPs with many "
            "states are slow. Each DP is solved once.\n")
    concepts = {concept.name: concept.frequency for concept in analyze_text(text).concepts}
    assert concepts["dynamic programs"] == 5 and not {"DP", "DPs"} & set(concepts)


IOT = ("Abstract\nWe connect devices over the Internet of Things (IoT) with edge computing. Each IoT node runs edge "
       "computing tasks. IoT security matters for sensor networks.\nKeywords: LISTED; edge computing; sensor networks\n"
       "\n1 Introduction\nThe IoT grows. Sensor networks and edge computing serve the IoT. Many IoT devices exist.\n")


@pytest.mark.parametrize("listed", ["Internet of Things (IoT)", "Internet of Things"])
def test_a_concept_named_by_its_acronym_is_as_specific_as_the_acronym(listed: str) -> None:
    """"IoT" counts as "Internet of Things", whose words are common: the concept weighs as its rarer acronym, and
    the author's listed term comes first, as the acronym does unlisted."""
    first = analyze_text(IOT.replace("LISTED", listed), title="A study").concepts[0]
    assert (first.name, first.frequency) in {("Internet of Things", 9), ("Internet of Things", 8)}
    unlisted = IOT.replace("Keywords: LISTED; edge computing; sensor networks", "Nothing is listed here.")
    assert analyze_text(unlisted, title="A study").concepts[0].name == "IoT"
