"""Entropy/diversity pruning: a greedy pick of high-scoring, mutually distinct concepts.

Each step keeps the candidate with the best score × (1 − redundancy), where redundancy with the kept set is the
largest of: 1 for a near-duplicate (same words up to hyphens, spaces, case and plurals); when one term's words run
inside the other's, 1 if the counts show the shorter term never occurs outside the longer one (both name one
concept: "hd" of "hd dx dy", which would otherwise fill a short document's list with its parts), `BOUND` if the
longer term holds at least `BOUND_SHARE` of the shorter one's occurrences (the shorter is then no concept of its
own) and `CONTAINMENT` otherwise (both may stay when both are strong); and the share of common words otherwise,
times `CONTAINMENT`. Before the pick, a term that mostly occurs inside one strong longer candidate starts with
the `BOUND` penalty, whichever of the two scores higher (see `_held_back`). The values were chosen on the macro
F1@10 of the choose half of bench/keyphrases.py together with the near-duplicate share of bench/noise.py. It stops
when the entropy (nats) of the kept score distribution would grow by less than `entropy_threshold`, but never
above `max_concepts` and, while distinct candidates remain, never below `min_concepts`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from toridaemon.pipeline.language.resources import LINK_MARK
from toridaemon.pipeline.scoring import Scored

BOUND = 0.9
BOUND_SHARE = 0.3  # 0.5 cost no F1 but left 3.5 % near-duplicates in bench/noise.py; 0.3 leaves 2.9 % for -0.2 F1
CONTAINMENT = 0.5
# Held back from the start: a term a longer candidate holds in `HELD_SHARE` of its occurrences while scoring at
# least `HELD_RATIO` of it. Chosen on the choose halves' macro F1@10 (shares 0.3 to 1.0 × ratios 0.3 to 1.0): 19.63
# without, 20.35 here; 0.5 × 0.8 scored 0.07 higher but lowered three sets' choose halves (500N-KPCrowd, WikiNews,
# citeulike180 by 0.4 to 1.4) where this lowers none by more than 0.1.
HELD_SHARE = 0.7
HELD_RATIO = 0.5
HELD_SCAN = 200  # candidates: the pick ends within the first few dozen


@dataclass(frozen=True, slots=True)
class Pruned:
    kept: list[int]  # indexes into the ranked input, in the order kept
    entropy: float
    # Each kept candidate's score × (1 − its redundancy when kept): non-increasing in the order kept. Empty when
    # the order came from elsewhere (the embeddings mode), where the ranked scores apply.
    adjusted: list[float] = field(default_factory=list)


def entropy(scores: Sequence[float]) -> float:
    """Shannon entropy (nats) of scores normalised to a distribution."""
    total = sum(scores)
    if total <= 0:
        return 0.0
    return -sum(s / total * math.log(s / total) for s in scores if s > 0)


def redundancy(a: str, b: str) -> float:
    """How much term `b` repeats term `a` (keys as produced by `candidates.normalize`), from 0 to 1."""
    return _redundancy(_Term(a), _Term(b))


class _Term:
    __slots__ = ("flat", "frequency", "joined", "own", "tokens", "vocabulary", "words")

    def __init__(self, key: str, frequency: int = 0, *, own: bool = False) -> None:
        self.frequency = frequency
        # `frequency` counts this key's own occurrences, with no database aliases or variants merged in.
        self.own = own and frequency > 0
        self.tokens = key.split(" ")  # the words as they were counted: a hyphenated compound is one
        self.flat = key.replace("-", " ")
        self.joined = self.flat.replace(" ", "")
        self.words = self.flat.split()
        # A linker ("de" of "base de datos": `candidates.LINK`) is no word two terms share.
        self.vocabulary = set(self.words)
        self.vocabulary.discard(LINK_MARK)


def _redundancy(a: _Term, b: _Term) -> float:
    if a.joined == b.joined:
        return 1.0
    if not a.vocabulary & b.vocabulary:
        return 0.0
    short, long = (a, b) if len(a.words) <= len(b.words) else (b, a)
    if _runs_inside(short.words, long.words):
        if short.own and long.own and long.frequency >= short.frequency and _runs_inside(short.tokens, long.tokens):
            # Counted alike, every occurrence of the longer term is one of the shorter: as many means the shorter
            # never occurs on its own, and the two are one concept ("hd" of "hd dx dy").
            return 1.0
        # When the longer term holds most of the shorter one's occurrences, the shorter is no concept of its own
        # ("amsgen" of "amsgen package").
        inside = long.frequency >= BOUND_SHARE * short.frequency > 0
        return BOUND if inside else CONTAINMENT
    return len(a.vocabulary & b.vocabulary) / len(a.vocabulary | b.vocabulary) * CONTAINMENT


def _runs_inside(short: list[str], long: list[str]) -> bool:
    size = len(short)
    return any(long[i : i + size] == short for i in range(len(long) - size + 1))


def _own_frequency(item: Scored) -> int:
    """How often the candidate's own key occurs; 0 for one merged from variants or the database."""
    return item.frequency if _plain(item) else 0


def _term(item: Scored) -> _Term:
    return _Term(item.key, item.frequency, own=_plain(item))


def _plain(item: Scored) -> bool:
    """Counted as its own key: not found by the database (an `entry`) nor merged from variants, which count more."""
    return item.entry is None and len(item.variants) <= 1


