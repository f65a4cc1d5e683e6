"""Pruning invariants, property-based."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toridaemon.pipeline import PipelineOptions, analyze_text
from toridaemon.pipeline.candidates import normalize
from toridaemon.pipeline.conceptdb import ConceptEntry
from toridaemon.pipeline.language import language
from toridaemon.pipeline.prune import (
    BOUND,
    HELD_RATIO,
    HELD_SCAN,
    HELD_SHARE,
    _redundancy,
    _term,
    entropy,
    prune,
    redundancy,
    starting_order,
)
from toridaemon.pipeline.scoring import Scored


def scored(key: str, score: float, frequency: int = 0) -> Scored:
    """A candidate as `scoring.score` makes them, met `frequency` times in the body."""
    return Scored(key, score, {"body": frequency})


WORDS = ["graph", "network", "neural", "query", "index", "model", "sparse", "matrix"]
keys = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
items = st.lists(st.tuples(keys, st.floats(0.01, 100.0)), max_size=40, unique_by=lambda pair: pair[0])


def ranked(pairs: list[tuple[str, float]]) -> list[Scored]:
    return sorted((scored(k, s) for k, s in pairs), key=lambda item: (-item.score, item.key))


@settings(max_examples=150, deadline=None)
@given(items, st.integers(0, 10), st.integers(1, 15), st.floats(0.0, 0.5))
def test_prune_invariants(pairs: list[tuple[str, float]], low: int, high: int, threshold: float) -> None:
    low = min(low, high)
    order = ranked(pairs)
    result = prune(order, min_kept=low, max_kept=high, threshold=threshold)
    assert len(result.kept) <= high
    assert len(set(result.kept)) == len(result.kept)
    if order:
        assert result.kept[0] == 0  # the top-scored candidate always survives
    assert result == prune(order, min_kept=low, max_kept=high, threshold=threshold)
    assert abs(result.entropy - entropy([order[i].score for i in result.kept])) < 1e-5
    kept = [order[i].key for i in result.kept]
    assert all(redundancy(a, b) < 1.0 for i, a in enumerate(kept) for b in kept[i + 1 :])


def plain_greedy(order: list[Scored], low: int, high: int, threshold: float) -> list[int]:
    """The pick `prune` makes, computed the slow way: every step re-scores every candidate against all kept."""
    kept: list[int] = []
    while len(kept) < high:
        best: tuple[float, int] | None = None
        for index, item in enumerate(order):
            penalty = max((redundancy(order[k].key, item.key) for k in kept), default=0.0)
            if index in kept or item.score <= 0 or penalty >= 1.0:
                continue
            if best is None or item.score * (1.0 - penalty) > best[0]:
                best = item.score * (1.0 - penalty), index
        if best is None:
            break
        scores = [order[k].score for k in kept]
        if len(kept) >= max(low, 1) and entropy([*scores, order[best[1]].score]) - entropy(scores) < threshold:
            break
        kept.append(best[1])
    return kept


@settings(max_examples=100, deadline=None)
@given(items, st.integers(0, 10), st.integers(1, 15), st.floats(0.0, 0.5))
def test_prune_picks_what_a_plain_greedy_picks(
    pairs: list[tuple[str, float]], low: int, high: int, threshold: float
) -> None:
    low = min(low, high)
    order = ranked(pairs)
    assert prune(order, min_kept=low, max_kept=high, threshold=threshold).kept == plain_greedy(
        order, low, high, threshold
    )


@settings(max_examples=60, deadline=None)
@given(items)
def test_min_concepts_reached_when_candidates_are_distinct(pairs: list[tuple[str, float]]) -> None:
    order = ranked(pairs)
    distinct = {k.replace(" ", "") for k, _ in pairs}
    result = prune(order, min_kept=5, max_kept=8, threshold=10.0)  # a threshold nothing can pass
    assert len(result.kept) == min(5, len(distinct))


def test_redundancy_levels() -> None:
    assert redundancy("web-based search", "web based search") == 1.0
    assert redundancy("database", "data base") == 1.0
    assert 0 < redundancy("neural network", "recurrent neural network") < 1.0
    assert redundancy("neural network", "query index") == 0.0


variants = st.sampled_from(
    ["Neural Network", "neural networks", "NEURAL NETWORKS", "sparse matrices", "Sparse Matrix", "query index",
     "query indices", "graph", "Graphs", "model checking", "Model Checking"]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(variants, min_size=1, max_size=4).map(" and ".join), min_size=1, max_size=12))
def test_no_case_or_plural_duplicates_in_results(sentences: list[str]) -> None:
    result = analyze_text(". ".join(sentences) + ".", settings=PipelineOptions(max_concepts=20, min_concepts=0))
    keys = [normalize(concept.name) for concept in result.concepts]
    assert len(keys) == len(set(keys))
    assert len(result.concepts) <= 20
    assert result.pruning.kept == len(result.concepts) <= result.pruning.candidates
    if result.concepts:
        assert result.concepts[0].score == 1.0


def test_a_term_mostly_inside_a_longer_kept_one_is_held_back_harder() -> None:
    # "amsgen" occurs 10 times, 8 of them inside "amsgen package": no concept of its own.
    bound = [scored("amsgen package", 10.0, 8), scored("amsgen", 9.0, 10), scored("macro", 6.0, 5)]
    assert prune(bound, min_kept=2, max_kept=2, threshold=0.0).kept == [0, 2]
    # "latex" occurs 200 times, 5 inside "latex news": two distinct concepts, both strong, both stay.
    distinct = [scored("latex news", 10.0, 5), scored("latex", 9.0, 200), scored("macro", 4.0, 5)]
    assert prune(distinct, min_kept=2, max_kept=2, threshold=0.0).kept == [0, 1]


def test_a_term_that_never_occurs_outside_a_kept_one_is_never_kept_with_it() -> None:
    # Every "hd" and every "dx dy" is part of "hd dx dy": one concept, however few other candidates there are.
    # min_kept would otherwise fill the list with the parts (held back, not excluded).
    parts = [scored("hd dx dy", 10.0, 3), scored("hd", 9.0, 3), scored("dx dy", 8.0, 3), scored("macro", 1.0, 2)]
    assert prune(parts, min_kept=4, max_kept=4, threshold=0.0).kept == [0, 3]
    # The other way round: "phylogeny" scores higher, but it only ever occurs in "perfect phylogeny": one concept,
    # named by the longer term.
    whole = [scored("phylogeny", 10.0, 4), scored("perfect phylogeny", 9.0, 4), scored("haplotype", 2.0, 3)]
    assert prune(whole, min_kept=3, max_kept=3, threshold=0.0).kept == [1, 2]
    # One occurrence of "hd" outside: a strong part is held back, not excluded.
    once_outside = [scored("hd dx dy", 10.0, 3), scored("hd", 9.0, 4)]
    assert prune(once_outside, min_kept=2, max_kept=2, threshold=0.0).kept == [0, 1]


def test_a_word_mostly_inside_one_strong_phrase_gives_way_to_it() -> None:
    # "influence" 10 times, 8 of them in "social influence", which scores more than half as much: the phrase leads.
    mostly = [scored("influence", 10.0, 10), scored("social influence", 6.0, 8), scored("network", 5.0, 3)]
    assert prune(mostly, min_kept=2, max_kept=2, threshold=0.0).kept == [1, 2]
    # Half of its occurrences only (5 of 10): a word of its own, kept first; the phrase is held back then.
    half = [scored("influence", 10.0, 10), scored("social influence", 6.0, 5), scored("network", 5.0, 3)]
    assert prune(half, min_kept=2, max_kept=2, threshold=0.0).kept == [0, 2]
    # A phrase scoring under half as much does not hold the word back, however often it holds it.
    weak = [scored("influence", 10.0, 10), scored("social influence", 4.0, 9), scored("network", 5.0, 3)]
    assert prune(weak, min_kept=2, max_kept=2, threshold=0.0).kept == [0, 2]
    # Held back is not excluded: with nothing else left the word still fills the list.
    alone = [scored("influence", 10.0, 10), scored("social influence", 6.0, 8), scored("network", 5.0, 3)]
    assert sorted(prune(alone, min_kept=3, max_kept=3, threshold=0.0).kept) == [0, 1, 2]


def held_by_definition(order: list[Scored]) -> set[int]:
    """Which candidates start held back, straight from the rule: a longer term (among the first `HELD_SCAN`)
    holds one's words as a run, scores at least `HELD_RATIO` of it and occurs at least `HELD_SHARE` as often."""
    top = order[:HELD_SCAN]
    held = set()
    for i, short in enumerate(top):
        words = short.key.split(" ")
        for long in top:
            other = long.key.split(" ")
            inside = len(other) > len(words) and any(
                other[s : s + len(words)] == words for s in range(len(other) - len(words) + 1))
            if (inside and short.frequency > 0 and long.frequency > 0 and long.score >= HELD_RATIO * short.score
                    and long.frequency >= HELD_SHARE * short.frequency):
                held.add(i)
    return held


