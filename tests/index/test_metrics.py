"""The metrics on cases worked out by hand, with the trec_eval conventions BEIR inherits."""

from __future__ import annotations

import math

import pytest

from index.metrics import evaluate_run, ndcg_at, ranked, recall_at, reciprocal_rank_at


def test_ranking_is_by_score_then_doc_id_descending_like_trec_eval():
    assert ranked({"a": 0.5, "b": 0.9, "c": 0.5}) == ["b", "c", "a"]


def test_ndcg_with_graded_judgments_and_ideal_from_the_qrels():
    # Gains 0, 2, 1 at ranks 1-3: DCG = 2/log2(3) + 1/log2(4) = 1.2619 + 0.5.
    # The ideal puts grades 2, 1 and the unretrieved 1 first: 2 + 1/log2(3) + 1/log2(4).
    judged = {"b": 2, "c": 1, "x": 1}
    dcg = 2 / math.log2(3) + 1 / 2
    idcg = 2 + 1 / math.log2(3) + 1 / 2
    assert ndcg_at(["a", "b", "c"], judged, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at(["a", "b", "c"], judged, 1) == 0.0
    assert ndcg_at(["b", "c", "x"], judged, 3) == pytest.approx(1.0)


def test_ndcg_ignores_non_positive_grades():
    assert ndcg_at(["a", "b"], {"a": 0, "b": 1}, 10) == pytest.approx(1 / math.log2(3))


def test_recall_counts_relevant_in_top_k_over_all_relevant():
    judged = {"a": 1, "b": 1, "c": 1, "d": 0}
    assert recall_at(["d", "a", "x", "b"], judged, 1) == 0.0
    assert recall_at(["d", "a", "x", "b"], judged, 2) == pytest.approx(1 / 3)
    assert recall_at(["d", "a", "x", "b"], judged, 10) == pytest.approx(2 / 3)


def test_reciprocal_rank_of_the_first_relevant_document_within_k():
    judged = {"c": 1}
    assert reciprocal_rank_at(["a", "b", "c"], judged, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank_at(["a", "b", "c"], judged, 2) == 0.0


def test_evaluate_averages_over_queries_with_a_ranking_and_judgments():
    run = {
        "q1": {"d1": 3.0, "d2": 2.0},  # relevant first: every metric 1
        "q2": {"d1": 3.0, "d2": 2.0},  # relevant second
        "q3": {"d9": 1.0},  # no judgments: not scored
    }
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}, "q4": {"d1": 1}}
    figures = evaluate_run(run, qrels)
    assert figures["queries"] == 2
    assert figures["recall@1"] == pytest.approx(0.5)
    assert figures["recall@5"] == pytest.approx(1.0)
    assert figures["MRR@10"] == pytest.approx((1 + 0.5) / 2)
    assert figures["nDCG@10"] == pytest.approx((1 + 1 / math.log2(3)) / 2)


def test_evaluate_of_nothing_scorable_is_empty():
    assert evaluate_run({"q": {}}, {"q": {"d": 1}}) == {}
