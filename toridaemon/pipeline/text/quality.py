"""Whether a page's text layer is usable, or the page needs OCR. Cheap: a few passes over the page text.

A page needs OCR when it has (almost) no characters and an image covers most of it (a scan), or only a line or
two covering under 1 % of it over an image covering it whole (stamped: "Scanned by CamScanner", a Bates number;
the OCR text then gets the stamp's lines it did not read), or when
its text is garbage: replacement or private-use characters (fonts without a usable Unicode mapping),
`(cid:N)` codes, an implausible share of vowel-less words ("st sq ZT SST"), or letters set in dingbats; a
page mostly in fonts PDFium flags as without a Unicode map, unless its text reads as words of a language
(`reads_as_words`). Invisible text over a page image (an earlier OCR) is kept unless it is garbage. A page whose
words are garbled by a font mapped wrong in their script ("मŲ", "الAbب") or open with a vowel sign (visual
order) is garbled: OCR reads it where data of that script is installed, else its text stands, the concept engine
skipping those words.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Literal

import regex

from toridaemon.pipeline.language import detect_language
from toridaemon.pipeline.language.scripts import garbled, runs
from toridaemon.pipeline.text.clean import C1_UNDEFINED, known_words
from toridaemon.pipeline.text.extract import FEW_CHARS, STAMP_CHARS, STAMP_SHARE, LayerPage, visible_chars

Verdict = Literal["ok", "empty", "scan", "stamped", "garbage", "garbled"]

_SCAN_COVERAGE = 0.5
_STAMPED_COVERAGE = 0.9  # a scanner's image covers the page whole; a figure with its caption, less
_MAX_BAD_SHARE = 0.05
_MAX_UNMAPPED_SHARE = 0.3  # the shared corpus peaks at 3 % (a stray symbol glyph)
_MAX_VOWELLESS_SHARE = 0.6  # TeX macro listings reach 0.5; unmapped fonts far more
_MIN_WORDS = 20
_MIN_READING_WORDS = 10
_MIN_KNOWN_SHARE = 0.6
_MIN_DINGBAT_WORDS = 5
_MAX_DINGBAT_SHARE = 0.3
_LETTER_WORD = regex.compile(r"\p{L}{2,}")
_LETTER = regex.compile(r"\p{L}")
_SYMBOL = regex.compile(r"\p{So}")  # "other symbols": dingbats, ✓, ©
_SAMPLE_CHARS = 2000
_CID = re.compile(r"\(cid:\d+\)")
# Words garbled by a font whose glyphs map to wrong code points (`language.scripts.garbled`: "मŲ", "आЭण", "الAbب"),
# and words that open with a vowel sign of their script, which always follows its consonant: a text layer in visual
# order ("िमस" for "मिस", Bengali "েলখ"). 144 pages of texlive's Arabic, Persian, Marathi, Hindi and Bengali manuals
# hold 10 to 92 % of them; the other pages of those packages and of the shared corpus under 10 % (Middle Korean's
# tone marks written before their syllables 9 %), most none.
_MAX_GARBLED_SHARE = 0.1
_MIN_GARBLED_WORDS = 5
_LETTER_RUN = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}\u200c\u200d]*")
_VOWEL_SIGN_FIRST = regex.compile(r"[^\p{sc=Inherited}\p{sc=Common}]")  # a mark of its script: no accent
_LATIN_GREEK_CYRILLIC = re.compile("[^\x00-\u052f\u2000-\u206f]")  # a character outside them: maybe garbled
# Private-use areas, the replacement character, C0 controls other than layout ones (PDFium's soft hyphen
# U+0002 is layout) and the C1 controls Windows-1252 writes nothing with: an unmapped font's glyph codes. (The
# other C1 controls are a Latin-1 mapping's cp1252 quotes and dashes, which the cleaning reads as such.)
_BAD_CHARS = re.compile(f"[\ue000-\uf8ff\ufffd\U000f0000-\U0010ffff\x00\x01\x03-\x08\x0b\x0e-\x1f{C1_UNDEFINED}]")
_LATIN_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
_CONSONANT = "[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]"
# A whole word of two consonants or more: `\b` written after the first consonant, as a look back at the
# character before it, so that the expression starts with a character class and `re` skips ahead to the next
# consonant instead of trying the word boundary at every position (a fifth less time on the corpus pages).
_VOWELLESS_WORD = re.compile(rf"{_CONSONANT}(?<!\w.){_CONSONANT}+\b")


def verdict(page: LayerPage) -> Verdict:
    """ok, empty (blank page), scan (little text, a page-sized image), stamped (a scan carrying a stamp in real
    text), garbage (text not worth reading) or garbled (words of a script in a font mapped wrong among good ones:
    worth OCR where its script can be read, else worth reading without them, `garbled_script`)."""
    visible = visible_chars(page.text)
    if visible < FEW_CHARS:
        return "scan" if page.image_coverage >= _SCAN_COVERAGE else ("empty" if visible == 0 else "ok")
    if visible <= STAMP_CHARS and page.text_share <= STAMP_SHARE and page.image_coverage >= _STAMPED_COVERAGE:
        return "stamped"  # a stamp over a page image: "Scanned by CamScanner", "CONFIDENTIAL ACME-000123"
    if page.unmapped_share > _MAX_UNMAPPED_SHARE and not reads_as_words(page.text):
        return "garbage"
    if is_garbage(page.text, visible):
        return "garbage"
    return "garbled" if garbled_script(page.text) is not None else "ok"


def _dingbat_words(sample: str) -> bool:
    """Whether the sample's words are letters set in dingbats ("❊①♣❧♦r❛t♦r② ❞❛t❛ ❛♥❛❧②s✐s"): a font whose codes
    are not its glyphs' letters mixes both in a word. Symbols standing alone (a syntax diagram's arrows, a
    checklist's ticks, "©") are no such words."""
    if len(_SYMBOL.findall(sample)) < _MIN_DINGBAT_WORDS:  # each such word holds a symbol: too few to have them
        return False
    words = mixed = 0
    for token in sample.split():
        if len(token) < 2:
            continue
        symbol, letter = _SYMBOL.search(token) is not None, _LETTER.search(token) is not None
        words += symbol or letter
        mixed += symbol and letter
    return mixed >= _MIN_DINGBAT_WORDS and mixed > _MAX_DINGBAT_SHARE * words


