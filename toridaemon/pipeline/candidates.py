"""Candidate terms: runs of content words between function words and punctuation, and their n-grams.

Without a part-of-speech tagger, noun-phrase-like candidates come from cheap lexical rules: the language's function
words are boundaries, so are words with digits, punctuation, e-mail addresses, URLs, TeX commands and file
extensions; in English also reporting verbs and vague modifiers, adverbs ("-ly" forms of known words), and a past
participle may open a term ("distributed system") but not end one; a word that is only a verb ("quantify",
"transform") ends one only after a singular word ("Fourier transform"), and after a plural is a clause's verb that
bounds terms ("algorithms adopt feedback linearization"). Words are letters of any script (with their combining
marks), so "Verfügung" and "données" stay whole; Chinese and Japanese runs of letters are cut into words
(`language.unspaced`), Korean particles off their nouns (`language.korean`). Each word is lowercased and folded by
its language (plurals in English, Traditional Chinese characters to Simplified, a Snowball stemmer elsewhere), so
"Networks" and "network" are one candidate; the first surface form of each candidate is kept for display.
Counting is one pass over the tokens with a per-token-type cache: linear in the text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import islice

import regex

from toridaemon.pipeline.acronyms import singular
from toridaemon.pipeline.filler import Filler, holds_filler
from toridaemon.pipeline.language import Language, language
from toridaemon.pipeline.language.clitics import LANGUAGES as PROCLITIC_LANGUAGES
from toridaemon.pipeline.language.clitics import split_proclitic
from toridaemon.pipeline.language.korean import is_boundary, split_particle
from toridaemon.pipeline.language.resources import JOINERS, LINK_MARK, NO_JOINERS, VIETNAMESE_COMPOUNDS
from toridaemon.pipeline.language.scripts import one_system
from toridaemon.pipeline.language.unspaced import is_particle, split_words, unspaced_char
from toridaemon.pipeline.native import lowercase
from toridaemon.pipeline.sections import Span

MAX_WORDS = 4
MAX_WORD_CHARS = 40  # longer "words" are unspaced scripts, hashes or glued text: boundaries, never terms
_MARKED_LETTER_CHARS = 3  # a letter and up to two accents: "b̃", "ṍ" written apart

# Word tokens keep inner hyphens and apostrophes; e-mail addresses, URLs and TeX commands are one token each (a
# boundary); a dot glued to a word with the lowercase word after it is a boundary too: a file name's extension
# ("amsmath.sty", "config.yaml") or an abbreviation's tail ("Ch.mo"), while a capital after it starts a word (a
# space lost after a full stop: "end.Next", "1.Introduction", "Dr.Müller"); any run of other non-space characters
# is a boundary, and so is a blank line (a paragraph break). A TeX command is read from its backslash whatever
# comes before it ("$\alpha", "{\em", "~\cite": a run of punctuation stops there, or the name was left a word), with
# the underscores of a LaTeX3 name ("\tl_put_right:Nn" gave "put" and "right"); "\_", an escaped underscore, is
# no command ("file\_name").
# An identifier joined by underscores ("nl_langinfo", "ECHO_REQUEST", "max_parallel_workers") is one token, a
# boundary (no word holds "_"): code, not words ("langinfo" and "parallel workers" were concepts).
_ADDRESS_MARKS = ("@", "://", "www.")
# A LaTeX3 function's argument signature glued after its name's colon ("\tl_set:Nn", "\cs_new:Npn") is a boundary:
# its letters are argument types, never words ("nn", "nnN" topped the lists of expl3 manuals). Only those letters
# count, so "Results:Accuracy" with a space lost keeps its word.
# (Every `\p{…}` and `\s` is written inside brackets: `_latin` rewrites the brackets' contents.)
_SIGNATURE = r"(?<=[\p{L}\p{N}_]):[NncVvoxefpTFDw]+(?![\p{L}\p{M}\p{N}])"
# A zero-width non-joiner or joiner between letters is inside a word: Persian writes "نرم‌افزار" (software) and
# "می‌کند" with one, as wordfreq lists them; at the joiner, "افزار" and "کند" were words of their own. (Joiners
# join as hyphens do, in the group after the first run of letters: a character class of letters runs fast.) One
# ends a word after a virama: Malayalam's chillu letters in their older spelling ("കമ്പ്യൂട്ടര്‍").
_WORDS_AND_BOUNDARIES = (
    r"\\[\p{L}@][\p{L}@_]*\*?"
    rf"|{_SIGNATURE}"
    r"|[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’\-\u2010\u2011\u2013_\u200c\u200d][\p{L}\p{M}\p{N}]+)*"
    r"(?:(?<=[\u094d\u09cd\u0a4d\u0acd\u0b4d\u0bcd\u0c4d\u0ccd\u0d4d\u0dca])[\u200c\u200d])?"  # after a virama
    r"|(?<=[\p{L}\p{N}])\.[\p{Ll}][\p{L}\p{N}]*"
    r"|[^\s\p{L}\p{N}\\]+|\\|\n[ \t]*\n"
)
# See `_without_suffixes`: after two letters, or one capital alone ("C'de", "R'da"); in capitals after capitals
# ("LINUX'TA").
_CASE_SUFFIX = regex.compile(r"(?:(?<=\p{L}\p{L})|(?<=^\p{Lu}))['’ʼ]\p{Ll}+$|(?<=\p{Lu}\p{Lu})['’ʼ]\p{Lu}+$")
# In languages that elide (`Language.apostrophe`) an apostrophe after one to six letters at the start of a word marks
# an elided function word ("l'aéroport", "dell'acqua", "qu'aucun", "lorsqu'il"): it is a token of its own, and so a
# boundary. Elsewhere the apostrophe is inside the word ("комп'ютер", Dutch "camera's", which `classify` reads as
# "camera"; read as an elision, "camera'" was a boundary and the word was lost).
# Possessive: the letters before the apostrophe are all the word's first six, so giving some back could only put a
# letter before it; without that, each word not elided was tried five times more (a tenth of French tokenizing).
_ELIDED = r"(?<![\p{L}\p{N}])[\p{L}]{1,6}+['’](?=[\p{L}])"
_ELIDED_START = regex.compile(_ELIDED)
_TOKENIZERS = {
    eliding: regex.compile((_ELIDED + "|" if eliding else "") + _WORDS_AND_BOUNDARIES) for eliding in (False, True)
}
# The same two expressions for Latin-script text, `_LATIN`: the characters below the combining accents (U+0300:
# ASCII, Latin-1, the Latin Extended letters of Polish or Czech) and General Punctuation (typographic quotes and
# dashes). `_latin` spells each class out as the characters of `_LATIN` that `regex` puts in it, so on those the
# standard `re` reads as `regex` does, about twice as fast (French news, Portuguese transcripts, English papers with
# typographic quotes). The set stays small so that spelling the classes out costs little at import (some 7 ms;
# the whole Basic Multilingual Plane took 0.13 s). `_findall` gives the lines of long Latin stretches to these, the
# others to `_TOKENIZERS`.
_LATIN = "".join(map(chr, (*range(0x300), *range(0x2000, 0x2070))))


@cache  # the two expressions name five categories fifty times: each is listed once
def _members(category: str) -> str:
    """The characters of `_LATIN` that `regex` reads as `category` (`\\p{L}`, `\\s`…), as the contents of an `re`
    character class."""
    return _class_contents(regex.findall(f"[{category}]", _LATIN))


def _class_contents(chars: Iterable[str]) -> str:
    """`chars` (in code point order) as the contents of a character class: ranges of consecutive code points."""
    points = [ord(char) for char in chars]
    ranges, start = [], 0
    for index in range(1, len(points) + 1):
        if index == len(points) or points[index] != points[index - 1] + 1:
            first, last = chr(points[start]), chr(points[index - 1])
            ranges.append(re.escape(first) + (f"-{re.escape(last)}" if last != first else ""))
            start = index
    return "".join(ranges)


def _latin(pattern: str) -> str:
    """`pattern` for `re` on `_LATIN` text: each `\\p{…}` and `\\s` inside brackets replaced by its members."""
    return re.sub(r"\\p\{\w+\}|\\s", lambda found: _members(found.group()), pattern)


_LATIN_TOKENIZERS = {
    eliding: re.compile(_latin((_ELIDED + "|" if eliding else "") + _WORDS_AND_BOUNDARIES)) for eliding in (False, True)
}
_LATIN_CHARS = frozenset(_LATIN)
_LATIN_MEMBERS = _class_contents(_LATIN)
_LATIN_STRETCH = 200  # characters: a shorter stretch is not worth the switch between expressions
_SPARSE_SAMPLE = 128  # characters looked at to guess whether a text has long Latin stretches (`_latin_sparse`)
_LATIN_HEAD = re.compile(rf"[{_LATIN_MEMBERS}]{{{_LATIN_STRETCH},}}")
_LATIN_AFTER_OTHER = re.compile(rf"[^{_LATIN_MEMBERS}]([{_LATIN_MEMBERS}]{{{_LATIN_STRETCH},}})")
_LINE_NOT_BLANK = re.compile(r"\n(?![ \t]*\n)")  # the newline before a line that is not blank
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")  # the expressions' last alternative, their only token with a space
_SPLIT_ONLY = re.compile("[\x1c-\x1f]")  # of `_LATIN`, what `str.split` takes for a space and `regex` does not
# An address is the whole run of non-space characters around one of `_ADDRESS_MARKS`. Found by searching for the
# marks, not tried as an alternative at every word: that took 40 % of the tokenizing time on texts with addresses.
# A host name's top-level domain before a path marks one too where no scheme nor "www." does
# ("github.com/jsmith/graphkit" gave the concepts "jsmith" and "graphkit"), and so does a path of two slashes or
# more ("/boot/efi/EFI/debian/" made "debian" a word the text writes lowercase, no name).
# (Its segment ends at what `regex` takes for space, as `_RUN_AFTER` does: `re` also takes "\x1c" to "\x1f".)
_REGEX_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_MARK = re.compile("|".join(map(re.escape, _ADDRESS_MARKS)) + rf"|\.[a-z]{{2,6}}/|/[^/{_REGEX_SPACE}]+/")
_RUN_BEFORE = regex.compile(r"(?r)\S*")
_RUN_AFTER = regex.compile(r"\S*")
# Anchored at the start of a word so that a long run of letters is scanned once, not once per letter.
_LINE_HYPHEN = regex.compile(r"(?<!\p{L})(\p{L}+)-[ \t]*\n[ \t]*(\p{Ll}+)")
# Malayalam's chillu letters in their spelling before Unicode 5.1: a consonant, a virama and a joiner.
_CHILLUS = {"ണ്\u200d": "ൺ", "ന്\u200d": "ൻ", "ര്\u200d": "ർ", "ല്\u200d": "ൽ", "ള്\u200d": "ൾ", "ക്\u200d": "ൿ"}
_HYPHENS_AND_APOSTROPHES = str.maketrans("\u2010\u2011\u2013\u2019\u02bc", "---''")
_LETTERS_AND_MARKS = regex.compile(r"[\p{L}\p{M}'\-\u200c\u200d]+")  # joiners: Indic conjuncts ("क्‍ष")
_BASE_LETTER = regex.compile(r"[\p{Lu}\p{Ll}\p{Lt}\p{Lo}]")  # a letter that is neither a mark nor a modifier
_LATIN_BASE_LETTERS = frozenset(_BASE_LETTER.findall(_LATIN))  # those of `_LATIN`: "é" or "ł" needs no search
_CACHE_LIMIT = 200_000
_VERB_LIKE_LEAST = 2
_VERB_LIKE_SHARE = 0.5
# Words of a language's list in `_frequent_words`, which fill up to twice as many entries, under `_CACHE_LIMIT`:
# Serbian's list (108,571 words: its Latin ones, then their Cyrillic spellings) is cut, Russian's (61,193) is not.
_PREWARMED_WORDS = 80_000
# A line shorter than this share of a full one by the next line's first word and a space was ended by its author
# (`mark_ended_lines`). A wrapped line of justified or ragged text falls short of a full one by less than the
# word it could not take: lines of proportional type vary by some tenth in characters.
ENDED_LINE_ROOM = 0.8
_COLUMN_NEAR = 0.85  # most lines of a column of text come this near its full line (`_measure`)
# Put at the end of such a line: a character of no word, which bounds terms as punctuation does.
LINE_ENDED = "\u2063"  # INVISIBLE SEPARATOR
_SENTENCE_ENDS = frozenset(".!?:;" + LINE_ENDED)  # a token of punctuation ending so ends a sentence or a line
_CACHED_CHARS = MAX_WORD_CHARS + 2  # a longer token is no word (`classify`: None), whatever its case or "'s"
_MENTE = frozenset(("es", "pt", "it"))  # languages whose adverbs are an adjective + "-mente"

# Whether a word may end a term: never (an English past participle, a German word not capitalised), always, or
# only after a singular word (an English word that is only a verb: after a plural it is a clause's verb, "methods
# exist", and bounds terms; alone it is no concept); or always unless "Sie" or "wir" follows it (a German infinitive
# written with a capital: a noun, "das Verfahren", but a verb in "Wählen Sie die Datei"). `LINK`: a preposition
# joining a noun to its complement ("base de datos": `Language.linkers`), inside a term only, once. Its key word is
# `LINK_MARK` whichever linker it is ("bas ~ dat"): "analyse des données" and "analyse de données" are one term, and
# no word whose stem is spelt as a linker ("dose", "dos" in Portuguese) is taken for one. `AFTER_LINK`: an
# infinitive that is no noun (`Language.infinitives`) written lowercase, a verb ("configurar la red") but for a
# noun's complement right after a linker ("máquina de coser").
# `PARTICIPLE`: a word written lowercase and spelt as a past participle that is no noun (`Language.participles`),
# which ends terms as any word does ("sistemas distribuidos"), with its stem's key, but is counted
# (`CandidateTable.participles`): alone it is no concept where the text never writes it as a noun.
# `CAPITAL_PARTICIPLE`: one written with a capital, at a sentence's start or in a heading ("Sistemas Distribuidos"),
# counted apart: a word never written lowercase is a name ("Acosta").
NEVER, ENDS, AFTER_SINGULAR, NOUN_OR_VERB, LINK, AFTER_LINK, PARTICIPLE, CAPITAL_PARTICIPLE = 0, 1, 2, 3, 4, 5, 6, 7
# Ends the key of such an infinitive, however written: "configurar^" is neither the stem of "configuración"
# ("configur") nor that of a noun spelt as an infinitive ("barrera": "barrer"). No word of a text holds it.
VERB_MARK = "^"
# The pronouns after a German verb that opens a clause, as an instruction ("Wählen Sie", "Öffnen Sie") or a
# suggestion ("Lernen wir"): a capitalised infinitive before one is a verb, elsewhere a noun.
_ADDRESSING = frozenset(("Sie", "wir"))
_INFINITIVE_ENDINGS = ("en", "ern", "eln")  # German infinitives, the verb forms that are also nouns
# token → (normalised word, how it may end a term, whether it is singular: its fold left it as written), or None
# for a boundary.
WordInfo = tuple[str, int, bool] | None
_caches: dict[str, dict[str, WordInfo]] = {}
_UNSEEN: WordInfo = ("", NEVER, True)  # a sentinel compared by identity: None is a cached answer
ENGLISH = language("en")


@dataclass
class CandidateTable:
    """Occurrence counts of each candidate per section, the word index of its first occurrence and its first
    surface form (lowercase)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)
    surface: dict[str, str] = field(default_factory=dict)
    words: int = 0
    titled: set[str] = field(default_factory=set)  # lowercased words never written other than Capitalised
    # Where nouns come first and their complements follow them ("computación distribuida", "base de datos": a
    # language with `Language.linkers`), the words met first in a run or after a linker: the others follow a noun
    # everywhere in the text, as adjectives do, and are no concept alone ("distribuida").
    heads: dict[str, int] = field(default_factory=dict)
    linked: set[str] = field(default_factory=set)  # the keys holding a linker ("bas ~ dat")
    filler: frozenset[Filler] = frozenset()  # the kinds of placeholder text it holds (see `filler.holds_filler`)
    keywords: set[str] = field(default_factory=set)  # the keys of the document's own keywords (`add_keywords`)
    acronyms: dict[str, str] = field(default_factory=dict)  # an acronym's key → its long form's (`add_acronyms`)
    # The keys of the infinitives (`Language.infinitives`) the text writes lowercase, where they are verbs.
    lowercase_infinitives: set[str] = field(default_factory=set)
    # How often each key was met as a participle (`Language.participles`), not after a determiner or a preposition
    # (`Language.before_nouns`): a word met only so is no concept alone ("distribuidas"; not "l'uscita").
    participles: dict[str, int] = field(default_factory=dict)
    capital_participles: dict[str, int] = field(default_factory=dict)  # the same, of those written with a capital
    # The keys first met as a participle, whose surface is another form's once one is met ("distribuidos" and
    # "distribución" are one key, shown "distribución").
    participle_shown: set[str] = field(default_factory=set)
    # How often each word (lowercased) opened a sentence right before a determiner (`Language.determiners`) and a
    # word, as an instruction's verb does ("Abra la ventana", "Escolha o ficheiro") and a noun, which takes an
    # article there, rarely; with the word's key: see `verb_like`. Words, not keys: a noun of the verb's stem
    # stays ("Ajuste el brillo", "los ajustes").
    before_determiners: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Where nouns decline (`Language.dictionary_forms`), a key's surface to show when the text also writes it in
    # more dictionary forms than its first surface ("резервная копия" of "резервной копии"); `surface` stays the
    # first, which scoring looks up.
    base_forms: dict[str, str] = field(default_factory=dict)
    # While counting, where nouns decline: the surfaces met after a key's first and unlike it, with their counts.
    other_forms: dict[str, dict[str, int]] | None = None

    def name_parts(self, lang: Language = ENGLISH) -> set[str]:
        """Words of person-name-like pairs: two neighbouring words always Capitalised (never lowercase nor in
        capitals) outside the title, as "Frank Mittelbach". Any candidate holding such a word is a name or part
        of one ("Mittelbach", "Schrod configures"). Where every noun is capitalised (German) that says nothing,
        so there it takes a family name after a given one: see `_german_name`."""
        parts: set[str] = set()
        titled = self.titled
        for key, surface in self.surface.items():
            if " " in key:
                words = surface.split(" ")
                for index in range(1, len(words)):  # each pair of neighbours, by index: no iterator of tuples
                    a, b = words[index - 1], words[index]
                    if a in titled and b in titled and (not lang.capitalised_nouns or _german_name(a, b, lang)):
                        parts.update((a, b))
        return parts

    def verb_like(self) -> set[str]:
        """The words (lowercased) that opened a sentence right before a determiner and a word at least
        `_VERB_LIKE_LEAST` times and in at least `_VERB_LIKE_SHARE` of their occurrences: verbs in this text,
        though spelt as nouns too ("Abra la vista", "abra": a cove; "Escolha o ficheiro", "escolha": a choice).
        Only at a sentence's start: inside one, a noun is followed by an object's pronoun spelt as an article ("el
        servidor la genera") and by adverbials ("una vez"). Its occurrences are its key's, those of the other words
        of its stem with them: a share of them is a share of the word's occurrences or less."""
        return {word for word, (before, key) in self.before_determiners.items() if before >= _VERB_LIKE_LEAST
                and before >= _VERB_LIKE_SHARE * sum(counts.get(key, 0) for counts in self.counts.values())}

    def linked_names(self, lang: Language) -> set[str]:
        """The terms with a linker between two words always Capitalised: a name with its particle ("Bertrand de
        Broc", "Jeanne d'Arc"), or an institution's ("Banque de France"), which nothing tells apart. Unlike
        `name_parts`, their words alone stay candidates ("France")."""
        titled = self.titled
        names: set[str] = set()
        for key in self.linked:
            words = self.surface[key].split(" ")  # the linker is right after the first word, or elided onto the next
            after = words[2] if words[1] in lang.linkers and len(words) > 2 else unlinked(words[1], lang.linkers)
            if words[0] in titled and after in titled:
                names.add(key)
        return names


