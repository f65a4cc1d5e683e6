"""Section detection on realistic paper layouts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.pdfgen import SAMPLE_TEXT, pdf_bytes
from toridaemon.pipeline import PipelineOptions, analyze_pdf, analyze_text, sections
from toridaemon.pipeline.options import DEFAULT_SECTION_WEIGHTS
from toridaemon.pipeline.sections import split_sections, summarize
from toridaemon.pipeline.text.title import FOOTNOTE_MARKS

IEEE = """Learning Sparse Graph Embeddings for
Large Road Networks
Ada Lovelace, Charles Babbage
Abstract—We study graph embeddings of road networks.
I. INTRODUCTION
Road networks are large sparse graphs.
II. RELATED WORK
Earlier embeddings ignore sparsity.
III. MATERIALS AND METHODS
We factorise the adjacency matrix.
IV. EXPERIMENTS
The embeddings reduce routing error.
V. DISCUSSION
Sparsity matters most for rural graphs.
VI. CONCLUSIONS
Sparse embeddings scale.
REFERENCES
[1] A. Author. A paper. 2001.
"""

ACM = """Query Routing in Peer Networks
ABSTRACT
Peers forward queries.
1 Introduction
Routing is hard.
2 Methodology
We simulate overlays.
2.1 Experimental setup
Ten thousand peers.
3 Evaluation
Recall improves.
4 Concluding remarks
Routing by content works.
Bibliography
Someone. Some book.
"""


def names(text: str, title: str | None = None) -> list[str]:
    return [section.name for section in summarize(split_sections(text.split("\f"), title))]


def test_numbered_roman_headings_in_capitals() -> None:
    # The author line before the abstract is body text, so "body" first appears there.
    assert names(IEEE) == [
        "title", "body", "abstract", "introduction", "methods", "results", "discussion", "conclusion", "references",
    ]
    related = [span for span in split_sections([IEEE], None) if "ignore sparsity" in span.text]
    assert [span.section for span in related] == ["body"]


@pytest.mark.parametrize("text", [
    "基于深度学习的图像识别\n摘要\n本文研究图像识别。\n一、引言\n深度学习。\n2 实验结果\n准确率高。\n结论\n效果好。\n"
    "参考文献\n[1] 李明. 深度学习.",
    "機械学習\n概要\n概要です。\n1 はじめに\n本文。\n2 結果\n精度。\nおわりに\n終わり。\n参考文献\n[1] 山田",
    "기계 학습\n초록\n요약.\n1. 서론\n본문.\n결과\n정확도.\n결론\n끝.\n참고 문헌\n[1] 김",
], ids=["zh", "ja", "ko"])
def test_chinese_japanese_and_korean_headings(text: str) -> None:
    assert [span.section for span in split_sections([text], None)] == [
        "title", "abstract", "introduction", "results", "conclusion", "references"]


@pytest.mark.parametrize("line", ["摘要：", "参考文献：", "1\u3000引言", "要\u3000旨", "摘 要", "参 考 文 献",
                                  "１．はじめに", "5.结论", "Ⅰ. 서론", "2.3结果", "第一章 绪论", "结 果", "讨　论"])
def test_chinese_japanese_and_korean_headings_as_journals_set_them(line: str) -> None:
    """Full-width colons, blanks and digits, letters spaced out, no blank after the number, Roman numerals."""
    spans = split_sections(["题目\n" + line + "\n正文。"], None)
    assert spans[-1].section != "body" and spans[-1].text.strip() == "正文。", spans


@pytest.mark.parametrize(("first", "title"), [
    ("基于深度学习的图像识别方法研究", True),
    ("机器学习是人工智能的一个分支。", False),  # a sentence
    ("机器学习是人工智能的一个分支，" * 4, False),  # some 30 words
])
def test_a_chinese_first_line_is_a_title_when_short_and_no_sentence(first: str, title: bool) -> None:
    spans = split_sections([first + "\n正文。"], None)
    assert (spans[0].section == "title") is title


def test_a_chinese_abstract_run_into_its_first_sentence() -> None:
    spans = split_sections(["论文题目\n摘要：本文研究图像识别。\n1　引言\n正文。"], None)
    assert [(span.section, span.text.strip()) for span in spans] == [
        ("title", "论文题目"), ("abstract", "本文研究图像识别。"), ("introduction", "正文。")]


def test_arabic_numbers_subsections_and_variants() -> None:
    assert names(ACM) == ["title", "abstract", "introduction", "methods", "results", "conclusion", "references"]


def test_wrapped_title_is_joined_and_not_repeated_in_body() -> None:
    spans = split_sections([IEEE], None)
    assert spans[0].section == "title"
    assert spans[0].text == "Learning Sparse Graph Embeddings for Large Road Networks"
    assert all("Large Road Networks" not in span.text for span in spans[1:])


def test_given_title_is_used_and_first_line_stays_in_the_text() -> None:
    spans = split_sections(["Preface line\nSome text here."], "A Given Title")
    assert spans[0].section == "title" and spans[0].text == "A Given Title"
    assert "Preface line" in spans[1].text


def test_heading_words_inside_sentences_are_not_headings() -> None:
    text = "Title of it\nThe results of the introduction are discussed in the conclusion of this note.\nMore text."
    assert names(text) == ["title", "body"]


def test_sections_span_pages_and_count_characters() -> None:
    pages = ["A Title Here\nIntroduction\nfirst page text", "second page text\nReferences\n[1] ref", "[2] ref"]
    sections = {s.name: s for s in summarize(split_sections(pages, None))}
    assert sections["introduction"].pages == [1, 2]
    assert sections["references"].pages == [2, 3]
    assert sections["title"].pages == [1]
    total = sum(len(span.text) for span in split_sections(pages, None))
    assert sum(s.chars for s in sections.values()) == total


def test_headings_in_any_case_with_colon() -> None:
    text = "Some Title\nsummary:\nShort.\nRESULTS AND DISCUSSION\nFine.\nbackground\nOld."
    assert names(text) == ["title", "abstract", "results", "body"]


def test_section_weights_override_defaults_one_by_one() -> None:
    options = PipelineOptions(section_weights={"title": 3})
    assert options.section_weight("title") == 3.0
    assert options.section_weight("abstract") == DEFAULT_SECTION_WEIGHTS["abstract"]
    assert options.section_weight("unknown") == DEFAULT_SECTION_WEIGHTS["body"]
    with pytest.raises(ValidationError, match="references"):
        PipelineOptions(section_weights={"references": -1})
    with pytest.raises(ValidationError, match="min_concepts"):
        PipelineOptions(min_concepts=9, max_concepts=3)


def test_title_weight_changes_the_ranking() -> None:
    text = "Quantum Annealing\nSimulated tempering helps. Simulated tempering again. Simulated tempering wins."

    def first(weight: float) -> str:
        options = PipelineOptions(section_weights={"title": weight}, database_boost=0)
        return analyze_text(text, settings=options).concepts[0].name
    assert first(20.0) == "quantum annealing"
    assert first(0.0) == "simulated tempering"
    extreme = PipelineOptions(section_weights={"title": 100, "body": 0}, database_boost=0)
    result = json.loads(json.dumps(analyze_text(text, settings=extreme).to_dict(), allow_nan=False))
    assert result["concepts"][0]["name"] == "quantum annealing"


def test_prefix_factored_headings_match_as_the_plain_alternation_does() -> None:
    """The heading pattern is a trie of the phrases; it must choose what an alternation tried longest first does."""
    phrases = sorted(sections._SECTION_OF, key=len, reverse=True)
    plain = re.compile("|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases), re.IGNORECASE)
    factored = re.compile(sections.alternation(phrases), re.IGNORECASE)
    lines = [variant for p in phrases for variant in (p, p.upper(), p.replace(" ", "\n  "), p + "s", p[:-1], p + " x")]
    for line in [*lines, "Results and discussion of", "Conclusıon", "İntroduction", "Reſults"]:
        expected, found = plain.match(line), factored.match(line)
        assert (expected and expected.group(0)) == (found and found.group(0)), line


# Headings over two lines too ("\s+" between a phrase's words): a match may hold a line end.
_HEADING_PIECES = ["Abstract", "abstract—", "1. Introduction", "II. RELATED WORK", "Results:", "摘要", "第一章",
                   "conclusion", "x", " ", "\t", "\u3000", "\n", "\n\n", "\r\n", ".", ":", "IV ", "A ", "2.3",
                   "materials and\nmethods", "related\nwork", "摘\n要", "methods", "\u2028", "\x85"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_HEADING_PIECES), max_size=14).map("".join))
def test_headings_tried_at_line_starts_are_those_found_anywhere(text: str) -> None:
    """Headings are looked for at the start of each line only: the same matches as a search at every position."""
    found = [(match.span(), match.group("h"), match.group("a")) for match in sections._headings(text)]
    assert found == [(match.span(), match.group("h"), match.group("a")) for match in sections._HEADING.finditer(text)]


def test_a_title_read_from_the_page_is_counted_once(tmp_path: Path) -> None:
    """The title taken from page 1 stayed in the page's text too: each of its terms counted once more, and the
    title line made a section of its own ("body") before the abstract."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf_bytes([SAMPLE_TEXT], heading_size=16.0))
    from_pdf, from_text = analyze_pdf(path), analyze_text(SAMPLE_TEXT)
    assert from_pdf.title == from_text.title == SAMPLE_TEXT.partition("\n")[0]
    assert [s.name for s in from_pdf.sections] == [s.name for s in from_text.sections]
    assert "body" not in [s.name for s in from_pdf.sections]
    assert {c.name: c.frequency for c in from_pdf.concepts} == {c.name: c.frequency for c in from_text.concepts}


