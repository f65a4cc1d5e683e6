"""Candidate extraction and normalisation."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from toridaemon.pipeline import PipelineOptions, analyze_text, candidates, context, scoring
from toridaemon.pipeline.candidates import CandidateTable, dehyphenate, extract, normalize, tokenize
from toridaemon.pipeline.context import Locator, _prepare, _sentence, _Text
from toridaemon.pipeline.language import Language, language, lexicon
from toridaemon.pipeline.language.english import fold
from toridaemon.pipeline.language.korean import hangul
from toridaemon.pipeline.language.lexicon import base_verbs
from toridaemon.pipeline.language.resources import LINK_MARK
from toridaemon.pipeline.language.unspaced import unspaced_char
from toridaemon.pipeline.scoring import score
from toridaemon.pipeline.sections import FULL_STOPS, Span

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build_english_verbs.py"


def counts(text: str) -> dict[str, int]:
    return extract([Span("body", 1, text)]).counts["body"]


def test_hyphenation_across_line_breaks() -> None:
    assert dehyphenate("informa-\ntion retrieval") == "information retrieval"
    assert dehyphenate("a web-\n  based tool") == "a web-based tool"
    found = counts("Fast informa-\ntion retrieval for web-\nbased search.")
    assert found["information retrieval"] == 1
    assert "web-based search" in found
    assert not any(key.split()[0] == "informa" for key in found)


def test_terms_run_on_across_wrapped_lines_but_not_across_lines_their_author_ended() -> None:
    """A line the next line's first word would have fitted on was ended by its author (an address, a heading, a
    list): no term runs on across it. A full line was wrapped: terms run on, whatever the next word's case."""
    prose = ("Deep learning models for document analysis now rely on convolutional neural\n"
             "networks and on attention, whose encoders turn each page into plain\n"
             "Unicode text. We compare them with older recurrent models on printed letters.\n")
    address = "Peter Pan\nLost Boys Camp\nNeverland Harbour\nMember Services\n"
    found = counts(prose + "\n" + address + "\n" + prose)
    assert found["convolutional neural network"] == 2  # wrapped: "neural⏏networks"
    assert found["plain unicode text"] == 2  # a full line wrapped before a capital
    assert found["boy camp"] == 1 and found["neverland harbour"] == 1 and found["member service"] == 1
    assert not any(phrase in key for key in found for phrase in ("pan lost", "camp neverland", "harbour member"))
    assert candidates.mark_ended_lines("Lost Boys Camp\nNeverland", 40) == "Lost Boys Camp\u2063\nNeverland"
    assert candidates.mark_ended_lines("Lost Boys Camp\nneverland", 40) == "Lost Boys Camp\nneverland"
    assert candidates.mark_ended_lines("Lost Boys Camp\nNeverland", 0) == "Lost Boys Camp\nNeverland"
    assert candidates.full_line(["a\n\nbb\nccc\n  dddd  \neeeee", "ffffff"]) == 5
    assert candidates.full_line(["one line only\n\n"]) == 0


def test_a_column_is_measured_against_its_own_lines_a_title_page_or_an_address_against_the_document() -> None:
    """A section laid out narrower than the rest (a column, a box) wraps its lines shorter: against the document's
    full line, "tiefes neuronales⏎Netz" read as ended. An address or a title page alone on its page has lines short
    and of any length: measured against itself, none read as ended ("Musterhausen⏎Mitglied")."""
    de = language("de")
    wide = "\n".join(["Dies ist eine lange Zeile eines breiten Abschnitts, die bis an den rechten Rand reicht."] * 20)
    narrow = ("Im Labor trainieren wir ein neues\nModell mit vielen Bildern aus der\nSammlung, ein tiefes neuronales\n"
              "Netz mit vielen Schichten, das die\nBilder des Instituts einordnet.")
    found = extract([Span("body", 1, wide), Span("methods", 2, narrow)], de).counts["methods"]
    assert found[normalize("tiefes neuronales Netz", de)] == 1, found
    address = "Max Mustermann\nHauptstraße 5\n12345 Musterhausen\nMitglied Nr. 4711\n"
    counted = extract([Span("body", 1, address), Span("body", 2, wide)], de).counts["body"]
    assert not any(normalize("Musterhausen Mitglied", de) in key for key in counted), counted


def test_a_capitalised_german_infinitive_after_an_ended_line_is_a_verb_only_before_sie_or_wir() -> None:
    """A heading's "Verfahren zur Bildanalyse" is a noun; "Klicken Sie" opening a list's line is a verb."""
    de = language("de")
    body = "\n".join([*["Die Analyse der Bilder folgt einem festen Ablauf mit mehreren Schritten und Regeln."] * 8,
                       "Inhalt", "Verfahren zur Bildanalyse", "Datei öffnen", "Klicken Sie auf das Symbol.",
                       "Grenzen der Methode sind bekannt."])
    counted = extract([Span("body", 1, body)], de).counts["body"]
    assert normalize("Verfahren", de) in counted and normalize("Inhalt", de) in counted, counted
    assert normalize("Grenzen", de) in counted and normalize("Klicken", de) not in counted, counted
    assert not any(key.startswith(normalize("Inhalt", de) + " ") for key in counted), counted


