"""Per-language resources: function words, background word frequencies and variant folding.

Every language gets what is available for it, so a language outside the seven tuned ones (en, de, fr, es, it, pt,
nl) still gets a sensible share:
- function words: the `stop-words` package's list (BSD-3-Clause) plus wordfreq's most frequent words (Zipf ≥
  `_FUNCTION_ZIPF`: in every language those are articles, pronouns, auxiliaries and prepositions); English keeps
  its curated list (`english.py`), which also stops reporting verbs and vague modifiers;
- frequencies: wordfreq's `small` list for the language (40+ languages; Croatian, Bosnian, Serbian and
  Montenegrin share its Serbo-Croatian list, Tagalog takes its Filipino one), none for others (every word then
  counts as specific, and frequency and position decide);
- folding: a Snowball stemmer (PyStemmer, Snowball's C code); English folds
  plurals only; Chinese reads Traditional characters as Simplified. Languages with none fold case only;
- words: Chinese and Japanese runs of letters are cut into words (`unspaced`), Korean particles off their nouns
  (`korean`).
`UNDETERMINED` ("und") is the language-agnostic fallback for text whose language cannot be told (short, mixed or
of a script no list covers): the function words of all tuned languages, no frequencies, and English plural
folding (short undetermined text is mostly English, and a word and its "-s" form are rarely two concepts).
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice, product
from typing import Literal

import regex
import Stemmer
import stop_words
import stopwordsiso
import wordfreq

from toridaemon.pipeline.language import english
from toridaemon.pipeline.language.lemmas import bare_infinitives, dictionary_forms, lemma_folds, past_participles
from toridaemon.pipeline.language.lexicon import (
    adjective_forms,
    adverb_forms,
    base_verbs,
    english_tags,
    proper_nouns,
    verb_forms,
)
from toridaemon.pipeline.language.unspaced import UNSPACED, composed, simplified

UNDETERMINED = "und"
TUNED = ("en", "de", "fr", "es", "it", "pt", "nl")
_FUNCTION_ZIPF = 6.0  # ≥ 1 in a thousand words
_MAX_SHARP_S = 3  # "ss" of a word read as "ß" or not: 2**3 readings at most
_LISTED_LANGUAGES = tuple(stop_words.LANGUAGE_MAPPING)  # the languages `stop-words` has a list of
_NOT_LATIN_LETTER = regex.compile(r"[^\p{Latin}\P{L}]")
JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: inside words of Persian ("می‌کند") and Indic scripts
NO_JOINERS = str.maketrans("", "", JOINERS)
_SCRIPT_SAMPLE = 100  # words of a list looked at to tell the script it is written in
_QUOTES_AND_COMMAS = '",\u060c '  # not the apostrophe: Italian "ch'" is "ch'", no "ch" (as "CO")
_FOREIGN_ZIPF = 3.0  # another language's function word rarer than this (1 in a million words) is one here too
# In a text with passages in another language, that language's function words are boundaries unless they are this
# common here and not `_MIXED_APART` (Zipf, a factor of 100) more common there: of Italian's in English, "di", "il",
# "la" are boundaries, "come", "per", "era" not; of German's, "der", "und", "die" are, "war", "man" not.
_MIXED_ZIPF = 4.5
_MIXED_APART = 2.0
# Latin's "in", "ad" and "per" open terms in every language ("in vitro", "in situ", "ad hoc").
_LATIN = frozenset(("in", "ad", "per"))
# English determiners, modals and conjunctions rarer than `_FUNCTION_ZIPF`, which other languages' text holds in
# English passages and names (see `_english_boundaries`).
_ENGLISH_CLOSED_CLASS = frozenset(
    "those many such each every both either neither must might should shall may whose whom whether though although "
    "while until without within upon among between during against another several various".split()
)
# Detector codes wordfreq lists under another one: Serbo-Croatian ("sh") is Croatian, Bosnian, Serbian and
# Montenegrin, which the detector tells apart; Filipino ("fil") is standard Tagalog.
_WORDFREQ_CODES = {"hr": "sh", "bs": "sh", "sr": "sh", "me": "sh", "tl": "fil"}
# Codes read as another's: Norwegian's forms share wordfreq's, stop-words' and Snowball's "nb" ("norwegian"); as
# "no" (a `language` setting) it had none of them.
ALIASES = {"nn": "nb", "no": "nb"}
# Placeholder text of templates (lorem ipsum, and the 186 words of the LaTeX lipsum package's 150 paragraphs):
# never a concept, in any language. FILLER, function words everywhere: the classic passage's words, and the
# lipsum words in none of the tuned languages' word lists (FILLER_MARKS, which mark a document holding such
# text); the other lipsum words ("ut", "massa", "porta") count only in such a document (LIPSUM).
FILLER = frozenset(
    "accumsan adipiscing adipisicing aenean aliqua aliquam aliquet aliquip amet anim aptent augue aute blandit "
    "cillum commodo condimentum congue consectetuer consectetur consequat conubia convallis cubilia culpa cupidatat "
    "curabitur dapibus deserunt dictumst dignissim dolor dolore donec duis egestas eget eiusmod eleifend elementum "
    "elit enim esse etiam euismod excepteur exercitation facilisi facilisis faucibus fermentum feugiat fugiat fusce "
    "habitasse hendrerit hymenaeos iaculis imperdiet inceptos incididunt interdum ipsum irure labore laboris "
    "laborum lacinia laoreet lectus libero litora lobortis lorem luctus maecenas magna malesuada mauris minim "
    "mollit morbi nascetur natoque netus nibh nisi nisl nonummy nostrud nulla nullam nunc occaecat officia pariatur "
    "parturient pellentesque penatibus pharetra phasellus placerat porttitor posuere praesent pretium proident "
    "proin pulvinar qui quis quisque reprehenderit rhoncus ridiculus risus rutrum sagittis sapien scelerisque sed "
    "senectus sint sit sociis sociosqu sodales sollicitudin sunt suscipit suspendisse tempor tincidunt torquent "
    "tortor tristique turpis ullamco ullamcorper ultrices ultricies vehicula velit venenatis veniam vestibulum "
    "vivamus viverra voluptate volutpat vulputate".split()
)
FILLER_MARKS = frozenset(
    "accumsan adipiscing adipisicing aenean aliqua aliquam aliquet aliquip aptent augue blandit cillum condimentum "
    "congue consectetuer consectetur consequat conubia convallis cubilia cupidatat curabitur dapibus deserunt "
    "dictumst dignissim egestas eiusmod eleifend elementum euismod excepteur exercitation facilisi facilisis "
    "faucibus fermentum feugiat fugiat fusce habitasse hendrerit hymenaeos iaculis imperdiet inceptos incididunt "
    "interdum irure laborum laoreet lectus litora lobortis luctus malesuada mollit nascetur natoque netus nonummy "
    "nostrud nullam occaecat pariatur parturient pellentesque penatibus pharetra phasellus placerat porttitor "
    "posuere pretium proident proin pulvinar reprehenderit rhoncus ridiculus risus rutrum sagittis scelerisque "
    "senectus sociis sociosqu sodales sollicitudin suscipit suspendisse tincidunt torquent tortor tristique turpis "
    "ullamco ullamcorper ultrices ultricies vehicula velit venenatis vestibulum vivamus viverra voluptate volutpat "
    "vulputate".split()
)
LIPSUM = FILLER | frozenset(
    "a ac ad ante arcu at auctor bibendum class cras cum curae cursus diam dictum dis dui erat eros est et eu fames "
    "felis fringilla gravida habitant hac id in integer justo lacus leo ligula magnis massa mattis metus mi "
    "molestie mollis montes mus nam nec neque non nostra odio orci ornare pede per platea porta potenti primis "
    "purus quam sem semper taciti tellus tempus urna ut varius vel vitae wisi".split()
)
# The LaTeX blindtext package's paragraphs (English and German: "Hello, here is some text without a meaning.")
# and its blind document's headings and lists: placeholder text in a real language, whose words are common ones
# and tell nothing, so its sentences are matched whole, word for word, accents aside. Its made-up words mark a
# document holding it (BLINDTEXT_MARKS).
_ORDINALS = ("second", "third", "forth", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_UNITS = ("part", "chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph")
_LISTS = ("itemize", "enumerate", "description")
BLINDTEXT = (
    "hello here is some text without a meaning", *(f"hello here is the {nth} paragraph" for nth in _ORDINALS),
    "this text should show what a printed text will look like at this place",
    "if you read this text you will get no information", "really is there no information",
    "is there a difference between this text and some nonsense like huardest gefburn", "kjift not at all",
    "a blindtext like this gives you information about the selected font how the letters are written and an "
    "impression of the look",
    "this text should contain all letters of the alphabet and it should be written in of the original language",
    "there is no need for special content but the length of words should match the language",
    *(f"heading on level {unit}" for unit in _UNITS), *(f"überschrift auf ebene {unit}" for unit in _UNITS),
    *(f"example for list {kind}" for kind in _LISTS), *(f"beispiel einer liste {kind}" for kind in _LISTS),
    *(f"{nth} item in a list" for nth in ("first", "second", "third", "fourth", "fifth")),
    *(f"{nth} listenpunkt stufe" for nth in ("erster", "zweiter", "dritter", "vierter", "fünfter")),
    "dies hier ist ein blindtext zum testen von textausgaben", "wer diesen text liest ist selbst schuld",
    "der text gibt lediglich den grauwert der schrift an", "ist das wirklich so",
    "ist es gleichgültig ob ich schreibe dies ist ein blindtext oder huardest gefburn", "kjift mitnichten",
    "ein blindtext bietet mir wichtige informationen",
    "an ihm messe ich die lesbarkeit einer schrift ihre anmutung wie harmonisch die figuren zueinander stehen und "
    "prüfe wie breit oder schmal sie läuft",
    "ein blindtext sollte möglichst viele verschiedene buchstaben enthalten und in der originalsprache gesetzt sein",
    "er muss keinen sinn ergeben sollte aber lesbar sein",
    "fremdsprachige texte wie lorem ipsum dienen nicht dem eigentlichen zweck da sie eine falsche anmutung "
    "vermitteln",
)
BLINDTEXT_MARKS = frozenset(("huardest", "gefburn", "kjift"))
# Function words the `stop-words` package's list lacks: Portuguese contractions of a preposition with a
# demonstrative or an article ("neste" = em + este, "duma" = de + uma), numbers up to ten, and the inflected forms
# of quantifiers and determiners whose other forms it lists ("muitas" beside "muitos", "alcune" beside "alcuni").
# Vietnamese spaces syllables, not words: its word list counts syllables, and the commonest of them, or those of
# the `stop-words` list, are the syllables of content words too ("máy tính", computer; "thông tin", information;
# "phần mềm", software; "công nghệ", technology), which never were concepts. Its function words are its closed
# classes instead: pronouns, conjunctions, prepositions, quantifiers, and the words of aspect, mood and negation.
# Some are syllables of common content words too ("bị" of "thiết bị", device; "không" of "không dây", wireless):
# those words are read as one (`VIETNAMESE_COMPOUNDS`, `candidates.tokenize`).
_VIETNAMESE_FUNCTION_WORDS = frozenset(
    "tôi tao tớ mình ta chúng họ nó bạn ai gì nào đâu sao bao đây đó kia ấy này nọ đấy thế vậy nhau "
    "và với hoặc hay nhưng mà thì nếu vì nên rằng là tuy dù song cùng còn "
    "của cho trong ngoài trên dưới tại ở từ đến tới về vào ra lên xuống theo bởi do bằng qua sau trước giữa khi lúc "
    "để các những một mọi mỗi từng cả nhiều ít vài mấy "
    "đã đang sẽ vừa mới chưa không chẳng chớ đừng hãy có được bị phải cần muốn cũng đều vẫn lại chỉ rất quá lắm "
    "hơn nhất khá thật à ạ ư nhé nhỉ chứ thôi".split()
) | {"tại sao", "vì sao"}
# Read first, from left to right: "bắt đầu vào lúc" (begins at) has no "đầu vào" (input), and "tại sao" (why) is a
# function word, no "sao lưu" (backup).
VIETNAMESE_COMPOUNDS = frozenset((
    "bắt đầu", "tại sao", "vì sao", "thiết bị", "chuẩn bị", "trang bị", "địa chỉ", "chỉ số", "chỉ dẫn", "chỉ thị",
    "chỉ tiêu", "chỉ định",
    "quá trình", "quá khứ", "quá tải", "sao lưu", "sao chép", "ngôi sao", "thế giới", "thế hệ", "thế kỷ",
    "thay thế", "đầu vào", "đầu ra", "không gian", "không khí", "không dây", "từ khóa", "từ khoá", "từ điển",
    "theo dõi",
))
_PERSIAN_VERB_PREFIXES = ("می\u200c", "نمی\u200c")
# Content words a listed language's list holds: Thai "แบบ" (form, of "แบบจำลอง", model) and "ผล" (result, of
# "ประมวลผล", processing), which ICU's rules cut off the word.
_CONTENT_WORDS = {"th": {"แบบ", "ผล"}}
_MISSING_FUNCTION_WORDS = {
    "pt": set(
        "neste nesta nestes nestas deste desta destes destas naquele naquela naqueles naquelas daquele daquela "
        "daqueles daquelas nisto nisso naquilo disto disso daquilo dum duma duns dumas nuns numas doutro doutra "
        "noutro noutra dois duas três quatro cinco seis sete oito nove dez "
        "muita muitas pouco pouca poucos poucas todo toda todas outra outros outras vários várias algum alguma "
        "algumas nenhum nenhuma mesma tanto tanta tantos tantas".split()
    ),
    "es": set("tanta tantos tantas".split()),
    "cs": {"lze", "nelze"},  # "one can", "one cannot": "metodu lze použít"
    "it": set("molte poca poche vari varie alcuni alcune nessuno nessuna stessa".split()),
    "fr": set("quelques quelque certains certaines diverses aucune toute différents différentes nombreux "
              "nombreuses".split()),  # not "divers": "faits divers"
    "de": set("folgende folgenden folgender folgendes sämtliche sämtlichen sämtlicher beide beiden weitere weiteren "
              "weiterer verschiedene verschiedenen verschiedener mehrere mehreren viele vielen wenige wenigen "
              "siehe falls sofern sobald sodass solange obwohl wodurch womit wobei wohingegen hingegen jedoch bzw "
              "ggf außerdem zudem bereits stets dabei hierbei hierzu darauf somit ebenfalls jeweils "
              "zunächst".split()),  # "siehe" (see) refers as "cf." does; capitalised it would be a noun (`_verb`)
    # and the contractions written with an apostrophe, one word each ("z'n" for "zijn", "zo'n" for "zo een")
    "nl": set("verschillende sommige enkele elke ieder iedere alle vele weinig meerdere diverse beide "
              "z'n m'n d'r zo'n".split()),
    # Lao, Khmer and Burmese have no list: their conjunctions, prepositions, copulas, modals, aspect and negation
    # words, demonstratives and quantifiers, and Burmese's particles, as grammars list them. A word is what ICU's word
    # break rules cut (`unspaced`): "ກ່ຽວກັບ", "គឺជា" and "ဖြစ်သည်" are one each.
    "th": set("หนึ่ง สอง สาม สี่ ห้า หก เจ็ด แปด เก้า สิบ สามารถ".split()),  # numbers, "can": lists' items ("สี่")
    "lo": set("ແລະ ຂອງ ທີ່ ໃນ ເປັນ ໄດ້ ກັບ ຈະ ບໍ່ ມີ ນີ້ ນັ້ນ ໃຫ້ ຫຼື ແຕ່ ຈາກ ໂດຍ ເພື່ອ ຍັງ ແມ່ນ ຢູ່ ກໍ ແລ້ວ ຖ້າ ເມື່ອ ຄື "
              "ເຊິ່ງ ຊຶ່ງ ຫລື ຕໍ່ ກ່ຽວກັບ ລະຫວ່າງ ທຸກ ອື່ນ ຫຼາຍ ບາງ ການ ຄວາມ ສາມາດ ຕ້ອງ".split()),
    "km": set("និង នៃ ក្នុង គឺ ជា គឺជា ដែល បាន មាន នេះ នោះ ទៅ ពី ដោយ សម្រាប់ ឬ ប៉ុន្តែ ប៉ុន្ដែ មិន នឹង ទេ លើ ជាមួយ ដើម្បី ក៏ "
              "ទៀត ច្រើន ជាច្រើន គ្រប់ បើ ការ ត្រូវ អាច ហើយ".split()),
    "my": set("သည် ကို ၏ နှင့် တွင် မှ များ ကြ ပြီး ဖြစ် ဖြစ်သည် ရှိ သော ၍ လည်း ပါ တယ် ခဲ့ မည် သို့ ၌ ထား ဟု "
              "ကြောင့် အတွက် ဤ ထို နဲ့ မှာ ကြောင်း ရန် သည့် နိုင် တဲ့ ထားသည် များသည်".split()),
    # Chinese has no verb list: the verbs, connectives and vague modifiers of expository text bound terms as
    # English reporting verbs do ("使用神经网络", uses neural networks; "本文提出", this paper proposes). Simplified,
    # as words are looked up.
    # Not the verbs that are also nouns or begin terms ("表示", "实现", "相关": "知识表示", "相关系数").
    "zh": set(
        "使用 进行 利用 通过 采用 提出 基于 包括 具有 需要 能够 提供 得到 成为 认为 给出 用于 作为 根据 对于 关于 以及 "
        "及其 其中 因此 所以 但是 然而 而且 并且 如果 虽然 由于 为了 之间 之后 之前 以上 以下 不同 一些 各种 其他 这些 "
        "那些 这种 本文 已经 正在 应该 必须 非常 更加 进一步 同时 从而 以便 使得 用来 称为 叫做 属于 包含 常用 广泛 "
        "许多 大量 一种 一个 进而 并用 "
        # and the connectives of instructions ("然后选中图片", then select the picture). Not their actions: "点击",
        # "插入", "保存", "关闭" begin terms ("点击事件", "插入排序", "保存路径", "关闭按钮").
        "然后 接着 或者 还是 请 才 以后 首先 其次 例如 比如 即可 如下 所示 转换成".split()
    ),
}
# Serbian Latin to Cyrillic (`_with_cyrillic`), for the languages written in both.
_CYRILLIC_TOO = frozenset(("sr", "me"))
_SERBIAN_CYRILLIC = {"dž": "џ", "lj": "љ", "nj": "њ"}
_SERBIAN_DIGRAPHS = re.compile("|".join(_SERBIAN_CYRILLIC))
_SERBIAN_LETTERS = str.maketrans("abcčćdđefghijklmnoprsštuvzž", "абцчћдђефгхијклмнопрсштувзж")
_NOT_SERBIAN_LATIN = re.compile("[^abcčćdđefghijklmnoprsštuvzž]")  # digits, "q", "x", "y", a foreign word's "é"
_SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish", "nl": "dutch",
    "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french", "de": "german", "el": "greek",
    "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "nb": "norwegian", "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "hr": "serbian", "bs": "serbian", "me": "serbian", "es": "spanish",
    "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}


# What an apostrophe between letters is in a language's words: part of the word ("комп'ютер", "camera's", "can't");
# the end of an elided function word before it ("l'adresse", "dell'acqua": `ELIDING`); or where a case suffix
# starts after a name or an abbreviation (Turkish "Linux'ta", "Ankara'nın"; Polish "Kennedy'ego"; Danish and
# Norwegian "PIN'en", "cd'en": `SUFFIXING`).
Apostrophe = Literal["letter", "elision", "suffix"]
ELIDING = frozenset(("fr", "it", "ca", "oc", "ga", "pt", "gl", UNDETERMINED))
SUFFIXING = frozenset(("tr", "pl", "da", "nb", "nn", "no"))
# The prepositions that join a noun to its complement inside a Romance noun phrase, where English and German write a
# compound: "base de datos" (database), "analyse des données", "analisi dei dati", "sistema de informação".
# Elided forms end with the apostrophe as `candidates.classify` writes it ("d'énergie", "dell'acqua").
LINKERS: dict[str, frozenset[str]] = {
    "es": frozenset(("de", "del")),
    "fr": frozenset(("de", "du", "des", "d'")),
    "it": frozenset(("di", "del", "dello", "della", "dei", "degli", "delle", "dell'", "d'")),
    "pt": frozenset(("de", "do", "da", "dos", "das")),
    "gl": frozenset(("de", "do", "da", "dos", "das")),
    "ca": frozenset(("de", "del", "dels", "d'")),
}
LINK_MARK = "~"  # a linker's word in a candidate key ("bas ~ dat"): no word of a text is one
# Articles, demonstratives and possessives: a noun follows one; a sentence that opens on a word and one of these is
# an instruction ("Abra la ventana", "Escolha o ficheiro", "Sélectionnez le fichier"): see
# `candidates.CandidateTable.verb_like`. Not the Portuguese "a" nor the French "des": each is a preposition too.
DETERMINERS: dict[str, frozenset[str]] = {
    "es": frozenset("el la los las un una unos unas este esta estos estas ese esa esos esas aquel aquella su sus mi "
                    "mis nuestro nuestra nuestros nuestras".split()),
    "pt": frozenset("o os as um uma uns umas este esta estes estas esse essa esses essas seu sua seus suas".split()),
    "it": frozenset("il lo la i gli le l' un uno una un' questo questa questi queste quest' quel quello quella quei "
                    "quelle quell' suo sua suoi sue".split()),
    "ca": frozenset("el la els les l' un una uns unes aquest aquesta aquests aquestes seu seva seus seves".split()),
    "fr": frozenset("le la les l' un une ce cet cette ces son sa ses votre vos leur leurs".split()),
}
# Determiners, quantifiers and prepositions (with an article written onto them or not): a word spelt as a past
# participle after one is a noun ("el filtrado", "l'uscita", "técnica de escalado", "vários pedidos"), where a
# participle follows a noun or a verb ("sistemas distribuidos", "está conectado"). Not "todos" nor "tutti", which
# also stand between a verb and its participle ("están todos conectados"). Apostrophes as `candidates` spells them
# before looking one up ("l’" is "l'").
BEFORE_NOUNS: dict[str, frozenset[str]] = {
    "es": DETERMINERS["es"] | frozenset("cada varios varias muchos muchas algunos algunas otros otras pocos pocas "
                                        "lo al del de en con sin para por".split()),
    "pt": DETERMINERS["pt"] | frozenset("cada vários várias muitos muitas alguns algumas outros outras poucos poucas "
                                        "a ao aos à às do da dos das no na nos nas pelo pela pelos pelas num numa "
                                        "dum duma neste nesta deste desta de em com sem para por".split()),
    "it": DETERMINERS["it"] | frozenset("ogni vari varie molti molte alcuni alcune altri altre pochi poche del dello "
                                        "della dei degli delle dell' al allo alla ai agli alle all' dal dallo dalla "
                                        "dai dagli dalle dall' nel nello nella nei negli nelle nell' sul sullo sulla "
                                        "sui sugli sulle sull' di d' in con per da su tra fra".split()),
    "ca": DETERMINERS["ca"] | frozenset("cada diversos diverses molts moltes alguns algunes altres pocs poques al als "
                                        "del dels pel pels de d' en amb sense per".split()),
}
# Turkic, Uralic and Dravidian languages, Basque and Mongolian (`Language.agglutinative`).
AGGLUTINATIVE = frozenset("tr az kk ky uz tk tt fi et hu ta te kn ml eu mn".split())


@dataclass(frozen=True, eq=False)
class Language:
    """What the concept engine knows of one language."""

    code: str
    stop_words: frozenset[str]
    frequencies: dict[str, float] = field(repr=False)
    fold: Callable[[str], str] = field(repr=False)
    english: bool = False  # English-only rules: "-ly" adverbs, "-ed" participles, the WordNet database, base verbs
    capitalised_nouns: bool = False  # German: a term ends on a capitalised word
    verbs: frozenset[str] = field(default=frozenset(), repr=False)  # verb forms: boundaries of terms
    # Base-form verbs that are nothing else ("quantify"): a term ends on one only after a singular word
    base_verbs: frozenset[str] = field(default=frozenset(), repr=False)
    # Infinitives that are nothing else ("configurar", `lemmas.bare_infinitives`): verbs, but after a linker
    infinitives: frozenset[str] = field(default=frozenset(), repr=False)
    # Words spelt as past participles that are no noun ("distribuidas", `lemmas.past_participles`): no concept
    # alone, but where the text writes one after a determiner or a preposition (`BEFORE_NOUNS`: "l'uscita")
    participles: frozenset[str] = field(default=frozenset(), repr=False)
    before_nouns: frozenset[str] = field(default=frozenset(), repr=False)
    determiners: frozenset[str] = field(default=frozenset(), repr=False)  # `DETERMINERS`, as a text writes them
    adjectives: frozenset[str] = field(default=frozenset(), repr=False)  # alone, held back in scoring
    # Where nouns decline (`lemmas.DECLINED`), the words in their dictionary form ("аккумулятор"): a term is shown
    # as the text writes it in these where it does (`candidates.CandidateTable.base_forms`).
    dictionary_forms: frozenset[str] = field(default=frozenset(), repr=False)
    adverbs: frozenset[str] = field(default=frozenset(), repr=False)  # French: boundaries (`lexicon.adverb_forms`)
    # German: lexicon words that are proper nouns ("peter"), and every lexicon word (a common noun when not the
    # former); a name pair starts with a proper noun and ends on one or on a word the lexicon lacks.
    proper_nouns: frozenset[str] = field(default=frozenset(), repr=False)
    lexicon: frozenset[str] = field(default=frozenset(), repr=False)
    also: tuple[str, ...] = ()  # languages of passages of a mixed text, whose function words are boundaries too:
    # unless written in capitals ("SI", "WHO"); also English words in any other language (`_english_boundaries`)
    also_stop_words: frozenset[str] = field(default=frozenset(), repr=False)
    # The specificity of every word `frequencies` holds, worked out once: scoring looks up each new term's words,
    # and computing them there took half of the work on a word first met (some 1.5 µs a term).
    rarities: dict[str, float] = field(default_factory=dict, repr=False)
    unspaced: bool = False  # written without spaces between words (Chinese, Japanese): see `unspaced.split_words`
    apostrophe: Apostrophe = "letter"  # what an apostrophe between letters is: see `Apostrophe`
    # Suffixes pile onto a word's stem (Turkish "hücre", "hücrelerdeki", "hücreye"): a term is shown as its
    # barest surface, not as the first one (`candidates._bare`).
    agglutinative: bool = False
    # Inside a term, between two of its words, these join a noun to its complement (`LINKERS`); elsewhere they
    # are function words.
    linkers: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        """Tells resources with different function words apart: the code, and those of `also`."""
        return "+".join((self.code, *self.also))

    def specificity(self, word: str) -> float:
        """0 for the most common words, 1 for words rarer than about one in a million (or of unknown frequency);
        an unlisted hyphenated word, the mean of its parts'."""
        value = self.rarities.get(word)
        if value is not None:
            return value
        parts = [part for part in word.split("-") if part] if "-" in word else ()
        return sum(self.rarities.get(part, 1.0) for part in parts) / len(parts) if parts else 1.0

    def is_known(self, word: str) -> bool:
        """Whether `word` (lowercase) is in the background list of the language."""
        return word in self.frequencies


