"""Ignore rules: which inbox names are candidate PDFs (property-based over open-ended names)."""

from __future__ import annotations

import os

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from toridaemon.inbox.rules import is_candidate, is_ignored
from toridaemon.settings import DEFAULT_IGNORE

# Any character a Linux file name may hold except "/" (and NUL), including spaces, newlines and unicode.
name_chars = st.characters(codec="utf-8", exclude_characters="/\x00")
any_text = st.text(name_chars, min_size=1, max_size=30)
# A stem that none of the default prefix patterns (".*", "~$*") can match.
plain_stem = any_text.filter(lambda s: not s.startswith((".", "~$")))
pdf_suffix = st.sampled_from([".pdf", ".PDF", ".Pdf", ".pDf", ".pdF", ".PdF"])


@given(stem=plain_stem, suffix=pdf_suffix)
@example(stem="annual report 2024", suffix=".pdf")
@example(stem="línea\nnueva ✓", suffix=".PDF")
@example(stem="論文", suffix=".Pdf")
@example(stem="x.pdf.part", suffix=".pdf")
def test_pdf_in_any_case_is_a_candidate(stem: str, suffix: str) -> None:
    assert is_candidate(stem + suffix, DEFAULT_IGNORE)


@given(stem=any_text, suffix=pdf_suffix)
def test_hidden_names_are_ignored(stem: str, suffix: str) -> None:
    assert not is_candidate("." + stem + suffix, DEFAULT_IGNORE)


@given(stem=any_text, suffix=pdf_suffix)
def test_office_lock_files_are_ignored(stem: str, suffix: str) -> None:
    assert not is_candidate("~$" + stem + suffix, DEFAULT_IGNORE)


@given(name=any_text, partial=st.sampled_from([".part", ".PART", ".crdownload", ".CrDownload", ".tmp", ".TMP"]))
def test_partial_downloads_and_temp_files_are_ignored(name: str, partial: str) -> None:
    assert is_ignored(name + partial, DEFAULT_IGNORE)
    assert not is_candidate(name + partial, DEFAULT_IGNORE)
    assert not is_candidate(name + ".pdf" + partial, DEFAULT_IGNORE)


@given(stem=any_text)
def test_names_not_ending_in_pdf_are_never_candidates(stem: str) -> None:
    for name in (stem, stem + ".pdfx", stem + ".pdf ", stem + ".pdf\n", stem + ".pd", stem + "pdf.txt"):
        if not name.lower().endswith(".pdf"):
            assert not is_candidate(name, ())


@given(left=any_text, right=any_text)
def test_names_with_a_slash_are_never_candidates(left: str, right: str) -> None:
    assert not is_candidate(f"{left}/{right}.pdf", ())


@given(stem=plain_stem)
@example(stem="SCAN")
def test_configured_patterns_replace_the_defaults(stem: str) -> None:
    patterns = ("draft-*", "*.scan.pdf")
    assert not is_candidate("draft-" + stem + ".pdf", patterns)
    assert not is_candidate("DRAFT-" + stem + ".PDF", patterns)  # patterns match case-insensitively
    assert not is_candidate(stem + ".scan.pdf", patterns)
    # ".*" is no longer in force (".SCAN.pdf" is "*.scan.pdf" in any case: hypothesis found that stem)
    assert is_candidate("." + stem + ".pdf", patterns) or ("." + stem).lower().endswith(".scan")
    if not stem.lower().startswith("draft-") and not (stem + ".pdf").lower().endswith(".scan.pdf"):
        assert is_candidate(stem + ".pdf", patterns)


@given(stem=plain_stem, suffix=pdf_suffix)
def test_no_patterns_means_every_pdf_name_is_a_candidate(stem: str, suffix: str) -> None:
    assert is_candidate("." + stem + suffix, ())
    assert is_candidate("~$" + stem + suffix, ())


@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("paper.pdf", True),
        ("Paper Final (2).PDF", True),
        (".pdf", False),
        ("pdf", False),
        ("paper.pdf.swp", False),
        ("paper.pdf.error.json", False),
        ("~$paper.pdf", False),
        ("~paper.pdf", True),
        ("$paper.pdf", True),
        ("line\nbreak.pdf", True),
        ("[brackets]*?.pdf", True),
    ],
)
def test_examples(name: str, candidate: bool) -> None:
    assert is_candidate(name, DEFAULT_IGNORE) is candidate


def test_pattern_case_does_not_matter_either() -> None:
    assert is_ignored("a.tmp", ["*.TMP"])
    assert is_ignored("A.TMP", ("*.tmp",))
    assert not is_ignored("a.tmpx", ("*.TMP",))
    assert not is_ignored("a.pdf", ())


def test_names_that_are_not_utf8_are_handled() -> None:
    undecodable = os.fsdecode(b"caf\xe9 \xff.PDF")  # how Python presents a Latin-1 name on a UTF-8 system
    assert is_candidate(undecodable, DEFAULT_IGNORE)
    assert not is_candidate(os.fsdecode(b".caf\xe9.pdf"), DEFAULT_IGNORE)
