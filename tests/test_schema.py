"""Every result validates against the published JSON Schema."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pdfgen import pdf_bytes
from toridaemon.pipeline import PipelineOptions, analyze_pdf, analyze_text

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "toridaemon" / "schema" / "result.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

PAPER = """Efficient Replica Selection in Data Grids
Abstract
Replica selection picks the fastest server for each block of a data grid transfer.
1 Introduction
Data grids replicate large datasets. Replica selection and co-allocation reduce transfer time.
2 Experiments
Dynamic co-allocation beats static replica selection on wide-area links.
3 Conclusions
Replica selection matters.
References
[1] I. Foster. The Grid. 1999.
"""


def check(result: dict[str, Any]) -> None:
    # Round-trip through JSON: the schema describes the serialised form.
    VALIDATOR.validate(json.loads(json.dumps(result)))


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_text_result_validates() -> None:
    result = analyze_text(PAPER).to_dict()
    check(result)
    assert result["concepts"], "a paper-like text yields concepts"
    assert {"title", "abstract", "introduction", "results", "conclusion", "references"} <= {
        section["name"] for section in result["sections"]
    }


def test_pdf_result_validates(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf_bytes([PAPER[:400], PAPER[400:]], title="Replica Selection"))
    result = analyze_pdf(path).to_dict()
    check(result)
    assert result["source"]["pages"] == 2
    assert {"read", "text", "concepts", "prune", "total"} <= set(result["timings_seconds"])


def test_result_dict_holds_every_field_in_contract_order(tmp_path: Path) -> None:
    """`to_dict` is written out field by field: it must say what the dataclasses hold, copied, in contract order."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf_bytes([PAPER[:400], PAPER[400:]], title="Replica Selection"))
    result = analyze_pdf(path)
    data = asdict(result)
    contract = ["schema_version", "source", "title", "language", "warnings"]
    expected = {**{key: data.pop(key) for key in contract}, **data}
    assert json.dumps(result.to_dict()) == json.dumps(expected)
    copied = result.to_dict()
    copied["concepts"][0]["sections"].append("x")
    copied["source"]["ocr_pages"].append(9)
    assert "x" not in result.concepts[0].sections and 9 not in result.source.ocr_pages


def test_schema_rejects_broken_results() -> None:
    result = analyze_text(PAPER).to_dict()
    broken = json.loads(json.dumps(result))
    broken["concepts"][0]["score"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(broken)
    broken = json.loads(json.dumps(result))
    broken["concepts"][0]["source"] = "guessed"
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(broken)


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=600),
    st.one_of(st.none(), st.text(max_size=40)),
    st.integers(1, 40),
)
def test_arbitrary_text_validates(text: str, title: str | None, top: int) -> None:
    options = PipelineOptions(max_concepts=top, min_concepts=min(top, 3))
    result = analyze_text(text, title=title, settings=options).to_dict()
    check(result)
    assert len(result["concepts"]) <= top


words = st.sampled_from(
    "graph neural network of the sparse matrix Introduction REFERENCES 1 Methods data-\nbase queries , . ; \n"
    .split(" ")
)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, max_size=120).map(" ".join))
def test_wordy_text_validates(text: str) -> None:
    check(analyze_text(text.replace("\\f", "\f")).to_dict())