_COMMON_ZIPF = 6.5  # Zipf: log10 of occurrences per billion words. "the" ≈ 7.7, "network" ≈ 5.0
_RARE_ZIPF = 2.5


def rarity(frequency: float) -> float:
    """How rare a word of this frequency (its share of words in text) is, from 0 (very common) to 1."""
    if not frequency:
        return 1.0
    zipf = math.log10(frequency * 1e9)
    return min(1.0, max(0.0, (_COMMON_ZIPF - zipf) / (_COMMON_ZIPF - _RARE_ZIPF)))


def language(code: str | None) -> Language:
    """The resources of `code` (ISO 639-1); None or an unknown code gives the language-agnostic fallback."""
    code = (code or UNDETERMINED).lower()
    return _resources(ALIASES.get(code, code))


@lru_cache(maxsize=16)
def _resources(code: str) -> Language:
    if code == UNDETERMINED:  # the function words alone: the verb forms of every language are not needed
        return Language(UNDETERMINED, frozenset().union(*map(_function_words, TUNED)), {}, english.fold,
                        apostrophe=_apostrophe(code))
    frequencies = word_shares(code)
    words = _function_words(code)
    fold = english.fold if code == "en" else _folder(code)
    proper, lexicon = proper_nouns(code)
    return Language(code, words, frequencies, fold, english=code == "en", capitalised_nouns=code == "de",
                    verbs=_verbs(code, frequencies), base_verbs=base_verbs(code), infinitives=bare_infinitives(code),
                    participles=past_participles(code), before_nouns=BEFORE_NOUNS.get(code, frozenset()),
                    determiners=_as_written(DETERMINERS.get(code, frozenset())),
                    adjectives=adjective_forms(code), adverbs=adverb_forms(code), proper_nouns=proper, lexicon=lexicon,
                    dictionary_forms=dictionary_forms(code),
                    also_stop_words=_english_boundaries(code, frequencies) - words,
                    rarities={word: rarity(share) for word, share in frequencies.items()}, unspaced=code in UNSPACED,
                    apostrophe=_apostrophe(code), agglutinative=code in AGGLUTINATIVE,
                    linkers=LINKERS.get(code, frozenset()))


