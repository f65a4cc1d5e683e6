"""The keywords a document lists for itself: found, bounded, and raised among its concepts."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toridaemon.pipeline import PipelineOptions, analyze_text
from toridaemon.pipeline.keywords import FRONT_CHARS, author_keywords
from toridaemon.pipeline.language import language
from toridaemon.pipeline.sections import SECTION_NAMES, Span, split_sections

# Each list's words recur in the body, wrapped at 60 characters as a page's text is: an item counts only where its
# words occur outside the list, and a list's line wraps where it comes near a full line.
BODY = "\n".join(textwrap.wrap(
    "We study sensor networks, epidemiology, random key predistribution and random graphs. Las bases de objetos "
    "se agrupan con estereotipos y clases. Solomon Islands development, the state and the church meet kastom in "
    "state reform at locations of persons. Eficiencia y consumo de HPC. Gene networks and gene expression. "
    "Técnicas de aprendizaje de máquina, roles de grupo y personalización. 深度学习和神经网络的研究。Ontology "
    "reasoning on the semantic web. Graph mining and network analysis. Additive manufacturing of lattice "
    "structures by 3D printing and Monte Carlo methods. Image segmentation of E. coli and S. cerevisiae biofilm in "
    "the U.S. economy. 图像分割。 Internet of Things gateways and the Internet of Things.", 60)) + "\n"


def listed(front: str) -> list[str]:
    return [keyword.text for keyword in author_keywords(split_sections([front + "\n\n" + BODY], "")).keywords]


@pytest.mark.parametrize(("front", "expected"), [
    # A colon, commas and a full stop that ends the list.
    ("Keywords: Eficiencia, consumo, HPC.\nThis paper measures energy.", ["Eficiencia", "consumo", "HPC"]),
    # IEEE's dash; a wrapped line; the list ends at a heading without a full stop.
    ("Index Terms—Sensor Networks, Epidemiology, Random Key\nPredistribution, Random Graph\nIntroduction\nText.",
     ["Sensor Networks", "Epidemiology", "Random Key Predistribution", "Random Graph"]),
    # The label alone on its line, in capitals; the list ends at a blank line.
    ("PALABRAS CLAVE\nbases, objetos, estereotipos, clases\n\nLas clases de objetos.",
     ["bases", "objetos", "estereotipos", "clases"]),
    # Items wrapped over lines, semicolons, a numbered heading after the list.
    ("Palabras clave: Técnicas de aprendizaje\nde máquina; Roles de grupo;\nPersonalización\n2 Motivos\nTexto.",
     ["Técnicas de aprendizaje de máquina", "Roles de grupo", "Personalización"]),
    # No mark: two items or more make it a list.
    ("Keywords Solomon Islands, development, state, church, kastom, state reform.\n",
     ["Solomon Islands", "development", "state", "church", "kastom", "state reform"]),
    # Springer's middle dots; spaced dashes.
    ("Keywords Eficiencia · consumo · HPC\n", ["Eficiencia", "consumo", "HPC"]),
    ("Keywords: Eficiencia – consumo - HPC.\n", ["Eficiencia", "consumo", "HPC"]),
    # Inside a line (text whose lines were joined) before a colon; the list ran into prose, which ends it.
    ("Results are shown. Keywords: gene networks; gene expression; development Introduction The state of the "
     "church is a concern of this paper, and kastom too", ["gene networks", "gene expression"]),
    # Chinese, with full-width marks.
    ("关键词：深度学习；神经网络\n", ["深度学习", "神经网络"]),
    # Of labels ending alike, the longest.
    ("Author Keywords: graph mining, network analysis\n", ["graph mining", "network analysis"]),
    ("Results. Author Keywords: graph mining, network analysis\n", ["graph mining", "network analysis"]),
    # The list ends at a line that opens another field.
    ("Keywords: ontology; semantic web; reasoning\n© 2020 Elsevier B.V. All rights reserved.\n",
     ["ontology", "semantic web", "reasoning"]),
    ("KEYWORDS\nontology, semantic web\nACM Reference Format:\nA. Author. 2020.", ["ontology", "semantic web"]),
    ("Keywords: ontology; semantic web; reasoning; graph mining; kastom\nJEL classification: C11, D83\n",
     ["ontology", "semantic web", "reasoning", "graph mining", "kastom"]),
    ("关键词：深度学习；神经网络；图像分割\n中图分类号：TP391\n", ["深度学习", "神经网络", "图像分割"]),
    # Without separators, an item a line; in Chinese, between blanks.
    ("Keywords:\nOntology\nSemantic web\n\nText.", ["Ontology", "Semantic web"]),
    ("关键词：深度学习 神经网络 图像分割\n\n", ["深度学习", "神经网络", "图像分割"]),
    # A full stop after one letter separates nothing.
    ("Keywords: E. coli, S. cerevisiae, biofilm, U.S. economy\n", ["E. coli", "S. cerevisiae", "biofilm",
                                                                   "U.S. economy"]),
    # An item wrapped onto a line that starts with a digit, or hyphenated across lines.
    ("Keywords: additive manufacturing, lattice structures,\n3D printing, image segmen-\ntation\n\n",
     ["additive manufacturing", "lattice structures", "3D printing", "image segmentation"]),
    # Turkish capitals inside a line.
    ("Özet metin. ANAHTAR KELİMELER: ontology, reasoning\n", ["ontology", "reasoning"]),
    # An item a line, up to prose.
    ("Keywords:\nOntology\nSemantic web\nA B S T R A C T\nOntology reasoning is hard. We compare\nmethods.\n",
     ["Ontology", "Semantic web"]),
    # A line after one its author ended is not the list's, though it holds commas or full stops.
    ("Keywords: graph mining, ontology\nThe state, the church and kastom meet. We study it with care\n",
     ["graph mining", "ontology"]),
    ("Keywords Graph mining · Ontology\nMathematics Subject Classification 05C80 · 60K35\n",
     ["Graph mining", "Ontology"]),
    # A full line, then a sentence: no wrapped item starts on "The".
    ("Keywords: sensor networks;\nepidemiology, random graphs, random key predistribution\nThe state and the church, "
     "the kastom, the reform\n", ["sensor networks", "epidemiology", "random graphs", "random key predistribution"]),
    # ACM's and LIPIcs' labels; brackets; spaced and run-in Chinese labels.
    ("Additional Key Words and Phrases: graph mining, ontology\n", ["graph mining", "ontology"]),
    ("Keywords and phrases Graph mining, ontology\n", ["Graph mining", "ontology"]),
    ("【关键词】深度学习；神经网络\n", ["深度学习", "神经网络"]),
    ("关 键 词：深度学习；神经网络\n", ["深度学习", "神经网络"]),
    ("摘要：本文研究。关键词：深度学习；神经网络\n", ["深度学习", "神经网络"]),
    ("Schlagworte: Ontology, Graph mining\n", ["Ontology", "Graph mining"]),
    # An item with its acronym after it is its long form.
    ("Keywords: Internet of Things (IoT); ontology\n", ["Internet of Things", "ontology"]),
])
def test_a_listed_keyword_is_found_in_the_formats_papers_use(front: str, expected: list[str]) -> None:
    assert listed(front) == expected


@pytest.mark.parametrize("front", [
    # A lowercase word alone on its line: a figure's label ("keywords", "locations", "persons"), no list's.
    "keywords\nlocations, persons\n\nMore text.",
    # A Capitalised "Keywords" opening a heading, with no mark and one item.
    "Keywords in Development\n\nThe state of the church.\n",
    # Inside a line but before no colon.
    "We ranked the Keywords development, state and church by weight.\n",
    # Not Capitalised inside a line.
    "the ads have keywords: development, state, church.\n",
    # A heading with no mark, its items on the next line.
    "Keywords in Development\nThe state, the church and kastom meet.\n",
    # A hyphen before no blank is no mark.
    "Keywords-based image segmentation, ontology, and reasoning are compared.\n",
])
def test_prose_about_keywords_is_no_list(front: str) -> None:
    assert listed(front) == []


def test_a_list_past_the_front_pages_is_not_read() -> None:
    filler = "Filler sentence about nothing in particular here.\n" * (FRONT_CHARS // 40)
    assert listed(filler + "Keywords: development, state, church.\n") == []
    assert listed("Keywords: development, state, church.\n" + filler) == ["development", "state", "church"]


def test_labels_are_blanked_in_place() -> None:
    text = "Author Keywords: graph mining, network analysis\nResults. Author Keywords: graph mining.\n" + BODY
    blanked = author_keywords([Span("abstract", 1, text)]).spans[0].text
    assert len(blanked) == len(text)
    assert blanked.startswith(" " * 15 + ": graph mining") and "Results." + " " * 16 + ": graph" in blanked


def test_a_translated_list_whose_words_the_text_lacks_is_dropped() -> None:
    text = ("Resumen\nEstudiamos el consumo energético de sistemas HPC.\n"
            "Keywords: energy consumption, HPC, methodology.\n"
            "Keywords: consumo energético, HPC, sistemas.\n"
            "1 Introducción\nEl consumo energético de los sistemas HPC crece.")
    # Both labelled in English, as Spanish papers often label their own: the label's language cannot tell them.
    found = [keyword.text for keyword in author_keywords([Span("abstract", 1, text)], language("es")).keywords]
    assert found == ["HPC", "consumo energético", "sistemas"]


def test_of_lists_in_two_languages_those_in_the_documents_are_its_keywords() -> None:
    text = ("Resumen\nEstudiamos el consumo energético de sistemas HPC.\n"
            "Palabras clave: consumo energético, HPC, sistemas.\n"
            "Abstract\nWe study the energy consumption of HPC systems.\n"
            "Keywords: energy consumption, HPC systems.\n"
            "1 Introducción\nEl consumo energético de los sistemas HPC crece.")
    spans = [Span("abstract", 1, text)]
    assert [keyword.text for keyword in author_keywords(spans, language("es")).keywords] == [
        "consumo energético", "HPC", "sistemas"]
    assert [keyword.text for keyword in author_keywords(spans, language("en")).keywords] == [
        "energy consumption", "HPC systems"]
    # Without a list of its own language's, all lists are read (Spanish papers often label theirs "Keywords").
    assert [keyword.text for keyword in author_keywords(spans, language("fr")).keywords] == [
        "consumo energético", "HPC", "sistemas", "energy consumption", "HPC systems"]
    # Every label is blanked, whichever list was taken.
    assert "Palabras clave" not in author_keywords(spans, language("en")).spans[0].text


def test_each_keyword_comes_with_the_section_that_lists_it_and_how_often_each_section_holds_it() -> None:
    spans = [Span("title", 1, "Consumo de HPC"), Span("abstract", 1, "Keywords: consumo, HPC.\n"),
             Span("body", 1, "El consumo de HPC, el consumo de HPC.")]
    listing = author_keywords(spans)
    assert listing.keywords == [("consumo", "abstract", {"title": 1, "abstract": 1, "body": 2}),
                                ("HPC", "abstract", {"title": 1, "abstract": 1, "body": 2})]
    # The labels are blanked out of the text terms are counted in.
    assert [span.text for span in listing.spans] == [
        "Consumo de HPC", "        : consumo, HPC.\n", "El consumo de HPC, el consumo de HPC."]


def test_a_document_that_is_a_list_lists_its_keywords_in_its_title() -> None:
    """A text of one short line is its own title: its label is no term either."""
    names = [concept.name.casefold() for concept in analyze_text("Keywords: graph mining, network analysis, "
                                                                  "connectome", language="en").concepts]
    assert "graph mining" in names and not {"keyword", "keywords"} & set(names)


SPANISH = (
    "Un sistema de recomendación para grupos\n"
    "Resumen\n"
    "Presentamos un sistema que recomienda roles a los estudiantes de un grupo. El sistema observa las "
    "interacciones del grupo y aprende de ellas con técnicas de aprendizaje de máquina. La personalización del "
    "sistema depende de los roles de grupo y del equilibrio de roles.\n"
    "Palabras clave: Técnicas de aprendizaje de máquina, Roles de grupo, Equilibrio de roles, Personalización.\n"
    "1 Introducción\n"
    "Los sistemas de recomendación para grupos de estudiantes observan las interacciones entre los estudiantes. "
    "Cada estudiante del grupo cumple roles distintos. Los sistemas de recomendación usan modelos del estudiante y "
    "del grupo, y los sistemas adaptativos ajustan sus recomendaciones a cada estudiante.\n"
)


def test_listed_keywords_are_among_the_concepts_even_when_no_candidate() -> None:
    """"técnicas de aprendizaje de máquina" holds two linkers: no candidate of the text, a concept of its list."""
    options = PipelineOptions(max_concepts=10, min_concepts=10)
    listed_names = {concept.name.casefold() for concept in analyze_text(SPANISH, settings=options).concepts}
    unlisted = SPANISH.replace("Palabras clave:", "Hablamos de:")
    plain_names = {concept.name.casefold() for concept in analyze_text(unlisted, settings=options).concepts}
    assert "técnicas de aprendizaje de máquina" in listed_names
    assert "técnicas de aprendizaje de máquina" not in plain_names
    assert "equilibrio de roles" in listed_names - plain_names  # met twice, but ranked below the top 10 unlisted
    assert "palabras clave" not in listed_names and "palabras" not in listed_names  # the label is no term
    result = analyze_text(SPANISH, settings=options)
    assert all(set(concept.sections) <= set(SECTION_NAMES) for concept in result.concepts)


def test_the_label_is_no_concept_though_a_database_names_it(tmp_path: Path) -> None:
    database = tmp_path / "concepts.json"
    database.write_text(json.dumps([{"name": "keywords", "category": "Indexing"}]), encoding="utf-8")
    options = PipelineOptions(concept_db_paths=(str(database),))
    text = ("Sampling rare events\nAbstract\nWe estimate rare event probabilities with importance sampling and "
            "splitting.\nKeywords: importance sampling, splitting.\n1 Introduction\nImportance sampling changes "
            "the sampling distribution, and splitting clones trajectories of rare events.\n")
    names = [concept.name.casefold() for concept in analyze_text(text, settings=options, language="en").concepts]
    assert "importance sampling" in names
    assert not {"keyword", "keywords"} & set(names)
    # The database does name it where the text uses the word.
    used = text.replace("rare events.\n", "rare events. We index keywords.\n")
    assert "keywords" in [concept.name.casefold() for concept in analyze_text(used, settings=options).concepts]


PIECES = st.one_of(
    st.sampled_from(["Keywords:", "Author Keywords:", "KEYWORDS\n", "Palabras clave:", "关键词：", "Index Terms—",
                     "Keywords ", ",", ";", "·", " - ", ".", "\n", "\n\n", " ", "E. coli", "İ", "©", "12:30",
                     "segmen-\ntation", "1 Introduction\n"]),
    st.text(max_size=12),
)
WORDS = st.one_of(st.sampled_from(["graph", "mining", "E. coli", "segmen-\ntation", "İstanbul", "3D", "数据", "-"]),
                  st.text(min_size=1, max_size=8))


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A label and a list of items amid arbitrary text, the items used again after it."""
    items = draw(st.lists(st.lists(WORDS, min_size=1, max_size=4).map(" ".join), max_size=8))
    separators = draw(st.lists(st.sampled_from([", ", "; ", " · ", " - ", ". ", "\n", ",\n", "、", ""]),
                               min_size=len(items), max_size=len(items)))
    before, after = draw(st.lists(PIECES, max_size=20)), draw(st.lists(PIECES, max_size=20))
    label = draw(st.sampled_from(["Keywords: ", "Index Terms—", "KEYWORDS\n", "Keywords ", "Palabras clave: ",
                                  "关键词：", "ANAHTAR KELİMELER: "]))
    listed = "".join(item + separator for item, separator in zip(items, separators, strict=True))
    return "".join(before) + label + listed + "".join(after) + "\n\n" + " ".join(items)


