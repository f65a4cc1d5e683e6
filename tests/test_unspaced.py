"""Chinese and Japanese, written without spaces between words: their runs of letters are cut into words.

Before, a whole clause ("机器学习是人工智能的一个分支") was one word and so one concept.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.texts import CHINESE, JAPANESE, TRADITIONAL
from toridaemon.pipeline import analyze_text
from toridaemon.pipeline.language import language
from toridaemon.pipeline.language.unspaced import is_particle, letters_as_words, split_words, unspaced_edges
from toridaemon.pipeline.text.clean import clean_page


def test_a_chinese_run_is_cut_into_the_words_of_the_list() -> None:
    words = split_words("机器学习是人工智能的一个分支", "zh", language("zh").stop_words)
    assert words == ["机器", "学习", "是", "人工智能", "的", "一个", "分支"]


def test_traditional_characters_are_cut_where_their_simplified_ones_are() -> None:
    """"機器學習" is looked up as "机器学习"; Taiwan's "人工智慧" is no word of the mainland list, which has "人工"."""
    words = split_words("機器學習是人工智慧的一個分支", "zh")
    assert words == ["機器", "學習", "是", "人工", "智慧", "的", "一個", "分支"]


def test_single_characters_that_are_no_function_words_stay_together() -> None:
    """The list holds "卷" and "积" alone but not "卷积" (convolution); "和" between names is a function word."""
    words = split_words("李明和王红研究卷积神经网络", "zh", language("zh").stop_words)
    assert "卷积" in words and "和" in words and words[-2:] == ["神经", "网络"]


def test_japanese_is_cut_where_its_script_changes_and_hiragana_bounds_terms() -> None:
    assert split_words("機械学習は人工知能の一分野です", "ja") == ["機械学習", "は", "人工知能", "の", "一分野", "です"]
    assert split_words("AIモデルを学習します", "ja") == ["AI", "モデル", "を", "学習", "します"]
    assert is_particle("します") and not is_particle("モデル") and not is_particle("学習")


@pytest.mark.parametrize("code", ["en", "fr", "ru"])
def test_other_languages_keep_their_tokens_whole(code: str) -> None:
    assert split_words("机器学习是人工智能", code) == ["机器学习是人工智能"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("机器学习是的一个分支網路學機械はのですモデルーAé1 。、"), min_size=1,
               max_size=60), st.sampled_from(["zh", "ja"]))
def test_the_words_are_the_token_cut_never_changed(token: str, code: str) -> None:
    words = split_words(token, code, language(code).stop_words)
    assert "".join(words) == token and all(words)


def test_chinese_concepts_are_terms_not_clauses() -> None:
    result = analyze_text(CHINESE)
    names = [c.name for c in result.concepts]
    assert result.language == "zh"
    assert {"机器学习", "神经网络", "人工智能", "自然语言处理"} <= set(names), names
    assert names[0] == "机器学习"
    assert all(len(name) <= 8 and " " not in name for name in names), names  # written as the text writes them
    assert not any(word in name for name in names for word in ("是", "的", "在")), names
    for concept in result.concepts:
        assert concept.name in concept.context  # the sentence it occurs in, ended by "。"
        assert concept.context.endswith("。") or concept.context == CHINESE[-len(concept.context):]


@pytest.mark.parametrize(("text", "name"), [
    ("AIモデルは画像認識に使われます。AIモデルの学習にはGPUが必要です。AIモデルを評価します。", "AIモデル"),
    ("GPU加速的深度学习模型。GPU加速训练神经网络。深度学习模型需要大量数据。", "GPU加速"),
])
def test_a_term_of_latin_and_unspaced_words_is_written_and_found_as_the_text_has_it(text: str, name: str) -> None:
    found = {c.name: c.context for c in analyze_text(text).concepts}
    assert name in found, found
    assert found[name].startswith(name)