def _verbs(code: str, frequencies: dict[str, float]) -> frozenset[str]:
    """The verb forms of `code` (`lexicon.verb_forms`): German ones also with "ß" where the lexicon writes "ss"
    ("beschließt", "heißt"), and in Persian, which has no lexicon, the listed words of the present and imperfect
    prefix ("می‌کند", "نمی‌تواند"; "محافظت می‌کند", "protects", ended a term; the light verbs that make verbs of
    nouns, "کرد", "شود", are function words by their frequency)."""
    verbs = verb_forms(code)
    if code == "de":
        return verbs | {spelling for verb in verbs if "ss" in verb for spelling in _sharp_s_readings(verb)}
    if code == "fa":
        return verbs | {word for word in frequencies if word.startswith(_PERSIAN_VERB_PREFIXES)}
    return verbs


def _as_written(words: frozenset[str]) -> frozenset[str]:
    """Words as tokens of a text spell them, not as `candidates` looks them up: also with a curly apostrophe
    ("l’"). A modifier letter apostrophe ("lʼ") is a letter of the word it stands in."""
    return words | {word.replace("'", "\u2019") for word in words}


def _apostrophe(code: str) -> Apostrophe:
    return "elision" if code in ELIDING else "suffix" if code in SUFFIXING else "letter"