counted = st.lists(st.tuples(keys, st.floats(0.01, 100.0), st.integers(0, 10)), max_size=30,
                   unique_by=lambda triple: triple[0])


@settings(max_examples=150, deadline=None)
@given(counted, st.integers(1, 15))
def test_prune_with_held_back_terms_picks_and_scores_what_a_plain_greedy_does(
    triples: list[tuple[str, float, int]], size: int
) -> None:
    order = sorted((scored(k, s, f) for k, s, f in triples), key=lambda item: (-item.score, item.key))
    held = held_by_definition(order)
    kept: list[int] = []
    values: list[float] = []
    while len(kept) < size:  # every step re-scores every candidate against all kept, held ones from BOUND
        best: tuple[float, int] | None = None
        for index, item in enumerate(order):
            # Counted alike, by their own frequencies, as `prune` compares them.
            penalty = max([_redundancy(_term(order[k]), _term(item)) for k in kept] + [BOUND if index in held else 0.0])
            if index in kept or penalty >= 1.0:
                continue
            if best is None or item.score * (1.0 - penalty) > best[0]:
                best = item.score * (1.0 - penalty), index
        if best is None:
            break
        kept.append(best[1])
        values.append(best[0])
    result = prune(order, min_kept=size, max_kept=size, threshold=0.0)
    assert result.kept == kept
    assert result.adjusted == pytest.approx(values)