def test_a_latin_letter_under_accents_no_letter_is_made_of_is_no_word() -> None:
    """"b̃" (b and a combining tilde: Unicode has no such letter) is a symbol of a formula; "ñ" is a letter."""
    text = ("The estimator b\u0303 is unbiased. We bound b\u0303 and a\u030b by the estimator b\u0303 variance.\n"
            "The estimator a\u030b converges.")
    names = [concept.name for concept in analyze_text(text, language="en").concepts]
    assert "estimator" in names and not any("\u0303" in name or "\u030b" in name for name in names), names
    assert candidates.classify("b\u0303", language("en")) is None
    assert candidates.classify("s\u0301c\u0301", language("pl")) is not None  # two letters: a word


def test_plurals_and_case_fold_into_one_candidate() -> None:
    assert fold("networks") == "network"
    assert fold("queries") == "query"
    assert fold("classes") == "class"
    assert fold("analysis") == "analysis"
    found = counts("Neural Networks learn. A neural network learns. NEURAL NETWORK models.")
    assert found["neural network"] == 3
    assert "neural networks" not in found


def test_stop_words_and_punctuation_bound_candidates() -> None:
    found = counts("The design of a compiler; graph, network analysis and 42 pixel grids.")
    assert "design" in found and "compiler" in found
    assert not any(" of " in key or key.startswith("the") for key in found)
    assert "graph network" not in found
    assert "network analysis" in found
    assert "pixel grid" in found and not any("42" in key for key in found)


def test_participles_open_but_do_not_end_terms() -> None:
    found = counts("distributed systems improved")
    assert "distributed system" in found
    assert "system improved" not in found


def test_a_word_that_is_only_a_verb_ends_a_term_only_after_a_singular_word() -> None:
    found = counts("We quantify it. Variational methods exist. The Fourier transform and a string edit.")
    assert "quantify" not in found  # alone it is no concept
    assert "variational method" in found and "variational method exist" not in found and "method exist" not in found
    assert "fourier transform" in found and "string edit" in found
    assert "transform" not in found and "edit" not in found
    # Nouns and adjectives too, in WordNet, are no such words: "update" and "test" end terms as before.
    assert {"update", "test", "software update", "unit test"} <= counts("A software update. Unit tests.").keys()


def test_a_verb_after_a_plural_bounds_terms_and_a_singular_is_told_as_written() -> None:
    clause = counts("Kinematic control algorithms adopt feedback linearization.")
    assert "kinematic control algorithm" in clause and "feedback linearization" in clause
    assert not [key for key in clause if "adopt" in key]  # no term ends on, holds or opens with the clause's verb
    # What makes a word singular is its fold, not how it is spelt: dashes, a possessive.
    named = counts("The Burrows–Wheeler transform, the Karhunen‐Loève transform, Fourier's transform.")
    assert {"burrows-wheeler transform", "karhunen-loève transform", "fourier transform"} <= named.keys()
    assert "edit distance" in counts("Edit distance between strings.")  # such a word may still open a term


def test_without_the_verbs_list_english_has_no_base_verbs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken install (the bundled list gone) runs as without a lexicon instead of failing the import."""
    monkeypatch.setattr(lexicon, "_BASE_VERBS", tmp_path / "missing.txt")
    assert lexicon.base_verbs.__wrapped__("en") == frozenset()


@pytest.mark.skipif(not Path("/usr/share/wordnet/index.noun").is_file(), reason="WordNet (wordnet-base) absent")
def test_the_bundled_english_verbs_are_what_the_script_builds_from_wordnet(tmp_path: Path) -> None:
    out = tmp_path / "verbs.txt"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True, timeout=60)
    assert out.read_bytes() == (SCRIPT.parent.parent / "toridaemon/pipeline/data/english-base-verbs.txt").read_bytes()


def test_the_english_verbs_script_keeps_verbs_that_are_no_noun_nor_adjective(tmp_path: Path) -> None:
    """`scripts/build_english_verbs.py` on a WordNet and a lexicon made for the test; the bundled list's kind."""
    wordnet, lexicon = tmp_path / "wordnet", tmp_path / "lexicon.txt"
    wordnet.mkdir()
    (wordnet / "index.noun").write_text("  1 licence line\nupdate n 1\nfourier_transform n 1\n")
    (wordnet / "index.adj").write_text("  1 licence line\nselect a 1\n")
    lexicon.write_text(";;; header\nquantify VB\nupdate VB\nselect VB\nshowed VBD\nSeek VB\nre-use VB\n")
    out = tmp_path / "verbs.txt"
    subprocess.run([sys.executable, str(SCRIPT), "--wordnet", str(wordnet), "--lexicon", str(lexicon),
                    "--out", str(out)], check=True, capture_output=True, timeout=60)
    assert [line for line in out.read_text().splitlines() if not line.startswith("#")] == ["quantify"]
    bundled = base_verbs("en")
    assert {"quantify", "exist", "transform"} <= bundled
    assert not {"update", "test", "estimate", "file"} & bundled
    assert base_verbs("de") == frozenset()


def test_phrases_ending_on_a_word_the_lexicon_tags_adjective_stay_candidates() -> None:
    found = counts("A public key and a random variable.")
    assert "public key" in found and "random variable" in found