@lru_cache(maxsize=16)
def _function_words(code: str) -> frozenset[str]:
    frequencies = word_shares(code)
    return frozenset(_own_function_words(code, frequencies) | _foreign_function_words(code, frequencies)) | FILLER


@lru_cache(maxsize=32)
def mixed(code: str, also: tuple[str, ...]) -> Language:
    """`language(code)` for a text with whole passages in the languages `also` (a manual in two languages, a
    thesis with an English abstract): the function words listed for them bound terms too ("di", "il", "la" of an
    Italian user guide in an English-language file), but for the common words of `code` that are no more common
    there ("come", "war", "man"; see `_MIXED_ZIPF`), and never a word written in capitals ("SI")."""
    primary = language(code)
    common, apart = 10**_MIXED_ZIPF / 1e9, 10**_MIXED_APART
    extra: set[str] = set()
    for other in also:
        frequencies = word_shares(other)
        for word in _listed_function_words(other) - primary.stop_words:
            here = primary.frequencies.get(word, 0.0)
            if len(word) > 1 and (here < common or frequencies.get(word, 0.0) >= here * apart):
                extra.add(word)
    return dataclasses.replace(primary, also=also, also_stop_words=primary.also_stop_words | frozenset(extra))


def _own_function_words(code: str, frequencies: dict[str, float]) -> set[str]:
    if code == "en":
        return set(english.STOP_WORDS)
    if code == "vi":  # its closed classes (see `_listed_function_words`)
        return _listed_function_words(code)
    frequent = {word for word, share in frequencies.items()
                if share >= 10**_FUNCTION_ZIPF / 1e9 and word.translate(NO_JOINERS).isalpha()}
    return _listed_function_words(code) | frequent


