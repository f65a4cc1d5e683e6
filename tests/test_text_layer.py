"""The text layer a reader sees: cleaning, page verdicts, titles, and why a PDF cannot be opened."""

from __future__ import annotations

import io
import json
import re
import tempfile
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import wordfreq
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject, RectangleObject

from tests.conftest import good_corpus
from tests.pdfgen import COURIER_ADVANCE, pdf_bytes, pdf_of_objects, pdf_of_runs, pdf_with_text_layer
from tests.scangen import stamped
from toridaemon.pipeline import PipelineError, PipelineOptions, analyze_pdf, analyze_text
from toridaemon.pipeline.concepts import clean
from toridaemon.pipeline.language.scripts import one_system
from toridaemon.pipeline.result import DocumentResult
from toridaemon.pipeline.text import read_document, tessdata
from toridaemon.pipeline.text.clean import (
    _UNMARKED,
    _WORD,
    _fragment_words,
    _fragments,
    clean_page,
    drop_running_lines,
    lost_ligatures_likely,
    unmarked,
)
from toridaemon.pipeline.text.document import _ocr_wanted, _OcrRun, _title_lines, finish
from toridaemon.pipeline.text.extract import _BRACKET_PAIR, LayerPage, open_document
from toridaemon.pipeline.text.quality import _VOWELLESS_WORD, garbled_script, verdict
from toridaemon.pipeline.text.title import (
    SIMILAR,
    Line,
    _line,
    choose_title,
    plausible_metadata,
    readable_title,
    similarity,
    title_from_lines,
    top_lines,
)

FIXTURE = Path(__file__).parent / "fixtures" / "titles.json"


def test_lost_ligatures_are_repaired_only_into_known_words() -> None:
    assert clean_page("coe cients and con dence intervals of oating point", "en") == (
        "coefficients and confidence intervals of floating point")
    assert clean_page("the di erent and e cient o ce", "en") == "the different and efficient office"
    assert clean_page("it is a cat so a dog, \\use:nn", "en") == "it is a cat so a dog, \\use:nn"


def test_ligature_repair_turns_on_for_documents_that_lost_them() -> None:
    lost = "The coe cients of con dence intervals differ: di erent e cient oating point."
    text = read_document(pdf_bytes([lost, "A second page."]), PipelineOptions(ocr="off"))
    assert "coefficients of confidence" in text.pages[0] and "efficient floating" in text.pages[0]
    assert not lost_ligatures_likely(["Office hours: C. ce and the rest is ordinary English text."], "en")


def test_soft_hyphens_accents_and_nfkc() -> None:
    assert clean_page("package file docu\x02\nment", "en") == "package file document"
    assert clean_page("pre\ufffeceding AMS\ufffeLATEX", "en") == "preceding AMS-LATEX"
    assert clean_page("Schr¨oder na¨ıve caf´e ﬁrst", "en") == "Schröder naïve café first"
    assert clean_page("e\u0301te\u0301 \u0301ecole", "en") == "été école"
    assert clean_page("zaj\u02dbecia", "pl") == "zajęcia"  # an ogonek set before its letter


def test_text_told_unmarked_holds_no_mark_nor_invisible_character() -> None:
    # Cleaning skips the search for runs of marks and invisible characters in such text: the ranges must be exact.
    ranges = re.findall(r"(.)-(.)", _UNMARKED)
    assert len(ranges) == 4 and "".join(low + "-" + high for low, high in ranges) == _UNMARKED
    for low, high in ranges:
        for code in range(ord(low), ord(high) + 1):
            assert unicodedata.category(chr(code)) not in ("Mn", "Mc", "Me", "Cf"), hex(code)
    assert unmarked("Schröder’s café — «naïve» ‰ ǅ") and unmarked("plain ASCII")
    for marked in ("e\u0301te", "soft\u00adhyphen", "zero\u200bwidth", "\u200ebidi", "ﾊﾞ", "𝐀"):
        assert not unmarked(marked), marked
    assert clean("e\u0301te\u0301 a\u200bb") == "été ab"


# Between the fragments: letters (an "İ" lowercases to two characters; "²" is numeric, so a letter to `_WORD`),
# digits ("٣" too), "_", marks, apostrophes and spaces, so that a fragment may stand alone or inside a longer run.
_AROUND_FRAGMENTS = st.sampled_from(list("aZéİıß²1٣_ -,'’\u0301\u00ad\n\tΩж字x"))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["en", "fr"]).flatmap(lambda code: st.tuples(st.just(code), st.lists(
    st.one_of(st.sampled_from(sorted(_fragments(code))), _AROUND_FRAGMENTS), max_size=12).map("".join))))
def test_fragment_words_are_the_words_the_expression_finds_that_are_fragments(case: tuple[str, str]) -> None:
    code, text = case
    assert _fragment_words(text, code) == set(_WORD.findall(text.lower())) & _fragments(code)


def test_fragments_are_found_as_whole_words_only() -> None:
    assert _fragment_words("The coe cients were e ective; Cients, oating.", "en") >= {"cients", "oating"}
    assert "cients" not in _fragment_words("coefficients, sufficientcients éclients", "en")
    assert _fragment_words("x_cients2", "en") == {"cients"}  # "_" and digits end a run of letters
    assert _fragment_words("", "en") == set() and _fragment_words("cients", "xx") == set()


def test_ascii_accents_of_tex_fonts_join_where_they_make_a_known_word() -> None:
    # OT1 fonts set grave, circumflex and tilde at the codes of "`", "^" and "~".
    assert clean_page("Universit`a degli Studi, pi`u citt`a", "it") == "Università degli Studi, più città"
    assert clean_page("voir `a la page o`u il est", "fr") == "voir à la page où il est"
    assert clean_page("Espa~na y ni~no", "es") == "España y niño"
    assert clean_page("reconna^ıt la cha^ıne", "fr") == "reconnaît la chaîne"  # TeX accents a dotless "ı"
    # A word holding another accent set as a glyph of its own, or a lost ligature, is joined as one word.
    assert clean_page("d\u00b4ej`a, \ufb01d`ele", "fr") == "déjà, fidèle"
    assert clean_page("aplica\u00b8c~oes", "pt") == "aplicações"
    # TeX quotes, exponents, home folders, made-up words and code stay as written: TeX's own accent commands,
    # a key ("^A"), a pattern ("^a" makes the rare "â"), a code span ("`e`").
    kept = "``quoted text'' with x^2, a^b, ~user and na`xyz"
    assert clean_page(kept, "en") == kept
    assert clean_page("``a quote''", "fr") == "``a quote''"
    for code, text in (("fr", "\\`a, \\^etre"), ("en", "Press ^A to start"), ("fr", "grep ^a fichier"),
                       ("it", "la variabile `e` vale"), ("pt", "~a")):
        assert clean_page(text, code) == text
    assert clean_page("`e vero", "it") == "è vero"  # a common one-letter word


def test_ascii_accents_in_every_language_of_the_word_lists_end_in_text() -> None:
    """Whether "`a" is a common word was asked of `wordfreq.zipf_frequency`, which splits Chinese, Japanese and
    Korean with optional packages (jieba, MeCab) that are not installed: such a document failed whole."""
    for code in wordfreq.available_languages(wordlist="small"):
        assert clean_page("文本 `a ^e ~n `e vero", code).startswith("文本"), code
        if len(code) == 2:  # a language setting is an ISO 639-1 code ("fil" has none)
            assert analyze_text("这是一个关于神经网络的中文文本。 `e `a", language=code).language == code
    assert analyze_text("这是一个关于神经网络的中文文本，我们研究深度学习。 `e `a 神经网络").language == "zh"