def _german_name(first: str, second: str, lang: Language) -> bool:
    """Whether two Capitalised German words (lowercase here) read as a person's name: the first a proper noun of
    the lexicon ("peter"), the second a proper noun or a word it lacks, and rare in the language's word list
    ("musterfrau", "kohm"). Places and brands are proper nouns too, but what follows them is a common word
    ("Berlin Brandenburg", "Apple Watch", "Englisch Grundkurs"); a common family name ("Peter Fischer") is missed."""
    if first not in lang.proper_nouns:
        return False
    return (second in lang.proper_nouns or second not in lang.lexicon) and lang.specificity(second) >= 1.0


def extract(spans: list[Span], lang: Language = ENGLISH) -> CandidateTable:
    """Count every candidate of every span."""
    cache = _cache(lang)
    table = CandidateTable()
    seen: set[str] = set()  # tokens outside the title: titles capitalise every word, only the rest tell names
    variants: dict[str, dict[str, int]] | None = {} if lang.agglutinative else None
    if lang.dictionary_forms:
        table.other_forms = {}
    texts = _with_ended_lines(spans, [dehyphenate(span.text, lang) for span in spans], lang)
    for span, text in zip(spans, texts, strict=True):
        counts = table.counts.setdefault(span.section, {})
        seen_here = None if span.section == "title" else seen
        table.words = _count(text, counts, table, lang, cache, seen=seen_here, variants=variants)
    if variants:
        for key, written in variants.items():
            table.surface[key] = _bare(written)
    if table.other_forms:
        for key, others in table.other_forms.items():
            shown = _in_dictionary_forms(table.surface[key], others, lang.dictionary_forms)
            if shown is not None:
                table.base_forms[key] = shown
    table.other_forms = None
    titled, plain = _sort_case(seen)
    table.titled = {lowercase(word) for word in titled} - plain
    table.filler = holds_filler(seen)
    return table