def _listed_function_words(code: str) -> set[str]:
    # The additions stay out of `_foreign_function_words`: "duma" or "dez" are words elsewhere.
    if code == "vi":
        return set(_VIETNAMESE_FUNCTION_WORDS)
    return (_listed_stop_words(code) | _MISSING_FUNCTION_WORDS.get(code, set())) - _CONTENT_WORDS.get(code, set())


def _foreign_function_words(code: str, frequencies: dict[str, float]) -> set[str]:
    """Function words of other languages that are rare in this one: of the other tuned languages, as addresses,
    names of institutions and quotations bring them into any text ("viale delle terme di caracalla" in an English
    report); and of every listed language, written in another script than Latin, as lines of a manual translated
    in part bring them ("के लिए", "में" of a Hindi one read as English, where no passage is long enough to be told),
    for a language with a word list to tell which are rare (with none, Russian "год" or Hindi "घर" would be
    function words of Marathi or Belarusian, which share their scripts)."""
    rare = 10**_FOREIGN_ZIPF / 1e9
    words = {word for other in TUNED if other != code for word in _listed(other)}
    if frequencies:  # with none to tell it, a word of another language in the same script may be a word here
        words.update(word for other in _LISTED_LANGUAGES if other != code and other not in TUNED
                     for word in _listed(other) if _NOT_LATIN_LETTER.search(word) is not None)
    return {word for word in words if len(word) > 1 and frequencies.get(word, 0.0) < rare}