def test_the_title_copy_on_the_page_goes_over_lines_and_footnote_marks_only() -> None:
    page = "Sparse Graph∗\nEmbeddings†\nAbstract\nWe embed sparse graphs."
    spans = split_sections([page], "Sparse Graph Embeddings")
    assert [(s.section, s.text) for s in spans] == [
        ("title", "Sparse Graph Embeddings"), ("abstract", "\nWe embed sparse graphs."),
    ]
    # A title that only opens a line of the page (a metadata title) leaves the page as it is.
    spans = split_sections(["Sparse Graph Embeddings are cheap.\nWe embed sparse graphs."], "Sparse Graph Embeddings")
    assert spans[1].text.startswith("Sparse Graph Embeddings are cheap.")


def _title_expression(title: str) -> re.Pattern[str]:
    """The expression `_without_title` reads as (it was compiled for each title before, some 2 ms each)."""
    mark = f"(?:[{re.escape(FOOTNOTE_MARKS)}]|\\d){{0,3}}"
    return re.compile(r"\s*" + r"\s+".join(re.escape(word) + mark for word in title.split()) + r"[ \t]*(?:\n|$)",
                      re.IGNORECASE)


_TITLE_PIECES = st.sampled_from(["Graph", "graph", "GRAPH", "Reſults", "results", "WORK", "\u212aernel", "kernel",
                                 "İzmir", "izmir", "ıSTANBUL", "Straße", "2019", "*", "∗", "†", "12", "1234", "x"])