def test_ligature_glyph_codes_become_the_ligatures_that_make_known_words() -> None:
    # A font without a text mapping for its ligatures gives their codes (T1: fi at 0x1C, ff at 0x1B; fonts differ).
    assert clean_page("Con\x1dicts de\x1cnes the \x1cles, o\x1ders", "en") == "Conflicts defines the files, offers"
    assert clean_page("signi\x1bant dé\x1bnie, e\x1det", "fr") == "signifiant définie, effet"
    assert clean_page("Die Datei ist häu\x1cg", "de") == "Die Datei ist häufig"
    # A code read as one ligature in three distinct words on the page is read so in the page's other words too.
    page = "de\x1bnes the \x1bgure, \x1bnally Prede\x1bned"
    assert clean_page(page, "en") == "defines the figure, finally Predefined"
    one_word = "de\x1bnes, de\x1bnes, de\x1bnes: Prede\x1bned"  # three times, but in one word
    assert clean_page(one_word, "en") == "defines, defines, defines: Prede\x1bned"
    # OT1 fonts set letters and accents at those codes: they are read so where that makes the known words.
    assert clean_page("\x1cst, \x1cre, \x1cnske; g\x1cr det f\x1crst for b\x1crn", "da") == \
        "øst, øre, ønske; gør det først for børn"
    assert clean_page("\x13el y \x13esta, \x13estas; qu\x13e caf\x13e", "es") == "él y ésta, éstas; qué café"
    assert clean_page("Die Stra\x19e ist gro\x19 und wei\x19", "de") == "Die Straße ist groß und weiß"
    assert clean_page("fran\x18cais et les d\x13\x10as", "fr") == "français et les d\x13\x10as"
    assert clean_page("son los d\x13\x10as", "es") == "son los días"  # the accent on a dotless i, a code too
    # What the page learned gives way to nothing else, and leaves no word empty: "filet" is no Norwegian word, and an
    # accent with no letter after it stays as it is.
    page = "Vi de\x1cnerer \x1cnne og \x1cnnes, \x1cre \x1cgurer og en \x1clet"
    assert clean_page(page, "nb") == "Vi definerer finne og finnes, fire figurer og en \x1clet"
    assert clean_page("\x13el y \x13esta, \x13estas; qu\x13e caf\x13e; abc\x13 def", "es").endswith("; abc\x13 def")
    # A word holding a code twice is one word of the three a page needs.
    assert clean_page("\x1cre\x1cghter, \x1cre\x1cghters; the Prede\x1cned", "en").endswith("the Prede\x1cned")
    # Too little to tell: two readings ("fiesta", "ésta"), two letters ("\x1cle"); math fonts' symbols stay.
    for kept, code in (("\x13esta", "es"), ("the \x1cle", "en"), ("a\x15 b", "en"), ("ln\x12", "en"),
                       ("STO\x11", "en"), ("M\x0f", "en")):
        assert clean_page(kept, code) == kept
    assert clean_page("hyphen\x02\nated", "en") == "hyphenated"  # U+0002: PDFium's mark of a line-end hyphen


def test_private_use_ligature_codes_become_the_ligatures_that_make_known_words() -> None:
    """xdvipdfmx writes the private-use codes of Linux Libertine's ck, ch and tt glyphs, which have no text mapping:
    "pa\ue03aage" gave the concept "pa". The page's evidence reads "\ue03b" as "ch" in a name too; a code no reading
    makes a known word of (an old-style digit) stays."""
    page = ("This pa\ue03aage draws arrows whi\ue03b look su\ue03b as these, wri\ue03cen by Mi\ue03bael "
            "Za\ue03bhuber, version \ue119.\ue118")
    assert clean_page(page, "en") == ("This package draws arrows which look such as these, written by Michael "
                                       "Zachhuber, version \ue119.\ue118")
    assert clean_page("an icon \uf0e0 mail and \uf0e0x", "en") == "an icon \uf0e0 mail and \uf0e0x"


def test_xetex_logos_read_as_their_names() -> None:
    # A font with a mirrored E gives "XƎTEX"; a rotated E set lower is read apart, even on a line of its own.
    assert clean_page("Multilingual typesetting with X LE\nATEX and LuaLATEX.", "en") == \
        "Multilingual typesetting with XeLaTeX and LuaLATEX."
    assert clean_page("runs on XƎTEX, XƎLATEX and X ELATEX.", "en") == "runs on XeTeX, XeLaTeX and XeLaTeX."
    for kept in ("X LE MONDE", "X LE ATEXT", "FOXƎTEX", "the X axis, set in TEX"):
        assert clean_page(kept, "en") == kept


def test_running_headers_footers_and_page_numbers_are_dropped() -> None:
    topics = ["graphs", "lattices", "groups", "rings", "fields"]
    pages = [f"Journal of Things, vol. {n}\nBody text on {topic}.\nAnd {topic} again.\n{n + 1}"
             for n, topic in enumerate(topics)]
    cleaned = drop_running_lines(pages)
    assert cleaned[2] == "Body text on groups.\nAnd groups again."
    assert all("Journal" not in page for page in cleaned)
    assert drop_running_lines(["Only\nText"]) == ["Only\nText"]


def test_page_verdicts() -> None:
    assert verdict(LayerPage("A sentence of ordinary words that reads well enough.")) == "ok"
    assert verdict(LayerPage("", image_coverage=0.95)) == "scan"
    assert verdict(LayerPage("", image_coverage=0.1)) == "empty"
    garbage = " ".join(["st sq ZT SST rk hh"] * 10)
    assert verdict(LayerPage(garbage)) == "garbage"
    assert verdict(LayerPage("\ufffd\ufffd \ue001\ue002 text with private-use glyphs " * 3)) == "garbage"
    assert verdict(LayerPage("(cid:12)(cid:40)(cid:3) some letters " * 4)) == "garbage"
    assert verdict(LayerPage("\u0b95\x81 \u0b95\x8d\x9d glyph codes of an unmapped font " * 3)) == "garbage"
    assert verdict(LayerPage("Quotes \x93read\x94 as cp1252\x92s punctuation in words that read well.")) == "ok"


def test_c1_control_characters_are_read_as_cp1252_in_pages_and_titles() -> None:
    # A font whose mapping reads its codes as Latin-1 gives cp1252's punctuation as C1 controls: read as cp1252,
    # they keep words apart ("state—of—the—art", not "stateoftheart"); codes cp1252 leaves undefined go.
    assert clean_page("state\x97of\x97the\x97art, pages 10\x9620, don\x92t, \x93quoted\x94", "en") == (
        "state\u2014of\u2014the\u2014art, pages 10\u201320, don\u2019t, \u201cquoted\u201d")
    assert clean_page("a\x81b\x8dc\x8fd\x90e\x9df", "en") == "abcdef"
    body = [Line("body text of the page", 10.0, 100.0 + i) for i in range(3)]
    lines = [Line("Sample\x81 Title\x9d", 20.0, 50.0), *body]
    assert finish(["Sample Title\nbody text of the page"], lambda _: "en", lines=lines).title == "Sample Title"


def test_vowelless_share_decides_at_its_bound() -> None:
    # More than 60 % of at least 20 words: 12 of 20 is not garbage, 13 of 21 is, 13 of 22 is not.
    def page(vowelless: int, words: int) -> LayerPage:
        return LayerPage(" ".join(["st"] * vowelless + ["apple"] * (words - vowelless)))

    assert verdict(page(12, 20)) == "ok"
    assert verdict(page(13, 21)) == "garbage"
    assert verdict(page(13, 22)) == "ok"
    assert verdict(page(15, 19)) == "ok"  # too few words to judge


def test_vowelless_words_are_whole_words_of_consonants() -> None:
    """The count's expression against its definition: the words (runs of word characters) of two ASCII
    consonants or more, at the text's start and end, next to digits, underscores and accented letters."""
    text = "st bcd sts-xyz nth_ crwth café cf. Bcd2 2bcd _bc bc_ rhythm sch TV hmm ñbc bcñ q zz\nqrst"
    words = [w for w in re.findall(r"\w+", text) if len(w) >= 2 and re.fullmatch("[b-df-hj-np-tv-xz]+", w, re.I)]
    assert _VOWELLESS_WORD.findall(text) == words == ["st", "bcd", "sts", "crwth", "cf", "sch", "TV", "hmm", "zz",
                                                       "qrst"]  # "y" counts as a vowel