def reads_as_words(text: str) -> bool:
    """Whether most words of (a sample of) the text are common words of the language detected on it. PDFium
    flags every character of a font without a Unicode map, and pdfTeX's bitmap fonts (Type 3) have none, yet
    their codes are the letters: such pages read "xts: Extensible Time Series". A font whose codes are not the
    letters gives no language's words."""
    sample = text[:_SAMPLE_CHARS]
    words = _LETTER_WORD.findall(sample.lower())
    if len(words) < _MIN_READING_WORDS:
        return False
    code = detect_language(sample)
    known = known_words(code) if code is not None else frozenset()
    return bool(known) and sum(word in known for word in words) >= _MIN_KNOWN_SHARE * len(words)


def garbled_script(text: str) -> str | None:
    """For a page whose words are garbled or open with a vowel sign (a sample of it, `_MAX_GARBLED_SHARE`), the
    script of most of those words' letters other than Latin ones (`language.scripts.script`); None for another."""
    sample = text[:_SAMPLE_CHARS]
    if _LATIN_GREEK_CYRILLIC.search(sample) is None:  # nothing but Latin, Greek and Cyrillic: no garbled word
        return None
    words, bad = 0, []
    for word in _LETTER_RUN.findall(sample):
        words += 1
        if word.isascii():
            continue
        if unicodedata.category(word[0])[0] == "M":  # a lone sign is none (a font's table of them)
            if _VOWEL_SIGN_FIRST.match(word) is not None and _LETTER.search(word) is not None:
                bad.append(word)
        elif garbled(word):
            bad.append(word)
    if len(bad) < _MIN_GARBLED_WORDS or len(bad) <= _MAX_GARBLED_SHARE * words:
        return None
    letters: Counter[str] = Counter()
    for word in bad:
        for name, count in runs(word):
            if name != "Latin":
                letters[name] += count
    return letters.most_common(1)[0][0] if letters else None


def is_garbage(text: str, visible: int) -> bool:
    # A sample of the page decides: a font's garbage is everywhere it is used, and reading the whole of
    # every page would make the decision cost as much as the cleaning.
    sample = text[:_SAMPLE_CHARS]
    bad = len(_BAD_CHARS.findall(sample))
    if not sample.isascii() and _dingbat_words(sample):
        return True
    if "(cid:" in sample:  # a substring search is far cheaper than the regex on pages without codes
        bad += 6 * len(_CID.findall(sample))
    if bad > _MAX_BAD_SHARE * min(visible, len(sample)):
        return True
    # Counted first: few vowel-less words cannot reach the share of the fewest words that count (most
    # pages end here), so the costlier count of all words is made only for suspect pages.
    vowelless = len(_VOWELLESS_WORD.findall(sample))
    if vowelless <= _MAX_VOWELLESS_SHARE * _MIN_WORDS:
        return False
    words = len(_LATIN_WORD.findall(sample))
    return words >= _MIN_WORDS and vowelless > _MAX_VOWELLESS_SHARE * words
