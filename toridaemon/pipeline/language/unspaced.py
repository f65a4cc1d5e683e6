"""Words of the scripts written without spaces between them: Chinese, Japanese, Thai, Lao, Khmer and Burmese.

The tokenizer reads a run of letters as one word, and Chinese or Japanese puts no space between words, so a whole
clause ("机器学习是人工智能的一个分支") was one candidate. `split_words` cuts such a run into words:
- Chinese: each run of Han characters becomes the most probable sequence of the words of wordfreq's Chinese list
  (a unigram model, as jieba's dictionary mode; Traditional characters are looked up as Simplified, as wordfreq
  itself looks them up). Neighbouring single characters that are no function word stay together: a name ("李明")
  or a term the list lacks ("卷积", convolution, where it lists each character alone).
- Japanese: a run is cut where its script changes. Kanji compounds ("機械学習") and katakana words ("ネットワーク")
  are the words; hiragana is mostly particles and inflections ("は", "の", "います"), which bound terms as function
  words do elsewhere (`is_particle`).
- Thai, Lao, Khmer and Burmese: a run is cut by ICU's word break rules, which read these scripts with a dictionary
  of each (`icu4py`, ICU's own data in its wheel). The prefixes that make nouns of verbs and adjectives ("การ",
  "ความ" in Thai) are written onto the word they make: "การเรียนรู้" (learning), "ความนิยม" (popularity).
Chinese and Japanese are linear in the run's length: each position tries words of at most `_LONGEST` characters.
"""

from __future__ import annotations

import gzip
import math
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import regex

_DICTIONARY_BROKEN = frozenset(("th", "lo", "km", "my"))  # cut by ICU's word break rules
UNSPACED = frozenset(("zh", "ja")) | _DICTIONARY_BROKEN
CLAUSE_END = " "  # a token no word is: it ends a run of words (`candidates`)
_SOUTHEAST_CHARS_PER_WORD = 6
# Per first character, the pairs NFKC makes of one Thai or Lao letter, and that letter.
_COMPOSED = (("\u0e4d", (("\u0e4d\u0e32", "\u0e33"),)), ("\u0ecd", (("\u0ecd\u0eb2", "\u0eb3"),)),
             ("\u0eab", (("\u0eab\u0e99", "\u0edc"), ("\u0eab\u0ea1", "\u0edd"))))
_LEADING_VOWELS = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4")  # Thai, Lao
_SUBSCRIPT_SIGNS = frozenset("\u17d2\u1039")  # Khmer's coeng, Myanmar's virama: a consonant below follows
_SILENCING_MARKS = frozenset("\u103a\u0e4c\u0ecc\u17cd")  # Myanmar's asat, Thai's thanthakhat, Lao's, Khmer's
# Per language, the prefixes that make nouns ("การ" + "เรียนรู้", to learn: learning): no words of their own.
_NOUN_PREFIXES = {"th": frozenset(("การ", "ความ")), "lo": frozenset(("ການ", "ຄວາມ")),
                  "km": frozenset(("ការ", "សេចក្ដី", "សេចក្តី", "ភាព"))}
# The letters of those scripts: Thai, Lao, Myanmar (with its extensions), Khmer (with its symbols).
_SOUTHEAST_ASIAN = regex.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\ua9e0-\ua9ff\uaa60-\uaa7f]")
_LONGEST = 8  # characters of the longest listed word tried: wordfreq's longer Chinese entries are idioms
_UNKNOWN = 2.0  # how much less likely than the rarest listed word a character no listed word holds is (log)
_HAN = regex.compile(r"\p{Han}+")
# Japanese runs by script; the prolongation mark "ー" and the iteration marks are in the script of their run.
_JAPANESE_RUNS = regex.compile(
    r"[\p{Han}々〆ヶ]+|[\p{Katakana}ー]+|\p{Hiragana}+|[^\p{Han}\p{Katakana}\p{Hiragana}ー々〆ヶ]+"
)
_HIRAGANA = regex.compile(r"\p{Hiragana}+")


def unspaced_char(char: str) -> bool:
    """Whether `char` is of a script written without spaces between words: a word may end before or after it
    with no space or punctuation between."""
    point = ord(char)
    # The CJK radicals, the ideographic iteration and closing marks and number zero ("々", "〆", "〇"), Hiragana
    # and Katakana (with its phonetic extensions and halfwidth forms), the CJK ideographs (BMP blocks,
    # compatibility forms, the supplementary planes' extensions); most text is below the first, and that one
    # comparison answers.
    if point < 0x0E00:
        return False
    if point < 0x2E80:  # Thai, Lao, Myanmar, Khmer
        return point <= 0x0EFF or 0x1000 <= point <= 0x109F or 0x1780 <= point <= 0x17FF or 0x19E0 <= point <= 0x19FF
    return (point <= 0x2FDF or 0x3005 <= point <= 0x3007 or 0x3040 <= point <= 0x30FF or 0x31F0 <= point <= 0x31FF
            or 0x3400 <= point <= 0x9FFF or 0xA9E0 <= point <= 0xA9FF or 0xAA60 <= point <= 0xAA7F
            or 0xF900 <= point <= 0xFAFF or 0xFF66 <= point <= 0xFF9F or 0x20000 <= point <= 0x3FFFF)