def test_a_glyph_named_past_the_last_code_point_gives_a_result_not_an_internal_error(tmp_path: Path) -> None:
    """PDFium reads "/u110000" in a font's /Differences as that number: read character by character (page 1's
    text and its character count differ once a glyph lies beyond the BMP, here "/u1F600"), `chr` raised."""
    body = b" ".join(b"BT /F1 11 Tf 50 %d Td (Body text of the page, line %d of it.) Tj ET" % (700 - 14 * n, n)
                     for n in range(6))
    content = b"BT /F1 24 Tf 50 780 Td (AB) Tj ET " + body
    font = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman "
            b"/Encoding << /Differences [65 /u110000 /u1F600] >> >>")
    pdf = pdf_of_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        font,
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)])
    path = tmp_path / "glyph-names.pdf"
    path.write_bytes(pdf)
    result = analyze_pdf(path, PipelineOptions(ocr="off"))
    assert sum(section.chars for section in result.sections) > 200 and "no_text" not in result.warnings


def test_math_bracket_candidates_start_at_a_word_start() -> None:
    def pairs(text: str) -> list[str]:
        return [match.group() for match in _BRACKET_PAIR.finditer(text)]

    assert pairs("hcmdi and (hrow header texti).") == ["hcmdi", "hrow header texti"]
    assert pairs("xhcmdi which is hi") == ["hi"]  # 'h' inside a word never opens a pair
    assert pairs("h" + "x" * 41 + "i") == []  # more than 40 characters apart


def test_running_lines_on_short_pages_whose_edges_overlap() -> None:
    topics = ["graphs", "lattices", "groups", "rings"]
    pages = [f"Header\n{topic} text\n{n + 1}" for n, topic in enumerate(topics)]
    assert drop_running_lines(pages) == [f"{topic} text" for topic in topics]


def test_garbage_layer_is_dropped_with_a_warning_when_ocr_is_off() -> None:
    garbage = " ".join(["st sq ZT SST rk hh"] * 10)
    text = read_document(pdf_bytes(["Readable first page about sparse matrices.", garbage]),
                         PipelineOptions(ocr="off"))
    assert text.pages[1] == "" and "garbage_text_dropped" in text.warnings


@pytest.mark.parametrize(("page", "readable"), [
    ("Invoice 4711\nTotal due: 99 EUR", True),  # 17 letters: "no_text" was said of it
    ("Hello World", True),
    ("12 / 4 = 3", False),
    ("ee i Il 4", False),  # what OCR makes of a speck or two
])
def test_no_text_is_said_only_of_pages_without_a_word(page: str, readable: bool) -> None:
    assert ("no_text" not in read_document(pdf_bytes([page]), PipelineOptions(ocr="off")).warnings) is readable


def test_a_plausible_metadata_title_beats_the_first_line_of_body_text() -> None:
    """With nothing atop page 1 set larger than the text, its first line (half a sentence) was the title."""
    body = ("We study graph neural networks for molecule property prediction. Message passing\n"
            "neural networks learn representations of molecular graphs and predict properties.\n"
            "Molecule property prediction is central to drug discovery and materials science.")
    data = pdf_bytes([body], title="Graph Neural Networks for Molecules")
    assert read_document(data, PipelineOptions()).title == "Graph Neural Networks for Molecules"


def test_metadata_titles_that_are_file_names_or_placeholders_are_not_used() -> None:
    for bad in ("galois.dvi", "temp.dvi", "Microsoft Word - thesis.doc", "untitled", "/home/x/paper.tex", "  ",
                "Print unam_negro_escalable.svg", "poster.PNG", "Scan 12.jpeg", "README.md"):
        assert plausible_metadata(bad) is None, bad
    assert plausible_metadata("scan0001", file_stem="scan0001") is None
    assert plausible_metadata("On the Complexity of SNP Block Partitioning") is not None
    assert plausible_metadata("Graph networks " * 41) is None  # over 600 characters: a pasted abstract


def test_title_comes_from_the_page_when_metadata_is_a_file_name() -> None:
    body = "Some body text follows here and it runs on for a while, as body text does in papers. " * 3
    data = pdf_bytes([f"Sparse Matrix Methods\n{body}"], title="paper.dvi")
    # Two lines in one size: no larger title font, so the first line is taken, not the paragraph.
    assert read_document(data, PipelineOptions()).title == "Sparse Matrix Methods"


_LETTER = ("Jane Sender, 12 High Street, Springfield\nSpringfield, 3 March 2018\nDear Sir or Madam,\n"
           "thank you for your letter of last week about the meeting.\nWe will gladly take part in it.")


@pytest.mark.parametrize("unit_fonts", [False, True])
def test_a_title_is_the_text_set_larger_than_the_rest_of_page_1(unit_fonts: bool) -> None:
    """dvips sets every font at size 1 and scales it with the text matrix: by the font size alone, a 17 pt
    title was as large as its 11 pt text, and the first line was taken whatever it was."""
    page = "The Sparse Matrix Package\nJane Author\n" + "\n".join(_LETTER.splitlines()[2:])
    data = pdf_bytes([page], heading_size=17.0, unit_fonts=unit_fonts)
    assert read_document(data, PipelineOptions()).title == "The Sparse Matrix Package"
    pdf = pdfium.PdfDocument(data)
    try:
        sizes = [round(line.size) for line in top_lines(pdf[0].get_textpage(), pdf[0])]
    finally:
        pdf.close()
    assert sizes == [17, 11, 11, 11, 11]


# The same page as shown, stored three other ways: its box below the origin; turned 180 degrees (/Rotate) with
# its content drawn upside down; a landscape page stored portrait, turned 90 degrees. (ctm, box, /Rotate)
_SHOWN_ALIKE = {
    "box-below-origin": ((1, 0, 0, 1, 0, -842), [0, -842, 595, 0], 0),
    "turned-180": ((-1, 0, 0, -1, 595, 842), [0, 0, 595, 842], 180),
    "landscape-turned-90": ((0, 1, -1, 0, 842, 0), [0, 0, 595, 842], 90),
}


@pytest.mark.parametrize("layout", list(_SHOWN_ALIKE))
def test_the_title_is_found_atop_the_page_as_shown_whatever_its_box_and_rotation(layout: str) -> None:
    """The top of page 1 was measured from y = page height in the page's own space: a box that does not start
    at the origin, or a page turned by /Rotate (landscape slides, pdflscape), gave no title."""
    page = "The Sparse Matrix Package\nJane Author\n" + "\n".join(_LETTER.splitlines()[2:])
    ctm, box, turned = _SHOWN_ALIKE[layout]
    reader = PdfReader(io.BytesIO(pdf_bytes([page], heading_size=17.0)))
    writer = PdfWriter()
    writer.add_page(reader.pages[0])
    stored = writer.pages[0]
    stored.add_transformation(ctm)
    stored.mediabox = RectangleObject(box)
    stored[NameObject("/Rotate")] = NumberObject(turned)
    data = io.BytesIO()
    writer.write(data)
    assert read_document(data.getvalue(), PipelineOptions()).title == "The Sparse Matrix Package"


def test_page_one_in_one_font_shows_no_title(tmp_path: Path) -> None:
    """A letter, an example page or a plot: nothing on page 1 is set apart, so there is no title, neither from
    the page (its first line was taken: a sender's address) nor from the concepts' first-line guess."""
    data = pdf_bytes([_LETTER, "Second page."], unit_fonts=True)
    assert read_document(data, PipelineOptions()).title is None
    (tmp_path / "letter.pdf").write_bytes(data)
    result = analyze_pdf(tmp_path / "letter.pdf")
    assert result.title is None and "title" not in [section.name for section in result.sections]
    # Fonts unknown (text given as text): the first line stays the best guess.
    assert analyze_text(_LETTER).title == _LETTER.partition("\n")[0]


def test_a_widened_first_line_is_not_set_larger() -> None:
    """Size is height: a first line stretched three times as wide (Tz) is no title, and a page of one size
    shows none."""
    data = pdf_bytes([_LETTER], stretch=3.0)
    pdf = pdfium.PdfDocument(data)
    try:
        sizes = {round(line.size, 1) for line in top_lines(pdf[0].get_textpage(), pdf[0])}
    finally:
        pdf.close()
    assert sizes == {11.0}
    assert read_document(data, PipelineOptions()).title is None