def test_an_unspaced_en_dash_joins_a_compound_and_a_spaced_one_bounds() -> None:
    found = counts("the Levenberg–Marquardt algorithm – a fit; the Levenberg-Marquardt algorithm")
    assert found["levenberg-marquardt algorithm"] == 2
    assert "marquardt algorithm" not in found and "algorithm fit" not in found


def test_no_term_repeats_a_word() -> None:
    # A repeated table header or a list run together ("centered longtable centered longtable") names nothing.
    assert counts("centered longtable centered longtable") == {"centered longtable": 2, "longtable": 2}
    assert counts("bora opacity bora opacity bora") == {"bora": 3, "opacity": 2, "bora opacity": 2, "opacity bora": 2}


def test_runs_of_punctuation_are_no_words() -> None:
    found = counts("evaluation metrics -- citation count ' quoted -' term")
    assert not any(set(word) <= set("-'’") for key in found for word in key.split())
    assert "evaluation metric" in found and "citation count" in found


@pytest.mark.parametrize(("code", "accents", "word"), [
    ("el", "\u0314\u0342 \u0313\u0301", "ἀρχή"),  # a Greek font sample's breathing marks and accents
    ("en", "ˇˇ ʰʲ", "ʻokina"),  # modifier letters alone; one before a letter is part of a word
    ("ja", "ˇˇ", "ラーメン"),  # "ー" is a modifier letter inside a word
])
def test_accents_or_modifier_letters_alone_are_no_words(code: str, accents: str, word: str) -> None:
    lang = language(code)
    assert [candidates.classify(token, lang) for token in accents.split()] == [None] * len(accents.split())
    assert candidates.classify(word, lang) is not None


def test_a_lowercase_run_of_one_letter_is_no_word() -> None:
    """OCR of line numbers set in a font it cannot read gave "eee" as a concept; capitals name things ("AAA")."""
    assert [candidates.classify(token) for token in ("eee", "lll", "xxx", "mmmm")] == [None] * 4
    assert candidates.classify("AAA") is not None and candidates.classify("ee") is not None
    assert candidates.classify("bee") is not None


def test_normalize_matches_extraction_keys() -> None:
    assert normalize("Graph Neural Networks") == "graph neural network"
    assert normalize("the Theory of Relativity") == "theory relativity"


def test_analysis_reports_one_concept_per_plural_variant() -> None:
    text = (
        "Sparse matrices and sparse matrix factorisation.\n"
        "A sparse matrix is stored compactly; sparse matrices save memory in solvers."
    )
    names = [concept.name.lower() for concept in analyze_text(text).concepts]
    assert sum(name in ("sparse matrix", "sparse matrices") for name in names) == 1


def test_english_contractions_are_boundaries() -> None:
    found = counts("We can’t index it; they'll index the posting lists we'd built.")
    assert not any("’" in key or "'" in key for key in found)
    assert "posting list" in found


def test_an_adjective_alone_is_held_back() -> None:
    english = language("en")
    plain = replace(english, code="en-without-adjectives", adjectives=frozenset())  # own score caches
    table = extract([Span("body", 1, "The network is dense.")], english)

    def scores(lang: Language) -> dict[str, float]:
        return {item.key: item.score for item in score(table, {}, PipelineOptions(), lang)[0]}

    held, unheld = scores(english), scores(plain)
    assert scoring._ADJECTIVE_ALONE < 1.0
    assert held["dense"] == pytest.approx(unheld["dense"] * scoring._ADJECTIVE_ALONE)
    assert held["network"] == pytest.approx(unheld["network"])


@pytest.mark.parametrize(("code", "adverb", "noun"), [
    ("pt", "certamente", "ambiente"), ("es", "rápidamente", "mente"), ("it", "velocemente", "ambiente"),
    ("es", "metodológicamente", "mente"),  # of an adjective too rare to be known
])
def test_adverbs_in_mente_are_boundaries(code: str, adverb: str, noun: str) -> None:
    lang = language(code)
    found = extract([Span("body", 1, f"{noun} {adverb} {noun}")], lang).counts["body"]
    assert found == {lang.fold(noun): 2}


def test_french_ment_nouns_stay_words() -> None:
    assert normalize("gouvernement", language("fr")) != ""


@pytest.mark.parametrize(("code", "text"), [
    ("fr", "jusqu’à la capsule et jusqu'au lanceur, l’équipage, lorsqu’il décolle"),
    ("it", "quest’anno la capsule e sull'orbita"),
])
def test_elided_function_words_are_no_words(code: str, text: str) -> None:
    lang = language(code)
    words = {word for key in extract([Span("body", 1, text)], lang).counts["body"] for word in key.split()}
    assert not {word for word in words if "'" in word or "’" in word}


def test_adverbs_of_adjectives_in_ic_are_boundaries() -> None:
    assert normalize("specifically basically") == ""
    assert normalize("rally") == "rally"


def test_names_keep_their_capitals_and_sentence_starts_do_not() -> None:
    text = (
        "Tracking of hidden Markov models. We fit hidden Markov models to sensor data from Ovar. "
        "Tracking errors fall. The sensors in Ovar report hourly; hidden Markov models explain them."
    )
    names = [concept.name for concept in analyze_text(text, settings=PipelineOptions(min_concepts=8)).concepts]
    assert "hidden Markov models" in names
    assert "Ovar" in names
    assert "tracking" in " ".join(names) and "Tracking" not in " ".join(names)


