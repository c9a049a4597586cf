"""The doubt model: a saved file that round-trips, and the refusals it adds on the real article index."""

from __future__ import annotations

import pytest

from chat.doubt import SIGNALS, DoubtModel, shipped_model


def test_the_shipped_model_weighs_every_signal_and_round_trips(tmp_path):
    model = shipped_model()
    assert model.signals == SIGNALS and model.fitted_on.startswith("SQuAD 2.0")
    model.save(tmp_path / "model.json")
    assert DoubtModel.load(tmp_path / "model.json") == model


def test_a_model_for_other_signals_is_refused():
    with pytest.raises(ValueError, match="must weigh exactly these signals"):
        DoubtModel(mean=(0.0,), scale=(1.0,), weights=(1.0,), bias=0.0, signals=("evidence",))


def test_a_negated_question_raises_the_doubt_of_the_same_sentence():
    signals = dict.fromkeys(SIGNALS, 0.0) | {"evidence": 0.6, "sentence_similarity": 0.6, "paragraph_similarity": 0.5}
    assert shipped_model().doubt(signals | {"question_negated": 1.0}) > shipped_model().doubt(signals)


def test_max_doubt_is_the_line_between_answering_and_refusing(article_engine):
    question = "What is the name of the annual joint military drill?"
    engine = article_engine
    assert engine.ask(question).answered
    strict = type(engine)(engine.index, engine.embedder, engine.settings.with_overrides(max_doubt=0.0))
    refused = strict.ask(question)
    assert not refused.answered and refused.answer.startswith("The documents don't say.")
