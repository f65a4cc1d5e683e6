"""The scripts of a word's letters: a word of any language is written in one writing system.

Unicode gives each letter a script. Japanese writes a word in Han, kana and Latin letters ("Tシャツ"), Korean in
Hangul, Han and Latin ("X선"), Chinese in Han and Bopomofo with Latin: each counts as one writing system here, with
Greek letters too ("α線"). Latin, Greek and Cyrillic count as one: science writes Greek letters into Latin words
("NF-κB", "TNFα"), and a look-alike letter in a word of a Cyrillic or Greek text is read as its script's by the
text stage. Marks and
joiners (script "Inherited") and apostrophes or modifiers ("Common") belong to whatever they stand by.

Letters of two writing systems in one word come from:
- a font whose glyphs map to wrong code points, in scripts whose conjuncts are glyphs of their own ("मŲ", "आЭण",
  "الAbب": XeTeX documents in Marathi and Arabic), which makes a text layer garbled (`text.quality`);
- a space lost between two words ("counterजवळ").
Neither is a word to make a concept of (`candidates.classify`). A letter of a look-alike script ("Теорiя" with a
Latin "i") is read as the word's own by the text stage (`text.look_alikes`).

`garbled` lets pass what languages write: a clause of a script written without spaces with Latin words in it, also
a Latin letter inside a Khmer or Myanmar word, which a font mapped wrong may give too (such a page is told by its
vowel signs written first, `text.quality`); and a lone letter before a word ("xএর", "وLinux", also "Ųमन").
"""

from __future__ import annotations

import unicodedata

import regex

# Unicode's names of the scripts of the world's widely written languages, as `regex` reads `\p{sc=...}`; a letter of
# another script is told by the first word of its character name ("ETHIOPIC SYLLABLE HA"), which names the script.
_SCRIPTS = (
    "Latin", "Cyrillic", "Greek", "Armenian", "Georgian", "Hebrew", "Arabic", "Syriac", "Thaana", "Nko",
    "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala",
    "Thai", "Lao", "Tibetan", "Myanmar", "Khmer", "Mongolian", "Ethiopic", "Cherokee", "Canadian_Aboriginal",
    "Tifinagh", "Javanese", "Balinese", "Sundanese", "Ol_Chiki", "Vai", "Adlam", "Yi", "Coptic",
    "Han", "Hiragana", "Katakana", "Bopomofo", "Hangul",
)
_SCRIPT_OF = regex.compile("|".join(f"(?P<{name}>\\p{{sc={name}}})" for name in _SCRIPTS))
_WITHOUT_SCRIPT = regex.compile(r"[\p{sc=Common}\p{sc=Inherited}]")
# Writing systems of several scripts: a word within one of them is written in one system.
_LOOK_ALIKE_SCRIPTS = frozenset(("Latin", "Cyrillic", "Greek"))  # see `text.look_alikes`
_SYSTEMS = (
    _LOOK_ALIKE_SCRIPTS,
    frozenset(("Han", "Hiragana", "Katakana", "Latin", "Greek")),
    frozenset(("Han", "Bopomofo", "Latin", "Greek")),
    frozenset(("Hangul", "Han", "Latin", "Greek")),
)
# Scripts written without spaces between words (a run of their letters is a clause, which takes in Latin words and
# Greek variables: "设α为实数", "ระบบLinuxของ"), and Hangul, whose particles are written onto Latin words ("α선과").
_RUN_ON = frozenset(("Han", "Hiragana", "Katakana", "Bopomofo", "Hangul", "Thai", "Lao", "Khmer", "Myanmar",
                     "Tibetan"))
# A word of these scripts alone is in one system, told in one match (`runs` looks up each letter's script).
_LOOK_ALIKE_WORD = regex.compile(r"[\p{sc=Latin}\p{sc=Cyrillic}\p{sc=Greek}\p{sc=Common}\p{sc=Inherited}]+")
_MIN_WORD_LETTERS = 2  # a run of fewer letters of a script beside another is no word lost beside it
_scripts: dict[str, str | None] = {}
_MAX_KEPT = 1 << 16  # characters whose script is kept: more than all the letters of the scripts above


def script(char: str) -> str | None:
    """The script of a character, None for one of every script (digits, punctuation, marks, joiners)."""
    found = _scripts.get(char, "")
    if found != "":
        return found
    if _WITHOUT_SCRIPT.match(char) is not None:
        found = None
    else:
        match = _SCRIPT_OF.match(char)
        found = match.lastgroup if match is not None else unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    if len(_scripts) < _MAX_KEPT:
        _scripts[char] = found
    return found


def runs(word: str) -> list[tuple[str, int]]:
    """The scripts of `word`'s letters in order, each with how many letters in a row are written in it."""
    found: list[tuple[str, int]] = []
    for char in word:
        name = script(char)
        if name is None:
            continue
        if found and found[-1][0] == name:
            found[-1] = (name, found[-1][1] + 1)
        else:
            found.append((name, 1))
    return found


def one_system(word: str) -> bool:
    """Whether `word`'s letters are written in one writing system (see the module docstring)."""
    return word.isascii() or _LOOK_ALIKE_WORD.fullmatch(word) is not None or _one_system(
        {name for name, _ in runs(word)})


def _one_system(names: set[str]) -> bool:
    return len(names) <= 1 or any(names <= system for system in _SYSTEMS)


def garbled(word: str) -> bool:
    """Whether `word` mixes writing systems as no lost space does: its scripts change more than once, or a lone
    letter follows another script ("मŲ", "الAbب", "आЭण"). Not: words of Latin, Greek and Cyrillic letters (see the
    module docstring), a clause of a script written without spaces or of Hangul with Latin, Greek or Cyrillic
    letters in it, two words written without the space between them ("counterजवळ", "علىLive"), nor a lone letter
    before a word, a variable with its suffix or a proclitic on a name ("xএর", "وLinux", "בWindows")."""
    if word.isascii():
        return False
    found = runs(word)  # once: `one_system` would read the word again
    names = {name for name, _ in found}
    if _one_system(names) or names - _LOOK_ALIKE_SCRIPTS <= _RUN_ON:
        return False
    return len(found) > 2 or found[1][1] < _MIN_WORD_LETTERS