def test_chinese_verbs_and_connectives_of_expository_text_bound_terms() -> None:
    text = ("本文提出一种基于卷积神经网络的图像分类方法。"
            "该方法使用卷积神经网络提取特征，通过实验验证了图像分类方法的效果。")
    names = [c.name for c in analyze_text(text, language="zh").concepts]
    assert {"卷积神经网络", "图像分类方法"} <= set(names), names
    assert not any(verb in name for name in names for verb in ("本文", "提出", "基于", "使用", "通过")), names
    # Verbs that are also nouns stay words of terms: "knowledge representation", "representation learning".
    text = "知识表示是人工智能的核心问题。本文研究知识表示方法和表示学习。知识表示与知识发现密切相关。"
    kept = [c.name for c in analyze_text(text, language="zh").concepts]
    assert {"知识表示", "表示学习"} <= set(kept), kept


def test_chinese_connectives_of_instructions_bound_terms_and_their_actions_begin_terms() -> None:
    # A manual's steps: "then", "please", "for example" ran into terms ("然后选中图片").
    text = "然后选中图片。请选中图片。例如插入排序和快速排序。首先打开文件，然后保存文件。"
    names = [c.name for c in analyze_text(text, title="排序", language="zh").concepts]
    assert not any(word in name for name in names for word in ("然后", "请", "例如", "首先")), names
    # An action is a word of terms: "insertion sort", "click event", "close button".
    text = "本文讨论插入排序的设计。插入排序很重要。点击事件和关闭按钮也很重要。我们研究点击事件。"
    names = [c.name for c in analyze_text(text, language="zh").concepts]
    assert {"插入排序", "点击事件"} <= set(names), names


def test_traditional_and_simplified_spellings_are_one_concept() -> None:
    counted = {c.name: c.frequency for c in analyze_text(CHINESE[:30] + TRADITIONAL, language="zh").concepts}
    assert counted.get("机器学习", 0) + counted.get("機器學習", 0) == 4, counted
    assert not ("机器学习" in counted and "機器學習" in counted)


def test_japanese_concepts_are_kanji_compounds_and_katakana_words() -> None:
    result = analyze_text(JAPANESE)
    names = [c.name for c in result.concepts]
    assert result.language == "ja"
    assert names[:2] == ["機械学習", "ニューラルネットワーク"], names
    assert {"人工知能", "深層学習", "アルゴリズム"} <= set(names), names
    assert not any(is_particle(char) for name in names for char in name), names  # no hiragana in a term



THAI = (
    "การเรียนรู้ของเครื่องเป็นสาขาหนึ่งของปัญญาประดิษฐ์ ระบบการเรียนรู้ของเครื่องใช้ข้อมูลจำนวนมากเพื่อสร้างแบบจำลอง\n"
    "โครงข่ายประสาทเทียมเป็นแบบจำลองที่ได้รับความนิยมมากในการเรียนรู้เชิงลึก โครงข่ายประสาทเทียมประกอบด้วยชั้นของหน่วยประมวลผล\n"
    "นักวิจัยใช้โครงข่ายประสาทเทียมในการรู้จำภาพและการประมวลผลภาษาธรรมชาติ ข้อมูลจำนวนมากช่วยให้แบบจำลองมีความแม่นยำสูงขึ้น"
)