@pytest.mark.parametrize("ocr", ["off", "auto"])
def test_without_page_one_fonts_the_first_line_of_words_is_the_title(ocr: str) -> None:
    """A blank page 1 (or a scan nobody read, or garbage) says nothing about sizes: the first line of words of
    the next pages is the last resort, as before the no-title rule."""
    data = pdf_bytes(["", "Second Part Heading\nSome body text follows on this page.\nAnd more of it here."])
    assert read_document(data, PipelineOptions(ocr=ocr)).title == "Second Part Heading"


def test_forced_ocr_still_reads_page_one_fonts_from_its_text_layer() -> None:
    data = pdf_bytes([_LETTER])
    assert read_document(data, PipelineOptions(ocr="force")).title is None
    titled = pdf_bytes(["The Sparse Matrix Package\n" + _LETTER], heading_size=17.0)
    assert read_document(titled, PipelineOptions(ocr="force")).title == "The Sparse Matrix Package"


def test_a_numbered_section_heading_atop_page_one_is_no_title() -> None:
    body = "\n".join(_LETTER.splitlines()[2:])
    assert read_document(pdf_bytes([f"1 The Welsh language\n{body}"], heading_size=14.0),
                         PipelineOptions()).title is None
    titled = pdf_bytes([f"Welsh for Beginners\n1 The Welsh language\n{body}"], heading_size=17.0)
    assert read_document(titled, PipelineOptions()).title == "Welsh for Beginners"


@pytest.mark.parametrize(("lines", "title"), [
    # A numbered heading as the largest text: the page opens with a section, and nothing smaller is its title.
    ([("1 Introduction", 17.0), ("John Smith", 12.0), *[("Body text of the section here.", 10.0)] * 3], None),
    ([("Journal of Foo, vol. 3", 11.0), ("1 Introduction", 17.0), *[("Body text here.", 10.0)] * 3], None),
    ([("2.3. Results", 17.0), ("We show in this section that", 10.0)], None),
    # A wrapped title goes on over a line that starts with a number.
    ([("Learn LaTeX in", 17.0), ("30 Minutes", 17.0), *[("Body text here.", 10.0)] * 3], "Learn LaTeX in 30 Minutes"),
])
def test_numbered_lines_are_no_title_yet_a_title_may_hold_a_number(
    lines: list[tuple[str, float]], title: str | None
) -> None:
    assert title_from_lines([Line(text, size, 20.0 * n) for n, (text, size) in enumerate(lines)]) == title


@pytest.mark.parametrize(("lines", "title"), [
    # The second line of a wrapped numbered heading is the heading's too, not a title below it.
    ([("1 Test of a safe implementation of Greek", 14.0), ("numerals", 14.0),
      *[("Every number is set in four versions.", 11.0)] * 3], None),
    # "Contents" as the largest text opens a table of contents, however few its entries: no entry is the title.
    ([("Contents", 24.0), ("1 Sample 2", 10.0), ("Glossary 3", 10.0)], None),
    # A heading in the title's size right below it is no part of it, and an abstract's heading is no text to
    # compare the title's size with, even when set larger.
    ([("A Study of Sparse Things", 14.0), ("Abstract", 14.0), *[("We study sparse things.", 10.0)] * 3],
     "A Study of Sparse Things"),
    ([("A Study of Sparse Things", 14.0), ("Abstract", 14.0), ("We study sparse things.", 10.0)],
     "A Study of Sparse Things"),
    ([("A Study of Sparse Things", 14.0), ("Jane Doe", 11.0), ("Abstract", 15.5),
      *[("We study sparse things.", 10.0)] * 6], "A Study of Sparse Things"),
    # Only a line going on a numbered heading's sentence wraps it: a title under a dated line is a title.
    ([("3 March 2024", 14.0), ("Annual Report of the Club", 14.0), *[("The club met twice.", 10.0)] * 4],
     "Annual Report of the Club"),
    # A page of references: the heading is no title, and the headings set as large as it are sections.
    ([("References", 14.3), *[("Smith, Arthur (2013). In: The Best Journal.", 10.0)] * 3], None),
    ([("References", 14.3), *[("Smith, Arthur (2013).", 10.0)] * 3, ("CoAuthors", 14.3), ("James Jones", 10.0)],
     None),
    ([("Prefixed citations", 14.3), *[("See [A1] and [B4] here.", 10.0)] * 3, ("Literaturverzeichnis", 14.3),
      ("[A1] Arnold Angenendt, 2002.", 10.0)], None),
    # A paper's title over a smaller references heading (a one-page note) is still its title.
    ([("A Study of Sparse Things", 17.0), *[("We study sparse things.", 10.0)] * 3, ("References", 12.0),
      ("Smith, Arthur (2013).", 10.0)], "A Study of Sparse Things"),
    # The largest run ending in a colon labels what follows.
    ([("No frame:", 12.0), ("Sets A and B.", 10.0), ("Sets C and D.", 10.0)], None),
    ([("UPC encoder test. Test 1: one barcode with default parameters:", 14.0), *[("1234", 10.0)] * 3], None),
])
def test_section_headings_are_no_title(lines: list[tuple[str, float]], title: str | None) -> None:
    assert title_from_lines([Line(text, size, 20.0 * n) for n, (text, size) in enumerate(lines)]) == title


_BODY = [("The package sets music in many voices and staves.", 11.0)] * 3


@pytest.mark.parametrize(("lines", "title"), [
    # A subtitle: right below, one font between the title's and the text's, lowercase words.
    ([("MusiXTeX", 24.8), ("Using TeX to write polyphonic", 17.2), ("or instrumental music", 17.2),
      ("Version 1.36", 14.3), *_BODY], "MusiXTeX Using TeX to write polyphonic or instrumental music"),
    # Author lines and addresses below a title are no subtitles, whatever their size.
    ([("A Study of Sparse Things", 17.0), ("by Jane Doe", 12.0), *_BODY], "A Study of Sparse Things"),
    ([("A Study of Sparse Things", 17.0), ("Jane Doe and Jan van der Berg", 12.0), *_BODY],
     "A Study of Sparse Things"),
    ([("A Study of Sparse Things", 17.0), ("email: jane at example dot org", 12.0), *_BODY],
     "A Study of Sparse Things"),
    *[([("A Study of Sparse Things", 17.0), (line, 12.0), *_BODY], "A Study of Sparse Things") for line in (
        "Edited by Jane Doe", "Maria dos Santos", "Jesse op den Brouw", "Department of Physics, University of Oslo",
        "version 2.1, released 2024/03/01", "Version 1.50 vom 29. August 2010", "13 juin 2022", "1 Basic coding",
        "Table of Contents", "Copyright (C) 1988 Hubert Partl")],
    # A size that section headings further down use is a heading's, not a subtitle's.
    ([("Gentium - Support", 21.6), ("Support options", 16.2), *_BODY, ("Reporting bugs and requests", 16.2),
      *_BODY], "Gentium - Support"),
    # Nor is text in the text's own size, nor anything in a title of two lines or fewer.
    ([("A Study of Sparse Things", 17.0), *_BODY], "A Study of Sparse Things"),
    ([("A Study of Sparse Things", 17.0), ("a study of things", 12.0)], "A Study of Sparse Things"),
    # Half the lines in one size, half in a smaller one: no line stands above the text (a letter's address).
    ([("Peter Pan", 12.0), ("Lager der wilden Jungs", 12.0), ("Lieber Peter, wir kommen morgen.", 10.0),
      ("Viele Grüße von allen", 10.0)], None),
    # A line of no words may part a subtitle from its title.
    ([("MusiXTeX", 24.8), ("—", 0.0), ("Using TeX to write polyphonic music", 17.2), *_BODY],
     "MusiXTeX Using TeX to write polyphonic music"),
    # A line of no words between two of the title's ("—") joins them, as it joins them on the page.
    ([("fnlineno.sty", 17.2), ("—", 0.0), ("Numbering Footnote Lines", 17.2), ("Uwe Lück", 12.0), *_BODY],
     "fnlineno.sty — Numbering Footnote Lines"),
])
def test_a_subtitle_goes_on_the_title_and_author_lines_do_not(
    lines: list[tuple[str, float]], title: str | None
) -> None:
    assert title_from_lines([Line(text, size, 20.0 * n) for n, (text, size) in enumerate(lines)]) == title