_TITLE_BLANKS = st.sampled_from([" ", "  ", "\n", " \n ", "\t", "\u00a0", ""])


@settings(max_examples=400, deadline=None)
@given(st.lists(_TITLE_PIECES, min_size=1, max_size=5), st.lists(st.tuples(_TITLE_BLANKS, _TITLE_PIECES), max_size=8),
       st.sampled_from(["", "\n", " \nAbstract", "\t\nbody", " more\n", "\n\n"]))
def test_the_title_copy_is_read_as_its_expression_would_read_it(title: list[str], page: list[tuple[str, str]],
                                                                 end: str) -> None:
    """`_without_title` reads the page word by word instead of compiling an expression for each title: the
    same text is left, whatever the case (Kelvin sign, long s, dotted capital I), blanks and marks."""
    title_text = " ".join(title)
    page_text = "".join(blank + piece for blank, piece in page) + end
    for text in (page_text, title_text + end, title_text.upper() + page_text, " \n" + title_text + "∗1" + end,
                 "".join(title) + end):
        found = _title_expression(title_text).match(text)
        assert sections._without_title(text, title_text) == (text[found.end():] if found else text)


@pytest.mark.parametrize("first", ["123 456 789", "\ue000\ufffd", "-- * --"])
def test_a_first_line_without_letters_is_no_title_section(first: str) -> None:
    """The result said `title: null` while its sections listed a title holding "123 456 789"."""
    result = analyze_text(first + "\n" + "Graph neural networks learn molecular properties. " * 5)
    assert result.title is None
    assert [section.name for section in result.sections] == ["body"]


def test_one_dotted_capital_i_leaves_names_and_contexts_in_their_case() -> None:
    """"İ" lowercases to two characters, so offsets into the lowercase text did not line up and the whole text was
    read lowercased: "latex", "nasa", "the nasa mission used latex…"."""
    body = "The NASA mission used LaTeX for every report. NASA engineers write LaTeX macros daily. " * 4
    concepts = {c.name: c for c in analyze_text("Mission notes\nWe met in İstanbul. " + body).concepts}
    assert {"LaTeX", "NASA", "İstanbul"} <= set(concepts), list(concepts)
    assert concepts["NASA"].context == "The NASA mission used LaTeX for every report."


def test_a_database_concept_s_context_shows_its_name_before_its_aliases() -> None:
    """"mapping" is an alias of the bundled "function": the first passage holding any alias gave the context, one
    without the concept's name."""
    text = ("Font features\nAbstract\nWe describe a mapping from fonts to features.\nIntroduction\n"
            "Every function in this package takes a font. A function returns features. Each function loads a font.")
    concept = next(c for c in analyze_text(text, language="en").concepts if c.name == "function")
    assert concept.context == "Every function in this package takes a font."


def test_a_context_comes_from_the_body_before_the_title_and_a_name_before_its_aliases(tmp_path: Path) -> None:
    title_first = analyze_text("Graph Networks for Molecules\nWe study one graph network of atoms here. "
                               "Every graph network is small and sparse. A graph network helps chemists.",
                               language="en")
    concept = next(c for c in title_first.concepts if c.name.startswith("graph network"))
    assert concept.context == "We study one graph network of atoms here."
    path = tmp_path / "db.json"
    path.write_text(json.dumps([{"name": "Statue of Liberty", "aliases": ["Lady Liberty"]}]))
    text = "Travel notes\nTourists love Lady Liberty at dawn. We visited the Statue of Liberty in June."
    named = analyze_text(text, settings=PipelineOptions(concept_db_paths=(str(path),)), language="en")
    statue = next(c for c in named.concepts if c.name == "Statue of Liberty")
    assert statue.context == "We visited the Statue of Liberty in June."