@given(documents())
@settings(max_examples=300, deadline=None)
def test_any_text_gives_items_of_its_own_and_keeps_its_length(text: str) -> None:
    listing = author_keywords([Span("abstract", 1, text)])
    blanked = listing.spans[0].text
    assert len(blanked) == len(text)
    assert all(new in (old, " ") for new, old in zip(blanked, text, strict=True))
    for item, section, counts in listing.keywords:
        assert section == "abstract" and item.strip() == item and 0 < len(item) <= 80
        assert set(counts) <= {"abstract"}
        assert all(word in text.replace("-\n", "") for word in item.replace("-", " ").split())


def test_a_listed_keyword_that_is_no_candidate_counts_every_time_the_text_holds_it() -> None:
    """English terms end at "of": "Internet of Things" is no candidate, but the text's five count."""
    text = ("IoT scheduling\nAbstract\nThe Internet of Things links devices; quality of service matters.\n"
            "Keywords: Internet of Things, quality of service, scheduling\n1 Introduction\nInternet of Things "
            "gateways run tasks. The quality of service of the Internet of Things is latency. Scheduling keeps "
            "quality of service on Internet of Things gateways.\n")
    options = PipelineOptions(max_concepts=10, min_concepts=10)
    found = {concept.name: concept.frequency for concept in analyze_text(text, settings=options).concepts[:3]}
    assert found == {"scheduling": 3, "Internet of Things": 5, "quality of service": 4}
    unlisted = text.replace("Keywords:", "We study:")
    assert "Internet of Things" not in [concept.name for concept in analyze_text(unlisted, settings=options).concepts]