def prune(ranked: list[Scored], *, min_kept: int, max_kept: int, threshold: float) -> Pruned:
    """Indexes of the kept candidates of `ranked` (best first, as `scoring.score` returns them).

    Lazy greedy: a candidate's penalty only grows as concepts are kept, so a stale adjusted score is an upper
    bound and a candidate whose fresh value still tops the heap is the exact greedy choice. A re-evaluation
    compares only with the concepts kept since the last one (the penalty is a running maximum). Candidates not
    yet looked at are taken from `ranked` in order rather than all put on the heap: the pick usually ends within
    the first few dozen of hundreds.
    """
    held = _held_back(ranked)
    pending = _Pending(ranked, held)
    kept: list[int] = []
    terms: list[_Term] = []
    adjusted: list[float] = []
    penalties: dict[int, tuple[_Term, float]] = {}
    total = weighted = 0.0  # Σ s and Σ s·ln s over the kept scores: each step's entropy in O(1)
    while len(kept) < max_kept and (top := pending.pop()) is not None:
        bound, index, seen = top
        if seen < len(kept):  # stale: re-evaluate against the concepts kept since
            term, penalty = penalties.get(index) or (_term(ranked[index]), BOUND if index in held else 0.0)
            for other in terms[seen:]:
                # Most pairs share no word and are not spelling variants: skip the call for those.
                if not other.vocabulary.isdisjoint(term.vocabulary) or other.joined == term.joined:
                    penalty = max(penalty, _redundancy(other, term))
            penalties[index] = term, penalty
            if penalty < 1.0:
                pending.push((-ranked[index].score * (1.0 - penalty), index, len(kept)))
            continue
        score = ranked[index].score
        grown = total + score, weighted + (score * math.log(score) if score > 0 else 0.0)
        if len(kept) >= max(min_kept, 1) and _entropy(*grown) - _entropy(total, weighted) < threshold:
            break
        kept.append(index)
        adjusted.append(-bound)
        terms.append(penalties[index][0] if index in penalties else _term(ranked[index]))
        total, weighted = grown
    return Pruned(kept=kept, entropy=round(_entropy(total, weighted), 6), adjusted=adjusted)


def _entropy(total: float, weighted: float) -> float:
    """`entropy` of scores from their sum and their Σ s·ln s: −Σ (s/T)·ln(s/T) = ln T − Σ s·ln s / T."""
    return math.log(total) - weighted / total if total > 0 else 0.0


def starting_order(ranked: list[Scored]) -> list[Scored]:
    """`ranked` in the order the pick starts from: each held-back candidate (see `_held_back`) placed by its score
    × (1 − `BOUND`). The embeddings mode takes its rank prior from this order."""
    held = _held_back(ranked)
    if not held:
        return list(ranked)
    order = sorted(range(len(ranked)), key=lambda i: (-ranked[i].score * (1.0 - BOUND if i in held else 1.0), i))
    return [ranked[i] for i in order]


def _held_back(ranked: list[Scored]) -> set[int]:
    """Indexes of the leading candidates (the first `HELD_SCAN`) that a longer one holds, word for word as
    counted, in at least `HELD_SHARE` of their occurrences while scoring at least `HELD_RATIO` of theirs. Such a
    term is held back from the start as if that longer term were kept ("influence" of "social influence"), even
    when the longer one is not kept in the end: a word that mostly occurs inside one phrase is rarely the topic.
    Each longer term's shorter runs are looked up among the leading keys: no table of every run's holders."""
    top = ranked[:HELD_SCAN]
    position = {item.key: i for i, item in enumerate(top)}
    held: set[int] = set()
    own: dict[int, int] = {}
    for j, longer in enumerate(top):
        if " " not in longer.key:
            continue
        words = longer.key.split(" ")
        size = len(words)
        for start in range(size):
            run = words[start]
            stop = size if start else size - 1  # the whole key is no run of itself
            for end in range(start + 1, stop + 1):  # `run` is words[start:end]
                i = position.get(run)
                if i is not None and i not in held and _holds(longer, j, top[i], i, own):
                    held.add(i)
                if end < stop:
                    run = f"{run} {words[end]}"
    return held


def _holds(longer: Scored, j: int, item: Scored, i: int, own: dict[int, int]) -> bool:
    """Whether `longer` (at `j`), holding `item`'s words as a run, scores at least `HELD_RATIO` of it and occurs
    at least `HELD_SHARE` as often; `own` keeps the own frequencies already read. A term merged from variants or the
    database never is: its counts say nothing about where it occurs."""
    if longer.score < HELD_RATIO * item.score:
        return False
    least = own.get(i)
    if least is None:
        least = own[i] = _own_frequency(item)
    whole = own.get(j)
    if whole is None:
        whole = own[j] = _own_frequency(longer)
    return least > 0 and whole >= HELD_SHARE * least


Entry = tuple[float, int, int]  # (−bound, index into ranked, how many were kept when the bound was computed)


class _Pending:
    """The candidates still to pick from, best bound first: a heap of re-evaluated ones in front of the rest of
    `ranked` (sorted by score, so the next unseen one is the best unseen one; it enters as (−score, index, 0),
    exactly as it would have on the heap)."""

    def __init__(self, ranked: list[Scored], held: set[int]) -> None:
        self._ranked = ranked
        self._next = 0
        self._held = held
        self._heap: list[Entry] = []

    def pop(self) -> Entry | None:
        unseen = self._unseen()
        if unseen is not None and (not self._heap or unseen < self._heap[0]):
            self._next += 1
            return unseen
        return heapq.heappop(self._heap) if self._heap else None

    def push(self, entry: Entry) -> None:
        heapq.heappush(self._heap, entry)

    def _unseen(self) -> Entry | None:
        while self._next < len(self._ranked):
            score = self._ranked[self._next].score
            if score <= 0:  # sorted: no later candidate scores above zero either
                return None
            if self._next not in self._held:
                return -score, self._next, 0
            heapq.heappush(self._heap, (-score * (1.0 - BOUND), self._next, 0))
            self._next += 1
        return None
