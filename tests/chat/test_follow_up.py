"""Follow-up questions read in the context of the conversation: engine, then the HTTP API."""

from __future__ import annotations

from chat.engine import retrieval_query
from chat.history import check_history
from tests.chat.in_process import app_for, call

FIRST = "What did President Biden call the alliance?"
FOLLOW_UP = "When did he say it?"
QUOTE_PARAGRAPH = 9


def conversation(engine) -> list[dict]:
    return [{"role": "user", "content": FIRST}, {"role": "assistant", "content": engine.ask(FIRST).answer}]


def test_a_referring_or_short_question_is_searched_with_the_previous_question():
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "The cornerstone."}]
    assert retrieval_query(FOLLOW_UP, check_history(history)) == f"{FIRST} {FOLLOW_UP}"
    assert retrieval_query("Who signed?", check_history(history)) == f"{FIRST} Who signed?"


def test_a_self_contained_question_is_searched_alone():
    history = [{"role": "user", "content": FIRST}]
    question = "What is the name of the annual joint military drill of Japan and America?"
    assert retrieval_query(question, check_history(history)) == question
    assert retrieval_query(FOLLOW_UP, []) == FOLLOW_UP


def test_assistant_turns_are_not_searched():
    history = [{"role": "assistant", "content": "Keen Sword is a drill."}]
    assert retrieval_query(FOLLOW_UP, check_history(history)) == FOLLOW_UP


def test_follow_up_is_answered_from_the_paragraph_of_the_earlier_topic(article_engine):
    alone = article_engine.ask(FOLLOW_UP)
    assert QUOTE_PARAGRAPH not in [c.paragraph for c in alone.citations]
    answer = article_engine.ask(FOLLOW_UP, conversation(article_engine))
    assert answer.answered
    assert answer.citations[0].paragraph == QUOTE_PARAGRAPH
    assert "April 2021" in answer.answer
    assert answer.question == FOLLOW_UP


def test_api_history_carries_the_conversation(article_engine):
    app = app_for(article_engine)
    body = {"question": FOLLOW_UP, "history": conversation(article_engine)}
    answer = call(app, "POST", "/api/ask", json=body).json()
    assert answer["answered"] is True
    assert answer["citations"][0]["paragraph"] == QUOTE_PARAGRAPH
    assert "April 2021" in answer["answer"]
    alone = call(app, "POST", "/api/ask", json={"question": FOLLOW_UP}).json()
    assert QUOTE_PARAGRAPH not in [c["paragraph"] for c in alone["citations"]]