def test_the_starting_order_places_a_held_back_term_by_its_lowered_score() -> None:
    mostly = [scored("influence", 10.0, 10), scored("social influence", 6.0, 8), scored("network", 5.0, 3)]
    assert [item.key for item in starting_order(mostly)] == ["social influence", "network", "influence"]
    half = [scored("influence", 10.0, 10), scored("social influence", 6.0, 5), scored("network", 5.0, 3)]
    assert starting_order(half) == half


def test_parts_counted_otherwise_than_their_phrase_are_held_back_not_excluded() -> None:
    # A hyphenated compound is one word to the counts: "linear" alone is no part of the 5 "non-linear".
    hyphen = [scored("non-linear", 10.0, 5), scored("linear", 9.0, 3)]
    assert prune(hyphen, min_kept=2, max_kept=2, threshold=0.0).kept == [0, 1]
    # A database hit's frequency holds its aliases ("acute kidney failure" 5 times, its own name once): it says
    # nothing about where "renal failure" occurs.
    entry = ConceptEntry("acute renal failure", ("acute kidney failure",))
    found = Scored("acute renal failure", 10.0, {"body": 6}, entry, ("acute renal failure", "acute kidney failure"))
    ranked = [found, Scored("renal failure", 9.0, {"body": 4}), Scored("macro", 1.0, {"body": 1})]
    assert sorted(prune(ranked, min_kept=3, max_kept=3, threshold=0.0).kept) == [0, 1, 2]


def test_adjusted_scores_do_not_increase_in_the_order_kept() -> None:
    order = ranked([("graph network", 9.0), ("graph", 8.0), ("network", 7.5), ("sparse matrix", 3.0)])
    result = prune(order, min_kept=4, max_kept=4, threshold=0.0)
    assert result.adjusted == sorted(result.adjusted, reverse=True) and len(result.adjusted) == 4


def test_a_linker_is_no_word_two_terms_share() -> None:
    spanish = language("es")
    databases, systems = normalize("bases de datos", spanish), normalize("sistemas de información", spanish)
    assert redundancy(databases, systems) == 0.0
    assert redundancy(databases.replace("~", "de"), systems.replace("~", "de")) > 0.0  # "de" as a word is shared
    assert redundancy(normalize("datos", spanish), databases) > 0.0