def unspaced_edges(text: str, start: int, stop: int) -> bool:
    """Whether `text[start:stop]` is bounded at both ends where a script written without spaces meets one of them:
    there a letter next to it does not tell that its word goes on. False when no such script is at either end
    (the caller's own rules for spaced words decide there)."""
    unspaced_start = start > 0 and (unspaced_char(text[start]) or unspaced_char(text[start - 1]))
    unspaced_stop = stop < len(text) and (unspaced_char(text[stop - 1]) or unspaced_char(text[stop]))
    if not (unspaced_start or unspaced_stop) or _inside_syllable(text, start) or _inside_syllable(text, stop):
        return False
    return ((start == 0 or unspaced_start or not text[start - 1].isalnum())
            and (stop == len(text) or unspaced_stop or not text[stop].isalnum()))


def _inside_syllable(text: str, index: int) -> bool:
    """Whether a cut of `text` at `index` falls inside a syllable of Thai, Lao, Khmer or Burmese: before a vowel sign
    or tone mark, after a vowel written before its consonant ("เกม", game, holds no "กม"), after a subscript sign,
    before a final consonant whose mark silences its vowel ("ကွ|န်")."""
    if 0 < index < len(text) and unspaced_char(text[index - 1]) and unspaced_char(text[index]):
        return (unicodedata.category(text[index])[0] == "M" or text[index - 1] in _LEADING_VOWELS
                or text[index - 1] in _SUBSCRIPT_SIGNS or text[index + 1 : index + 2] in _SILENCING_MARKS)
    return False


def simplified(text: str) -> str:
    """Chinese `text` with its Traditional characters read as Simplified ones, as wordfreq's and the function word
    lists write them: the fold of Chinese words, so that both spellings of a term are one candidate."""
    return text.translate(_simplified())


def is_particle(word: str) -> bool:
    """A word written in hiragana alone: in Japanese a particle or an inflection, never a term of its own."""
    return _HIRAGANA.fullmatch(word) is not None


def split_words(token: str, code: str, function_words: frozenset[str] = frozenset()) -> list[str]:
    """The words of a token in language `code` (see the module docstring); the token itself when it holds none
    of an unspaced script, or when `code` is not one of `UNSPACED`. `function_words` are never joined to a
    neighbour. Thai, Lao, Khmer and Burmese put a space between clauses or phrases, never inside a term: their
    words are followed by `CLAUSE_END`, a boundary."""
    if code == "ja":
        return _JAPANESE_RUNS.findall(token) or [token]
    if code in _DICTIONARY_BROKEN:  # a space after: there these languages part clauses and phrases, not words
        if _SOUTHEAST_ASIAN.search(token) is None:
            return [token]
        return [*_dictionary_words(token, code, function_words), CLAUSE_END]
    if code != "zh" or _HAN.search(token) is None:
        return [token]
    words: list[str] = []
    done = 0
    for run in _HAN.finditer(token):
        if run.start() > done:
            words.append(token[done : run.start()])
        words += _joined(_most_probable(run.group()), function_words)
        done = run.end()
    if done < len(token):
        words.append(token[done:])
    return words


def _dictionary_words(token: str, code: str, function_words: frozenset[str]) -> list[str]:
    """The words of a token of Thai, Lao, Khmer or Burmese by ICU's word break rules. A noun-making prefix is
    written onto the word after it ("การเรียน" of "อัตราการเรียนรู้", learning rate), or where no word follows it in the
    token but a function word or none, onto the word before it: the end of a compound ICU cut ("ปฏิบัติการ",
    operation); onto no function word nor another prefix ("การของ" was one word)."""
    breaker = _word_breaker()
    if breaker is None:
        return [token]
    prefixes = _NOUN_PREFIXES.get(code, frozenset())
    # The words themselves, not ICU's offsets: those count UTF-16 units, not characters.
    pieces = [word for word in breaker(token, code) if word and not word.isspace()]
    bounds = function_words | prefixes
    words: list[str] = []
    pending = ""  # a prefix waiting for the word it makes a noun of
    for index, word in enumerate(pieces):
        if pending and word not in function_words and word not in prefixes:
            words.append(pending + word)
            pending = ""
            continue
        if pending:
            words.append(pending)
            pending = ""
        if word not in prefixes:
            words.append(word)
        elif _ends_compound(words, pieces[index + 1] if index + 1 < len(pieces) else None, bounds):
            words[-1] += word
        else:
            pending = word
    if pending:
        words.append(pending)
    return words or [token]