def _english_boundaries(code: str, frequencies: dict[str, float]) -> frozenset[str]:
    """English words that bound terms in another language's text unless written in capitals ("WHO", "IT"): English
    sentences, names and titles are in every language's text, so wordfreq finds "the", "is" and "which" often in
    Spanish or German ("Software in the Public Interest", a paragraph left untranslated in a manual). They are
    function words common enough to count as such in English (`_FUNCTION_ZIPF`: not "state" or "problem"), the
    rarer determiners, modals and conjunctions of `_ENGLISH_CLOSED_CLASS`, and past-tense verb forms and modals of
    the Brill lexicon ("found", "must"; not its "-s" forms, plural nouns as often: "commits", "leads"), each a
    hundred times (`_MIXED_APART`) more common in English than here and not rare there, so that a word of the
    language spelt alike stays one ("an", a year in French; "once", eleven in Spanish; "was" in German). A language
    not written in Latin letters has no such words: its list's English words come from English passages (Hindi
    lists "the" as 1 word in 1,700), so there the English words need only not be rare in English."""
    if code == "en":
        return frozenset()
    english, apart, frequent, rare = language("en").frequencies, 10**_MIXED_APART, 10**_FUNCTION_ZIPF / 1e9, 1e-6
    if not _written_in_latin(frequencies):
        frequencies = {}
    function_words = {word for word in _listed_stop_words("en") if english.get(word, 0.0) >= frequent}
    verbs = {word for word, tag in english_tags().items() if tag in ("VBD", "MD") and word.isalpha()}
    return frozenset(
        word for word in (function_words | _ENGLISH_CLOSED_CLASS | verbs) - _LATIN
        if len(word) > 1 and english.get(word, 0.0) >= max(rare, frequencies.get(word, 0.0) * apart)
    )


