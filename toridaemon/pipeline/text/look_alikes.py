"""Letters of a look-alike script inside a word, read as the word's own: "Теорiя" → "Теорія", "begіn" → "begin".

Latin, Cyrillic and Greek share letter shapes. Ukrainian text set in fonts or encodings without "і" is written with
the Latin "i" ("Українi", "вiсник": a Debian texlive bibliography sample writes every one so), Serbian with a
Latin "j" ("jануар"), and a Cyrillic keyboard leaves Cyrillic letters in Latin words ("begіn"). Such a word is in
no word list, and counts as another word than the same one written right. A word whose letters are of two of these
scripts, more of one than of the other, is read in the script of the more: each letter of the other is replaced by
its look-alike, when every one has one and they are no acronym written onto a word ("IPадрес"). Other words stay as
written ("Яndex", "μmol", "χPP"). Latin "s" is no Cyrillic "ѕ": that letter is Macedonian's alone. This is done in
texts of languages written in Cyrillic or Greek, or of no language told (`read_look_alikes`).
"""

from __future__ import annotations

import re

import regex

from toridaemon.pipeline.language.scripts import runs, script

_LATIN_TO = {
    "Cyrillic": dict(zip("aceijopxyABCEHIJKMOPTXYïÏëË", "асеіјорхуАВСЕНІЈКМОРТХУїЇёЁ", strict=True)),
    "Greek": dict(zip("ovABEHIKMNOPTXYZ", "ονΑΒΕΗΙΚΜΝΟΡΤΧΥΖ", strict=True)),
}
_TO_LATIN = {script: {shape: latin for latin, shape in table.items()} for script, table in _LATIN_TO.items()}
_LOOK_ALIKES = {
    ("Latin", script): table for script, table in _LATIN_TO.items()
} | {(script, "Latin"): table for script, table in _TO_LATIN.items()}
# The ranges of the Greek and Cyrillic blocks, and of Latin letters: a word of both may hold look-alikes.
_GREEK_OR_CYRILLIC = "\u0370-\u03ff\u0400-\u052f\u1f00-\u1fff"  # Greek Extended: polytonic letters
_ANY_GREEK_OR_CYRILLIC = re.compile(f"[{_GREEK_OR_CYRILLIC}]")
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
# The languages py3langid tells (two-letter codes) that are written in Cyrillic or Greek letters, in all or in part
# (Serbian, Uzbek).
WRITTEN_IN_CYRILLIC_OR_GREEK = frozenset(("ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "tg", "mn", "tt", "ba",
                                          "uz", "el"))
_GREEK_OR_CYRILLIC_RUN = re.compile(f"[{_GREEK_OR_CYRILLIC}]+")
_LATIN_LETTER_CHAR = re.compile(f"[{_LATIN_LETTER}]")
_LETTERS_BEFORE = regex.compile(r"(?r)[\p{L}\p{M}]*")
_LETTERS_AFTER = regex.compile(r"[\p{L}\p{M}]*")


def read_look_alikes(text: str, language: str | None) -> str:
    """`text` with each word of Latin and Cyrillic, or Latin and Greek, letters read in its main script (see the
    module docstring), in a text of a language written in Cyrillic or Greek, or of none told. In a Latin-script
    text such words are Greek symbols ("μmol", "Aβ") far more often than look-alikes, and looking for them took 3 to
    5 % of an English paper's analysis."""
    if (language is not None and language not in WRITTEN_IN_CYRILLIC_OR_GREEK) or (
            _ANY_GREEK_OR_CYRILLIC.search(text) is None):
        return text
    parts: list[str] = []
    done = 0  # copied or rewritten up to here
    # Runs of Greek or Cyrillic letters with a Latin letter beside: looking for such a pair at every position took
    # twice as long.
    for run in _GREEK_OR_CYRILLIC_RUN.finditer(text):
        start, end = run.span()
        if start < done or not (_latin_at(text, start - 1) or _latin_at(text, end)):
            continue  # inside a word read already, or no Latin letter beside
        first = _LETTERS_BEFORE.match(text, done, start).start()  # type: ignore[union-attr]  # * always matches
        last = _LETTERS_AFTER.match(text, end).end()  # type: ignore[union-attr]
        parts += [text[done:first], _read_word(text[first:last])]
        done = last
    return "".join(parts) + text[done:] if parts else text


def _latin_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and _LATIN_LETTER_CHAR.match(text, index) is not None


def _read_word(word: str) -> str:
    letters: dict[str, int] = {}
    for name, count in runs(word):
        letters[name] = letters.get(name, 0) + count
    if len(letters) != 2:
        return word
    (main, most), (other, fewest) = sorted(letters.items(), key=lambda item: -item[1])
    table = _LOOK_ALIKES.get((other, main))
    if table is None or most == fewest:
        return word
    foreign = "".join(char for char in word if script(char) == other)
    if not all(char in table for char in foreign) or _glued_acronym(word, foreign, main):
        return word
    return "".join(table.get(char, char) for char in word)


def _glued_acronym(word: str, foreign: str, main: str) -> bool:
    """Whether the letters of the other script are capitals in a row before or after lowercase ones of the main
    script: an acronym written onto a word ("IPадрес", "SIMкарта"), not look-alikes ("Cистема", "КЗIО")."""
    own = "".join(char for char in word if script(char) == main)
    return len(foreign) >= 2 and foreign.isupper() and own.islower() and (
        word.startswith(foreign) or word.endswith(foreign))