def test_a_name_of_several_words_keeps_its_capitals() -> None:
    # The GPL's "Free Software Foundation" is first met at a sentence's start; "free software" alone stays a
    # common term, though "Free Software" also opens the name inside sentences.
    text = ("Free Software Foundation members promote free software. The GNU General Public License is published "
            "by the Free Software Foundation. Free software means users may run and study free software. Free "
            "Software Foundation staff and users of free software meet.")
    names = [c.name for c in analyze_text(text, settings=PipelineOptions(min_concepts=12)).concepts]
    assert "Free Software Foundation" in names and "free software" in names, names


def test_a_common_term_stays_lowercase_beside_a_name_it_is_part_of() -> None:
    # A heading first, and "Machine Learning" inside a sentence only as part of a conference's name.
    text = ("A Survey of Text Mining\n\n1 Machine Learning\n\nWe apply machine learning to text classification. "
            "Deep learning extends machine learning with neural networks. Machine learning needs features.\n\n"
            "References\n\n[1] A. Smith. Text classification at scale. In Proceedings of the International "
            "Conference on Machine Learning, pages 1-9, 2020.")
    names = [c.name for c in analyze_text(text).concepts]
    assert "machine learning" in names and "Machine Learning" not in names, names
    locator = Locator([Span("body", 1, "Hidden Markov models fit speech. A Markov chain has states. Hidden Markov "
                                       "models need training.")], language("en"), {"hidden", "markov"})
    assert locator.find(("hidden markov models",))[0] == "hidden Markov models"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\n\t\x1cé\u00a0\u3000\u0964。字")), max_size=400), st.data())
def test_context_sentences_end_where_the_expression_ends_them(text: str, data: st.DataObject) -> None:
    # Text with no full stop of another script ends its sentences found by `str.find`, other text by the regular
    # expression: both must give the same sentence.
    prepared = _prepare(text)
    start = data.draw(st.integers(0, len(prepared.original)))
    end = data.draw(st.integers(start, len(prepared.original)))
    plain = not any(char in prepared.original for char in "\u3000\u0964。字")
    assert prepared.plain == plain
    by_expression = _Text(prepared.original, prepared.lower, False)
    assert _sentence(prepared, start, end) == _sentence(by_expression, start, end)


def test_plain_text_holds_no_character_the_other_rules_look_for() -> None:
    # Outside `_OTHER_SCRIPTS`: no letter of a script written without spaces, no Hangul, no full stop of another
    # script. A check of all of Unicode but those blocks: the characters `_prepare` calls plain.
    for point in range(0x110000):
        char = chr(point)
        if context._OTHER_SCRIPTS.match(char) is None:
            assert not (unspaced_char(char) or hangul(char) or char in FULL_STOPS), hex(point)


@settings(max_examples=500, deadline=None)
@given(st.sets(st.text(alphabet=st.sampled_from(list("aAzZ@[`{ÉéΩωΣσςǅǄİı1-’")) | st.characters(), max_size=6),
               max_size=20))
@example({"ΟΔΟΣ", "Οδος", "Σ", "ǅemal", "İzmir", "NASA", "Graph", "graph", "", "É", "a"})
def test_tokens_sort_by_case_as_the_string_methods_sort_them(distinct: set[str]) -> None:
    # `_sort_case` tells ASCII capitals by their range.
    capitalised = {token for token in distinct if token[:1].isupper() and not (len(token) > 1 and token.isupper())}
    assert candidates._sort_case(distinct) == (capitalised, {str.lower(token) for token in distinct - capitalised})


def test_a_title_tells_no_names() -> None:
    text = "Tracking starts at dawn. Tracking errors fall at noon."  # "Tracking" only where sentences start
    names = [c.name for c in analyze_text(text, title="Robust Tracking Under Occlusion").concepts]
    assert names and not any("Tracking" in name for name in names)


def test_addresses_are_one_token_and_no_concept() -> None:
    text = ("Write to jane.doe@example.org or see https://example.org/neural-networks and www.example.org "
            "for neural networks.")
    tokens = tokenize(text, language("en"))
    assert "jane.doe@example.org" in tokens
    assert "https://example.org/neural-networks" in tokens
    assert "www.example.org" in tokens
    found = counts(text)
    assert "neural network" in found
    assert not any(part in key for key in found for part in ("jane", "doe", "example", "https"))


def test_a_host_with_a_path_is_an_address_without_a_scheme() -> None:
    """"github.com/jsmith/graphkit" was read as words: "jsmith" and "graphkit" became concepts."""
    text = "Code is at github.com/jsmith/graphkit and data at zenodo.org/records/12345, for pairs and/or 1/2 km/h."
    tokens = tokenize(text, language("en"))
    assert {"github.com/jsmith/graphkit", "zenodo.org/records/12345,"} <= set(tokens)
    assert {"and", "or", "km", "h"} <= set(tokens)  # a slash alone marks no address
    assert not any(part in key for key in counts(text * 3) for part in ("jsmith", "graphkit", "zenodo", "record"))


