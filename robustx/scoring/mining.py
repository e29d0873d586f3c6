"""Sentence retrieval and bitext mining on embeddings: Tatoeba search and BUCC mining as XTREME runs them.

Embeddings are L2-normalised, so a dot product is the cosine. Similarity matrices are computed in
row blocks (BUCC zh-en dev is 8,624 x 13,589), never whole. Ties go to the lower index everywhere,
so results do not depend on how rows were batched.

* Tatoeba (XTREME: cosine nearest neighbour, xx -> en): :func:`search` gives each query its top
  target and the rank of its gold target.
* BUCC (XTREME / LASER ``mine_bitext`` with ``mode=mine, retrieval=max, margin=ratio, k=4``): the
  ratio margin ``cos(x, y) / ((mean_k cos(x, N_k(x)) + mean_k cos(y, N_k(y))) / 2)`` scores each
  sentence's k nearest neighbours in both directions; the 2n best candidates are taken greedily,
  best first, keeping every source and every target in at most one pair (:func:`mine`). The
  threshold is the one that maximises F1 on the dev gold (:func:`best_threshold`, LASER's
  ``bucc_optimize``: the midpoint between the best cut's score and the next one).

Two deliberate differences from the reference scripts: mining works on sentence ids, not texts (XTREME
maps a mined text pair back to every id carrying those texts, so a sentence duplicated in the corpus,
9 zh and 14 en texts in BUCC zh-en dev, can be credited twice there); and margin *search* (Tatoeba with
``scoring=margin``) takes the argmax of the margin over all targets rather than over the k cosine
neighbours only, so the gold rank is defined for every query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Scoring = Literal["cosine", "margin"]
BLOCK = 2048

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]


def normalize(x: NDArray[np.floating]) -> F32:
    out = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


def knn(x: F32, y: F32, k: int) -> tuple[F32, I64]:
    """The k most similar rows of ``y`` for each row of ``x``, best first (ties: lower index)."""
    k = min(k, y.shape[0])
    sims = np.empty((x.shape[0], k), dtype=np.float32)
    idx = np.empty((x.shape[0], k), dtype=np.int64)
    for start in range(0, x.shape[0], BLOCK):
        block = x[start : start + BLOCK] @ y.T
        # Stable sort of the negated scores: equal scores keep index order.
        order = np.argsort(-block, axis=1, kind="stable")[:, :k]
        idx[start : start + BLOCK] = order
        sims[start : start + BLOCK] = np.take_along_axis(block, order, axis=1)
    return sims, idx


def margin_means(x: F32, y: F32, k: int) -> tuple[F32, F32]:
    """Mean similarity of each x to its k nearest y, and of each y to its k nearest x."""
    return knn(x, y, k)[0].mean(axis=1), knn(y, x, k)[0].mean(axis=1)


@dataclass(frozen=True)
class SearchResult:
    pred: I64  # best target per query
    score: F32  # its score
    gold_rank: I64  # 1 + targets ranked above the gold (ties before it count); 0 if no gold


def search(x: F32, y: F32, gold: I64, scoring: Scoring = "cosine", k: int = 4) -> SearchResult:
    """Nearest target of every query under cosine or ratio margin, and the rank of its gold (-1: none)."""
    fwd, bwd = margin_means(x, y, k) if scoring == "margin" else (None, None)
    pred = np.empty(x.shape[0], dtype=np.int64)
    score = np.empty(x.shape[0], dtype=np.float32)
    rank = np.zeros(x.shape[0], dtype=np.int64)
    positions = np.arange(y.shape[0])
    for start in range(0, x.shape[0], BLOCK):
        block = x[start : start + BLOCK] @ y.T
        if fwd is not None and bwd is not None:
            block = block / ((fwd[start : start + BLOCK, None] + bwd[None, :]) / 2)
        rows = np.arange(block.shape[0])
        best = block.argmax(axis=1)
        pred[start : start + BLOCK] = best
        score[start : start + BLOCK] = block[rows, best]
        g = gold[start : start + BLOCK]
        has = g >= 0
        gs = block[rows, np.where(has, g, 0)][:, None]
        above = (block > gs) | ((block == gs) & (positions[None, :] < np.where(has, g, 0)[:, None]))
        rank[start : start + BLOCK] = np.where(has, above.sum(axis=1) + 1, 0)
    return SearchResult(pred, score, rank)


@dataclass(frozen=True)
class Mined:
    target: I64  # target paired with each source by the greedy 1:1 extraction, -1 if none
    score: F32  # the pair's margin score (nan if none)


def _candidate_scores(x: F32, y: F32, k: int, fwd: F32, bwd: F32) -> tuple[I64, F32]:
    """Best of the k nearest y for each x under the ratio margin: (index, score)."""
    sims, idx = knn(x, y, k)
    margin = sims / ((fwd[:, None] + bwd[idx]) / 2)
    best = margin.argmax(axis=1)
    rows = np.arange(x.shape[0])
    return idx[rows, best], margin[rows, best]


def mine(x: F32, y: F32, k: int = 4) -> Mined:
    """LASER/XTREME ``retrieval=max`` mining: forward and backward candidates, greedy 1:1, best first."""
    x2y, y2x = margin_means(x, y, k)
    fwd_best, fwd_score = _candidate_scores(x, y, k, x2y, y2x)
    bwd_best, bwd_score = _candidate_scores(y, x, k, y2x, x2y)
    src = np.concatenate([np.arange(x.shape[0]), bwd_best])
    trg = np.concatenate([fwd_best, np.arange(y.shape[0])])
    scores = np.concatenate([fwd_score, bwd_score])
    target = np.full(x.shape[0], -1, dtype=np.int64)
    pair_score = np.full(x.shape[0], np.nan, dtype=np.float32)
    taken = np.zeros(y.shape[0], dtype=bool)
    for i in np.argsort(-scores, kind="stable"):
        s, t = src[i], trg[i]
        if target[s] < 0 and not taken[t]:
            target[s], pair_score[s], taken[t] = t, scores[i], True
    return Mined(target, pair_score)


def best_threshold(scores: NDArray[np.floating], correct: NDArray[np.bool_], n_gold: int) -> float:
    """LASER's ``bucc_optimize``: the cut of the candidates (best first) with the highest F1.

    The threshold is the midpoint between the last kept candidate's score and the next one (the last
    score itself when every candidate is kept); with no correct candidate it is +inf (extract nothing).
    """
    valid = ~np.isnan(scores)
    s = np.asarray(scores, dtype=np.float64)[valid]
    c = np.asarray(correct, dtype=bool)[valid]
    order = np.argsort(-s, kind="stable")
    s, c = s[order], c[order]
    hits = np.cumsum(c)
    extracted = np.arange(1, len(s) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(hits > 0, 2 * hits / (extracted + max(n_gold, 1)), 0.0)
    if len(s) == 0 or not np.any(hits > 0):
        return float("inf")
    i = int(np.argmax(f1))  # first maximum, as the strict ">" of bucc_optimize
    return float((s[i] + s[i + 1]) / 2) if i + 1 < len(s) else float(s[i])