def _written_in_latin(frequencies: dict[str, float]) -> bool:
    """Whether most of the commonest words of a list (wordfreq's, commonest first) are in Latin letters; an empty
    list says nothing, and counts as Latin."""
    top = [word for word in islice(frequencies, _SCRIPT_SAMPLE) if word.isalpha()]
    return 2 * sum(1 for word in top if _NOT_LATIN_LETTER.search(word) is None) >= len(top)


@lru_cache(maxsize=16)  # read two or three times per language; nobody changes the dictionary
def word_shares(code: str) -> dict[str, float]:
    """Each word of wordfreq's small list of `code` (none for a language it lacks) and its share of words in text,
    listed as written in lowercase (`_spelt_lowercase`)."""
    listed_as = _WORDFREQ_CODES.get(code, code)
    if listed_as == UNDETERMINED or listed_as not in wordfreq.available_languages("small"):
        return {}
    words = _spelt_lowercase(wordfreq.get_frequency_dict(listed_as, wordlist="small"), sharp_s=code == "de")
    return _with_cyrillic(words) if code in _CYRILLIC_TOO else words


def _with_cyrillic(words: dict[str, float]) -> dict[str, float]:
    """A Serbo-Croatian list (wordfreq's, in Latin letters: it reads Serbian Cyrillic as Latin) with each word also
    in Serbian Cyrillic, as Serbian is mostly written: "ако", "или", "који" were no function words, and every
    Cyrillic word was of unknown frequency. Latin letters map one to one onto Cyrillic but for three digraphs,
    which are one letter there ("lj": "љ"; "konjunkcija", where "nj" is two, is misspelt, and never met)."""
    spelt = dict(words)
    for word, share in words.items():
        cyrillic = _SERBIAN_DIGRAPHS.sub(lambda found: _SERBIAN_CYRILLIC[found.group()], word)
        if _NOT_SERBIAN_LATIN.search(word) is None:
            spelt.setdefault(cyrillic.translate(_SERBIAN_LETTERS), share)
    return spelt