def _ends_compound(before: list[str], after: str | None, bounds: frozenset[str]) -> bool:
    """Whether a prefix between the words `before` and the word `after` ends the word before it: one of the script,
    no function word nor prefix (`bounds`), and no word after it to make a noun of."""
    return (bool(before) and before[-1] not in bounds and _SOUTHEAST_ASIAN.match(before[-1][-1]) is not None
            and (after is None or after in bounds))


def composed(text: str) -> str:
    """`text` with the Thai and Lao letters NFKC spells as two written as the one letter they are: the vowel AM
    ("ำ" as "ํ" and "า"; "จำนวน", number, read "จํานวน") and Lao's "ໜ" and "ໝ" (as "ຫນ", "ຫມ"), which no word list
    nor dictionary holds so; PDFs often hold that spelling already."""
    for first, pairs in _COMPOSED:
        if first in text:
            for pair, letter in pairs:
                text = text.replace(pair, letter)
    return text


def letters_as_words(line: str) -> int:
    """About how many words the letters of unspaced scripts in `line` make: Chinese and Japanese some two
    characters each, Thai, Lao, Khmer and Burmese some six (their vowel signs and tone marks are characters)."""
    unspaced = sum(map(unspaced_char, line))
    if not unspaced:
        return 0
    southeast = len(_SOUTHEAST_ASIAN.findall(line))
    return (unspaced - southeast) // 2 + southeast // _SOUTHEAST_CHARS_PER_WORD


@lru_cache(maxsize=1)
def _word_breaker() -> Callable[[str, str], Any] | None:
    """ICU's word breaker, loaded for documents of these languages only (42 MB of libraries on disk); None where
    `icu4py` does not load (a platform without its wheel): a run is then one word, as before it was cut."""
    try:
        from icu4py.breakers import WordBreaker
    except ImportError:
        return None
    return WordBreaker


def _most_probable(run: str) -> list[str]:
    """The words of a run of Han characters of the most probable sequence (the greatest sum of log shares), over a
    text in which it looks up each character as Simplified (one character for one, so positions agree)."""
    costs, unknown = _log_shares()
    key = simplified(run)
    size = len(key)
    best = [0.0] + [-math.inf] * size
    taken = [1] * (size + 1)  # the length of the last word of the best sequence ending here
    for end in range(1, size + 1):
        for length in range(1, min(_LONGEST, end) + 1):
            cost = costs.get(key[end - length : end])
            if cost is None:
                if length > 1:
                    continue
                cost = unknown
            value = best[end - length] + cost
            if value > best[end]:
                best[end], taken[end] = value, length
    pieces: list[str] = []
    end = size
    while end > 0:
        pieces.append(run[end - taken[end] : end])
        end -= taken[end]
    pieces.reverse()
    return pieces


def _joined(pieces: list[str], function_words: frozenset[str]) -> list[str]:
    """Neighbouring single characters that are no function word joined into one word (each group joined once: a
    run of thousands of rare characters is joined in linear time)."""
    groups: list[list[str]] = []
    single = False  # the last group is single characters
    for piece in pieces:
        alone = len(piece) == 1 and simplified(piece) not in function_words
        if alone and single:
            groups[-1].append(piece)
        else:
            groups.append([piece])
        single = alone
    return ["".join(group) for group in groups]


@lru_cache(maxsize=1)
def _log_shares() -> tuple[dict[str, float], float]:
    """The log share of every word of Han characters in wordfreq's Chinese list, and the cost of a character none
    of them is."""
    import wordfreq

    shares = {word: math.log(share) for word, share in wordfreq.get_frequency_dict("zh", wordlist="small").items()
              if _HAN.fullmatch(word) is not None and share > 0}
    return shares, (min(shares.values()) if shares else 0.0) - _UNKNOWN


@lru_cache(maxsize=1)
def _simplified() -> dict[int, str]:
    """wordfreq's map of Traditional characters to Simplified ones, read from its data as its own lookup reads
    it, or no map when that data cannot be read (another wordfreq): Traditional text then splits where its
    characters are the same as Simplified ones."""
    try:
        import msgpack
        from wordfreq.util import data_path

        with gzip.open(data_path("_chinese_mapping.msgpack.gz")) as packed:
            mapping = msgpack.load(packed, raw=False, strict_map_key=False)
    except Exception:  # a damaged data file (EOFError, zlib.error…) is as good as none
        return {}
    if not isinstance(mapping, dict):
        return {}
    return {point: char for point, char in mapping.items()
            if isinstance(point, int) and isinstance(char, str) and len(char) == 1}