def test_a_file_extension_or_an_abbreviation_tail_is_no_word() -> None:
    tokens = tokenize("Load amsmath.sty and config.yaml, see Ch.mo Prof. Rossi. Done.", language("en"))
    assert ".sty" in tokens and ".yaml" in tokens and ".mo" in tokens and "sty" not in tokens
    assert "amsmath" in tokens and "config" in tokens  # the name before the dot stays a word
    # A capital after the dot starts a word: a space lost after a full stop or a number.
    kept = tokenize("the end.Next step, 1.Introduction and Dr.Müller", language("en"))
    assert {"Next", "Introduction", "Müller"} <= set(kept)
    found = counts("The amsmath.sty file loads amsmath. The amsmath.sty file and the amsmath.dtx source.")
    assert "amsmath" in found and not any(part in key.split() for key in found for part in ("sty", "dtx"))


@pytest.mark.parametrize("latin_only", [True, False], ids=["latin", "unicode"])
def test_a_tex_command_is_one_token_whatever_comes_before_it(latin_only: bool) -> None:
    """A run of punctuation took the backslash ("$\\", "{\\", "~\\") and the command's name was left a word:
    "alpha", "em", "ref" and "cite" became concepts; a LaTeX3 name was cut at its underscores ("put", "right")."""
    text = "We set $\\alpha$ by {\\em dropout} in (\\ref{fig}) after~\\cite{knuth}; \\tl_put_right:Nn \\ here."
    # Long Latin stretches are read by the `re` expressions, text dense in other characters (Cyrillic here) by the
    # `regex` ones.
    tokens = tokenize(text * 4 if latin_only else text + " Кафе" * 200, language("en"))
    assert {"\\alpha", "\\em", "\\ref", "\\cite", "\\tl_put_right", "\\"} <= set(tokens)
    assert not {"alpha", "em", "ref", "cite", "put", "right", "$\\", "{\\"} & set(tokens)
    assert {"dropout", "fig", "knuth", "here"} <= set(tokens)
    # An escaped underscore is no command: the word after it stays a word.
    assert {"file", "name"} <= set(tokenize("the file\\_name option " * (8 if latin_only else 1), language("en")))


def test_a_latex3_argument_signature_is_no_word() -> None:
    tokens = tokenize("Use \\tl_set:Nn or \\cs_new:Npn, then \\exp_args:NnV; see std::vector", language("en"))
    assert not {"Nn", "Npn", "NnV"} & set(tokens) and {":Nn", ":Npn", ":NnV", "vector"} <= set(tokens)
    assert {"\\tl_set", "\\cs_new", "\\exp_args"} <= set(tokens)  # a LaTeX3 name is one command, no words
    # Only the signature's letters make one: a space lost after a colon loses no word.
    assert {"Accuracy", "nothing"} <= set(tokenize("Results:Accuracy rose. Note:nothing", language("en")))
    found = counts("The \\tl_set:Nn function sets a token list. The \\tl_put_right:nn function appends.")
    assert not any(part in key.split() for key in found for part in ("nn", "nN"))


# The tokenizer as one regular expression, the address an alternative tried at every word: what `tokenize` must
# match token for token, finding the addresses by their marks instead.
_ADDRESS_ALTERNATIVE = r"(?<!\S)\S*(?:@|://|www\.|\.[a-z]{2,6}/|/[^\s/]+/)\S*|"
@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdefgé'’ .-1λ\n")), max_size=40))
@example("abcdefg'h l'été qu’il abcdef'g")
def test_the_elided_article_reads_as_it_did_before_its_letters_were_taken_possessively(text: str) -> None:
    # The letters before the apostrophe are taken and never given back: giving some back could only put a letter
    # before the apostrophe, so the expression reads as the one that backtracks.
    backtracking = candidates._ELIDED.replace("{1,6}+", "{1,6}")
    assert backtracking != candidates._ELIDED
    for compile_ in (regex.compile, lambda pattern: re.compile(candidates._latin(pattern))):
        assert compile_(candidates._ELIDED).findall(text) == compile_(backtracking).findall(text)