def _spelt_lowercase(listed: dict[str, float], *, sharp_s: bool) -> dict[str, float]:
    """wordfreq's list with each word also as the engine looks it up, lowercase: wordfreq keys its lists by
    casefolded words ("strasse", "τησ"), and `str.lower` keeps the "ß" and the final "ς" of "Straße" and "της"
    (and text is composed, NFC, where casefolding decomposed a Greek "ΐ").
    So "groß", "heißt" and "außerdem" were unknown, and so specific, in German, and every Greek word ending in
    "ς" ("της", "τους", "σας", function words among them) in Greek. A German "ss" may have been a "ß" or not
    ("Wasser"): each reading is listed, with the share wordfreq gives both."""
    words = dict(listed)
    for listed_word, share in listed.items():
        word = listed_word
        if not word.isascii() and not unicodedata.is_normalized("NFC", word):  # casefolded "ΐ" is decomposed
            word = unicodedata.normalize("NFC", word)
            words.setdefault(word, share)
        if word.endswith("σ"):
            words.setdefault(word[:-1] + "ς", share)
        if sharp_s and "ss" in word:
            for spelling in _sharp_s_readings(word):
                words.setdefault(spelling, share)
    return words


def _sharp_s_readings(word: str) -> list[str]:
    """`word` with one or more of its first three "ss" written "ß" ("masse": "maße"; "schlussfolgerung" also
    "schlußfolgerung", its spelling before 1996)."""
    pieces = word.split("ss", _MAX_SHARP_S)
    readings = []
    for choice in product(("ss", "ß"), repeat=len(pieces) - 1):
        if "ß" in choice:
            readings.append(pieces[0] + "".join(mark + piece for mark, piece in zip(choice, pieces[1:], strict=True)))
    return readings


@lru_cache(maxsize=64)
def _listed(code: str) -> frozenset[str]:
    """The `stop-words` package's list of `code`; for a language it lacks and wordfreq too, the `stopwordsiso`
    package's (Marathi, Estonian, Galician, Basque, Irish, Afrikaans, Swahili, Armenian and others: its lists of
    languages wordfreq has may hold nouns, Slovenian "stran", page), lowercase. `stop-words`' Hebrew entries come
    quoted and with commas ('"אבל",'), and some lists hold punctuation (Persian's ",", "؟"): only the words count."""
    if code == UNDETERMINED:
        return frozenset()
    try:
        listed = stop_words.get_stop_words(code)
    except stop_words.StopWordError:
        listed = sorted(stopwordsiso.stopwords(code)) if not word_shares(code) else []
    words = (composed(word.strip(_QUOTES_AND_COMMAS).lower()) for word in listed)  # Thai's "สําหรับ": "สำหรับ"
    return frozenset(word for word in words if any(char.isalpha() for char in word))


def _listed_stop_words(code: str) -> set[str]:
    return set(_listed(code))


def _folder(code: str) -> Callable[[str], str]:
    """Chinese words in Simplified characters; else the Snowball stemmer of `code`, without PyStemmer's own cache
    of stems: its only caller (`classify`) keeps every word's result, so that cache held the same words twice, and
    a word stemmed for the first time (the only kind it was asked for) took twice as long with it: 1.9 µs against
    0.9 µs for French. Ukrainian, which declines and has no stemmer, folds words to their lemmas
    (`lemmas.lemma_folds`)."""
    if code == "zh":
        return simplified
    name = _SNOWBALL.get(code)
    if name is None:
        folds = lemma_folds(code)
        return (lambda word: folds.get(word, word)) if folds else _identity
    return Stemmer.Stemmer(name, 0).stemWord  # type: ignore[no-any-return]  # 0: no cache


def _identity(word: str) -> str:
    return word