@pytest.mark.parametrize(("lines", "title"), [
    # Sentences set larger than the text: a paragraph's length, or ending as a sentence.
    ([("The package has been modified, as of version 1.26, to offer a new option that takes its glyphs", 11.0),
      ("from Utopia. Its slanted Greek alphabets are constructed from the txfonts and sit beside", 11.0),
      *[("The font family adds many accented glyphs to the text.", 10.0)] * 3], None),
    ([("Languages: german (ISO 639-1: “de”).", 10.0), ("Dialects: ngerman (no specific region).", 10.0)], None),
    # A full stop parting a title from its subtitle, or after an initial or an abbreviation, is no sentence's.
    ([("Deep learning. A critical appraisal", 17.0), *_BODY], "Deep learning. A critical appraisal"),
    ([("Working with J. S. Bach and Dr. Strangelove.", 17.0), *_BODY], "Working with J. S. Bach and Dr. Strangelove."),
    ([("Estilo spanish para el sistema babel.", 17.0), *_BODY], "Estilo spanish para el sistema babel."),
    ([("Cities. Essays on urban form.", 17.0), *_BODY], "Cities. Essays on urban form."),
    ([("Climate change adaptation strategies among smallholder farmers in sub-Saharan Africa.", 17.0),
      ("Evidence from smallholder farms in Kenya and Ethiopia", 17.0), *_BODY],
     "Climate change adaptation strategies among smallholder farmers in sub-Saharan Africa. Evidence from "
     "smallholder farms in Kenya and Ethiopia"),
])
def test_a_run_of_sentences_is_no_title(lines: list[tuple[str, float]], title: str | None) -> None:
    assert title_from_lines([Line(text, size, 14.0 * n) for n, (text, size) in enumerate(lines)]) == title


def test_a_line_of_no_words_joins_only_title_lines_close_together() -> None:
    body = [Line(text, size, 120.0 + 20 * n) for n, (text, size) in enumerate(_BODY)]
    far = [Line("Annual Report", 17.0, 0.0), Line("—", 0.0, 40.0), Line("Financial Statements", 17.0, 80.0)]
    assert title_from_lines([*far, *body]) == "Annual Report"


def test_metadata_naming_the_title_without_its_subtitle_agrees_with_the_page() -> None:
    lines = [Line("The tugboat package", 17.0, 0.0), Line("Typesetting the journal of the users group", 12.0, 30.0),
             *[Line(text, size, 60.0 + 20 * n) for n, (text, size) in enumerate(_BODY)]]
    assert title_from_lines(lines) == "The tugboat package Typesetting the journal of the users group"
    assert choose_title("The tugboat package", lines, []) == "The tugboat package"
    assert choose_title(None, lines, []) == "The tugboat package Typesetting the journal of the users group"


def test_a_title_from_the_page_is_cleaned_like_its_text() -> None:
    # TeX fonts set an accent as a character of its own before the letter ("Universit¨at"): the page's text
    # was cleaned of that, and the title taken from the same text layer must be too.
    body = "\n".join(["Die Universit\u00a8at bietet viele Kurse an, und die Studenten lernen dort gerne."] * 6)
    data = pdf_bytes([f"Universit\u00a8at der K\u00a8unste\n{body}"], heading_size=17.0)
    assert read_document(data, PipelineOptions()).title == "Universität der Künste"


def test_a_title_wrapped_at_a_soft_hyphen_is_joined_and_agrees_with_its_metadata_spelling() -> None:
    body = [Line("We study the relations between states and their institutions here.", 10.0, 60.0 + 12 * n)
            for n in range(4)]
    lines = [Line("Interna\u0002", 17.0, 10.0), Line("tional Relations", 17.0, 30.0), *body]
    assert finish(["International Relations\nWe study the relations."], lambda _text: "en", lines=lines).title == (
        "International Relations"
    )
    # The page's line is cleaned to NFKC ("mc2"), the metadata is not: they agree, and its spelling is kept.
    cleaned = [Line("E = mc2 and CO2 in R3", 17.0, 10.0), *body]
    assert choose_title("E = mc² and CO₂ in ℝ³", cleaned, []) == "E = mc² and CO₂ in ℝ³"


def test_contents_set_large_atop_page_one_is_no_title() -> None:
    page = "Contents\n1 Introduction 1\n2 Usage 3\n3 Implementation 5\n4 Index 9"
    assert read_document(pdf_bytes([page], heading_size=16.0), PipelineOptions()).title is None


def test_a_title_set_in_a_negative_font_size_is_found() -> None:
    """PDFium reports a font size as the PDF gives it; a negative one (mirrored glyphs) stopped the title search
    with StopIteration, a crash of the whole file."""
    body = "Some body text follows here and it runs on for a while, as body text does in papers. " * 3
    data = pdf_bytes([f"Sparse Matrix Methods\n{body}"], compress=False).replace(b"/F1 11 Tf", b"/F1 -11 Tf")
    assert b"/F1 -11 Tf" in data
    assert read_document(data, PipelineOptions()).title == "Sparse Matrix Methods"
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[0]
        assert {line.size for line in top_lines(page.get_textpage(), page)} == {11.0}
    finally:
        pdf.close()


def test_accents_extracted_after_their_letters_stay_on_them() -> None:
    """Marks that already follow their letter (NFD text) are no marks before the next letter: "Việt" keeps
    both of its marks on the "e" (a second mark was moved onto the next letter: "Viẹt̂")."""
    assert clean_page(unicodedata.normalize("NFD", "Việt Nam"), "vi") == "Việt Nam"
    assert clean_page("e\u0301\u0301a", "en") == unicodedata.normalize("NFKC", "e\u0301\u0301a")


def test_title_lines_read_char_by_char_keep_characters_beyond_the_bmp_whole() -> None:
    """PDFium gives a math italic "𝜀" as two UTF-16 halves when asked char by char (the title's lines are, on a
    page holding one): the title read "LATEX 2?? Via Exemplos"."""
    halves = "LATEX 2\ud835\udf00 Via Exemplos"  # two code points, as chr() of each half gives them
    assert _line(halves, [("L", 20.0)], 0.0).text == "LATEX 2𝜀 Via Exemplos"
    assert _line("a lone \ud835 half", [], 0.0).text == "a lone \ufffd half"


@pytest.mark.parametrize("size", [-12.0, float("nan")])
def test_lines_whose_sizes_are_no_sizes_give_no_title_and_no_error(size: float) -> None:
    assert title_from_lines([Line("Sparse Matrix Methods", size, 10.0), Line("by Someone Else", size, 30.0)]) is None