def test_thai_lao_khmer_and_burmese_runs_are_cut_into_words_and_end_at_a_space() -> None:
    """ICU's word break rules read these scripts with a dictionary of each; a noun-making prefix is written onto
    the word after it ("การเรียน"); these languages space between clauses, so a space ends a run of words."""
    th = language("th")
    assert th.unspaced and {"ของ", "เป็น", "ที่", "และ"} <= th.stop_words
    words = split_words("การเรียนรู้ของเครื่องเป็นสาขาหนึ่ง", "th", th.stop_words)
    assert words == ["การเรียน", "รู้", "ของ", "เครื่อง", "เป็น", "สาขา", "หนึ่ง", " "]
    assert split_words("ຄອມພິວເຕີເຊື່ອມຕໍ່ກັບເຄືອຂ່າຍ", "lo")[-1] == " "
    assert split_words("Linux", "th") == ["Linux"]  # no letter of the script: the token whole
    # A prefix goes onto no function word nor prefix; after a word of the token it ends a compound ("ปฏิบัติการ",
    # operation); ICU counts its offsets in UTF-16 units, so a character beyond the BMP shifted every cut.
    assert split_words("การของ", "th", th.stop_words) == ["การ", "ของ", " "]
    assert split_words("การการเรียน", "th", th.stop_words) == ["การ", "การเรียน", " "]
    assert split_words("ระบบปฏิบัติการของ", "th", th.stop_words) == ["ระบบ", "ปฏิบัติการ", "ของ", " "]
    # Where a word follows, the prefix goes onto it: "อัตรา" + "การเรียน" (learning rate), "ระดับ" + "ความปลอดภัย".
    assert split_words("อัตราการเรียนรู้", "th", th.stop_words) == ["อัตรา", "การเรียน", "รู้", " "]
    assert split_words("ระดับความปลอดภัย", "th", th.stop_words) == ["ระดับ", "ความปลอดภัย", " "]
    assert split_words("𠀀การเรียนรู้", "th", th.stop_words) == ["𠀀", "การเรียน", "รู้", " "]
    result = analyze_text(THAI)
    names = [c.name for c in result.concepts]
    assert result.language == "th"
    assert {"โครงข่ายประสาทเทียม", "ปัญญาประดิษฐ์", "การเรียนรู้"} <= set(names)  # neural network, AI, learning
    # No term runs over a space (clauses), nor holds a function word; each is written as the text writes it.
    assert not any(" " in name or "ของ" in name or "เป็น" in name for name in names), names
    assert "แบบจำลอง" in names  # model: "แบบ" (form) is no function word, though a list holds it
    assert all(c.context and c.name in c.context for c in result.concepts)
    for code, text, term in (
        ("lo", "ລະບົບປະຕິບັດການລີນຸກເປັນຊອບແວເສລີທີ່ໄດ້ຮັບຄວາມນິຍົມຫຼາຍ. ຊອບແວເສລີໃຊ້ໃນຄອມພິວເຕີຫຼາຍເຄື່ອງ. "
               "ຄອມພິວເຕີເຊື່ອມຕໍ່ກັບເຄືອຂ່າຍອິນເຕີເນັດ.", "ຊອບແວເສລີ"),  # free software
        ("km", "ប្រព័ន្ធប្រតិបត្តិការលីនុចគឺជាកម្មវិធីឥតគិតថ្លៃដែលពេញនិយម។ កុំព្យូទ័រភ្ជាប់ទៅបណ្តាញអ៊ីនធឺណិត។ "
               "ប្រព័ន្ធប្រតិបត្តិការលីនុចដំណើរការលើកុំព្យូទ័រជាច្រើន។", "កុំព្យូទ័រ"),  # computer
        ("my", "ကွန်ပျူတာများသည် အင်တာနက်ကွန်ရက်နှင့် ချိတ်ဆက်ထားသည်။ ကွန်ပျူတာစနစ်သည် ဒေတာများကို "
               "သိမ်းဆည်းသည်။ ကွန်ပျူတာများသည် ဒေတာများကို ပို့သည်။", "ကွန်ပျူတာ"),  # computer
    ):
        found = analyze_text(text, language=code)
        names = [c.name for c in found.concepts]
        assert term in names, (code, names)
        stop = language(code).stop_words
        assert not any(word in stop for name in names for word in split_words(name, code)), names


def test_thai_and_lao_letters_nfkc_spells_as_two_are_one() -> None:
    # NFKC spells "ำ" as a nikhahit and "า": "จำนวน" (number) was "จํานวน", in no dictionary; PDFs often spell it
    # so already, and Lao's "ໜ", "ໝ" as "ຫນ", "ຫມ".
    assert clean_page("ข้อมูลจำนวนมาก ຈຳນວນ ﬁle", "th") == "ข้อมูลจำนวนมาก ຈຳນວນ file"
    assert clean_page("จํานวน ຫນັງສືພິມໃຫມ່", "th") == "จำนวน ໜັງສືພິມໃໝ່"
    assert "สำหรับ" in language("th").stop_words  # the list's "สําหรับ", as the text is read


