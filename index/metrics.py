"""Retrieval metrics as BEIR reports them (pytrec_eval / trec_eval definitions).

A run is ``{query_id: {doc_id: score}}``; qrels are ``{query_id: {doc_id: grade}}``.
Like trec_eval, documents are ranked by score, highest first, ties broken by doc id in
descending order; a document is relevant when its grade is at least 1. Like BEIR's
pytrec_eval evaluator, a query is scored only if it has both judgments and a ranking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

Run = dict[str, dict[str, float]]
Qrels = dict[str, dict[str, int]]


def ranked(scores: dict[str, float]) -> list[str]:
    """Doc ids by score, highest first; equal scores by doc id, descending (as trec_eval)."""
    return [doc for doc, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def ndcg_at(ranking: list[str], judged: dict[str, int], k: int) -> float:
    """nDCG@k with linear graded gain and log2(rank + 1) discount; the ideal is built from the qrels."""
    gains = [max(judged.get(doc, 0), 0) for doc in ranking[:k]]
    dcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranking: list[str], judged: dict[str, int], k: int) -> float:
    """Relevant documents in the top ``k`` over all relevant documents of the query."""
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    return len(relevant.intersection(ranking[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank_at(ranking: list[str], judged: dict[str, int], k: int) -> float:
    """1 / rank of the first relevant document within the top ``k``, else 0."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


# What BEIR papers report, and what `citewise eval` prints.
REPORTED = (("nDCG", 10), ("recall", 1), ("recall", 5), ("recall", 10), ("MRR", 10))
_METRICS = {"nDCG": ndcg_at, "recall": recall_at, "MRR": reciprocal_rank_at}


def evaluate_run(run: Run, qrels: Qrels, reported: Iterable[tuple[str, int]] = REPORTED) -> dict[str, float]:
    """Mean of each metric over the queries with both a ranking and judgments.

    Args:
        run: ``{query id: {doc id: score}}``.
        qrels: ``{query id: {doc id: grade}}``.
        reported: ``(metric, k)`` pairs; metric is ``"nDCG"``, ``"recall"`` or ``"MRR"``.

    Returns:
        ``{"nDCG@10": ..., "recall@1": ..., "queries": n}``; empty when no query can be scored.
    """
    scored = [q for q in run if q in qrels and run[q]]
    if not scored:
        return {}
    totals = dict.fromkeys((f"{name}@{k}" for name, k in reported), 0.0)
    for query in scored:
        ranking, judged = ranked(run[query]), qrels[query]
        for name, k in reported:
            totals[f"{name}@{k}"] += _METRICS[name](ranking, judged, k)
    return {**{key: total / len(scored) for key, total in totals.items()}, "queries": len(scored)}