def _encrypted(handler: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if handler == "password":
        writer.encrypt("secret", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    writer._add_object(DictionaryObject({NameObject("/Filter"): NameObject("/Adobe.PubSec"),
                                         NameObject("/V"): NumberObject(4), NameObject("/R"): NumberObject(4)}))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue().replace(b"trailer\n<<", b"trailer\n<<\n/Encrypt 4 0 R", 1)


@pytest.mark.parametrize("handler", ["password", "public-key", "escaped"])
def test_encrypted_documents_are_named_by_pdfium_error_code(handler: str) -> None:
    # The public-key handler's message says "Unsupported security scheme": no "password" in it. A name may spell
    # a character as #xx: "/Encr#79pt" is the /Encrypt entry too.
    data = _encrypted("password") if handler == "escaped" else _encrypted(handler)
    if handler == "escaped":
        data = data.replace(b"/Encrypt", b"/Encr#79pt")
    with pytest.raises(PipelineError) as caught:
        open_document(data, PipelineOptions())
    assert caught.value.reason == "encrypted"


def test_judged_titles_near_match_rate() -> None:
    judged = json.loads(FIXTURE.read_text())["titles"]
    paths = [path for path in good_corpus(limit=1000) if path.name in judged]
    if not paths:
        pytest.skip("the shared corpus is absent")
    hits = 0
    for path in paths:
        ours = read_document(path.read_bytes(), PipelineOptions(ocr="off"), name=path.name).title
        expected = judged[path.name]
        hits += (ours is None) if expected is None else (ours is not None and similarity(ours, expected) >= SIMILAR)
    assert hits / len(paths) >= 0.9


def test_tex_math_font_brackets_become_angle_brackets() -> None:
    path = next((p for p in good_corpus(limit=1000) if p.name.endswith("pdfescape.pdf")), None)
    if path is None:
        pytest.skip("the shared corpus is absent")
    text = read_document(path.read_bytes(), PipelineOptions(ocr="off")).pages[1]
    assert "⟨string⟩" in text and "hstringi" not in text


@pytest.mark.parametrize("unit_fonts", [False, True])
def test_accents_drawn_apart_from_their_letters_are_put_on_them(unit_fonts: bool) -> None:
    """A font without accented letters (TeX's OT1, Polish and Czech fonts) draws each accent as a glyph of its own,
    and PDFium may list it a word or a line away: "tre ´´ sc" for "treść". Each accent goes on the letter it is
    drawn over (a cedilla or an ogonek under), in the text and in the title, on a page whose text PDFium gives
    shorter than its list of characters too (the math italic "𝑥" is two of them). A space PDFium made up beside one
    goes where the letters either side touch, not where they are a word apart, and a line it made up for one goes.
    A backtick of code is over no letter and stays, as do a tilde under a "j" of the line above, a cedilla over a
    letter and a caret over an "é"; an emphasis dot over a Chinese character goes. `unit_fonts`: every size is the
    text matrix's."""

    def at(index: int, size: float = 11.0) -> float:  # where the character at `index` of a run from x = 50 is
        return 50.0 + index * size * COURIER_ADVANCE

    runs = [(50.0, 760.0, "Zrodla wiedzy", 24.0), (at(2, 24.0), 760.0, "\u00b4", 24.0)]
    # PDFium lists the accents of the first "treść" after "tre" of the second, the second's at the line's end.
    runs += [(50.0, 700.0, "\U0001d465 tresc punktu, tre", 11.0), (at(6), 700.0, "\u00b4", 11.0),
             (at(19), 700.0, "sc", 11.0), (at(5), 700.0, "\u00b4", 11.0), (at(20), 700.0, "\u00b4", 11.0),
             (at(19), 700.0, "\u00b4", 11.0)]
    runs += [(50.0, 686.0, "najczesciej uzywane; run `make`", 11.0), (50.0, 672.0, "Zdefiniuj tytul", 11.0),
             (at(6), 662.0, "H.~Partl", 11.0), (50.0, 648.0, "pyta", 11.0), (at(5), 648.0, "n", 11.0),
             (at(5), 648.0, "\u00b4", 11.0), (at(7), 648.0, "dwa", 11.0)]
    runs += [(at(5), 686.0, "\u02db", 11.0), (at(6), 686.0, "\u00b4", 11.0), (at(13), 686.0, "\u02d9", 11.0)]
    # Raised, an accent is listed between the words before its own, with a space on each side.
    runs += [(50.0, 634.0, "pyta ", 11.0), (at(12), 638.0, "\u00b4", 11.0), (at(5), 634.0, "dwa TRESC", 11.0)]
    runs += [(50.0, 620.0, "sac \u7f8e", 11.0), (at(2), 628.0, "\u00b8", 11.0), (at(4), 620.0, "\u02d9", 11.0)]
    # Drawn large from a lower baseline, an umlaut is listed on a line of its own.
    runs += [(50.0, 606.0, "die", 11.0), (at(1) - 19 * COURIER_ADVANCE / 2, 592 + 5.5 - 0.52 * 30, "\u00a8", 30.0),
             (50.0, 592.0, "munter", 11.0)]
    runs += [(50.0, 578.0, "x = ^", 11.0), (at(4), 578.0, "\u00e9", 11.0)]  # OT1 has no "é" to put a "^" on
    # Raised, OT1's grave is listed words away: over a capital, or alone between spaces.
    runs += [(50.0, 564.0, "FACOLTA DI ", 11.0), (at(6), 566.0, "`", 11.0), (at(11), 564.0, "SCIENZE", 11.0)]
    runs += [(50.0, 550.0, "au vingtieme ", 11.0), (at(9), 551.0, "`", 11.0), (at(13), 550.0, "siecle", 11.0)]
    text = read_document(pdf_of_runs(runs, unit_fonts=unit_fonts), PipelineOptions(ocr="off"))
    # The cedilla (NFKC reads it " ̧") stays, listed on the line of "sac" or on one of its own; no "ç" is made.
    assert "\u00e7" not in text.pages[0] and "\u0307" not in text.pages[0]
    page = text.pages[0].replace("\u7f8e  \u0327", "\u7f8e")
    assert [line for line in page.rstrip("\n").split("\n") if line != " \u0327"] == [
        "Zródla wiedzy", "x treść punktu, treść", "najczęściej używane; run `make`", "Zdefiniuj tytul",
        "H.~Partl", "pyta ń dwa", "pyta dwa TREŚC", "sac \u7f8e", "die", "münter", "x = ^é",
        "FACOLTÀ DI SCIENZE", "au vingtième siecle"]
    assert text.title == "Zródla wiedzy"


def test_a_dot_of_upside_down_text_or_by_a_chinese_character_makes_no_mark() -> None:
    """Upside down, a dot drawn over a "z" lies under it on the page: it stands for no "ẓ". A dot over or under a
    Chinese character marks emphasis, which no combining mark stands for: it goes."""
    advance = 11 * COURIER_ADVANCE
    turned = pdf_of_runs([(400.0, 540.0, "uzywane", 11.0), (400.0 - advance, 540.0, "\u02d9", 11.0)],
                         turned=frozenset({0, 1}))
    page = read_document(turned, PipelineOptions(ocr="off")).pages[0]
    assert "\u0323" not in unicodedata.normalize("NFD", page), page
    for below in (0.0, 6.0):
        runs = [(50.0, 620.0, "ab \u7f8e cd", 11.0), (50.0 + 3 * advance, 620.0 - below, "\u02d9", 11.0)]
        assert read_document(pdf_of_runs(runs), PipelineOptions(ocr="off")).pages[0] == "ab \u7f8e cd"


def test_no_born_digital_corpus_page_is_sent_to_ocr() -> None:
    paths = good_corpus(limit=1000)
    if not paths:
        pytest.skip("the shared corpus is absent")
    for path in paths:
        text = read_document(path.read_bytes(), PipelineOptions(ocr="auto", ocr_languages=("none",)))
        assert "ocr_unavailable" not in text.warnings, path.name  # no page asked for OCR


def test_titles_hold_no_controls_nor_characters_that_show_as_no_letter() -> None:
    """A font mapping glyphs to controls, private-use code points or U+FFFD put them in the title as they were:
    "Graph\\x07Neural \\x1bNetworks", "Graph \\ue000\\ufffd Neural"; metadata held a bell and a NUL."""
    page_title = pdf_bytes(["Graph\x07Neural \x1bNetworks\n" + "Body text about graph networks.\n" * 3],
                           heading_size=24)
    assert analyze_pdf_bytes(page_title).title == "Graph Neural Networks"
    metadata = pdf_bytes(["Body text about graph networks.\n" * 4], title="Graph\x07\x00 Networks")
    assert analyze_pdf_bytes(metadata).title == "Graph Networks"
    assert analyze_text("Graph \ue000\ufffd Neural Net\U000f0000works\n\nBody text.").title == "Graph Neural Networks"
    assert readable_title("\x1b[31m\ue000 \ufffd") == "[31m"
    assert readable_title("\ue000\ufffd \x00") is None
    assert readable_title("  Plain   title ") == "Plain title"


def analyze_pdf_bytes(data: bytes) -> DocumentResult:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(data)
        return analyze_pdf(path, PipelineOptions(ocr="off"))


@pytest.mark.parametrize("text", [
    "x" * 5000 + "\nBody text.",
    "Title" + " " * 5000 + "end\nBody text.",
    "ab\u0002\n" * 5000,  # soft hyphens join every line into one word
])
def test_a_first_line_far_longer_than_a_title_is_no_title_of_a_text(text: str) -> None:
    assert analyze_text(text).title is None


def test_a_wrapped_title_of_a_text_stops_short_of_a_title_s_length() -> None:
    assert analyze_text("A study of\n" + "lowercase words " * 30 + "\n\nBody text.").title == "A study of"


def test_a_title_line_beyond_the_bmp_has_its_size() -> None:
    # Linear B, read char by char: two UTF-16 halves a character, neither of them alphabetic.
    assert _line("\ud800\udc00\ud800\udc01", [("\ud800", 20.0), ("\udc00", 20.0)], 0.0).size == 20.0


def test_a_watermark_across_page_one_is_no_title() -> None:
    """"DRAFT" in 90 pt at 45° over the top of the page was larger than the title, and became it."""
    page = pdf_bytes(["Graph Neural Networks for Molecules\n" + "Body text about graph networks.\n" * 6],
                     heading_size=20)
    for turn, title in ((45.0, "Graph Neural Networks for Molecules"), (0.0, "DRAFT")):  # level, it is a heading
        data = stamped(page, "DRAFT", size=90.0, at=(150.0, 450.0), turn=turn)
        assert analyze_pdf_bytes(data).title == title


def test_a_drop_cap_does_not_make_its_line_a_title() -> None:
    letters = [("T", 48.0), ("h", 11.0), ("s", 11.0), ("y", 11.0)]
    assert _line("The study of molecules with graphs", letters, 0.0).size == 11.0
    assert _line("The Title", [("T", 20.0), ("h", 20.0), ("T", 20.0)], 0.0).size == 20.0


def test_a_document_without_pages_is_corrupt_with_a_message_that_says_why() -> None:
    """PDFium refuses a page tree of no pages and names no error: its last error stands, so the message read
    "(PDFium: Success)"; after an encrypted file in the same worker the file failed as `encrypted`, and after a
    corrupt one it said "Data format error"."""
    for before, reason in ((None, ""), (_encrypted("password"), "encrypted"), (b"%PDF-1.4 garbage", "corrupt_pdf")):
        if before is not None:
            with pytest.raises(PipelineError) as earlier:
                analyze_pdf_bytes(before)
            assert earlier.value.reason == reason
        with pytest.raises(PipelineError) as caught:
            analyze_pdf_bytes(pdf_bytes([]))
        assert caught.value.reason == "corrupt_pdf"
        assert "Success" not in caught.value.message and "without pages" in caught.value.message


def test_letters_set_in_dingbats_are_garbage_and_a_checklist_is_not() -> None:
    """A font mapping letters to dingbats passed: its symbols were no bad characters, and the vowel-less test
    counts ASCII words only ("✾ ❊①♣❧♦r❛t♦r② ❞❛t❛ ❛♥❛❧②s✐s" is "9 Exploratory data analysis")."""
    assert verdict(LayerPage("✾ ❊①♣❧♦r❛t♦r② ❞❛t❛ ❛♥❛❧②s✐s ✶✼\n" * 6)) == "garbage"
    checklist = "\n".join(f"✓ Step {n}: install the package and check the configuration file." for n in range(8))
    assert verdict(LayerPage(checklist)) == "ok"
    # Five such words among fewer than 17 are enough; four are not, whatever else the page holds.
    assert verdict(LayerPage("❊①♣❧♦r❛t♦r② " * 5 + "plain words here " * 3)) == "garbage"
    assert verdict(LayerPage("❊①♣❧♦r❛t♦r② " * 4 + "✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓")) == "ok"


def test_metadata_naming_lines_set_large_below_a_larger_masthead_wins() -> None:
    """A journal's masthead set larger than the title ("JSS Journal of Statistical Software" at 28 pt) was taken
    for it, though the metadata named the 17 pt lines below."""
    lines = [Line("JSS Journal of Statistical Software", 27.9, 112.0), Line("July 2008, Volume 27", 10.0, 130.0),
             Line("Automatic Time Series Forecasting:", 17.2, 221.0), Line("the forecast Package for R", 17.2, 244.0),
             Line("Rob J Hyndman", 10.0, 290.0),
             *[Line(f"Abstract line {n} of the paper in the body size.", 10.0, 350.0 + 12 * n) for n in range(4)]]
    metadata = "Automatic Time Series Forecasting: the forecast Package for R"
    assert choose_title(metadata, lines, []) == metadata
    # Metadata naming no large line, or naming the title's own subtitle, leaves the page's title.
    assert choose_title("Some other report", lines, []) == "JSS Journal of Statistical Software"
    subtitle = [Line("The amsgen package", 20.0, 100.0), Line("Generic commands for AMS packages", 14.0, 125.0),
                *[Line(f"Body line {n} of the text.", 10.0, 160.0 + 12 * n) for n in range(4)]]
    found = choose_title("Generic commands for AMS packages", subtitle, [])
    assert found is not None and found.startswith("The amsgen package")


def test_a_metadata_title_holding_a_hyperref_option_is_no_title() -> None:
    assert plausible_metadata("LaTeX-package for reading git commit info for specific files pdfsubject=") is None
    assert plausible_metadata("Setting pdf subject lines") == "Setting pdf subject lines"


def test_a_metadata_title_in_utf8_read_as_latin1_is_read_again() -> None:
    assert plausible_metadata("Le dahut - PrÃ©cis de zoologie") == "Le dahut - Précis de zoologie"
    assert plausible_metadata("SÃO PAULO em nÃºmeros") == "SÃO PAULO em nÃºmeros"  # not valid UTF-8 read back


# Hindi, and the same text as a font whose glyphs map to wrong code points gives it: conjuncts as Cyrillic, Greek
# or Latin letters ("लर्निंग" as "लЭनंग"), the vowel sign "ि" before its consonant (visual order).
_HINDI = (
    "मशीन लर्निंग कृत्रिम बुद्धि की एक शाखा है। तंत्रिका नेटवर्क बड़े डेटा से सीखते हैं और चित्रों को पहचानते हैं।\n"
    "गहरी सीख के मॉडल भाषा का अनुवाद करते हैं और आवाज़ को पाठ में बदलते हैं। शोधकर्ता नए मॉडल बनाते हैं\n"
    "जो कम ऊर्जा में अधिक सटीक परिणाम देते हैं। तंत्रिका नेटवर्क के प्रशिक्षण में समय लगता है।\n"
)
_GARBLED = {"लर्निंग": "लЭनंग", "कृत्रिम": "कृΧिम", "बुद्धि": "बुŲि", "नेटवर्क": "नेटवκक", "चित्रों": "िचΘों",
            "प्रशिक्षण": "ФिशЭण", "शोधकर्ता": "शोधकϋता", "ऊर्जा": "ऊЙजा"}


def _garbled_hindi() -> str:
    text = _HINDI
    for word, garbled in _GARBLED.items():
        text = text.replace(word, garbled)
    return text


def test_a_layer_with_words_garbled_across_scripts_is_garbled_not_garbage_nor_ok() -> None:
    assert verdict(LayerPage(_HINDI)) == "ok"
    assert verdict(LayerPage(_garbled_hindi())) == "garbled"
    assert garbled_script(_garbled_hindi()) == "Devanagari"
    # Visual order alone: words that open with their vowel sign.
    visual = " ".join(f"ि{consonant}म" for consonant in "कखगचजटडतदनपबमयरलवस") + " " + _HINDI
    assert verdict(LayerPage(visual)) == "garbled"
    # A font's table of its vowel signs, standing alone, is no garbled word; nor are two words with the space
    # between them lost ("counterजवळ"), Latin letters in Japanese and Korean words, nor look-alike letters.
    signs = " ".join("ा ि ी ु ू ृ े ै ो ौ ं ः ्".split() * 3) + " " + _HINDI
    assert verdict(LayerPage(signs)) == "ok"
    joined = " ".join(["counterजवळ", "setdefaultlanguageऐवजी", "علىLive"] * 4) + " " + _HINDI
    assert verdict(LayerPage(joined)) == "ok"
    assert verdict(LayerPage("Tシャツを買いました。X선 검사를 받았습니다. " * 10)) == "ok"
    assert verdict(LayerPage("Особливостi етiологiї в Українi, вiсник унiверситету. " * 6)) == "ok"
    # The share decides: 5 garbled words of 60 is under a tenth, 7 of 60 over it; and five words at least.
    words = _HINDI.split()[:55]
    assert verdict(LayerPage(" ".join(words + ["लЭनंग"] * 5))) == "ok"
    assert verdict(LayerPage(" ".join(words[:53] + ["लЭनंग"] * 7))) == "garbled"
    assert verdict(LayerPage(" ".join(words[:30] + ["लЭनंग"] * 4))) == "ok"  # over a tenth, but four words
    assert verdict(LayerPage(" ".join(words[:30] + ["लЭनंग"] * 5))) == "garbled"


@pytest.mark.parametrize("text", [
    "设α为实数，令ε大于零。其中λ是拉格朗日乘子，μ是均值。我们使用Linux系统和Python语言进行实验。",  # a clause a word
    "α線とβ線とγ線は放射線の一種である。Linuxのカーネルは、Tシャツの絵とは関係がない。",
    "α선과 β선, γ선은 방사선이다. Linux를 설치하고 Python으로 실험한다. X선 검사를 받았다.",
    "เราใช้ระบบLinuxของมหาวิทยาลัย และภาษาPythonในการทดลอง ค่าαและβถูกกำหนดไว้",  # Thai: no spaces
    "xএর মান ৫ হলে yএর মান ১০ হবে। nএর জন্য এটি সত্য। zএর মান শূন্য। aএর মান এক।",  # a variable and its suffix
    "وLinux وWindows وmacOS أنظمة تشغيل. بPython وبJava نكتب البرامج. لGNOME واجهة رسومية.",  # "and", "with"
    "וWindows וLinux הן מערכות הפעלה. בPython ובJava כותבים תוכנות. לGNOME יש ממשק גרפי.",
])
def test_words_of_scripts_written_together_as_languages_do_are_not_garbled(text: str) -> None:
    assert verdict(LayerPage(text * 3)) == "ok"
    assert garbled_script(text * 3) is None


def test_a_garbled_layer_stands_without_ocr_data_of_its_script_and_its_garbled_words_make_no_concepts(
        tmp_path: Path) -> None:
    if tessdata.reads_script("Devanagari", PipelineOptions().ocr_languages, None):
        pytest.skip("this machine has OCR data of Devanagari: the page would be read with OCR")
    garbled = pdf_with_text_layer(_garbled_hindi())
    document = read_document(garbled, PipelineOptions())
    assert "garbled_text_kept" in document.warnings
    assert "गहरी सीख के मॉडल भाषा का अनुवाद" in document.pages[0]  # the layer stands, with its good words
    assert not document.ocr_pages
    path = tmp_path / "garbled.pdf"
    path.write_bytes(garbled)
    result = analyze_pdf(path)
    names = [concept.name for concept in result.concepts]
    assert names and not any(word in name for name in names for word in _GARBLED.values())
    assert all(one_system(word) for name in names for word in name.split())
    plain = read_document(pdf_with_text_layer(_HINDI), PipelineOptions())
    assert "garbled_text_kept" not in plain.warnings


def test_a_garbled_page_is_read_with_ocr_where_data_of_its_script_is_installed(tmp_path: Path) -> None:
    """The choice of pages only: the data files here are empty placeholders (no Devanagari data is installed on
    this machine to read one with), so no OCR runs. Data of the script is used when script detection is installed
    to switch to it, or when it is among `ocr_languages`, read first (Gujarati, which script detection does not
    tell, only so)."""
    layer = [LayerPage(_garbled_hindi()), LayerPage(_HINDI)]
    verdicts = [verdict(page) for page in layer]
    assert verdicts == ["garbled", "ok"]
    folders = {name: tmp_path / name for name in ("hin-osd", "hin", "osd", "guj-osd")}
    for name, folder in folders.items():
        folder.mkdir()
        for data in name.split("-"):
            (folder / f"{data}.traineddata").write_bytes(b"")
    assert _ocr_wanted(verdicts, layer, PipelineOptions(tessdata_dir=str(folders["hin-osd"]))) == [0]
    planned = PipelineOptions(tessdata_dir=str(folders["hin"]), ocr_languages=("eng", "hin"))
    assert _ocr_wanted(verdicts, layer, planned) == [0]
    assert tessdata.reads_script("Gujarati", ("guj",), str(folders["guj-osd"]))
    assert not tessdata.reads_script("Gujarati", ("eng",), str(folders["guj-osd"]))
    if not tessdata.reads_script("Devanagari", PipelineOptions().ocr_languages, None):  # this machine's own data
        assert _ocr_wanted(verdicts, layer, PipelineOptions(tessdata_dir=str(folders["osd"]))) == []
        if tessdata.script_data(None) is None:  # no script detection elsewhere on this machine to switch to "hin"
            assert _ocr_wanted(verdicts, layer, PipelineOptions(tessdata_dir=str(folders["hin"]))) == []


def test_a_garbled_first_page_not_read_with_ocr_keeps_its_lines_for_the_title() -> None:
    lines = [Line("तंत्रिका नेटवर्क", 20.0, 50.0), *(Line("मशीन लर्निंग की एक शाखा", 10.0, 100.0 + i) for i in range(3))]
    layer = [LayerPage(_garbled_hindi(), top_lines=tuple(lines))]
    assert _title_lines(layer, ["garbled"], _OcrRun()) == (lines, False)
    read = _OcrRun(texts={0: "read"}, first_lines=(Line("read", 12.0, 40.0),))
    assert _title_lines(layer, ["garbled"], read) == ([Line("read", 12.0, 40.0)], True)


def test_look_alike_letters_of_another_script_are_read_as_the_words_own() -> None:
    assert clean_page("Особливостi етiологiї в Українi", "uk") == "Особливості етіології в Україні"
    # Cyrillic "і" in Latin words, in a Ukrainian text ("lshort-ukr"); not in an English one, whose Greek letters
    # in Latin words are symbols.
    assert clean_page("begіn, Wіndows, ASCІІ", "uk") == "begin, Windows, ASCII"
    assert clean_page("begіn, Wіndows", None) == "begin, Windows"
    assert clean_page("begіn, Wіndows", "en") == "begіn, Wіndows"
    assert clean_page("1 jануар, КЗIО", "sr") == "1 јануар, КЗІО"
    assert clean_page("кoмпьютер", "uz") == "компьютер"  # Uzbek in Cyrillic
    assert clean_page("ΑΘΗΝΑ and Ελληνικά ΚΑΙ ΤΟ ΝEΟ", "el") == "ΑΘΗΝΑ and Ελληνικά ΚΑΙ ΤΟ ΝΕΟ"
    assert clean_page("Cистема, λόγoς", "ru") == "Система, λόγος"  # a Latin capital; Greek Extended's "ό"
    # A letter with no look-alike keeps the word as written, and so does a word of as many letters of each, an
    # acronym written onto a word, and a Latin "s" (Cyrillic "ѕ" is Macedonian's alone).
    for kept in ("Яndex", "10 μmol", "χPP", "іv", "Ωcm", "β-catenin", "Windows і Linux", "IPадрес", "SIMкарта",
                 "Sистема"):
        assert clean_page(kept, "ru") == kept
    # The repaired word is the word: its concepts are those of the text written right.
    written_right = "Особливості етіології хвороби. Особливості етіології вивчали в Україні."
    mixed = written_right.replace("і", "i")
    assert [c.name for c in analyze_text(mixed).concepts] == [c.name for c in analyze_text(written_right).concepts]
