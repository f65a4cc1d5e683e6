"""A clean text layer before sections and concepts.

Per page: glyph codes a font gives as control or private-use characters read as the ligatures or OT1 letters
that make known words, soft hyphens joined (U+00AD and PDFium's U+0002 at a line end), accents extracted as
separate characters put back on their letters, NFKC normalisation, look-alike letters of another script read as the
word's own in Cyrillic and Greek text ("Українi", `look_alikes`), the XeTeX logos read as their names, and ligatures a
font lost ("coe cients", " oating") repaired where the joined word is a known word of the document's language.
Across pages: running headers, footers and page numbers (lines repeated at the same place on most pages) dropped.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from itertools import islice, product

import ahocorasick
import regex
import wordfreq

from toridaemon.pipeline.language.resources import word_shares
from toridaemon.pipeline.language.unspaced import composed
from toridaemon.pipeline.text.accents import SPACING_ACCENTS
from toridaemon.pipeline.text.look_alikes import read_look_alikes

# PDFium marks a hyphen at a line end as U+0002 or U+FFFE (by version) and may already join the lines.
SOFT_HYPHENS = ("\u00ad", "\u0002", "\ufffe")
_SOFT_HYPHEN = re.compile(f"[{''.join(SOFT_HYPHENS)}][ \t]*\n?[ \t]*(.?)")
# TeX's OT1 fonts set the grave, circumflex and tilde accents at the ASCII codes of "`", "^" and "~"
# ("Universit`a"): such a mark before a letter is put on it where that makes a known word, and only at a word's
# start or inside a word, not after another mark (TeX quotes: "``a"). The marks are searched for, and the letters
# around each read from there: a pattern that opens with the letters would be tried at every position.
_ASCII_MARKS = "`^~"
_ASCII_ACCENT = re.compile(rf"[{_ASCII_MARKS}](?=[A-Za-z\u0131])")  # TeX accents an "i" set dotless ("ma^ıtre")
_LETTERS_BEFORE = regex.compile(r"(?r)[^\W\d_]*")
_LETTERS_AFTER = regex.compile(r"[^\W\d_]*")
_NOT_A_WORD_START = _ASCII_MARKS + "_\\"  # after a mark, or TeX's own accent command ("\\`a", "\\^o")
_COMMON_ZIPF = 5.0  # a one-letter word made so must be this common ("à", "è"), not "â" of "grep ^a"
_ACCENT_BEFORE = re.compile("([\u00b4\u00a8\u02c6\u02dc\u00b8\u02da\u02c7\u02d8\u02d9\u02dd\u02db])([A-Za-z\u0131])")
_ANY_ACCENT = re.compile("[\u00b4\u00a8\u02c6\u02dc\u00b8\u02da\u02c7\u02d8\u02d9\u02dd\u02db\u0300-\u036f]")
# Tried only at the first mark of a run: from inside a run the greedy repeat would be re-scanned at every mark.
_COMBINING_BEFORE = re.compile("(?<![^\\W\\d_])(?<![\u0300-\u036f])([\u0300-\u036f]+)([A-Za-z])")
_WORD = re.compile(r"([^\W\d_]+)")
# Tried only at a word start: from inside a word the greedy run would be re-scanned at every letter (quadratic).
_LINE_END_HYPHEN = re.compile(r"(?<![^\W\d_])([^\W\d_]+)-\n[ \t]*([^\W\d_]+)")
_LIGATURES = ("ffi", "ffl", "ff", "fi", "fl")
_PAGE_NUMBER = re.compile(r"^\W*((page|p\.|seite)\s*)?(\d{1,4}|[ivxlc]{1,6})(\s*(/|of|von)\s*\d{1,4})?\W*$",
                          re.IGNORECASE)
_EDGE_LINES = 3
_DIGITS = re.compile(r"\d+")
_LIGATURE_EVIDENCE = 3  # distinct fragments in the opening pages that turn the repair on
_MIN_PAGES_FOR_RUNNING = 3
_RUNNING_SHARE = 0.5
# Unicode's Stream-Safe Text Format (UAX #15): a combining grapheme joiner after every 30 marks of a longer run.
# CPython (3.11) orders a run of combining marks by insertion sort when it normalises: 200,000 marks of two
# classes took a minute. No writing system stacks that many marks on one letter. The halfwidth katakana voiced
# marks (U+FF9E, U+FF9F) are letters that NFKC turns into combining marks: they count too.
_MARKS = r"[\p{M}\uff9e\uff9f]"
_LONG_MARK_RUN = regex.compile(_MARKS + "{30}(?=" + _MARKS + ")")
_GRAPHEME_JOINER = "\u034f"
# Characters that are neither marks nor format characters: ASCII and Latin-1 but the soft hyphen, the Latin Extended
# letters and spacing modifiers, General Punctuation's dashes, quotes and primes. Most Latin-script text holds no
# other, and `re` tells so in a quarter of the time `regex` takes to look for a run of marks or an invisible
# character (tests/test_text_layer.py checks that no mark or format character is among them).
_UNMARKED = "\x00-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e"
_MARKED = re.compile(f"[^{_UNMARKED}]")
# C1 control characters (U+0080-U+009F): no text is written in them. A font whose mapping reads its codes as
# Latin-1 gives Windows-1252's punctuation there ("don\x92t", "1990\x962000", "state\x97of\x97the\x97art"): they are
# read as cp1252 writes them, as ftfy does; the five codes cp1252 leaves undefined are dropped.
_C1_CONTROL = re.compile("[\x80-\x9f]")
_C1_AS_CP1252 = {code: bytes([code]).decode("cp1252", "ignore") for code in range(0x80, 0xA0)}
C1_UNDEFINED = "".join(chr(code) for code, char in _C1_AS_CP1252.items() if not char)  # an unmapped font's codes
# A font whose ligatures have no text mapping gives their glyph codes, control characters: T1 fonts set ff, fi, fl,
# ffi and ffl at 0x1B-0x1F, other fonts elsewhere ("de\x1cnes", "o\x1ders"; one texlive manual in twenty). Python
# reads several of them as line ends and spaces, so they cut words apart ("nes"). Not read: U+0002, PDFium's mark
# of a hyphen at a line end, and 0x0D (OT1's fl), which the text layer makes a line end.
# Private-use code points (U+E000-U+F8FF) are read alike, from more ligatures: where an OpenType font's ligatures
# have no text mapping, xdvipdfmx writes their glyphs' private codes ("\ue049is pa\ue03aage", Linux Libertine's Th
# and ck: "pa" was a concept, "e tikzpfeile Paage" a title).
_PRIVATE_LIGATURES = (*_LIGATURES, "ft", "st", "ct", "ch", "ck", "Th", "tt")
_PRIVATE_USE = "\ue000"  # the first private-use code point: the codes from here on are private-use ones
_CODES = "[\x01\x03-\x08\x0b\x0c\x0e-\x1f\ue000-\uf8ff]"
_CONTROL = re.compile(_CODES)
# What any of `_CONTROL`, `_C1_CONTROL` and `_ANY_ACCENT` finds, in one pass: most pages hold none of them.
_REPAIRABLE = re.compile(
    "[" + "".join(pattern[1:-1] for pattern in (_CODES, _C1_CONTROL.pattern, _ANY_ACCENT.pattern)) + "]"
)
# Tried only at a word start: from inside a word the greedy run would be read again at every letter (quadratic).
_CONTROL_WORD = re.compile(rf"(?<![^\W\d_])[^\W\d_]*(?:{_CODES}[^\W\d_]*)+")
# Other readings of a code: the letters and accents of TeX's OT1 fonts (an accent is set before its letter). A
# Danish "\x1cst" is "øst" and a Spanish "\x13esta" is "ésta", not "fist" and "fiesta".
# TeX accents an i or a j set dotless (0x10, 0x11): read as the letter, the accent goes on it.
_OT1_LETTERS = {"\x10": "i", "\x11": "j", "\x19": "ß", "\x1a": "æ", "\x1b": "œ", "\x1c": "ø", "\x1d": "Æ",
                "\x1e": "Œ", "\x1f": "Ø"}
_OT1_ACCENTS = {"\x12": "\u0300", "\x13": "\u0301", "\x14": "\u030c", "\x15": "\u0306", "\x16": "\u0304",
                "\x17": "\u030a", "\x18": "\u0327"}
_MAX_CODES_PER_WORD = 2  # readings grow as 6 ** codes: five ligatures and a letter or an accent
_MAX_CODE_WORDS = 1000  # distinct words with codes on one page
_CODE_EVIDENCE = 3  # distinct words a code must be read the same way in, before the page's other words follow
_MIN_LETTERS_ALONE = 3  # letters around the codes of a word whose one known reading is taken without the page's
# The XeTeX and XeLaTeX logos set a mirrored E: a font that has one gives "XƎTEX"; with a rotated E set lower,
# PDFium reads the E apart, before the L or on a line of its own ("X ELATEX", "X LE⏎ATEX": "LE ATEX" was a
# concept). Each is read as the name it writes.
# Written to start on its literal "X" (the letter before it is looked at after): a pattern that opens with "\b" is
# tried at every position, ten times slower.
# The blanks around its line break are bounded: two unbounded runs of them next to each other backtrack in
# quadratic time.
_XE_LOGO = re.compile(r"X(?<![^\W\d_]X)(?:Ǝ(?:LA)?TEX|[ \t]?ELATEX|[ \t]?LE[ \t]{0,2}\n?[ \t]{0,2}ATEX)\b")


def clean_page(text: str, language: str | None, *, ligatures: bool = True) -> str:
    """One page's text, cleaned (see the module docstring); `ligatures=False` skips the ligature repair."""
    repairable = _REPAIRABLE.search(text) is not None
    if repairable and _CONTROL.search(text):
        text = _ligature_codes(text, language)
        repairable = _REPAIRABLE.search(text) is not None  # a code may read as an accent
    if _has_soft_hyphen(text):
        text = _SOFT_HYPHEN.sub(_unhyphenate, text)
    if not text.isascii():  # ASCII is already composed and NFKC
        if repairable and _C1_CONTROL.search(text):
            text = text.translate(_C1_AS_CP1252)
        if repairable and _ANY_ACCENT.search(text):
            text = _join_accents(text)
        text = stream_safe(text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = composed(text)
        text = read_look_alikes(text, language)
    if any(mark in text for mark in _ASCII_MARKS):  # after the other accents: "d´ej`a" is one word by then
        text = _join_ascii_accents(text, language)
    text = _join_hyphenated(text, language)
    if "TEX" in text:
        text = _XE_LOGO.sub(_xe_logo_name, text)
    return repair_ligatures(text, language) if ligatures else text


def _xe_logo_name(logo: re.Match[str]) -> str:
    return "XeLaTeX" if "A" in logo.group() else "XeTeX"


def _ligature_codes(text: str, language: str | None) -> str:
    """"de\x1cnes" → "defines": a control character inside a word is read as what makes the word a known word of
    the document's language: a ligature, or an OT1 letter or accent. A code read one way in `_CODE_EVIDENCE`
    distinct words or more on the page, two thirds of the words holding it, is read so in the page's other words
    too ("Prede\x1bned" → "Predefined"). A word with one known reading takes it alone when it has
    `_MIN_LETTERS_ALONE` letters; any other word stays as it is."""
    known = known_words(language or "en")
    if not known:
        return text
    words = {match.group() for match in _CONTROL_WORD.finditer(text)}
    if len(words) > _MAX_CODE_WORDS:  # more than a page of words: a font of codes, no ligatures (bounds the work)
        return text
    readings = {word: _known_readings(word, known) for word in words}
    learned = _learned_readings(readings)
    repaired = {}
    for word, choices in readings.items():
        codes = _CONTROL.findall(word)
        taught = tuple(learned[code] for code in codes) if all(code in learned for code in codes) else None
        if taught is not None:  # the page's reading, unless the word is known only in another one
            choice = taught if (not choices or taught in choices) and _letters_around(word) >= 2 else None
        else:
            choice = choices[0] if len(choices) == 1 and _letters_around(word) >= _MIN_LETTERS_ALONE else None
        if choice is not None and (read := _read_as(word, choice)):
            repaired[word] = read
    return _CONTROL_WORD.sub(lambda match: repaired.get(match.group(), match.group()), text)


def _known_readings(word: str, known: frozenset[str]) -> list[tuple[str, ...]]:
    """Each reading of the codes in `word` (one per code) that makes it a known word; none when there are too many
    codes or too few letters to tell."""
    codes = _CONTROL.findall(word)
    # One private-use code a word: each has twice the readings of a control code (a word of two took 4 times as long).
    most = 1 if max(codes) >= _PRIVATE_USE else _MAX_CODES_PER_WORD
    if len(codes) > most or _letters_around(word) < 2:
        return []
    # Case-folded as wordfreq's words are ("straße" is listed as "strasse").
    return [choice for choice in product(*map(_readings_of, codes)) if _read_as(word, choice).casefold() in known]


def _learned_readings(readings: dict[str, list[tuple[str, ...]]]) -> dict[str, str]:
    """The codes a page reads one way in `_CODE_EVIDENCE` distinct words or more, two thirds of those holding it
    (a word that no reading makes known counts against)."""
    holding: Counter[str] = Counter()
    votes: dict[str, Counter[str]] = {}
    for word, choices in readings.items():
        codes = _CONTROL.findall(word)
        for code in set(codes):  # a word holding a code twice is one word that holds it
            holding[code] += 1
            for reading in {choice[at] for choice in choices for at, its in enumerate(codes) if its == code}:
                votes.setdefault(code, Counter())[reading] += 1
    learned = {}
    for code, count in votes.items():
        (reading, most), *rest = count.most_common(2)
        if most >= _CODE_EVIDENCE and 3 * most >= 2 * holding[code] and not (rest and rest[0][1] == most):
            learned[code] = reading
    return learned


def _readings_of(code: str) -> tuple[str, ...]:
    if code >= _PRIVATE_USE:
        return _PRIVATE_LIGATURES
    return (*_LIGATURES, *(reading for reading in (_OT1_LETTERS.get(code), _OT1_ACCENTS.get(code)) if reading))


def _read_as(word: str, choice: tuple[str, ...]) -> str:
    """`word` with its codes read as `choice`; an accent goes on the letter after it, which may be a code's too
    ("d\x13\x10as" → "días"); "" when there is none."""
    pieces = _CONTROL.split(word)
    read, accent = pieces[0], ""
    for reading, piece in zip(choice, pieces[1:], strict=True):
        if unicodedata.combining(reading[0]):
            if accent:
                return ""
            accent, added = reading, piece
        else:
            added = reading + piece
        if accent and added:
            added, accent = added[0] + accent + added[1:], ""
        read += added
    return "" if accent else unicodedata.normalize("NFC", read)


def _letters_around(word: str) -> int:
    # One letter beside a code is too little to tell a ligature from a symbol of a math font ("a\x15", "d\x13").
    return len(_CONTROL.sub("", word))


def stream_safe(text: str) -> str:
    """`text` with no run of more than 30 combining marks, so that normalising it takes linear time."""
    if unmarked(text):
        return text
    return _LONG_MARK_RUN.sub(lambda run: run.group() + _GRAPHEME_JOINER, text)


def unmarked(text: str) -> bool:
    """Whether `text` holds no combining mark and no format (invisible) character, told from `_UNMARKED` alone:
    false may also mean a character outside it."""
    return _MARKED.search(text) is None


def _has_soft_hyphen(text: str) -> bool:
    # Substring searches: a character above the text's widest one is ruled out without a scan.
    return any(mark in text for mark in SOFT_HYPHENS)


def _join_hyphenated(text: str, language: str | None) -> str:
    """"com-\nmands" → "commands" when the joined word is known (OCR text keeps printed hyphens)."""
    known = known_words(language or "en")

    def join(match: re.Match[str]) -> str:
        joined = match.group(1) + match.group(2)
        return joined if joined.lower() in known else match.group(0)

    return _LINE_END_HYPHEN.sub(join, text) if known and "-\n" in text else text


def _unhyphenate(match: re.Match[str]) -> str:
    # "pre-ceding" joins; "AMS-LaTeX" keeps its hyphen: a capital after the break starts a new part.
    following = match.group(1)
    return "-" + following if following.isupper() else following


def _join_ascii_accents(text: str, language: str | None) -> str:
    """"Universit`a" → "Università", "pi`u" → "più" where the word is known in the document's language; a
    one-letter word ("`a" → "à") only where it is a common lowercase word. Not in code: after TeX's backslash, or
    with a mark right after the word ("`e`")."""
    code = language or "en"
    known = known_words(code)
    if not known:
        return text
    parts: list[str] = []
    done = 0  # copied or rewritten up to here
    for mark in _ASCII_ACCENT.finditer(text):
        at = mark.start()  # never inside a word rewritten before: its letters end at the next mark
        start = _LETTERS_BEFORE.match(text, done, at).start()  # type: ignore[union-attr]  # * always matches
        if start > 0 and (text[start - 1] in _NOT_A_WORD_START or text[start - 1].isalnum()):
            continue  # the letters do not start a word: they follow a digit, a mark or a backslash
        end = _LETTERS_AFTER.match(text, at + 2).end()  # type: ignore[union-attr]
        if end < len(text) and text[end] in _ASCII_MARKS:
            continue
        accented = unicodedata.normalize("NFC", text[at + 1].replace("\u0131", "i") + SPACING_ACCENTS[text[at]])
        word = text[start:at] + accented + text[at + 2 : end]
        if len(accented) == 1 and word.lower() in known and (len(word) > 1 or _common_letter(word, code)):
            parts += [text[done:start], word]
            done = end
    return "".join(parts) + text[done:] if parts else text


@lru_cache(maxsize=256)
def _common_letter(word: str, language: str) -> bool:
    # The small list's own figure, as a Zipf value rounded as `wordfreq.zipf_frequency` rounds it: that function
    # first splits the word with the language's tokenizer, for Chinese, Japanese and Korean an optional package
    # (jieba, MeCab) not installed here, and "`a" in Chinese text failed the whole document.
    frequency = wordfreq.get_frequency_dict(language, wordlist="small").get(word, 0.0)
    return word.islower() and frequency > 0 and round(math.log10(frequency) + 9, 2) >= _COMMON_ZIPF


def _join_accents(text: str) -> str:
    text = _ACCENT_BEFORE.sub(lambda m: m.group(2).replace("\u0131", "i") + SPACING_ACCENTS[m.group(1)], text)
    # A combining mark before its letter (extraction order) goes after it, where NFC composes it.
    return _COMBINING_BEFORE.sub(lambda m: m.group(2) + m.group(1), text)


@lru_cache(maxsize=4)
def known_words(language: str) -> frozenset[str]:
    """The common words of `language` (wordfreq's small list), lowercase ("straße": wordfreq lists "strasse"); none
    for a language it lacks (for which wordfreq would quietly substitute a "nearest" one)."""
    return frozenset(word_shares(language))


@lru_cache(maxsize=4)
def _after_ligature(language: str) -> frozenset[str]:
    """Every known word's tail after a ligature: the fragments a lost ligature leaves ("cients"). The words are
    searched as one string, a line each (no word holds a line end): word by word took some 25 ms of every
    worker's warm-up, this some 5."""
    words = "\n".join(known_words(language)) + "\n"
    tails = set()
    for ligature in _LIGATURES:
        start = words.find(ligature)
        while start >= 0:
            after = start + len(ligature)
            tails.add(words[after : words.index("\n", after)])
            start = words.find(ligature, start + 1)
    tails.discard("")
    return frozenset(tails)


@lru_cache(maxsize=4)
def _fragments(language: str) -> frozenset[str]:
    """The tails after a ligature (`_after_ligature`) that are no known word themselves."""
    return _after_ligature(language) - known_words(language)


@lru_cache(maxsize=4)
def _fragment_finder(language: str) -> ahocorasick.Automaton | None:
    """An automaton of the fragments (`_fragments`) that are words as `_WORD` reads them ("'s" never is), each to
    its length; None when there are none."""
    words = [fragment for fragment in _fragments(language) if _WORD.fullmatch(fragment)]
    if not words:
        return None
    finder = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for word in words:
        finder.add_word(word, len(word))
    finder.make_automaton()
    return finder


def _fragment_words(text: str, language: str) -> set[str]:
    """The distinct words of `text` (runs of letters, as `_WORD` finds them, lowercased) that are fragments: the
    fragments found in one pass over the lowercased text, those with no letter on either side. Splitting the text
    into its distinct words took twice as long on French news (some 60 µs a text), three times on long papers."""
    finder = _fragment_finder(language)
    if finder is None:
        return set()
    lower = text.lower()
    found = set()
    for end, size in finder.iter(lower):
        start, after = end + 1 - size, end + 1
        if (start == 0 or not _is_letter(lower[start - 1])) and (after == len(lower) or not _is_letter(lower[after])):
            found.add(lower[start:after])
    return found


def _is_letter(char: str) -> bool:
    """Whether `char` is in `_WORD`'s class `[^\\W\\d_]`: a word character (alphanumeric, as `str.isalnum`, or "_")
    that is no decimal digit nor "_"."""
    return char.isalnum() and not char.isdecimal()


def repair_ligatures(text: str, language: str | None) -> str:
    """Put back ligatures lost at a gap ("coe cients") or at a word's start (" oating")."""
    known = known_words(language or "en")
    if not known or not _may_have_lost_ligatures(text, language or "en"):
        return text
    parts = _WORD.split(text)  # separators at even indices, words at odd ones
    for i in range(1, len(parts), 2):
        word = parts[i]
        previous = parts[i - 2] if i >= 3 and parts[i - 1] == " " else None
        # Known words stay, unless both sides of a gap are fragments ("o ce" → "office").
        if word.lower() in known and not (previous and len(previous) == 1 and len(word) <= 2):
            continue
        at_start = i == 1 or parts[i - 1][-1:].isspace()
        joined = _join_gap(previous, word, known)
        if joined is not None:  # "coe" + "cients": the previous word takes this one in
            parts[i - 2], parts[i - 1], parts[i] = joined, "", ""
        elif (fixed := _restore_start(word, known, at_start=at_start)) is not None:
            parts[i] = fixed
    return "".join(parts)


def lost_ligatures_likely(sample: list[str], language: str | None) -> bool:
    """Whether a document's opening pages show lost ligatures: several distinct unknown words that are
    known words' tails after a ligature ("cients", "oating", "erent"). A font that drops ligatures drops
    them everywhere; ordinary pages show one such word now and then ("ce" of "C. ce")."""
    # None for a language without a word list: it has no fragments (`_fragment_finder`).
    return len(_fragment_words("\n".join(sample), language or "en")) >= _LIGATURE_EVIDENCE


def _may_have_lost_ligatures(text: str, language: str) -> bool:
    """Cheap pre-check on the page's words: is any unknown one a known word's tail after a ligature?"""
    return bool(_fragment_words(text, language))


def _join_gap(previous: str | None, word: str, known: frozenset[str]) -> str | None:
    if not previous:
        return None
    for ligature in _LIGATURES:
        joined = previous + ligature + word
        if joined.lower() in known:
            return joined
    return None


def _restore_start(word: str, known: frozenset[str], *, at_start: bool) -> str | None:
    if at_start and len(word) >= 3 and word[0].islower() and word.lower() not in known:
        for ligature in _LIGATURES:
            if (ligature + word).lower() in known:
                return ligature + word
    return None


def drop_running_lines(pages: list[str]) -> list[str]:
    """Remove lines repeated at the same edge of most pages, and bare page numbers at the edges."""
    split = [page.split("\n") for page in pages]
    # Too few pages for any line to repeat on enough of them (`needed` is at least that many): only page
    # numbers can go, and no line is folded.
    slots = [_edge_slots(lines, fold=len(pages) >= _MIN_PAGES_FOR_RUNNING) for lines in split]
    counts: Counter[tuple[int, str]] = Counter()
    for page_slots in slots:
        counts.update(set(page_slots.values()))
    needed = max(_MIN_PAGES_FOR_RUNNING, _RUNNING_SHARE * len(pages))
    cleaned = []
    for page, lines, page_slots in zip(pages, split, slots, strict=True):
        drop = {index for index, key in page_slots.items()
                if counts[key] >= needed or _PAGE_NUMBER.match(lines[index])}
        cleaned.append(_without(lines, drop) if drop else page)
    return cleaned


def _without(lines: list[str], drop: set[int]) -> str:
    # The dropped lines are a few at the edges: deleting them beats filtering every line of the page.
    kept = list(lines)
    for index in sorted(drop, reverse=True):
        del kept[index]
    return "\n".join(kept)


def _edge_slots(lines: list[str], *, fold: bool) -> dict[int, tuple[int, str]]:
    """Line index → (position from the top or, negative, from the bottom; the line with digits folded). Without
    `fold` the second part is empty."""
    # Only the edges are looked at: the first and the last few non-blank lines, found from each end.
    top = list(islice((index for index, line in enumerate(lines) if line.strip()), _EDGE_LINES))
    bottom = list(islice((index for index in range(len(lines) - 1, -1, -1) if lines[index].strip()), _EDGE_LINES))
    slots: dict[int, tuple[int, str]] = {}
    for rank, index in enumerate(top):
        slots[index] = (rank, _fold(lines[index]) if fold else "")
    for rank, index in enumerate(bottom):
        slots.setdefault(index, (-1 - rank, _fold(lines[index]) if fold else ""))
    return slots


def _fold(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.lower().split()))
