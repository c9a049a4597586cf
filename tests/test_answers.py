"""Answers a reader can trust, asked as people ask: in other words than the article's, near
its topic but past what it says, in two parts, after an unrelated question, about a list
or a table. The real model and index, through the engine every client asks.
"""

from __future__ import annotations

import re

import pytest

from chat.answer import MARKER
from tests.conftest import build_corpus_index

HANDBOOK = """# Office handbook

## Holidays

The office is closed on these days:

- New Year's Day
- Golden Week
- The Obon festival
- New Year's Eve

## Expense limits

| Expense | Limit per trip | Approved by |
|---|---|---|
| Hotel night | 180 dollars | Team lead |
| Train ticket | 90 dollars | Nobody |
| Client dinner | 60 dollars | Finance office |
"""


@pytest.fixture(scope="module")
def handbook_engine(tmp_path_factory, embedder, settings_for):
    from chat.engine import Engine

    root = tmp_path_factory.mktemp("handbook")
    (root / "corpus").mkdir()
    (root / "corpus" / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    data_dir = build_corpus_index(root / "corpus", root / "var", embedder, settings_for(root / "var"))
    return Engine.from_settings(settings_for(data_dir), embedder=embedder)


@pytest.mark.parametrize(
    "question, missing",
    [
        ("How many US bases are in Japan?", "no number"),
        ("How many times has the Keen Sword drill been held?", "no number"),
        ("What did Joe Biden say about China?", "China"),
        ("What is the budget of the Japan Self-Defense Forces?", "budget"),
        ("Who was the US ambassador to Japan in 2021?", "ambassador"),
    ],
)
def test_a_question_near_the_topic_but_past_what_the_article_says_is_refused_saying_what_is_missing(article_engine, question, missing):
    answer = article_engine.ask(question)
    assert not answer.answered and answer.citations == []
    assert answer.answer.startswith("The documents don't say.") and missing in answer.answer


@pytest.mark.parametrize(
    "question, paragraph_holds",
    [
        ("What do Tokyo and Washington swap intelligence about?", "cybersecurity"),
        ("What does the defense analyst quoted in the piece think of the alliance?", "Yuki Nakamura"),
    ],
)
def test_a_question_in_other_words_than_the_articles_is_answered(article_engine, question, paragraph_holds):
    answer = article_engine.ask(question)
    assert answer.answered
    assert paragraph_holds in answer.citations[0].text


def test_the_answer_opens_with_the_sentence_that_answers(article_engine):
    answer = article_engine.ask("When was the defense treaty signed?")
    assert "1960" in answer.first_sentence()
    who = article_engine.ask("Which prime minister met President Biden in April 2021?")
    assert "Yoshihide Suga" in who.first_sentence()


def test_both_parts_of_a_two_part_question_are_answered_each_cited(article_engine):
    answer = article_engine.ask("Which prime minister met Biden in 2021, and what is the formal name of the defense pact?")
    assert answer.answered and len(answer.citations) >= 2
    cited = re.findall(r"(.+?) \[(\d+)\]\s*", answer.answer, re.S)
    assert any("Yoshihide Suga" in sentence for sentence, _ in cited)
    assert any("Treaty of Mutual Cooperation and Security" in sentence for sentence, _ in cited)


def test_a_question_that_stands_alone_is_answered_alone_after_an_unrelated_one(article_engine):
    history = [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "The documents don't say."},
    ]
    alone = article_engine.ask("What did Yuki Nakamura say?")
    after = article_engine.ask("What did Yuki Nakamura say?", history)
    assert after.answered and after.answer == alone.answer
    assert "Yuki Nakamura" in after.citations[0].text


def test_a_follow_up_takes_its_subject_from_the_earlier_question(article_engine):
    history = [
        {"role": "user", "content": "What is the name of the annual joint military drill?"},
        {"role": "assistant", "content": "The Keen Sword drill. [1]"},
    ]
    answer = article_engine.ask("What does it enhance?", history)
    assert answer.answered and "Keen Sword" in answer.citations[0].text


def test_a_table_row_is_read_with_its_cells_never_the_header_line(article_engine):
    answer = article_engine.ask("What impact do technological advancements have on the global economy?")
    assert answer.first_sentence() == "Technological advancements: Promotion of global economic integration"
    assert "Benefits of Japan-US Economic Alliance Impact on Global Economy" not in answer.answer


def test_a_lists_lead_in_carries_its_items(handbook_engine):
    answer = handbook_engine.ask("Which days is the office closed?")
    assert answer.answered
    for item in ("New Year's Day", "Golden Week", "The Obon festival", "New Year's Eve"):
        assert item in answer.answer


def test_a_markdown_table_row_is_read_with_its_column_headers(handbook_engine):
    answer = handbook_engine.ask("What is the limit per trip for a hotel night?")
    assert answer.answered
    assert answer.first_sentence() == "Expense: Hotel night; Limit per trip: 180 dollars; Approved by: Team lead"
    assert answer.citations[0].quote == "Hotel night | 180 dollars | Team lead", "the quote stays the row as written"


@pytest.mark.parametrize(
    "question",
    [
        "What did Yuki Nakamura say?",
        "What does the military analyst Takeshi Yamamoto think of the alliance?",
        "What did Prime Minister Suga say about the alliance?",
        "What did President Biden call the alliance?",
    ],
)
def test_a_citation_mark_never_lands_inside_a_quotation(article_engine, question):
    answer = article_engine.ask(question)
    assert answer.answered
    for marker in MARKER.finditer(answer.answer):
        said = answer.answer[: marker.start()]
        assert said.count("“") == said.count("”"), f"[{marker.group(1)}] inside a quotation: {answer.answer}"