def test_thai_matches_and_titles_respect_syllables() -> None:
    # A match inside a syllable is none: "เกม" (game) holds no "กม", "ภาษากรีก" no "ษา" before a vowel sign.
    assert not unspaced_edges("เกม", 1, 3) and not unspaced_edges("ภาษากรีก", 4, 6)
    assert unspaced_edges("ภาษากรีก", 4, 8) and unspaced_edges("机器学习", 0, 2)
    assert not unspaced_edges("ကွန်ပျူတာ", 0, 2) and not unspaced_edges("จันทร์", 0, 4)  # before a silenced final
    # A Thai title of some eight words counts as about that many, not 26 (half a word a character).
    assert letters_as_words("การเรียนรู้ของเครื่องสำหรับการประมวลผลภาษาธรรมชาติ") == 8


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["การ", "เรียน", "รู้", "ของ", "เครื่อง", "ຄອມພິວເຕີ", "ការ", "កុំព្យូទ័រ", "ကွန်ပျူတာ",
                                 "သည်", "𠀀", "A", "é", "1"]), min_size=1, max_size=12),
       st.sampled_from(["th", "lo", "km", "my"]))
def test_southeast_asian_words_are_the_token_cut_at_its_words(pieces: list[str], code: str) -> None:
    """The words rejoin into the token, and every cut between them is one of ICU's own (prefixes only join words):
    offsets read in other units than characters (ICU counts UTF-16 ones) cut elsewhere after "𠀀"."""
    from icu4py.breakers import WordBreaker

    token = "".join(pieces)
    words = [word for word in split_words(token, code, language(code).stop_words) if word != " "]
    assert "".join(words) == token and all(words)
    icu = list(WordBreaker(token, code))
    assert {sum(map(len, words[:n])) for n in range(len(words))} <= {sum(map(len, icu[:n])) for n in range(len(icu))}


def test_a_context_sentence_ends_at_the_full_stop_of_its_script() -> None:
    """Hindi ends a sentence with a danda ("।"), Khmer with "។", Burmese with "။", Urdu with "۔", none with a space
    after it needed: the context ran over the next sentences."""
    hindi = ("मशीन लर्निंग कृत्रिम बुद्धि की एक शाखा है। तंत्रिका नेटवर्क बड़े डेटा से सीखते हैं। तंत्रिका नेटवर्क चित्रों को "
             "पहचानते हैं।")
    found = {c.name: c.context for c in analyze_text(hindi, language="hi").concepts}
    assert found["तंत्रिका नेटवर्क"] == "तंत्रिका नेटवर्क बड़े डेटा से सीखते हैं।"
    khmer = ("កុំព្យូទ័រភ្ជាប់ទៅបណ្តាញអ៊ីនធឺណិត។ ប្រព័ន្ធប្រតិបត្តិការលីនុចដំណើរការលើកុំព្យូទ័រជាច្រើន។"
             "ប្រព័ន្ធប្រតិបត្តិការលីនុចគឺជាកម្មវិធីឥតគិតថ្លៃ។")
    found = {c.name: c.context for c in analyze_text(khmer, language="km").concepts}
    assert found["កុំព្យូទ័រ"] == "កុំព្យូទ័រភ្ជាប់ទៅបណ្តាញអ៊ីនធឺណិត។"
    # A first line ending so is a sentence, not the title; a question may be one ("what is deep learning?").
    assert analyze_text("मशीन लर्निंग एक शाखा है।\n" + hindi, language="hi").title is None
    arabic = "يستخدم التعلم العميق الشبكات العصبية. الشبكات العصبية تتعلم من البيانات. التعلم العميق مفيد."
    assert analyze_text("ما هو التعلم العميق؟\n" + arabic, language="ar").title == "ما هو التعلم العميق؟"
