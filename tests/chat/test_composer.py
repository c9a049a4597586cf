"""Answers built from the retrieved paragraphs' sentences, on the real article index."""

from __future__ import annotations

import re

import pytest

from chat.composer import compose, evidence

QUESTIONS = [
    "What does the Japan-US alliance cover?",
    "How do Japan and the United States cooperate on defense?",
    "What is the name of the annual joint military drill?",
]


@pytest.fixture(scope="module")
def ask(article_engine):
    engine = article_engine
    s = engine.settings

    def run(question, **overrides):
        settings = s.with_overrides(**overrides)
        vector = engine.embedder.encode([question])[0]
        hits = engine.index.search(vector, question, s.top_k, s.fusion, s.lexical_weight, s.candidates)
        return compose(question, engine.index, hits, vector, question, settings), hits, vector

    return run


def numbers(answer_text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", answer_text)]


@pytest.mark.parametrize("question", QUESTIONS)
def test_each_paragraph_keeps_one_number_numbered_by_first_appearance(ask, question):
    answer, _, _ = ask(question, sentence_margin=1.0)
    marks = numbers(answer.answer)
    assert marks and len(marks) <= 3
    first_seen = list(dict.fromkeys(marks))
    assert first_seen == list(range(1, len(first_seen) + 1))
    keys = [(c.doc, c.paragraph) for c in answer.citations]
    assert len(keys) == len(set(keys)) == len(first_seen)


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_citation_quotes_what_the_answer_says_in_the_order_it_says_it(ask, question):
    answer, _, _ = ask(question, max_sentences=5, sentence_margin=1.0)
    for citation in answer.citations:
        assert citation.quote == " ".join(citation.text[s:e] for s, e in citation.spans)
        said = [m.start() for m in (re.search(re.escape(citation.text[s:e]), answer.answer) for s, e in citation.spans)]
        assert said == sorted(said)


def test_answer_stays_short(ask):
    for limit in (1, 2):
        answer, _, _ = ask(QUESTIONS[0], max_sentences=limit, sentence_margin=1.0)
        assert len(numbers(answer.answer)) == limit


def test_a_narrow_margin_keeps_only_the_best_sentence(ask):
    answer, _, _ = ask(QUESTIONS[2], sentence_margin=0.0)
    assert len(numbers(answer.answer)) == 1
    assert "Keen Sword" in answer.answer


def test_evidence_is_the_score_compared_with_min_score(ask, article_engine):
    answer, hits, vector = ask(QUESTIONS[2])
    score = evidence(article_engine.index, hits, vector, QUESTIONS[2], article_engine.settings)
    assert answer.answered and answer.citations[0].score <= score + 1e-9
    just_above, _, _ = ask(QUESTIONS[2], min_score=score + 1e-6)
    assert just_above.answered is False
    assert just_above.citations == []
    assert just_above.answer.startswith("The documents don't say")


def test_refusal_points_to_the_closest_topic(ask):
    answer, hits, _ = ask("What is the capital of France?", min_score=2.0)
    assert not answer.answered
    assert hits[0].paragraph.section in answer.answer


def test_coverage_counts_the_questions_rare_words_the_paragraph_holds(article_engine):
    index = article_engine.index
    keen_sword = next(r for r, p in enumerate(index.paragraphs) if "Keen Sword" in p.text)
    covered, uncovered = index.coverage("Keen Sword drill", [keen_sword, 0])
    assert covered == pytest.approx(1.0) and uncovered < 0.5
    # A word no paragraph uses weighs most: the question is mostly about it.
    assert index.coverage("Keen Sword drill in Okinawa", [keen_sword])[0] < 0.7
    assert index.coverage("what is it?", [0])[0] == 1.0  # no content word: no evidence against


def test_coverage_weight_lowers_the_evidence_of_a_question_about_something_absent(ask, article_engine):
    question = "How many US troops are stationed in Okinawa?"
    _, hits, vector = ask(question)
    plain = evidence(article_engine.index, hits, vector, question, article_engine.settings.with_overrides(coverage_weight=0.0))
    weighted = evidence(article_engine.index, hits, vector, question, article_engine.settings.with_overrides(coverage_weight=0.5))
    assert weighted < plain