_REFERENCE = {
    eliding: regex.compile(
        (candidates._ELIDED + "|" if eliding else "") + _ADDRESS_ALTERNATIVE + candidates._WORDS_AND_BOUNDARIES
    )
    for eliding in (False, True)
}
# Letters (Latin, accented, Greek), a combining accent, numbers that are no digits ("²"), apostrophes, hyphens and
# dashes, the address marks and whitespace Python and regex disagree on ("\x1c" is whitespace to str.isspace, not
# to regex's \s). Blank lines and Latin stretches longer than `_LATIN_STRETCH` (ASCII or not), one line or several,
# exercise the cuts between the Latin and the Unicode expressions.
_STRETCH = candidates._LATIN_STRETCH
_PIECES = ["a", "b", "é", "\u0301", "'", "’", "-", "@", ":", "/", "w", ".", "www.", "://", "l'", "\\cmd", "7",
           " ", "\n", "\t", "\x1c", "\u00a0", "\n\n", "\n \t\n", "\r", "\x0b", "*", "\\", "_", "\x85", "D",
           "ab " * (_STRETCH // 3 + 1), "l'ab\n" * (_STRETCH // 5 + 1), "x\n \n" * (_STRETCH // 4 + 1), "a" * _STRETCH,
           "\n\r\n", "abcdefg'h", "Nn", "n", "e", "λ", "Ł", "ß", "²", "–", "“", "\u2028", "\u2009", "\u02bc",
           "d’été " * (_STRETCH // 6 + 1), "λ’a\n" * (_STRETCH // 4 + 1)]
# Whole ASCII lines around a text put its short pieces in a stretch, where the Latin expression reads them.
_PAD = "a b\n" * (_STRETCH // 4 + 1)


@settings(max_examples=1500, deadline=None)
@given(st.tuples(st.sampled_from(["", _PAD]), st.lists(st.sampled_from(_PIECES), max_size=30).map("".join),
                 st.sampled_from(["", _PAD])).map("".join), st.sampled_from(["en", "fr"]))
@example("l'adresse@exemple.fr et x@y", "fr")
@example("a www.x.org/www.y\x1cb@c", "en")
@example(".aa/ x.org/a/b.cd/e", "en")
@example("é\n \n\na\n\nb é", "en")
@example("l'a\n\t\nl'é\nl'b", "fr")
@example("é" + "\n \n" * _STRETCH + "a\n\nb é", "en")
@example("x y\n" * _STRETCH + "\n \nl'été\n" + "a b\n \n" * _STRETCH, "fr")
@example("a b\n" * 51 + "abcdefg'h\nx\n\r\ny\n" + "a b\n" * 51, "fr")
def test_tokenize_finds_addresses_as_the_single_expression_does(text: str, code: str) -> None:
    lang = language(code)
    assert tokenize(text, lang) == _REFERENCE[not lang.english].findall(text)


# Chunks between spaces of every shape `_latin_tokens` tells apart: letters and digits alone, one character after
# them (a dot, a hyphen, an apostrophe, a backslash, a joiner, a separator `str.split` splits at), and the rest.
_CHUNK_PIECES = ["ab", "É", "7", "½", ",", ".", "-", "'", "’", "\\", "\\x", ":", "Nn", "_", "\u200d", "\u2063", "«",
                 "x.y", "l'", " ", "  ", "\t", "\n", "\n\n", "\n \t\n", "\r\n", "\x0b", "\x85", "\xa0", "\u2009",
                 "\x1c"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_CHUNK_PIECES), max_size=16).map("".join), st.booleans(), st.data())
@example("a,b x. \\y", True, None)
@example("ab\x1cc, d", False, None)
@example("l'7 abcdefg'h ab7'cd l'été qu’il d'", True, None)  # elided articles, and chunks that only look like one
def test_latin_text_read_by_chunks_reads_as_the_expression_does(text: str, eliding: bool,
                                                                 data: st.DataObject | None) -> None:
    """Read chunk by chunk, from any start to any end, Latin text gives the tokens the Unicode expression finds."""
    start = data.draw(st.integers(0, len(text))) if data is not None else 0
    end = data.draw(st.integers(start, len(text))) if data is not None else len(text)
    assert candidates._latin_tokens(eliding, text, start, end) == candidates._TOKENIZERS[eliding].findall(
        text, start, end)


@pytest.mark.parametrize(("text", "start"), [("él'a" + " " * _STRETCH, 1), ("xl'a" + " " * _STRETCH, 1),
                                             ("é\nl'a" + " " * _STRETCH, 2), ("é.ab" + " " * _STRETCH, 1),
                                             ("λl'a" + " " * _STRETCH, 1), ("λ.ab" + " " * _STRETCH, 1),
                                             ("\u0301l'a" + " " * _STRETCH, 1), ("λ\nl'a" + " " * _STRETCH, 2)])
def test_a_range_read_from_mid_line_reads_as_the_unicode_expression_does(text: str, start: int) -> None:
    """Where a range starts after a letter or mark outside the Latin characters, the Latin expression would look
    behind at it differently."""
    assert candidates._findall(True, text, start, len(text)) == candidates._TOKENIZERS[True].findall(text, start)


@pytest.mark.parametrize(("text", "sparse"), [
    ("Le réseau “neuronal” apprend l’été — déjà, à Łódź. " * 40, False),
    ("The network learns. " * 40, False),
    ("Нейронная сеть обучается на данных. " * 40, True),
    ("Το νευρωνικό δίκτυο μαθαίνει. " * 40, True),
    ("神经网络从数据中学习。" * 40, True),
])
def test_only_text_dense_in_other_scripts_skips_looking_for_latin_stretches(text: str, sparse: bool) -> None:
    """Looking for Latin stretches in Russian, Greek or Chinese text cost a sixth to a third of its tokenizing;
    French with typographic quotes and Polish letters is Latin throughout and gains from it."""
    assert candidates._latin_sparse(text) is sparse
    assert tokenize(text, language("fr")) == _REFERENCE[True].findall(text)


def test_an_identifier_joined_by_underscores_is_one_boundary_token() -> None:
    """"nl_langinfo(3)" gave the concept "langinfo", "max_parallel_workers" gave "parallel workers": code."""
    tokens = tokenize("call nl_langinfo(3) or ECHO_REQUEST with max_parallel_workers, not file\\_name", language("en"))
    assert {"nl_langinfo", "ECHO_REQUEST", "max_parallel_workers"} <= set(tokens)
    table = extract([Span("body", 1, "Call nl_langinfo or ECHO_REQUEST; max_parallel_workers sets the pool.")])
    assert not {"langinfo", "request", "parallel worker", "max parallel worker"} & set(table.counts["body"])
    assert "pool" in table.counts["body"]


def test_a_path_of_two_slashes_or_more_is_one_boundary_token() -> None:
    """"/boot/efi/EFI/debian/" made "debian" a word the text writes lowercase, so "Debian" was shown as "debian"."""
    text = "Debian puts it in /boot/efi/EFI/debian/ and usr/share/doc; input/output and TCP/IP."
    tokens = tokenize(text, language("en"))
    assert {"/boot/efi/EFI/debian/", "usr/share/doc;", "input", "output", "TCP", "IP"} <= set(tokens)  # as URLs
    names = {c.name for c in analyze_text("Boot notes\nDebian installs GRUB in /boot/efi/EFI/debian/ on every "
                                          "Debian system. Debian keeps GRUB there.", language="en").concepts}
    assert "Debian" in names and "debian" not in names and "efi" not in {name.lower() for name in names}


def test_long_runs_of_letters_do_not_stay_in_memory_after_their_document() -> None:
    """Every distinct token was kept with its word class until 200,000 of them were: a long-lived worker reading
    documents with runs of letters (base64 in a text layer) grew by their length, some 19 MB per 1,000
    documents of one 20,000-letter run each."""
    import random
    import tracemalloc

    rng = random.Random(7)

    def document() -> str:
        return f"The network {''.join(rng.choices('abcdefghij', k=50_000))} learns."

    analyze_text(document(), language="en")  # caches of the language and its resources filled once
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(40):
            analyze_text(document(), language="en")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 500_000, f"{grown:,} bytes held after 40 documents of 50,000-letter runs (2,000,000 letters)"


def test_a_languages_listed_words_are_classified_when_its_word_cache_is_made() -> None:
    """Classifying a word met for the first time was a fifth of a short French text's analysis; the words of the
    language's frequency list are classified once, lowercase and Capitalised, before its first document."""
    french = language("fr")
    candidates._caches.pop(french.key, None)
    analyze_text("Le chat dort.", language="fr")
    cache = candidates._caches[french.key]
    listed = [word for word in french.frequencies if len(word) > 3][:2000]
    assert len(listed) == 2000 and "bibliothèque" in french.frequencies
    for word in [*listed[::97], "bibliothèque", "utiliser"]:
        for token in (word, word[:1].upper() + word[1:]):
            assert token in cache and cache[token] == candidates.classify(token, french), token
    # Each form is classified as written: the infinitive's two forms end terms differently.
    assert cache["utiliser"] != cache["Utiliser"]


def test_a_word_of_two_writing_systems_is_no_term_word() -> None:
    """Garbled by a font ("मŲ", "आЭण", "الAbب") or two words with the space between them lost ("counterजवळ"):
    boundaries. Japanese and Korean write Latin and Greek letters in their words ("Tシャツ", "X선", "α線"), science
    Greek ones in Latin words ("NF-κB", "TNFα", "Aβ"), and a hyphen parts scripts ("β-catenin")."""
    for word, code in (("मŲ", "hi"), ("आЭण", "mr"), ("الAbب", "ar"), ("counterजवळ", "mr"), ("ХचПे", "mr")):
        assert candidates.classify(word, language(code)) is None, word
    for word, code in (("β-catenin", "en"), ("Tシャツ", "ja"), ("X선", "ko"), ("données", "fr"), ("Теорія", "uk"),
                       ("नेटवर्क", "hi"), ("LaTeX版本", "zh"), ("NF-κB", "en"), ("TNFα", "en"), ("Aβ", "en"),
                       ("α線", "ja"), ("α선", "ko"), ("Яndex", "ru")):
        assert candidates.classify(word, language(code)) is not None, word
    text = "Deep learning with कृΧिम नेटवर्क models. Deep learning with कृΧिम नेटवर्क models."
    assert all("Χ" not in concept.name for concept in analyze_text(text, language="en").concepts)


def test_a_romance_noun_and_its_complement_make_one_term() -> None:
    spanish = language("es")
    text = "Las bases de datos del sistema. Una base de datos distribuida. Las bases distribuidas de datos."
    found = extract([Span("body", 1, text)], spanish)
    keys = found.counts["body"]
    assert keys[normalize("bases de datos", spanish)] == 2
    assert found.surface[normalize("bases de datos", spanish)] == "bases de datos"
    assert normalize("datos del sistema", spanish) in keys
    assert normalize("base de datos distribuida", spanish) in keys
    # One complement per term, right after its first word, and no term starts or ends on the linker.
    assert normalize("distribuidas de datos", spanish) in keys
    assert normalize("bases distribuidas de datos", spanish) not in keys
    assert normalize("bases distribuidas", spanish) in keys
    assert not any(key.split()[0] == LINK_MARK or key.split()[-1] == LINK_MARK for key in keys)
    assert normalize("datos de", spanish) == normalize("datos", spanish)
    assert normalize("de la base de datos", spanish) == normalize("base de datos", spanish) == "bas ~ dat"
    # Any linker of the language: "datos del sistema" and "datos de sistema" are one term.
    assert normalize("datos de sistema", spanish) == normalize("datos del sistema", spanish)


def test_a_word_whose_stem_is_spelt_as_a_linker_is_no_linker() -> None:
    portuguese, french = language("pt"), language("fr")
    assert portuguese.fold("dose") == "dos" and "dos" in portuguese.linkers
    assert normalize("dose", portuguese) == "dos"
    assert normalize("alta dose", portuguese) == "alta dos"
    assert normalize("objet des désirs", french) == f"{french.fold('objet')} ~ {french.fold('désirs')}"
    # A database name with no candidate in the text is weighed by its key's words, "dos" among them.
    key = normalize("dose de radiação", portuguese)
    assert scoring._term_factor(key, key, portuguese) == pytest.approx(
        scoring._term_factor(key.replace(f" {LINK_MARK}", ""), key.replace(f" {LINK_MARK}", ""), portuguese))


def test_a_term_with_a_linker_weighs_as_its_two_words() -> None:
    french = language("fr")
    linked = scoring._term_factor(normalize("base d'énergie", french), "base d'énergie", french)
    plain = scoring._term_factor(normalize("base énergie", french), "base énergie", french)
    assert linked == pytest.approx(plain)
    spelt = scoring._term_factor(normalize("source de chaleur", french), "source de chaleur", french)
    assert spelt == pytest.approx(scoring._term_factor(normalize("source chaleur", french), "source chaleur", french))


def test_an_elided_linker_keeps_its_apostrophe_against_the_next_word() -> None:
    french = language("fr")
    found = extract([Span("body", 1, "La base d’énergie et l'analyse des données.")], french)
    assert found.surface[normalize("base d'énergie", french)] == "base d’énergie"
    assert found.surface[normalize("analyse des données", french)] == "analyse des données"


def test_english_has_no_linkers() -> None:
    assert not language("en").linkers
    found = counts("A bag of words and the quality of service.")
    assert set(found) == {"bag", "word", "quality", "service"}


def scored(text: str, lang: Language) -> tuple[CandidateTable, dict[str, float]]:
    """The candidates of `text` as one body span, and the score of each that is scored."""
    table = extract([Span("body", 1, text)], lang)
    return table, {item.key: item.score for item in score(table, {}, PipelineOptions(), lang)[0]}


def test_a_romance_term_with_a_linker_counts_when_it_recurs() -> None:
    spanish = language("es")
    text = ("Los sistemas de gestión almacenan objetos. Los sistemas de gestión de objetos usan índices. "
            "La presencia de catalizadores cambia los índices de los objetos.")
    table, keys = scored(text, spanish)
    assert normalize("sistemas de gestión", spanish) in keys
    assert normalize("presencia de catalizadores", spanish) in table.linked
    assert normalize("presencia de catalizadores", spanish) not in keys


def test_a_word_that_only_follows_a_noun_is_no_concept_alone() -> None:
    spanish = language("es")
    # An adjective: a past participle ("distribuida") is no concept alone at all (test_language.py).
    text = ("La computación paralela usa nodos. Los sistemas paralelos y la memoria paralela. "
            "Los nodos forman una red paralela de computación.")
    table, ranked = scored(text, spanish)
    _, unheld = scored(text, replace(spanish, code="es-without-linkers", linkers=frozenset()))  # own score caches
    parallel = normalize("paralela", spanish)
    assert table.heads.get(parallel, 0) == 0 and table.heads[normalize("computación", spanish)] == 2
    assert ranked[parallel] == pytest.approx(unheld[parallel] * scoring._MODIFIER_ALONE)
    assert ranked[normalize("nodos", spanish)] == pytest.approx(unheld[normalize("nodos", spanish)])


def test_a_name_with_a_particle_is_no_concept_but_its_words_stay() -> None:
    text = ("Abandon dans le Vendée Globe\nLe navigateur Bertrand de Broc a abandonné la course. Bertrand de Broc "
            "rentre au port. La quille du bateau de Bertrand de Broc a cassé. La Banque de France le suit. "
            "La France et la Banque de France. Le carnet d’Anne Martin, le carnet d’Anne Martin. Jeanne d'Arc "
            "à Orléans, Jeanne d'Arc à Reims, Jeanne d'Arc à Rouen. La Banque de France centrale, la Banque de "
            "France centrale.")
    names = [concept.name.lower() for concept in analyze_text(text, language="fr").concepts]
    assert not any(" de " in name and "broc" in name for name in names)
    assert "france" in names
    assert not any("d’anne" in name for name in names)  # "Anne Martin" is a name: "carnet d’Anne" holds it
    assert "jeanne d'arc" not in names
    assert not any("banque de france" in name for name in names)


def test_a_term_with_a_linker_after_an_adjective_is_not_scored() -> None:
    french = language("fr")
    text = ("Le gisement du Pléistocène moyen d'Orgnac. Au Pléistocène moyen d'Orgnac vivait un campagnol. "
            "Le Pléistocène moyen et le Pléistocène supérieur.")
    table, keys = scored(text, french)
    assert normalize("moyen d'Orgnac", french) in table.linked  # counted twice, but "moyen" follows a noun
    assert normalize("moyen d'Orgnac", french) not in keys
    assert normalize("Pléistocène moyen", french) in keys
