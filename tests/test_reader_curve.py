"""The refusal curve bench/train_reader.py reports: a question a rule refused counts as refused
whatever the doubt, and each point refuses at most its share of the answerable questions."""

from __future__ import annotations

import numpy as np

from bench.train_reader import curve, refusals, threshold_at


def test_the_curve_counts_rule_refusals_and_never_exceeds_its_answerable_share():
    answerable = [np.inf, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    unanswerable = [np.inf, 0.95, 0.85, 0.5, 0.05]
    scores = np.array(answerable + unanswerable)
    labels = np.array([0] * len(answerable) + [1] * len(unanswerable))
    # 5% of ten answerable is none, but a rule already refused one: that point cannot be reached.
    assert curve(scores, labels) == {"5%": None, "10%": 0.4, "15%": 0.4, "20%": 0.6}
    assert refusals(scores, labels, threshold_at(scores, labels, 0.20)) == {"answerable refused": 0.2, "unanswerable refused": 0.6}