def add_keywords(table: CandidateTable, keywords: Iterable[tuple[str, str, dict[str, int]]],
                 lang: Language = ENGLISH) -> None:
    """Mark the keys of the keywords a document lists (`keywords.author_keywords`: each with the section that lists
    it and how often each section holds it) in `table.keywords`. One that is no candidate ("internet of things",
    whose "of" ends English terms; "técnicas de aprendizaje de máquina", two linkers) is counted as often as the
    text holds it (`keywords._counts`: in its first 100,000 characters), first met where its earliest word was."""
    for phrase, section, counts in keywords:
        key = normalize(phrase, lang)
        if not key or key in table.keywords:
            continue
        table.keywords.add(key)
        if key not in table.first:
            for name, count in (counts or {section: 1}).items():
                table.counts.setdefault(name, {})[key] = count
            table.first[key] = min((table.first[word] for word in key.split(" ") if word in table.first),
                                   default=table.words)
            table.surface[key] = lowercase(" ".join(phrase.split()))


def add_acronyms(table: CandidateTable, acronyms: Iterable[tuple[str, str]], lang: Language = ENGLISH) -> None:
    """Keep in `table.acronyms` the acronyms the document defines (`acronyms.defined_acronyms`: short form, long
    form) whose long form is a candidate, by their keys: the short form's, singular ("MRF") and plural ("MRFs",
    which some languages' folding keeps apart), each that is a candidate."""
    for short, long in acronyms:
        long_key = normalize(long, lang)
        if long_key not in table.first:
            continue
        stem = singular(short)
        for form in dict.fromkeys((stem, stem + "s")):
            short_key = normalize(form, lang)
            if short_key and short_key != long_key and short_key in table.first:
                table.acronyms.setdefault(short_key, long_key)


