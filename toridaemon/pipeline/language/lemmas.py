"""Verb forms of Spanish, Italian, Portuguese, Catalan, German, Dutch, Russian, Polish, Ukrainian, Czech and Greek,
told from simplemma's lemma lists (MIT code; data read where it is installed, not copied): no PyPI package ships a
part-of-speech lexicon of these languages without a web framework's or a neural tagger's worth of dependencies, but
a lemma list says which forms belong to a verb. French takes the forms in "-ez" and "-ons" its tagged lexicon
lacks (`_ONLY_ENDINGS`), German the lowercase forms of verbs (`_Paradigms.german_verb_form`), which its lexicon
lacks by the thousand ("klicken", "tippen"), and Dutch the forms no noun is spelt as (`_Paradigms.dutch_verb_form`:
"klikt", "selecteer"). Croatian, Bosnian, Serbian (in Latin letters), Slovene, Slovak, Latvian and Lithuanian take
only the second person plural (`_ADDRESSED_ONLY`).

A form counts as a verb form ("transforman", "ricevono", "anunciou", "creciendo") when:
- its lemma is an infinitive with many forms (`_VERB_FORMS` or more: a noun or an adjective has a few);
- it is not the infinitive itself ("poder", "dovere" and "prazer" are nouns too);
- it is not a participle ("sistemas distribuidos", "aprendizaje supervisado", "agente": adjectives and nouns; in
  the Slavic languages a form that declines as an adjective), nor a Polish or Czech verbal noun ("uczenie
  maszynowe", "zpracování"); in Czech its lemma has a past or present form (`_with_past`);
- it is no word of its own (a lemma: "forma", "cambio", "mostra"), no plural or feminine of one ("solares",
  "militares", "colecciones", "amiga": the noun or adjective beside a verb of the same spelling), and not listed
  capitalised (a name);
- it is not far more frequent than its infinitive (then it is mostly something else: "paris", "uma");
- or, in Spanish and Italian, it is an infinitive or a gerund, or a Spanish imperative, with pronouns written onto
  it ("configurarse", "copiarlo", "asegúrese": `_PRONOUNS`), no plural of a word ("túneles");
- it occurs in real text: wordfreq's `large` list of the language holds it (some 30,000 to 75,000 forms per
  language, 99 % of the verb forms in sample texts; the full paradigms would be half a million). Greek has no such
  list: all of its forms count (some 100,000).

On sample texts (texlive's Spanish and Italian manuals, Portuguese news transcripts) some 97 % of the words
this marks are verbs; the rest are mostly names spelt like one ("Marques") and English words in the text. Of 80
forms drawn at random from each of the Russian and Polish lists, all are verb forms (an earlier Russian sample
held a noun in "-ость", "равноудаленности": such nouns are told apart now, `_noun_lemma`); of 350 of each of the
Ukrainian and Czech ones, all but two or three are verb forms, gerunds or the short passive participles of a
predicate ("pochopeno").
The same lists fold Ukrainian words to their lemmas (`lemma_folds`: it has no Snowball stemmer) and give the
dictionary forms of the declining languages' words (`dictionary_forms`), in which their terms are shown.
The same lists tell the infinitives of Spanish, Portuguese, Italian, Catalan and French that are no noun nor
adjective (`bare_infinitives`: "configurar", "selezionare"; not "poder", "dovere", whose plurals are in use), which
`candidates` reads as verbs where they are written lowercase: as concepts they were instructions ("configurar",
"aprire", nine to fourteen of every hundred concepts of GNOME's help in four of these languages), and the words of
Spanish, Portuguese, Italian and Catalan spelt as past participles that are no word of their own
(`past_participles`: "distribuidas", "visualizzato"; some finite forms end so, "presenta"; Portuguese files most
participles under a masculine it files under the verb, "armazenados": "armazenado", which count), which `candidates`
holds to be no concept alone unless the text writes one as a noun (31 of 568 concepts of the Spanish papers of
cacic57 were such words alone, none an author's keyword).
Deriving a list takes one to five seconds (Polish, the largest); `warmcache` keeps it between processes.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import wordfreq

from toridaemon.pipeline import warmcache

# Languages whose verbs are told only by the endings of the second person plural (`_ADDRESSED_ONLY`), and the
# lemma list each reads (Croatian, Bosnian and Serbian in Latin letters share simplemma's Serbo-Croatian one).
_ADDRESSED_ONLY_LANGUAGES = {"hr": "hbs", "bs": "hbs", "sr": "hbs", "sl": "sl", "sk": "sk", "lv": "lv", "lt": "lt"}
LANGUAGES = ("es", "it", "pt", "ca", "fr", "de", "nl", "ru", "pl", "uk", "cs", "el", *_ADDRESSED_ONLY_LANGUAGES)
# Languages whose nouns and adjectives decline through cases ("аккумулятора", "резервной копии"): a term is shown in
# its dictionary form where the text writes it so (`dictionary_forms`).
DECLINED = ("ru", "uk", "pl", "cs")
# Declining languages without a Snowball stemmer: their words fold to their lemma (`lemma_folds`), or each case of a
# term would be a term of its own ("резервної копії", "резервну копію").
LEMMA_FOLDED = ("uk",)
_VERB_FORMS = 12
# simplemma lists fewer forms of many Russian verbs ("строить": 11), and no Russian noun ending as an infinitive
# does with as many but a few rare ones ("зять"); nouns with 8 or 9 are common ("личность", "кость"). It lists few
# forms of some Ukrainian verbs ("стати": 6), whose nouns in "-ти" are plurals (`_plural_noun`); and of some Czech
# ones ("způsobovat": 3), as many of nouns in "-t" as of verbs ("student": 12): a Czech verb is told by a past or
# present form instead (`_with_past`).
_VERB_FORMS_OF = {"ru": 10, "uk": 5, "cs": 3}
_NAME_RATIO = 30.0  # a form this many times as frequent as its infinitive is mostly another word
_INFINITIVES = {
    "es": ("ar", "er", "ir", "ír"), "pt": ("ar", "er", "ir", "por", "pôr"), "it": ("are", "ere", "ire", "rre"),
    "ca": ("ar", "er", "ir", "re"),
    "fr": ("er", "ir", "re", "oir"), "ru": ("ть", "ти", "чь", "ться", "тись", "чься"), "pl": ("ć", "c"),
    "uk": ("ти", "тися", "тись"), "cs": ("t", "ct", "ci"),  # not Ukrainian "-ть": nouns in "-ість" end so
    "el": ("ω", "ώ", "μαι"),  # Greek lists a verb by its first person: "επιλέγω", "έρχομαι"
    "de": ("en", "ern", "eln"),
    "nl": ("en",),
}
# Russian and Polish participles decline as adjectives do ("обученная модель", "sieci splotowe"), and Polish
# verbal nouns as nouns ("uczenie", "uczenia": simplemma gives them the verb as lemma). A form is one of them when
# it ends in one of a declension's endings and the same stem with one of that declension's telling endings is a
# word too ("работающей" beside "работающего"): an ending alone tells nothing, as finite forms end so too
# ("предлагаем", "zostanie", "wykorzystuje"); the other form must be of the same lemma, or of an adjective or a
# noun of that stem ("видим" is a verb, though "видом" is a form of "вид"). Polish endings hold the participle's or
# the noun's suffix ("-an-", "-ąc-", "-eni-"), and its telling endings are those no verb form has ("-anego",
# "-ania"; not "-ań", which is also an imperative: "zostań"). Gerunds end as adjectives do too ("считая",
# "улыбаясь") and stay verb forms; so does a Polish future in "-anie" ("zostanie", beside "zostanę").
_RUSSIAN_ADJECTIVE = ("ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ого", "его", "ому", "ему", "ым", "им",
                      "ом", "ем", "ую", "юю", "ых", "их", "ыми", "ими", "ей")
_POLISH_ADJECTIVE = ("y", "a", "e", "i", "ego", "ej", "emu", "ym", "ych", "ymi", "ą")
_POLISH_NOUN = ("ie", "ia", "iu", "iem", "iach", "iom", "iami")
# Ukrainian and Czech participles decline as adjectives too ("навчена модель", "trénovaná síť"); their telling
# endings are those of cases no finite form has.
_UKRAINIAN_ADJECTIVE = ("ий", "ій", "а", "я", "е", "є", "і", "ого", "ього", "ому", "ьому", "им", "ім", "у", "ю",
                        "ою", "ьою", "их", "іх", "ими", "іми")
_CZECH_ADJECTIVE = ("ý", "á", "é", "í", "ého", "ému", "ém", "ým", "ou", "ých", "ými")
_CZECH_VERBAL = ("l", "la", "lo", "li", "ly", "uje", "ují", "ají", "ejí", "ějí")  # past and present endings
_CZECH_NOUN_CASES = ("u", "y", "ů", "ech", "em", "ům", "ě")  # "státu", "státy", "států"…
Declension = tuple[tuple[str, ...], tuple[str, ...]]  # its endings, and those that tell it


def _declension(suffix: str, endings: tuple[str, ...], telling: tuple[str, ...], *whole: str) -> Declension:
    """The endings made of `suffix` and each of `endings`, and of it and each of `telling`; `whole` are endings as
    they are (a genitive plural, where the suffix changes: "-anie", "-ań")."""
    return (*(suffix + ending for ending in endings), *whole), tuple(suffix + ending for ending in telling)


# Endings only participles have, told without a second form (simplemma often lists one form of a participle:
# "эксплуатирующийся", "zakontraktowanej"); none is that of a finite form ("ищем", "тащим", "стой" are left out).
_RUSSIAN_MARKS = (*(stem + ending for stem in ("щ", "вш") for ending in ("ий", "ая", "ее", "ие", "его", "ей", "ему",
                                                                          "их", "ими")),
                  *(stem + ending for stem in ("нн", "м", "т") for ending in ("ый", "ая", "ое", "ые", "ого", "ому",
                                                                                "ым", "ых", "ыми")))
# Ukrainian passive and active participles ("відсортований", "спожитий", "навчена", "працюючий"), with neither "-е"
# nor "-у": "-те", "-ачу", "-ану", "-ту" are finite endings ("ідете", "бачу", "стану", "росту"); and verbal nouns
# ("вручення", "катування"). Czech active participles ("stěžující", "pracujícího") and verbal nouns in "-ování".
_UKRAINIAN_MARKS = (*(stem + ending for stem in ("ан", "ян", "ен", "єн", "ат", "ит", "іт", "от", "ут", "ят", "рт",
                                                 "уч", "юч", "ач", "яч")
                      for ending in ("ий", "а", "і", "ого", "ому", "им", "ій", "ою", "их", "ими")),
                    *(stem + ending for stem in ("нн", "тт") for ending in ("я", "ю", "ям", "ях", "ями")))
_CZECH_MARKS = (*(stem + ending for stem in ("ící", "oucí") for ending in ("", "ho", "mu", "m", "ch", "mi")),
                *("ování" + ending for ending in ("", "m", "ch", "mi")))
_PARTICIPLE_MARKS = {
    "uk": _UKRAINIAN_MARKS, "cs": _CZECH_MARKS,
    "ru": (*_RUSSIAN_MARKS, *(mark + "ся" for mark in _RUSSIAN_MARKS)),
    "pl": tuple(stem + ending for stem in ("an", "on", "en", "ęt", "yt", "ut", "rt", "ąc")
                for ending in ("ego", "emu", "ych", "ymi", "ej")),
}
_DECLENSIONS: dict[str, tuple[Declension, ...]] = {
    "ru": (_declension("", _RUSSIAN_ADJECTIVE, _RUSSIAN_ADJECTIVE),
           _declension("", tuple(e + "ся" for e in _RUSSIAN_ADJECTIVE), tuple(e + "ся" for e in _RUSSIAN_ADJECTIVE))),
    "uk": (_declension("", _UKRAINIAN_ADJECTIVE, ("ого", "ому", "ими", "их")),),  # not "ою", a noun's too ("ведою")
    # and Czech verbal nouns ("zpracování", processing: "zpracováních"), whose "-ím" is a finite form's too ("měním")
    "cs": (_declension("", _CZECH_ADJECTIVE, ("ého", "ému", "ých", "ými")),
           _declension("n", ("í", "ím", "ích", "ími"), ("ích", "ími")), _declension("t", ("í", "ím", "ích", "ími"),
                                                                                 ("ích", "ími"))),
    "pl": (*(_declension(suffix, _POLISH_ADJECTIVE, ("ego", "emu", "ych", "ymi", "ej"))
             for suffix in ("an", "on", "en", "ęt", "yt", "ut", "rt", "ąc")),
           *(_declension(suffix, _POLISH_NOUN, ("ia", "iu", "iem", "iach", "iami"), genitive)
             for suffix, genitive in (("an", "ań"), ("en", "eń"), ("ęc", "ęć"), ("yc", "yć"), ("uc", "uć")))),
}
# French has a tagged lexicon (lexicon.py), which lacks most forms of the first and second persons plural ("tapez",
# "consultez", "rappelons": a manual's instructions); only those are added, and only when at most `_FRENCH_RATIO`
# times as frequent as their infinitive (names end so too: "Rodez", "Suez").
_ONLY_ENDINGS = {"fr": ("ez", "ons")}
# Instructions are common in some texts: "cliquez" is 1.3 times as frequent as "cliquer" in wordfreq's list. Names
# are more frequent than the verb they are spelt as a form of ("Rodez": 5.8 times "roder"; "Martinez").
_FRENCH_RATIO = 2.0
_PARTICIPLES = {
    "es": ("ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas", "ído", "ída", "ídos", "ídas",
           "to", "ta", "tos", "tas", "cho", "cha", "chos", "chas", "nte", "ntes"),
    "pt": ("ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas", "ído", "ída", "ídos", "ídas",
           "to", "ta", "tos", "tas", "nte", "ntes"),
    "it": ("ato", "ata", "ati", "ate", "uto", "uta", "uti", "ute", "ito", "ita", "iti", "ite",
           "so", "sa", "si", "se", "to", "ta", "ti", "te", "nte", "nti"),
    # Catalan past participles ("connectat", "connectada") and present ones made plural ("importants"); one in "-nt"
    # is a gerund ("comprovant", "prement") unless a lemma of its own ("important", "corrent").
    "ca": ("at", "ada", "ats", "ades", "it", "ida", "its", "ides", "ut", "uda", "uts", "udes", "nts"),
    "fr": (), "de": (), "nl": (), "ru": (), "pl": (), "uk": (), "cs": (),
    # Greek's passive participles decline as adjectives ("συνδεδεμένη συσκευή", a connected device; "-όμενος",
    # "-ούμενος" of the present: "περιστρεφόμενος")
    "el": (*(accent + ending for accent in ("μέν", "μεν")
             for ending in ("ος", "η", "ο", "ου", "ης", "οι", "ες", "α", "ων", "ους")),),
}
_ACCENTED = str.maketrans("aeiou", "áéíóú")
# Spanish and Italian write object and reflexive pronouns onto an infinitive or a gerund, and Spanish onto an
# imperative, which then takes a written accent ("configurarse", "abrirlos", "copiarlo", "trascinandoli",
# "asegúrese", "déjalo"): a manual's instructions. simplemma lists none of these forms (`_Paradigms.with_pronouns`).
# Longest first: "selos" before "los".
_PRONOUNS = {
    "es": ("selos", "selas", "melo", "mela", "telo", "tela", "noslo", "nosla", "los", "las", "les", "nos", "me", "te",
           "se", "lo", "la", "le"),
    "it": ("glielo", "gliela", "glieli", "gliele", "gliene", "melo", "mela", "telo", "tela", "celo", "cela", "selo",
           "sela", "mene", "tene", "sene", "cene", "gli", "mi", "ti", "si", "ci", "vi", "lo", "la", "li", "le", "ne"),
}
_DUTCH_VERB_FORMS = 5  # simplemma lists few forms of a Dutch verb ("bevestigen": 7)
_GERMAN_IN_USE = 10**-6.5  # a word's share of text: Zipf 2.5 ("mietet" 2.9, "schichtet" 2.3, "gruppt" none)
_GERMAN_ADJECTIVE = ("", "e", "en", "er", "es", "em")
# The present second person plural of a regular verb, in which a manual addresses its reader ("connecteu" of
# "connectar", "inseriu" of "inserir"), read from the lemma list beyond wordfreq's: most are in no list of general
# text.
_ADDRESSED = {"ca": ("eu", "iu")}
# Where no rule tells the other forms from nouns and adjectives, the second person plural, in which a manual
# addresses its reader, and its lemma's infinitive endings: Croatian "kliknite", "odaberite", Slovene "izberite",
# Slovak "vyberte", Latvian "izvēlieties", Lithuanian "pasirinkite". A noun ending so is no form of an infinitive
# ("kvalitete": "kvaliteta").
_ADDRESSED_ONLY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hbs": (("ite", "ete", "ate", "jte"), ("ti", "ći")), "sl": (("ite", "ete", "ate", "jte"), ("ti", "či")),
    "sk": (("te",), ("ť",)), "lv": (("iet", "ieties"), ("t", "ties")),
    "lt": (("kite", "kitės", "ate", "ite"), ("ti", "tis")),
}
# Where nouns and ordinals end as infinitives do (Slovak "sieť", network, whose plural is "siete"; Slovene
# "deseti", tenth), a verb is told by a form of its past, as in Czech (`_with_past`): "vybral", "izbrala".
_ADDRESSED_PAST = {"sl": ("l", "la", "li", "lo"), "sk": ("l", "la", "li", "lo")}
_GERUNDS = {"es": ("ando", "iendo", "yendo"), "it": ("ando", "endo")}
# An infinitive is also a noun or an adjective where its plural is in use: "el poder", "los poderes"; "il dovere",
# "i doveri"; "le devoir", "les devoirs"; "nuclear", "nucleares". How each language makes that plural (the ending
# cut, the one added), and the least share of the infinitive's frequency the plural has then: the plurals that are
# rarer are mostly verb forms spelt so (Spanish "aceptares", Portuguese "perguntares") or slips; "saberes" has
# 0.006 of "saber", "poderes" 0.085, "haberes" 0.002 (the noun is rare: "haber" is a verb).
_PLURALS = {"es": ("", "es"), "pt": ("", "es"), "ca": ("", "s"), "fr": ("", "s"), "it": ("e", "i")}
_NOUN_PLURAL = 0.005
# Past participles, which follow a noun as adjectives do ("sistemas distribuidos") and are no concept alone: the
# endings of `_PARTICIPLES` but for those of present participles, most of them nouns and adjectives ("agente").
_PRESENT_PARTICIPLES = ("nte", "ntes", "nti", "nts")
_PAST_PARTICIPLES = {code: tuple(ending for ending in _PARTICIPLES[code] if ending not in _PRESENT_PARTICIPLES)
                     for code in ("es", "pt", "it", "ca")}
_PORTUGUESE_MASCULINES = ("ado", "ido", "ído", "to")  # of a past participle's masculine singular
_T = TypeVar("_T")
_NO_LISTS: tuple[frozenset[str], frozenset[str], frozenset[str]] = (frozenset(), frozenset(), frozenset())


def verb_forms(code: str) -> frozenset[str]:
    """Lowercase verb forms of `code` (see the module docstring); empty for other languages or without simplemma."""
    if code not in LANGUAGES:
        return frozenset()
    return _derived(code)[0]


def bare_infinitives(code: str) -> frozenset[str]:
    """The infinitives of `code` that are no noun nor adjective (`_Paradigms.bare_infinitive`): Spanish,
    Portuguese, Italian, Catalan and French; empty for other languages or without simplemma."""
    if code not in _PLURALS:
        return frozenset()
    return _derived(code)[1]


def past_participles(code: str) -> frozenset[str]:
    """The words of `code` spelt as past participles that are no noun (`_Paradigms.past_participle`): Spanish,
    Portuguese, Italian and Catalan; empty for other languages or without simplemma."""
    if code not in _PAST_PARTICIPLES:
        return frozenset()
    return _derived(code)[2]


def lemma_folds(code: str) -> dict[str, str]:
    """Each word in wordfreq's `large` list of `code` that its lemma list files under another word → that lemma
    ("копії": "копія", "резервну": "резервний"): the variant folding of `LEMMA_FOLDED` languages (Ukrainian: some
    159,000 words, 21 MB of objects; the `small` list's 29,000 left "резервну" and "резервні" apart); empty for the
    others or without simplemma."""
    if code not in LEMMA_FOLDED:
        return {}
    return _kept_lemma_folds(code)


@lru_cache(maxsize=len(LEMMA_FOLDED))
def _kept_lemma_folds(code: str) -> dict[str, str]:
    """`lemma_folds(code)`, kept between processes as lines of a word and its lemma."""
    return _kept(f"lemma_folds_{code}", code, lambda: "\n".join(
        f"{word}\t{lemma}" for word, lemma in sorted(_lemma_folds(code).items())).encode("utf-8"), _folds, {})


def _lemma_folds(code: str) -> dict[str, str]:
    """A fold that is stable (a word's lemma folds to itself): the list files lemmas under other lemmas ("відкриття"
    under "відкрити", "україна" under "Україна"), so each word follows the chain to its end, lowercase; without
    that a term's nominative and its other cases got different keys ("бахмутський район", "бахмутського району").
    Words of one or two letters stay: abbreviations more often than words ("ОС", an operating system, is no "оса")."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    filed = DefaultDictionaryFactory().get_dictionary(_list_of(code))
    folds = {}
    for word in _listed_words(code, "large" if code in wordfreq.available_languages("large") else "small"):
        lemma = _chain_end(word, filed)
        if lemma != word and len(word) > 2:
            folds[word] = lemma
    return folds


def _chain_end(word: str, filed: Mapping[str, str]) -> str:
    """The lemma `word` is filed under, the lemma that one is filed under and so on (lowercase), to one filed under
    itself; in a cycle, the first of its words in sorting order, the same from each of them. `word` when that is no
    word of letters ("ст."): the lists' own slips."""
    path = [word]
    while (next_one := filed.get(path[-1], path[-1]).lower()) not in path:
        path.append(next_one)
    lemma = path[-1] if next_one == path[-1] else min(path[path.index(next_one):])
    return lemma if lemma.replace("'", "").isalpha() else word


def _folds(kept: bytes) -> dict[str, str]:
    """The pairs of a kept file, each lemma one string however many words it is of; raises `ValueError` for a line
    that is not a pair."""
    pairs: dict[str, str] = {}
    lemmas: dict[str, str] = {}
    for line in kept.decode("utf-8").split("\n"):
        if line:
            word, lemma = line.split("\t")
            pairs[word] = lemmas.setdefault(lemma, lemma)
    return pairs


def dictionary_forms(code: str) -> frozenset[str]:
    """The words of `code`'s commoner ones (wordfreq's `small` list) that its lemma list gives as lemmas: a noun's
    nominative singular ("аккумулятор", not "аккумулятора"; "kopia", not "kopii"), an adjective's masculine one, an
    infinitive. `DECLINED` languages only, whose terms are shown in these forms where the text writes them so
    (`candidates.CandidateTable.base_forms`); empty for the others or without simplemma."""
    if code not in DECLINED:
        return frozenset()
    return _kept_dictionary_forms(code)


@lru_cache(maxsize=len(DECLINED))
def _kept_dictionary_forms(code: str) -> frozenset[str]:
    """`_dictionary_forms(code)`, kept between processes (reading the Polish lemma list takes some 4 s)."""
    return _kept(f"dictionary_forms_{code}", code, lambda: "\n".join(sorted(_dictionary_forms(code))).encode("utf-8"),
                 lambda kept: frozenset(kept.decode("utf-8").split("\n")) - {""}, frozenset())


def _dictionary_forms(code: str) -> set[str]:
    """The lemmas among wordfreq's words that the lemma list files under no other lemma but a verb: "языка" and
    "точки" are lemmas too (of rare words), but filed under "язык" and "точка"; a verbal noun is filed under its
    verb ("oprogramowanie": "oprogramować") and is a dictionary form of its own."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    filed = DefaultDictionaryFactory().get_dictionary(_list_of(code))
    lemmas = set(filed.values())
    return {word for word in _listed_words(code, "small")
            if word in lemmas and (filed.get(word, word) == word or filed[word].endswith(_INFINITIVES[code]))}


def _listed_words(code: str, wordlist: str) -> list[str]:
    """The words of wordfreq's `wordlist` list of `code`, commonest first; as in `_derive`, wordfreq does not keep
    the lists it read for the process's life (the resources copy what they use)."""
    try:
        return list(wordfreq.get_frequency_dict(code, wordlist=wordlist))
    finally:
        wordfreq.get_frequency_dict.cache_clear()
        wordfreq.get_frequency_list.cache_clear()


@lru_cache(maxsize=len(LANGUAGES))
def _derived(code: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """`_derive(code)`, kept between processes. A broken install (a damaged data file, an unreadable one) runs as
    without simplemma, as a broken lexicon does: the verb forms are a refinement, never a reason for a document to
    fail."""
    return _kept(f"verbs_{code}", code,
                 lambda: "\n\n".join("\n".join(sorted(words)) for words in _derive(code)).encode("utf-8"),
                 _three_lists, _NO_LISTS)


def _kept(kind: str, code: str, build: Callable[[], bytes], parse: Callable[[bytes], _T], empty: _T) -> _T:
    """What `build` derives from the lemma list of `code`, kept between processes under `kind` (`warmcache`), for
    the lemma list, this module and the libraries as they are; `empty` without simplemma, or where a damaged file
    raises (EOFError, LZMAError, UnicodeError, OSError): a derivation is a refinement, never a reason for a document
    to fail."""
    data = _data_file(code)
    if data is None:
        return empty
    try:
        packed = data.read_bytes()
        return warmcache.load_or_build(
            kind,
            lambda: warmcache.digest(packed, Path(__file__).read_bytes(), _version("simplemma"), _version("wordfreq")),
            build, parse,
        )
    except Exception:
        return empty


def _three_lists(kept: bytes) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The verb forms, the bare infinitives and the past participles of a kept file: no word is empty, so a blank
    line parts the lists. Raises `ValueError` for a file of another shape, which `warmcache` then derives again."""
    parts = kept.decode("utf-8").split("\n\n")
    if len(parts) != 3:  # the three lists
        raise ValueError(f"{len(parts)} lists where three were kept")
    verbs, infinitives, participles = (frozenset(part.split("\n")) - {""} for part in parts)
    return verbs, infinitives, participles


def _derive(code: str) -> tuple[set[str], set[str], set[str]]:
    """The verb forms of `code`, its bare infinitives and its past participles."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    lemmas = DefaultDictionaryFactory().get_dictionary(_list_of(code))  # its own cache: gone with this factory
    if code in _ADDRESSED_ONLY_LANGUAGES:
        return _addressed(lemmas, *_ADDRESSED_ONLY[_list_of(code)], _ADDRESSED_PAST.get(_list_of(code), ())), set(), (
            set())
    try:
        large = code in wordfreq.available_languages("large")
        frequencies = wordfreq.get_frequency_dict(code, wordlist="large" if large else "small")
        greek_nouns = frozenset(_unaccented(lemma) for lemma in set(lemmas.values()) if lemma.endswith("η")) if (
            code == "el") else None
        paradigms = _Paradigms(code, lemmas, Counter(lemmas[word] for word in lemmas), frequencies,
                               _with_past(code, lemmas), greek_nouns)
        # Without a `large` list (Greek) every form of the lemma list is read: the `small` one lacks most forms
        # of a verb's second person plural, a manual's instructions ("ρυθμίσετε", "συνδέσετε").
        forms = frequencies if large else {word: frequencies.get(word, 0.0) for word in lemmas}
        own = {"de": paradigms.german_verb_form, "nl": paradigms.dutch_verb_form}
        verb_form = own.get(code, paradigms.is_verb_form)
        found = {word for word, share in forms.items() if verb_form(word, share) or paradigms.with_pronouns(word)}
        addressed = _ADDRESSED.get(code)  # rare in wordfreq's text, common in a manual's
        if addressed:
            found.update(word for word in lemmas if word.endswith(addressed) and word not in forms
                         and word[:-2] == lemmas[word][:-2] and verb_form(word, 0.0))
        bare: set[str] = set()
        participles: set[str] = set()
        if code in _PLURALS:
            # Not an English word the text borrows, more common in English ("router", "programmer", "peer").
            english = wordfreq.get_frequency_dict("en", wordlist="small")
            bare = {word for word, share in forms.items()
                    if paradigms.bare_infinitive(word, share) and english.get(word, 0.0) < share}
            if code in _PAST_PARTICIPLES:
                participles = {word for word, share in forms.items()
                               if paradigms.past_participle(word, share) and english.get(word, 0.0) < share}
        return found, bare, participles
    finally:
        # wordfreq keeps every list it read (some 110 MB for a `large` one) for the process's life; the `small`
        # lists the resources use are copied out of it (`resources.word_shares`).
        wordfreq.get_frequency_dict.cache_clear()
        wordfreq.get_frequency_list.cache_clear()


@dataclass(frozen=True, slots=True)
class _Paradigms:
    code: str
    lemmas: Mapping[str, str]  # form → lemma
    forms: Counter[str]  # lemma → how many forms it has
    frequencies: Mapping[str, float]  # form → its share of words in text
    past: frozenset[str] | None = None  # the lemmas with a past form, where that tells verbs (`_with_past`)
    greek_nouns: frozenset[str] | None = None  # unaccented Greek lemmas in "-η" (`_noun_case`)

    def is_verb_form(self, word: str, share: float) -> bool:
        lemma = self.lemmas.get(word)
        if (lemma is None or lemma == word or len(word) < 3 or not word.replace("'", "").isalpha()
                or (self.past is not None and lemma not in self.past) or self._noun_case(word, lemma)):
            return False
        few = self.forms[lemma] < _VERB_FORMS_OF.get(self.code, _VERB_FORMS)
        if ((few and not self._regular_french(word, lemma)) or not lemma.endswith(_INFINITIVES[self.code])
                or word.endswith(_PARTICIPLES[self.code]) or _noun_lemma(self.code, lemma)
                or self.declines(word, lemma)):
            return False
        named = self.code not in _DECLENSIONS and self._named(word)
        if word in self.forms or named:
            # A lemma, or a name ("Suez"): its capitalised spelling has a lemma of its own. Not in Russian or
            # Polish, whose lists give a capitalised form to many verb forms ("Stanowi": "Stan").
            return False
        if any(self.lemmas.get(base) == base or 0 < self.forms[base] < _VERB_FORMS for base in _bases(self.code, word)):
            return False  # the plural or feminine of a lemma
        infinitive = self.frequencies.get(lemma, 0.0)
        if self.code in _ONLY_ENDINGS:
            return word.endswith(_ONLY_ENDINGS[self.code]) and len(word) > 4 and share <= _FRENCH_RATIO * infinitive
        # Slavic forms far more frequent than their infinitive are the commonest verbs of expository
        # text ("является", "należy"); participles and nouns are told apart above. Greek lists a verb by its first
        # person, rarer in text than the second ("εισάγετε", enter: "εισάγω" is in no `small` list).
        return self.code in _DECLENSIONS or self.code == "el" or share <= _NAME_RATIO * infinitive or share < 1e-6

    def bare_infinitive(self, word: str, share: float) -> bool:
        """Whether `word` is the infinitive of a verb with many forms ("configurar", "selezionare", "étalonner") and
        no noun nor adjective of that spelling, whose plural would be in use (`_PLURALS`): not "poder", "dovere",
        "devoir", "nuclear", "militar". Not a name ("Suez") either."""
        if not self._verb(word) or not word.isalpha() or not word.islower() or share <= 0.0:
            return False
        cut, added = _PLURALS[self.code]
        plural = word[: len(word) - len(cut)] + added
        return self.frequencies.get(plural, 0.0) < _NOUN_PLURAL * share and not self._named(word)

    def past_participle(self, word: str, share: float) -> bool:
        """Whether `word` is spelt as a past participle of a verb with many forms ("distribuidas", "visualizzato",
        "connectada"; some finite forms end so too, "presenta") and is no noun: neither a lemma of its own
        ("resultado", "cifrado", "contenuto") nor the plural or feminine of one, nor a name; in Portuguese a
        participle's masculine filed under its verb counts ("armazenado", and "armazenados" filed under it), some
        nouns among them ("dados", "pedido"), which the text tells by a determiner before them."""
        if (share <= 0.0 or not word.isalpha() or not word.islower() or not self._filed_under_verb(word)
                or word.endswith(_PRESENT_PARTICIPLES)):
            return False
        bases = _catalan_masculines(word) if self.code == "ca" else _bases(self.code, word)
        # A lemma is in `forms`, a noun or an adjective; not a Portuguese masculine filed under a verb.
        return not any(base in self.forms and not (self.code == "pt" and self._masculine_of_verb(base))
                       for base in bases) and not self._named(word)

    def _filed_under_verb(self, word: str) -> bool:
        """Whether the list files `word`, spelt as a past participle, under a verb with many forms, and not as a
        lemma of its own: directly ("distribuidas": "distribuir"). Portuguese files most participles' feminine and
        plural forms under their masculine singular, which it files under the verb ("armazenados": "armazenado":
        "armazenar"): both count."""
        lemma = self.lemmas.get(word)
        if lemma is None or lemma == word or not word.endswith(_PAST_PARTICIPLES[self.code]):
            return False
        if word in self.forms:  # the lemma of other forms: a noun or an adjective, or such a masculine
            return self.code == "pt" and self._masculine_of_verb(word)
        if self._verb(_unreflexive(self.code, lemma)):
            return True
        return self.code == "pt" and lemma.endswith(_PAST_PARTICIPLES[self.code]) and self._masculine_of_verb(lemma)

    def _masculine_of_verb(self, lemma: str) -> bool:
        """Whether a Portuguese lemma spelt as a masculine singular past participle is filed under a verb with many
        forms (not "pergunta", a noun filed under "perguntar")."""
        verb = self.lemmas.get(lemma)
        return lemma.endswith(_PORTUGUESE_MASCULINES) and verb is not None and verb != lemma and (
            self._verb(_unreflexive(self.code, verb)))

    def _regular_french(self, word: str, lemma: str) -> bool:
        """A French verb in "-er" in its regular "-ez" or "-ons" form, however few forms the list gives it: it lists
        four of "cliquer", and "cliquez" was a concept of every page of GNOME's French help."""
        return self.code == "fr" and lemma.endswith("er") and word in (lemma[:-2] + "ez", lemma[:-2] + "ons")

    def german_verb_form(self, word: str, share: float) -> bool:
        """A lowercase form of a verb, its infinitive too ("klicken", "klickt"): German writes nouns capitalised,
        and `candidates` reads a capitalised infinitive as a noun but before "Sie" or "wir" ("Klicken Sie").
        Not a participle or an adjective, which decline (`_declines_as_adjective`), nor, but for the infinitive, a
        form whose capitalised spelling is a noun ("arbeit", "test": "Arbeit", "Test"), nor an infinitive spelt as
        another noun's plural ("schichten")."""
        lemma = self.lemmas.get(word)
        if (lemma is None or len(word) < 3 or not word.isalpha() or not word.islower() or not lemma.islower()
                or not lemma.endswith(_INFINITIVES[self.code]) or self.forms[lemma] < _VERB_FORMS
                or self._declines_as_adjective(word)):
            return False
        noun = self._capitalised_lemma(word)
        if word != lemma and (word in self.forms or noun[:1].isupper()):
            return False
        if word == lemma and noun[:1].isupper() and noun != word.capitalize() and not self._in_use(lemma):
            # The plural of a noun ("Schichten", "Gruppen": "Schicht", "Gruppe"), for which simplemma makes up a
            # verb's forms: before "wir" it would be taken for one. Not "Klicken" or "Lernen", nor a verb
            # that is also a plural ("mieten", "filmen": "Miete", "Film"), whose third person is in use.
            return False
        return share <= _NAME_RATIO * self.frequencies.get(lemma, 0.0) or share < 1e-6

    def dutch_verb_form(self, word: str, _share: float) -> bool:
        """A Dutch form the lexicon may lack, of three kinds no noun has: a third person in "-t" beside its stem
        ("klikt", "klik"), the stem of a verb in "-eren" ("selecteer", "kalibreer") or in "-igen" ("bevestig"); not a
        word of its own ("klik", a click, is one: the stems of other verbs are nouns as often), nor a participle
        ("geklikt") or a name ("Delft"). Infinitives are spelt as plural nouns ("werken", "vragen")."""
        lemma = self.lemmas.get(word)
        if (lemma is None or lemma == word or word in self.forms or not word.isalpha() or len(word) < 4
                or not lemma.endswith("en") or self.forms[lemma] < _DUTCH_VERB_FORMS
                or (word.startswith("ge") and not lemma.startswith("ge"))
                or self._named(word)):  # a name: "Delft"
            return False
        if word.endswith("t"):
            return self.lemmas.get(word[:-1]) == lemma
        return (word.endswith("eer") and lemma.endswith("eren")) or (word.endswith("ig") and lemma.endswith("igen"))

    def _in_use(self, infinitive: str) -> bool:
        """Whether the third person singular of a German verb is a word of real text ("mietet", "filmt"; not
        "gruppt", "schichtet"): `_GERMAN_IN_USE` or more frequent in wordfreq's list."""
        stem = infinitive[:-2] if infinitive.endswith("en") else infinitive[:-1]
        third = stem + ("et" if stem.endswith(("t", "d")) else "t")
        return self.frequencies.get(third, 0.0) >= _GERMAN_IN_USE

    def _declines_as_adjective(self, word: str) -> bool:
        """Whether a German form, or its stem before an adjective's ending, is listed with the endings "-es" and
        "-em", which no verb form has: a participle or an adjective ("gemacht", "gemachte": "gemachtes"; "offen":
        "offenes"), not a past form ("machte": no "machtes")."""
        for ending in _GERMAN_ADJECTIVE:
            stem = word[: len(word) - len(ending)]
            if word.endswith(ending) and len(stem) > 2 and (stem + "es" in self.lemmas or stem + "em" in self.lemmas):
                return True
        return False

    def with_pronouns(self, word: str) -> bool:
        """Whether `word` is an infinitive or a gerund with pronouns written onto it, or in Spanish an imperative
        whose accent they brought (see `_PRONOUNS`); not a word of its own, a name, nor the plural of a word
        ("túneles", "pétalos": "túnel" and "pétalo" are lemmas, though "tune" and "peta" are verb forms)."""
        if self.code not in _PRONOUNS or word in self.forms or not word.isalpha():
            return False
        for pronoun in _PRONOUNS[self.code]:
            stem = word[: -len(pronoun)]
            if not word.endswith(pronoun) or len(stem) < 4:
                continue
            plain = _unaccented(stem)
            if (self._infinitive_or_gerund(stem) or self._infinitive_or_gerund(plain)
                    or (self.code == "it" and self._infinitive_or_gerund(stem + "e"))  # "copiar-lo": "copiare"
                    or (self.code == "es" and plain != stem and self._verb(self.lemmas.get(plain)))):
                return not self._named(word) and not any(
                    self.lemmas.get(base) == base for base in _bases(self.code, word))
        return False

    def _infinitive_or_gerund(self, form: str) -> bool:
        lemma = self.lemmas.get(form)
        return self._verb(lemma) and (form == lemma or form.endswith(_GERUNDS[self.code]))

    def _verb(self, lemma: str | None) -> bool:
        """Whether `lemma` is an infinitive with many forms."""
        return lemma is not None and lemma.endswith(_INFINITIVES[self.code]) and (
            self.forms[lemma] >= _VERB_FORMS_OF.get(self.code, _VERB_FORMS))

    def _named(self, word: str) -> bool:
        """Whether `word` has a lemma of its own written with a capital (`_capitalised_lemma`)."""
        return self._capitalised_lemma(word)[:1].isupper()

    def _capitalised_lemma(self, word: str) -> str:
        """The lemma of `word` written with a capital, "" for none: capitalised itself, a name ("Suez", "Delft") or,
        in German, a noun ("Arbeit")."""
        return self.lemmas.get(word.capitalize(), "")

    def _noun_case(self, word: str, lemma: str) -> bool:
        """A case of a noun spelt as an infinitive, under its lemma (Czech "státu", "států" of "stát", state and to
        stand; Ukrainian plural nouns in "-ти", "кошти": "коштами"): the lemma has a noun's forms. Greek plural nouns
        in "-εις" are spelt as a verb's second person ("ρυθμίσεις", settings, and "you will set"): the list files them
        under the verb, and a noun in "-η" of the stem is a lemma ("ρύθμιση")."""
        if self.code == "el":  # not "δίνεις" beside "δίνη", whose plural is "δίνες"
            return word.endswith(("σεις", "ξεις", "ψεις")) and self.greek_nouns is not None and (
                _unaccented(word[:-3] + "η") in self.greek_nouns)
        if self.code == "cs":
            return self.lemmas.get(lemma + "ů") == lemma and word[len(lemma):] in _CZECH_NOUN_CASES and (
                word.startswith(lemma))
        if self.code == "uk":
            return any(self.lemmas.get(lemma[:-1] + ending) == lemma for ending in ("ами", "ах"))
        return False

    def declines(self, word: str, lemma: str) -> bool:
        """Whether `word`, a form of `lemma`, is a participle or a verbal noun (see `_DECLENSIONS` and
        `_PARTICIPLE_MARKS`)."""
        if self._conjugated(word, lemma):
            return False
        if word.endswith(_PARTICIPLE_MARKS.get(self.code, ())):
            return True
        for endings, telling in _DECLENSIONS.get(self.code, ()):
            for ending in endings:
                if word.endswith(ending) and len(word) > len(ending) + 1:
                    stem = word[: -len(ending)]
                    # Not a form of another word in Ukrainian, nor for a Czech form in "-í": "веде" and "прийшла"
                    # are verbs beside "ведою" and "прийшлого", "tvrdí" beside "tvrdého", of other words.
                    own = self.code == "uk" or (self.code == "cs" and ending == "í")
                    if any(other != ending and self._declined_alike(stem, other, lemma, endings, own=own)
                           for other in telling):
                        return True
        return False

    def _declined_alike(self, stem: str, ending: str, lemma: str, endings: tuple[str, ...], *, own: bool) -> bool:
        """Whether `stem` + `ending` is a form of `lemma`, or (unless `own`) of an adjective or noun of `stem` in
        that declension."""
        other = self.lemmas.get(stem + ending)
        return other is not None and (other == lemma or (
            not own and other.startswith(stem) and other[len(stem):] in endings))

    def _conjugated(self, word: str, lemma: str) -> bool:
        """A verb form that ends as a declension does: a Russian gerund of a verb in "-ать"/"-ять" ("считая",
        "улыбаясь"), a Polish future beside its first person ("zostanie", "zostanę")."""
        if self.code == "ru":
            return word in (lemma[:-2] + "я", lemma[:-4] + "ясь")
        return (self.code == "pl" and word.endswith("nie") and len(word) > 6  # not "stanie" of "w stanie"
                and self.lemmas.get(word[:-3] + "nę") == lemma)


def _with_past(code: str, lemmas: Mapping[str, str]) -> frozenset[str] | None:
    """Czech lemmas of a verb: those with a form of the past ("navrhl", "měl", "šel") or of the present ("způsobuje",
    "dělají"), which no noun in "-t" has ("student", "svět"), and those in "-ovat", "-ávat", "-ívat", "-ývat", which
    no noun ends in; None for other languages."""
    if code != "cs":
        return None
    infinitives = _INFINITIVES[code]
    return frozenset(lemma for form, lemma in lemmas.items() if lemma.endswith(infinitives) and form != lemma and (
        form.endswith(_CZECH_VERBAL) or lemma.endswith(("ovat", "ávat", "ívat", "ývat"))))


def _noun_lemma(code: str, lemma: str) -> bool:
    """A noun whose lemma ends as infinitives do: Russian abstract nouns in "-ость" ("надёжность", which simplemma
    lists with as many forms as a verb, its "ё" spelt both ways), Polish nouns in "-iec" ("naukowiec"; not "piec",
    "biec"); Greek's pronoun "εγώ", whose cases ("σου") the list gives as many forms as a verb's."""
    if code == "ru":
        return lemma.endswith("ость")
    if code == "el":
        return lemma == "εγώ"
    return code == "pl" and lemma.endswith("iec") and not lemma.endswith(("biec", "piec"))


def _bases(code: str, word: str) -> set[str]:
    """The singular or masculine words `word` may be a plural or feminine of (Slavic ones are told by
    `_Paradigms.declines`)."""
    if code in _DECLENSIONS or code == "el":  # Greek: its participles are told by their endings
        return set()
    if code == "it":
        if word[-1] in "ie":
            return {word[:-1] + vowel for vowel in "oea"}
        return {word[:-1] + "o"} if word[-1] == "a" else set()
    found = set()
    if word.endswith("es"):
        found |= {word[:-2], _last_vowel_accented(word[:-2])}  # "colecciones": "colección"
    if word.endswith("s"):
        found.add(word[:-1])
    if word.endswith(("a", "as")):
        found.add(word.rstrip("s")[:-1] + "o")
    return found


def _unreflexive(code: str, lemma: str) -> str:
    """The infinitive of a reflexive lemma: "utilizarse" (simplemma's lemma of "utilizados") is "utilizar",
    "utilizar-se" too, "utilizzarsi" "utilizzare"."""
    if code == "it":
        return lemma[:-2] + "e" if lemma.endswith(("arsi", "ersi", "irsi")) else lemma
    return lemma.removesuffix("-se").removesuffix("se") if lemma.endswith(("rse", "r-se")) else lemma


_CATALAN_MASCULINES = {"ada": "at", "ades": "at", "ats": "at", "ida": "it", "ides": "it", "its": "it", "uda": "ut",
                       "udes": "ut", "uts": "ut"}


def _catalan_masculines(word: str) -> set[str]:
    """The masculine singular a Catalan participle's feminine or plural is of ("vestida": "vestit")."""
    return {word[: -len(ending)] + masculine for ending, masculine in _CATALAN_MASCULINES.items()
            if word.endswith(ending)}


def _unaccented(word: str) -> str:
    """`word` without its accents (Greek "ρύθμιση" as "ρυθμιση": the accent moves in a plural)."""
    return "".join(char for char in unicodedata.normalize("NFD", word) if not unicodedata.combining(char))


def _last_vowel_accented(stem: str) -> str:
    for index in range(len(stem) - 1, -1, -1):
        if stem[index] in "aeiou":
            return stem[:index] + stem[index].translate(_ACCENTED) + stem[index + 1 :]
    return stem


def _addressed(lemmas: Mapping[str, str], endings: tuple[str, ...], infinitives: tuple[str, ...],
               past: tuple[str, ...]) -> set[str]:
    """The forms with one of `endings` of lemmas with one of `infinitives` and, given `past` endings, a form with
    one of those, other than lemmas (`_ADDRESSED_ONLY`, `_ADDRESSED_PAST`)."""
    own = set(lemmas.values())
    verbs = {lemma for word, lemma in lemmas.items() if word.endswith(past) and word != lemma} if past else None
    return {word for word, lemma in lemmas.items()
            if word.endswith(endings) and lemma.endswith(infinitives) and word not in own and word.islower()
            and (verbs is None or lemma in verbs)}


def _list_of(code: str) -> str:
    return _ADDRESSED_ONLY_LANGUAGES.get(code, code)


def _data_file(code: str) -> Path | None:
    """simplemma's packed lemma list of `code`, or None when simplemma is not installed."""
    return installed_file("simplemma", f"strategies/dictionaries/data/{_list_of(code)}.plzma")


def installed_file(package: str, name: str) -> Path | None:
    """The file `name` inside the installed package `package` (found without importing it), or None when the
    package or the file is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return path if path.is_file() else None


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"