def dehyphenate(text: str, lang: Language = ENGLISH) -> str:
    """Join words hyphenated across a line break: "informa-\\ntion" → "information", "web-\\nbased" → "web-based"."""
    if "-\n" not in text and "- \n" not in text:
        return text
    return _LINE_HYPHEN.sub(lambda match: _join(match, lang), text)


def full_line(texts: list[str]) -> int:
    """The characters of a full line of `texts`: of their lines that hold text, the longest but a fifth; 0 for
    fewer than two such lines."""
    return _full(_widths(texts))


def _widths(texts: list[str]) -> list[int]:
    """The lengths of the lines of `texts` that hold text, shortest first."""
    widths = sorted(len(line.strip()) for text in texts for line in text.split("\n"))
    return widths[bisect.bisect_right(widths, 0) :]  # not the blank lines


def _full(widths: list[int]) -> int:
    """`full_line` of line lengths, shortest first."""
    return widths[len(widths) * 4 // 5] if len(widths) >= 2 else 0


def _with_ended_lines(spans: list[Span], texts: list[str], lang: Language) -> list[str]:
    """The spans' `texts` with the lines their author ended marked (`mark_ended_lines`), each measured by
    `_measure`; not the title's, which wraps mid-phrase, nor in the unspaced scripts, whose lines hold no words to
    measure. Each text's lines are measured once, for itself and for the document's full line."""
    if lang.unspaced:
        return texts
    widths = {index: _widths([text]) for index, (span, text) in enumerate(zip(spans, texts, strict=True))
              if span.section != "title"}
    document = _full(sorted(width for each in widths.values() for width in each))
    return [mark_ended_lines(text, _measure(widths[index], document)) if index in widths else text
            for index, text in enumerate(texts)]


def _measure(widths: list[int], document: int) -> int:
    """The full line a section's lines (their `widths`, shortest first) are measured against: its own where most of
    them come within `_COLUMN_NEAR` of it, as a column of text's do (a narrow column or box wraps shorter lines than
    the rest of the document); else the `document`'s, as for a title page's or an address's lines, short and of any
    length."""
    own = _full(widths)
    near = len(widths) - bisect.bisect_left(widths, _COLUMN_NEAR * own)
    return own if 2 * near > len(widths) else document


def mark_ended_lines(text: str, full: int) -> str:
    """`text` with `LINE_ENDED`, which bounds terms, after each line its author ended: a line after which the next
    line's first word would have fit, with room to spare (`ENDED_LINE_ROOM` of a `full` line: `_measure`), that
    word not lowercase (in a script without case, the room alone tells). Terms run on across a line the text
    wrapped ("neural⏎networks"), not across the lines of an address ("12345 Musterhausen⏎Mitglied Nr. 4711"), a
    title page, a heading, a list or a table."""
    room = ENDED_LINE_ROOM * full
    if "\n" not in text or room < 2:
        return text
    pieces = text.split("\n")
    lines = [piece.strip() for piece in pieces]
    ended = [
        index for index in range(len(lines) - 1)
        if (line := lines[index]) and (following := lines[index + 1]) and len(line) + 2 <= room
        and not following[0].islower() and len(line) + 1 + len(following.split(None, 1)[0]) <= room
    ]
    if not ended:
        return text
    for index in ended:
        pieces[index] += LINE_ENDED
    return "\n".join(pieces)


def lower_aligned(text: str) -> str:
    """`text` lowercased so that offsets into it are offsets into `text`: "İ" lowercases to two characters ("i"
    and a combining dot), of which the first is kept."""
    lower = lowercase(text)
    if len(lower) == len(text):
        return lower
    # "İ" is the one character whose lowercase is longer. Read as "I", a cased letter too, it keeps its offset while
    # the text lowercases whole: letter by letter, a word-final capital sigma became "σ", not "ς" ("ΟΔΟΣ" → "οδοσ",
    # where its key is "οδος").
    lower = lowercase(text.replace("\u0130", "I"))
    return lower if len(lower) == len(text) else "".join(lowercase(char)[0] for char in text)


def normalize(phrase: str, lang: Language = ENGLISH) -> str:
    """The candidate key of a phrase: its words lowercased and folded, joined by single spaces; a linker
    (`LINK`) only between two of them, marked (`LINK_MARK`)."""
    cache = _cache(lang)
    words: list[str] = []
    for token in tokenize(dehyphenate(phrase, lang), lang):
        info = cache.get(token, _UNSEEN)
        if info is _UNSEEN:
            info = _classified(token, lang, cache)
        if info is not None and (info[1] != LINK or words):
            words.append(info[0])
    while words and words[-1] == LINK_MARK:  # a term neither starts nor ends on a linker (`LINK`)
        words.pop()
    return " ".join(words)


def classify(token: str, lang: Language = ENGLISH) -> WordInfo:
    """The normalised form of a word token, how it may end a term and whether it is singular, or None for a
    boundary."""
    lower = _lowered(token, lang)
    if lower in lang.linkers:
        return LINK_MARK, LINK, True
    if lower in lang.infinitives and token.islower() and lower not in lang.stop_words:
        return lower + VERB_MARK, AFTER_LINK, True  # also where a lexicon lists it as a verb ("permis de conduire")
    if _no_word(token, lower, lang):
        return None
    if lower in lang.infinitives:
        # Capitalised (or in capitals): a sentence's or a heading's first word ("Configurar la impresora"), or a
        # name ("Ovar"), which the text never writes lowercase: `scoring` tells them apart.
        return lower + VERB_MARK, ENDS, True
    folded = lower if lang.unspaced else lang.fold(lower)  # Chinese was folded by `_lowered`
    if lower in lang.participles:
        return folded, PARTICIPLE if token.islower() else CAPITAL_PARTICIPLE, folded == lower
    return folded, _ending(token, lower, lang), folded == lower


def _lowered(token: str, lang: Language) -> str:
    """`token` lowercase, one spelling of its hyphens and apostrophes, without a possessive "'s"."""
    lower = lowercase(token)
    # A hyphen or an unspaced en dash joins a compound ("Levenberg–Marquardt"); an apostrophe is one key however
    # it is written ("об'єкт", "об’єкт", "обʼєкт"), "'" from here on.
    if not lower.isascii():
        lower = lower.translate(_HYPHENS_AND_APOSTROPHES)
    if lower.endswith("'s"):
        lower = lower[:-2]
    if not lower.isascii() and ("\u200c" in lower or "\u200d" in lower):
        lower = _listed_spelling(lower, lang)
    if lang.unspaced:  # Traditional Chinese is read as Simplified, as the function words and frequencies are
        lower = lang.fold(lower)
    return lower


def _no_word(token: str, lower: str, lang: Language) -> bool:
    """Whether `token` (`lower` lowercased) bounds terms: a function word, a verb form, an adverb, no word."""
    if (not 2 <= len(lower) <= MAX_WORD_CHARS or lower in lang.stop_words or _verb(token, lower, lang)
            or (lang.unspaced and is_particle(lower)) or (lang.code == "ko" and is_boundary(lower, lang.frequencies))):
        return True
    if lower in lang.also_stop_words and not token.isupper():  # "SI" in capitals is no French "si"
        return True
    bare = lower.replace("-", "").replace("'", "").replace(" ", "")  # " ": a Vietnamese compound
    if not bare.isascii():
        bare = bare.translate(NO_JOINERS)
    if (not _spelt_in_letters(bare, lower) or _one_letter_repeated(token) or not _in_one_script(bare, lower)
            or _marked_latin_letter(lower)):
        return True
    # An adverb, a contraction ("can’t", "we'll") or an elided function word ("jusqu'", "l’", "quest'")
    return _adverb(lower, lang) or (lang.english and "'" in lower) or lower[-1] == "'"


def _listed_spelling(lower: str, lang: Language) -> str:
    """`lower` without its joiners where only that spelling is listed (Hindi "क्षेत्र" written "क्‍षेत्र"; German
    "Auf‌lage", whose non-joiner only stops a ligature), else as written (Persian "نرم‌افزار", listed so); a
    Malayalam chillu written with a joiner as the one letter it is ("ര്‍" as "ർ"), and without the joiner that
    ends a word after a virama (Kannada "ಲಿಸ್ಟ್‍" is "ಲಿಸ್ಟ್"): one word, one key."""
    for spelled, chillu in _CHILLUS.items():
        lower = lower.replace(spelled, chillu)
    plain = lower.translate(NO_JOINERS)
    if plain in lang.frequencies and lower not in lang.frequencies:
        return plain
    return lower.rstrip(JOINERS)


def _verb(token: str, lower: str, lang: Language) -> bool:
    """A verb form, which bounds terms; in German not an infinitive written with a capital, which is also a noun
    ("das Verfahren", "maschinelles Lernen"): `NOUN_OR_VERB`. A German present participle left uninflected is an
    adverb ("Abschließend diskutieren wir", "weitgehend automatische Verfahren"): it bounds terms too."""
    if lower in lang.verbs:
        return not _capitalised_infinitive(token, lower, lang)
    return lang.capitalised_nouns and lower.endswith("end") and lower[:-1] in lang.verbs


def _capitalised_infinitive(token: str, lower: str, lang: Language) -> bool:
    return lang.capitalised_nouns and token[:1].isupper() and lower.endswith(_INFINITIVE_ENDINGS)


def _ending(token: str, lower: str, lang: Language) -> int:
    if lang.english:
        if lower.endswith("ed") and len(lower) > 4 and not lower.endswith("eed"):
            return NEVER
        return AFTER_SINGULAR if lower in lang.base_verbs else ENDS
    if not lang.capitalised_nouns:
        return ENDS
    if not token[:1].isupper():
        return NEVER  # German: a term ends on a capitalised noun
    return NOUN_OR_VERB if lower in lang.verbs else ENDS


def tokenize(text: str, lang: Language) -> list[str]:
    """Word and boundary tokens of `text` (see `_WORDS_AND_BOUNDARIES`); each address is one token. In Chinese and
    Japanese a run of letters is cut into words (`unspaced.split_words`), in Korean a particle off its noun
    (`korean.split_particle`)."""
    eliding = lang.apostrophe == "elision"
    if text.isascii():  # all of it in `_LATIN`, where the two expressions read alike: no stretches to look for
        tokens = _tokenize(text, partial(_latin_tokens, eliding), eliding)
    elif _latin_sparse(text):  # no long Latin stretches to expect (Greek, Russian, Chinese…): one expression throughout
        tokens = _tokenize(text, _TOKENIZERS[eliding].findall, eliding)
    else:
        tokens = _tokenize(text, partial(_findall, eliding), eliding)
    if lang.unspaced:
        return [word for token in tokens for word in split_words(token, lang.code, lang.stop_words)]
    if lang.code == "ko":  # a noun and its particle are one token ("학습은"): two words
        return [word for token in tokens for word in split_particle(token, lang.frequencies)]
    if lang.apostrophe == "suffix":
        return _without_suffixes(tokens)
    if lang.code in PROCLITIC_LANGUAGES:  # "والذاكرة": "and" and "the memory"
        return [word for token in tokens for word in split_proclitic(token, lang.code, lang.frequencies)]
    if lang.code == "vi":
        return _with_compounds(tokens)
    return tokens


_COMPOUND_HEADS = frozenset(compound.split(" ")[0] for compound in VIETNAMESE_COMPOUNDS)


def _with_compounds(tokens: list[str]) -> list[str]:
    """Vietnamese tokens (syllables) with the two of a word in `VIETNAMESE_COMPOUNDS` as one token ("thiết bị"):
    one of them is a function word elsewhere ("bị", the passive)."""
    joined: list[str] = []
    index = 0
    while index < len(tokens):
        first = tokens[index]
        pair = (f"{first} {tokens[index + 1]}" if index + 1 < len(tokens) and lowercase(first) in _COMPOUND_HEADS
                else "")
        if pair and lowercase(pair) in VIETNAMESE_COMPOUNDS:
            joined.append(pair)
            index += 2
        else:
            joined.append(tokens[index])
            index += 1
    return joined


def _without_suffixes(tokens: list[str]) -> list[str]:
    """The tokens with a case suffix after an apostrophe ("Linux'ta", "Ankara'nın", "O'Reilly'nin") cut off a name
    as a boundary: the name is the word, and the suffix ends its term. A suffix is lowercase letters after the
    last apostrophe, which two letters or a capital alone precede: "d'Hondta" and "rock'n'roll" stay whole."""
    cut: list[str] = []
    for token in tokens:
        suffix = _CASE_SUFFIX.search(token) if "'" in token or "’" in token or "ʼ" in token else None
        if suffix is not None:
            cut += (token[: suffix.start()], "'")
        else:
            cut.append(token)
    return cut


def _tokenize(text: str, findall: Callable[[str, int, int], list[str]], eliding: bool) -> list[str]:
    tokens: list[str] = []
    done = 0  # tokenized up to here
    for start, end in address_runs(text):
        tokens += findall(text, done, start)
        run = text[start:end]
        # An elided article opens the run ("l'adresse@…"): the run is words, as when it is read from its start.
        tokens += findall(run, 0, len(run)) if eliding and _ELIDED_START.match(run) else [run]
        done = end
    tokens += findall(text, done, len(text))
    return tokens


def address_runs(text: str) -> Iterator[tuple[int, int]]:
    """Where the addresses of `text` are (e-mail addresses, URLs: see `_MARK`), in order: each the whole run of
    non-space characters around its mark."""
    if "/" not in text and not any(mark in text for mark in _ADDRESS_MARKS):
        return
    done = 0
    while (mark := _MARK.search(text, done)) is not None:
        start = _RUN_BEFORE.match(text, done, mark.start()).start()  # type: ignore[union-attr]  # \S* always matches
        done = _RUN_AFTER.match(text, mark.start()).end()  # type: ignore[union-attr]
        yield start, done


def _findall(eliding: bool, text: str, start: int, end: int) -> list[str]:
    """`_TOKENIZERS[eliding].findall(text, start, end)`, the whole lines inside long Latin stretches read by
    `_LATIN_TOKENIZERS`.

    The text is cut only at the start of a line that is not blank, or at `start` when it is 0 or the character
    before it is in `_LATIN` (the two expressions look behind alike there). No token crosses a line start that is
    not blank: a token holds no newline but the paragraph break, and a break that crosses the start of a line ends
    on that line, which is then blank. A line start follows a newline, which no expression reads as part of a
    word, so each piece is read from its start as the whole text would be read there.
    """
    words = _TOKENIZERS[eliding]
    if end - start < _LATIN_STRETCH:  # too short to hold a stretch (the pieces between addresses)
        return words.findall(text, start, end)
    tokens: list[str] = []
    done = start  # read up to here, a cut
    for low, high in _latin_stretches(text, start, end):
        at_cut = low == done and (low == 0 or text[low - 1] in _LATIN_CHARS)
        first = low if at_cut else _next_cut(text, low, high)
        # The line holding the character at `high` holds one outside `_LATIN`, which is no space nor tab: that
        # line is not blank.
        last = end if high == end else text.rfind("\n", first, high) + 1
        if first < last:
            tokens += words.findall(text, done, first)
            tokens += _latin_tokens(eliding, text, first, last)
            done = last
    tokens += words.findall(text, done, end)
    return tokens


def _latin_tokens(eliding: bool, text: str, start: int, end: int) -> list[str]:
    """`_LATIN_TOKENIZERS[eliding].findall(text, start, end)` of text in `_LATIN`, read a chunk between spaces at a
    time: a chunk of letters and digits is one word, and one with a single other character after them is two
    tokens (see `_chunk_tokens`); the expression reads the other chunks (one in thirty of French news's, one in
    twenty-five of English abstracts') and the blank lines between them. Some 0.6 of the time it takes to read it
    all.

    No token holds a space, but a paragraph break; each lookaround of the expression reads a space as it reads
    the start or the end of the text, so a chunk reads alone as it does in the text. On `_LATIN`, `str.isalnum`
    and `str.isspace` agree with `\\p{L}`, `\\p{N}` and `\\s` but for the four separators `str.split` also
    splits at (`_SPLIT_ONLY`): a text with one, or whose range starts inside a run of non-spaces, is read whole."""
    findall = _LATIN_TOKENIZERS[eliding].findall
    inside = start > 0 and not text[start - 1].isspace() and not text[start : start + 1].isspace()
    if inside or _SPLIT_ONLY.search(text, start, end) is not None:
        return findall(text, start, end)
    piece = text[start:end]
    tokens: list[str] = []
    done = 0
    for blank in _PARAGRAPH_BREAK.finditer(piece):
        _chunk_tokens(piece[done : blank.start()], findall, tokens, eliding)
        tokens.append(blank.group())
        done = blank.end()
    _chunk_tokens(piece[done:], findall, tokens, eliding)
    return tokens


def _chunk_tokens(piece: str, findall: Callable[[str], list[str]], tokens: list[str], eliding: bool) -> None:
    """Appends the tokens of `piece`, which holds no paragraph break, to `tokens` (see `_latin_tokens`); `eliding`:
    a chunk that is an elided article and a word is two tokens too ("l'aéroport", a twentieth of French news's)."""
    for chunk in piece.split():
        if len(chunk) == 1 or chunk.isalnum():
            tokens.append(chunk)
        elif chunk[:-1].isalnum():  # and the last character is not: "word," "2019."
            tokens.append(chunk[:-1])
            tokens.append(chunk[-1])
        elif eliding and (cut := _elision_end(chunk)):
            tokens.append(chunk[:cut])
            tokens.append(chunk[cut:])
        else:
            tokens += findall(chunk)


def _elision_end(chunk: str) -> int:
    """Where the elided article (`_ELIDED`) of a chunk that is one and a word of letters and digits ends, or 0: one
    to six letters, an apostrophe, a letter and letters or digits."""
    cut = chunk.find("'") + 1 or chunk.find("’") + 1
    return cut if 1 < cut <= 7 and chunk[: cut - 1].isalpha() and chunk[cut:].isalnum() and chunk[cut].isalpha() else 0


def _latin_sparse(text: str) -> bool:
    """Whether characters outside `_LATIN` are so frequent (more than one in a hundred, in a sample of some
    `_SPARSE_SAMPLE` characters spread over the text) that long Latin stretches are unlikely: looking for them
    would cost more than it saves, a sixth to a third of the tokenizing time on Russian, Greek or Chinese text.
    Only which expression reads the text depends on this guess."""
    sample = text[:: max(1, len(text) // _SPARSE_SAMPLE)]
    others = 0
    for char in sample:  # a loop the compiled module runs itself: `map` and `sum` were a call per character
        if char not in _LATIN_CHARS:
            others += 1
    return others * 100 > len(sample)


def _latin_stretches(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Where at least `_LATIN_STRETCH` characters of `_LATIN` follow each other, in order. The walk is linear: an
    attempt that fails reads only the Latin run up to the next other character, and those runs do not overlap."""
    head = _LATIN_HEAD.match(text, start, end)
    if head is not None:
        yield head.span()
        if head.end() == end:  # Latin up to the end: no other character for a stretch to follow
            return
    for stretch in _LATIN_AFTER_OTHER.finditer(text, start, end):
        yield stretch.span(1)


def _next_cut(text: str, position: int, limit: int) -> int:
    """The start of the first line after `position` that is not blank, or `limit` when none starts before it.
    A line with no newline before `limit` counts as not blank: no paragraph break can end on it."""
    found = _LINE_NOT_BLANK.search(text, position, limit)
    return limit if found is None else found.end()


def _adverb(word: str, lang: Language) -> bool:
    """An adverb made from a known adjective: "-ly" in English ("efficiently", "easily", "basically"), "-mente"
    in Spanish, Portuguese and Italian ("precisamente", "rápidamente", "velocemente", "metodológicamente"). French
    "-ment" also makes nouns from verbs ("gouvernement"): there, the lexicon's adverbs ("automatiquement")."""
    if word in lang.adverbs:
        return True
    if lang.english:
        return word.endswith("ly") and len(word) > 5 and (
            lang.is_known(word[:-2]) or lang.is_known(word[:-3] + "y")
            or (word.endswith("ally") and lang.is_known(word[:-4]))  # "specifically", "basically"
        )
    # A feminine adjective's "-a" before "-mente" makes an adverb of any, known or not ("metodológicamente").
    # Italian drops the "-e" of an adjective in "-le" or "-re" ("manuale": "manualmente", "regolarmente").
    return lang.code in _MENTE and word.endswith("mente") and len(word) > 8 and (
        word.endswith("amente") or lang.is_known(word[:-5])
        or (lang.code == "it" and word[-6] in "lr" and lang.is_known(word[:-5] + "e")))


def _marked_latin_letter(lower: str) -> bool:
    """One Latin letter under accents no letter of Unicode is made of ("b̃", "a̋"): a symbol of mathematics or of a
    table of accents, not a word."""
    return len(lower) <= _MARKED_LETTER_CHARS and lower[0].isascii() and not lower[1:].isascii() and all(
        unicodedata.combining(char) for char in lower[1:])


def _one_letter_repeated(token: str) -> bool:
    """A lowercase run of one letter ("eee", "lll"): OCR's reading of a rule, a dotted leader or line numbers in
    a font it cannot read, or a placeholder ("xxx"); no word. Capitals stay: "AAA", "III" name things."""
    return len(token) >= 3 and token.islower() and token == token[0] * len(token)


def _spelt_in_letters(bare: str, lower: str) -> bool:
    """Whether a token (`bare`: without hyphens and apostrophes) is letters, marks on them included. Digits mark
    codes, table cells and figure labels; "--" is punctuation; accents or modifier letters alone ("̔͂", "ˇˇ") are
    a font sample's list of them."""
    if not bare or (not bare.isalpha() and _LETTERS_AND_MARKS.fullmatch(lower) is None):
        return False
    return bare.isascii() or bare[0] in _LATIN_BASE_LETTERS or _BASE_LETTER.search(bare) is not None


def _in_one_script(bare: str, lower: str) -> bool:
    """Whether each part of a word between its hyphens is written in one writing system ("NF-κB", "α線" are; a
    garbled "मŲ" and "counterजवळ" with a space lost are not: `language.scripts`)."""
    return bare.isascii() or _LATIN_CHARS.issuperset(bare) or all(map(one_system, lower.split("-")))


def _classified(token: str, lang: Language, cache: dict[str, WordInfo]) -> WordInfo:
    """`classify(token)`, kept in `cache` for the next time unless the token is too long to be a word: each
    distinct one kept (base64 in a text layer, runs of 20,000 letters) grew a long-lived worker's memory by its
    length, up to `_CACHE_LIMIT` of them."""
    info = classify(token, lang)
    if len(token) <= _CACHED_CHARS:
        cache[token] = info
    return info


def _cache(lang: Language) -> dict[str, WordInfo]:
    cache = _caches.get(lang.key)
    if cache is None or len(cache) > _CACHE_LIMIT:  # the limit bounds memory in a long-lived worker
        cache = _caches[lang.key] = _frequent_words(lang)
    return cache


def _frequent_words(lang: Language) -> dict[str, WordInfo]:
    """A word cache that starts with the words of the language's list (`Language.frequencies`), lowercase and
    Capitalised: a new document's words were some 64 of every WikiNews text's 282 met for the first time, 13 now,
    and each took some 3.5 µs to classify. Filling it takes some 0.1 s for French, 0.45 s for Russian or Greek."""
    cache: dict[str, WordInfo] = {}
    for word in islice(lang.frequencies, _PREWARMED_WORDS):
        for token in (word, word[:1].upper() + word[1:]):
            if token not in cache and len(token) <= _CACHED_CHARS:
                cache[token] = classify(token, lang)
    return cache


def _join(match: regex.Match[str], lang: Language) -> str:
    head, tail = match.group(1), match.group(2)
    joined = head + tail
    if not lang.frequencies:  # nothing to tell words from parts: a line-end hyphen usually splits one word
        return joined
    return joined if lang.is_known(lowercase(joined)) or not lang.is_known(lowercase(head)) else f"{head}-{tail}"


def _count(
    text: str, counts: dict[str, int], table: CandidateTable, lang: Language, cache: dict[str, WordInfo],
    *, seen: set[str] | None, variants: dict[str, dict[str, int]] | None,
) -> int:
    position = table.words
    run: list[tuple[str, int, bool]] = []
    surfaces: list[str] = []
    tokens = tokenize(text, lang)
    if seen is not None:
        seen.update(tokens)
    spaced = not lang.unspaced
    heads = table.heads if lang.linkers else None  # a linker is a word of its run: positions count it
    shown = table.participle_shown
    for index, token in enumerate(tokens):
        info = cache.get(token, _UNSEEN)  # a call of the method itself: mypyc makes it a dict lookup
        if info is _UNSEEN:
            info = _classified(token, lang, cache)
        # A word that is only a verb after a plural is a clause's: "algorithms adopt feedback linearization".
        verb = info is not None and info[1] == AFTER_SINGULAR and bool(run) and not run[-1][2]
        complement = False
        if info is not None and info[1] > AFTER_SINGULAR and info[1] != LINK:
            verb, info, complement = _in_context(info, verb, index, tokens=tokens, run=run, table=table, lang=lang)
        elif shown and info is not None and info[0] in shown:
            table.surface[info[0]] = lowercase(token)
            shown.discard(info[0])
        if info is None or verb:
            if run:
                _emit(run, surfaces, counts, table, position, spaced=spaced, variants=variants, heads=heads)
                position += len(run)
                run, surfaces = [], []
            if verb:
                position += 1  # a word of the text, if of no term
            continue
        run.append(info)
        surfaces.append(token)
        if complement:
            _emit(run, surfaces, counts, table, position, spaced=spaced, variants=variants, heads=heads)
            position += len(run)
            run, surfaces = [], []
    if run:
        _emit(run, surfaces, counts, table, position, spaced=spaced, variants=variants, heads=heads)
        position += len(run)
    if lang.determiners:
        _count_before_determiners(tokens, lang.determiners, cache, table.before_determiners)
    return position


def _count_before_determiners(tokens: list[str], determiners: frozenset[str], cache: dict[str, WordInfo],
                              before: dict[str, tuple[int, str]]) -> None:
    """Counts in `before` the words of `tokens` (classified in `cache`, where no word is None) that open a sentence
    (a span, or follow a line its author ended) right before a determiner and a word classified as one: not before
    a verb form, a function word or punctuation, after which the determiner is an object's pronoun ("Google la
    compró")."""
    for index in range(len(tokens) - 2):
        if tokens[index + 1] in determiners and (index == 0 or tokens[index - 1][-1:] in _SENTENCE_ENDS) and (
                cache.get(tokens[index + 2]) is not None):
            info = cache.get(tokens[index])
            if info is not None:
                word = lowercase(tokens[index])
                before[word] = before.get(word, (0, ""))[0] + 1, info[0]


def _in_context(info: tuple[str, int, bool], verb: bool, index: int, *, tokens: list[str],
                run: list[tuple[str, int, bool]], table: CandidateTable, lang: Language,
                ) -> tuple[bool, tuple[str, int, bool], bool]:
    """(whether it is a verb, its info with how it ends terms there, whether it ends the run) of the word whose
    `info` says its neighbours tell (`NOUN_OR_VERB`, `AFTER_LINK`, `PARTICIPLE`, `CAPITAL_PARTICIPLE`), at `index`
    of `tokens`."""
    word, ending, singular = info
    if ending == NOUN_OR_VERB:
        # A noun but before "Sie" or "wir": "das Verfahren", a heading's "Verfahren zur Bildanalyse", "Grenzen der
        # Methode" at a sentence's start; "Klicken Sie auf" after a list's ended line.
        addressed = index + 1 < len(tokens) and tokens[index + 1] in _ADDRESSING
        return (True, info, False) if addressed else (verb, (word, ENDS, singular), False)
    if ending == AFTER_LINK:
        # A verb, but for a noun's complement right after a linker ("máquina de coser"), which ends its term.
        table.lowercase_infinitives.add(word)
        complement = len(run) > 1 and run[-1][1] == LINK
        return not complement, (word, ENDS, singular), complement
    if index == 0 or _lowered(tokens[index - 1], lang) not in lang.before_nouns:  # a participle; not "l’uscita"
        met = table.participles if ending == PARTICIPLE else table.capital_participles
        met[word] = met.get(word, 0) + 1
        if word not in table.first:
            table.participle_shown.add(word)
    return verb, (word, ENDS, singular), False


def _written(words: list[str]) -> str:
    """Words of a term as Chinese or Japanese text writes them: no space next to a word of an unspaced script
    ("AIモデル", "GPU加速"). Where the text has one, the term is found by its key, which has it too."""
    text = words[0]
    for word in words[1:]:
        text += word if unspaced_char(text[-1]) or unspaced_char(word[0]) else " " + word
    return text


def _sort_case(distinct: set[str]) -> tuple[set[str], set[str]]:
    """The Capitalised tokens (not in capitals), and the others lowercased. Every distinct token of a document
    passes here: an ASCII first letter is told by its range, which the compiled module compares in place, and
    `str.isupper`, a method call there, is left for the rest."""
    capitalised: set[str] = set()
    others: set[str] = set()
    for token in distinct:
        first = token[:1]
        if ("A" <= first <= "Z" if first < "\x80" else first.isupper()) and not (len(token) > 1 and token.isupper()):
            capitalised.add(token)
        else:
            others.add(lowercase(token))
    return capitalised, others


def _bare(written: dict[str, int]) -> str:
    """The surface of a term to show, of its surfaces and their counts: the shortest written twice or more, the
    stem with the fewest suffixes ("hücre" of "hücreye", "hücrelerdeki"; the commonest surface took "nesneleri"
    over "nesne"), but a stray form met once ("met" of an English sentence, which Turkish "metin" folds into)."""
    most = max(written.values())
    return min((form for form, count in written.items() if count >= min(2, most)),
               key=lambda form: (len(form), -written[form]))


def _in_dictionary_forms(first: str, others: dict[str, int], forms: frozenset[str]) -> str | None:
    """Of a term's other surfaces and their counts (in order of first occurrence), the one with the most words in
    their dictionary form, the commonest of those, the first of those, when it has more of them than its `first`
    surface ("резервная копия": "копия"; not "резервной копии"); else None, and `first` stays."""
    best = max(others, key=lambda form: (_dictionary_words(form, forms), others[form]))
    return best if _dictionary_words(best, forms) > _dictionary_words(first, forms) else None


def _dictionary_words(form: str, forms: frozenset[str]) -> int:
    """How many words of a surface are in `forms`, its apostrophes as the lists write them ("з’єднання")."""
    if not form.isascii():
        form = form.translate(_HYPHENS_AND_APOSTROPHES)
    return sum(1 for word in form.split(" ") if word in forms)


def unlinked(word: str, linkers: frozenset[str]) -> str:
    """A lowercase surface word without the elided linker before it: "énergie" of "d'énergie" (see `_elided`)."""
    cut = next((at + 1 for at, char in enumerate(word) if char in "'\u2019"), 0)
    return word[cut:] if cut and word[:cut].replace("\u2019", "'") in linkers else word


def _elided(written: str) -> str:
    """A term's words without the space after an elided linker: "base d'énergie", "analisi dell'acqua"."""
    return written.replace("' ", "'").replace("\u2019 ", "\u2019")


def _tally(variants: dict[str, dict[str, int]], key: str, written: str) -> None:
    forms = variants.setdefault(key, {})
    forms[written] = forms.get(written, 0) + 1


def _emit(run: list[tuple[str, int, bool]], surfaces: list[str], counts: dict[str, int], table: CandidateTable,
          start: int, *, spaced: bool, variants: dict[str, dict[str, int]] | None,
          heads: dict[str, int] | None) -> None:
    """Counts the terms of a run of words and keeps the first position and surface of each new one; `variants`:
    counts every surface too (see `Language.agglutinative`); `heads`: counts the words that open a run or follow a
    linker (see `CandidateTable.heads`), given in the languages that have linkers."""
    if len(run) > 1:
        _emit_terms(run, surfaces, counts, table, start, spaced=spaced, variants=variants, heads=heads)
        return
    word, ending, _ = run[0]  # the most common run: no n-gram loops
    if ending == ENDS:
        if heads is not None:
            heads[word] = heads.get(word, 0) + 1
        counts[word] = counts.get(word, 0) + 1
        if word not in table.first:
            table.first[word] = start
            table.surface[word] = lowercase(surfaces[0])
        elif table.other_forms is not None and (form := lowercase(surfaces[0])) != table.surface[word]:
            _tally(table.other_forms, word, form)
        if variants is not None:
            _tally(variants, word, lowercase(surfaces[0]))


def _emit_terms(run: list[tuple[str, int, bool]], surfaces: list[str], counts: dict[str, int], table: CandidateTable,
                start: int, *, spaced: bool, variants: dict[str, dict[str, int]] | None,
                heads: dict[str, int] | None) -> None:
    """`_emit` of a run of several words. A term holds one linker at most, right after its first word."""
    first, surface, others = table.first, table.surface, table.other_forms
    size = len(run)
    words = [info[0] for info in run]
    for i in range(size):
        if run[i][1] == LINK:
            continue
        key = words[i]
        if heads is not None and (i == 0 or run[i - 1][1] == LINK):
            heads[key] = heads.get(key, 0) + 1
        linked = heads is not None and i + 1 < size and run[i + 1][1] == LINK  # `heads`: a language with linkers
        for j in range(i, min(size, i + MAX_WORDS)):
            if j > i:
                if words[j] in words[i:j] or (j > i + 1 and run[j][1] == LINK):
                    # A word repeated within a term is a list or a layout echo ("opacity opacity"); a second linker
                    # or one after two words starts another term ("analyse des données", "données du système").
                    break
                key = f"{key} {words[j]}"  # grown word by word rather than joined again for each length
            ending = run[j][1]
            if ending == ENDS or (ending == AFTER_SINGULAR and j > i):  # after a plural it began a run of its own
                counts[key] = counts.get(key, 0) + 1
                if key not in first:
                    first[key] = start + i
                    written = " ".join(surfaces[i : j + 1]) if spaced else _written(surfaces[i : j + 1])
                    if linked and j > i:
                        written = _elided(written)
                        table.linked.add(key)
                    surface[key] = lowercase(written)
                elif others is not None and (form := lowercase(" ".join(surfaces[i : j + 1]))) != surface[key]:
                    _tally(others, key, form)  # a repeat written otherwise ("резервная копия" after "резервной копии")
                if variants is not None:
                    _tally(variants, key, lowercase(" ".join(surfaces[i : j + 1])))
