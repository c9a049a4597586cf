"""What a question asks for, read from its words alone."""

from __future__ import annotations

import pytest

from chat.question import DATE, NUMBER, PERSON, PLACE, asked_about, cells, holds, named, needs_context, negated, parts, wanted_kind


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many US bases are in Japan?", NUMBER),
        ("What is the budget of the Self-Defense Forces?", NUMBER),
        ("When was the treaty signed?", DATE),
        ("In what year did the Normans reach Sicily?", DATE),
        ("Who met President Biden?", PERSON),
        ("Which prime minister met Biden?", PERSON),
        ("Where is the drill held?", PLACE),
        ("In what country is Normandy located?", PLACE),
        ("What is the formal name of the pact?", None),
        ("Why does the alliance matter?", None),
    ],
)
def test_the_kind_of_answer_comes_from_the_asking_words(question, kind):
    assert wanted_kind(question) == kind


def test_a_sentence_holds_a_kind_of_answer_only_when_it_says_one():
    assert holds(NUMBER, "About 54,000 troops are stationed there.", "How many?")
    assert not holds(NUMBER, "The two countries engage in regular dialogues.", "How many bases?"), "'the two' counts nothing"
    assert holds(DATE, "This pact, signed in 1960, set a framework.", "When?")
    assert not holds(DATE, "The pact sets a framework for security.", "When?")
    assert holds(DATE, "The garage opens at six in the morning.", "When does the garage open?"), "a time of day"
    assert holds(DATE, "Doors open at 9:30 and close at 5 pm.", "When do the doors open?")
    assert holds(PERSON, "First-class tickets need the approval of the department head.", "Who must approve first-class tickets?")
    assert not holds(PERSON, "First-class tickets need approval.", "Who must approve first-class tickets?")
    assert not holds(PERSON, "The board meets monthly.", "Who sits on the board?"), "a role the question already gives is no answer"
    assert holds(PERSON, "It was signed by Nobusuke Kishi.", "Who signed the pact?")
    assert not holds(PERSON, "Biden praised the pact.", "What did Biden say?"), "a name the question already gives is no answer"


@pytest.mark.parametrize(
    "question, follows",
    [
        ("When was it signed?", True),
        ("What did he say?", True),
        ("Where?", True),
        ("Who signed?", True),
        ("And Trump?", True),
        ("What is the formal name of this pact?", True),
        ("What did Yuki Nakamura say?", False),
        ("What is the treaty that was signed in 1960?", False),
        ("Are there US troops in Japan?", False),
        ("What century did the Normans first gain their separate identity?", False),
    ],
)
def test_only_a_question_that_leans_on_the_conversation_needs_it(question, follows):
    assert needs_context(question) is follows


def test_a_two_part_question_splits_into_parts_each_with_its_kind():
    first, second = parts("Which prime minister met Biden in 2021, and when was the defense pact signed?")
    assert (first.text, first.kind) == ("Which prime minister met Biden in 2021?", PERSON)
    assert second.kind == DATE and "defense pact" in second.text
    assert len(parts("What did Biden and Suga discuss?")) == 1, "an 'and' between names is one question"


def test_names_numbers_negation_and_the_thing_asked_about():
    assert named("Who was the US ambassador to Japan in 2021?") == ["US", "Japan", "2021"]
    assert named("What is the population of Tokyo?") == ["Tokyo"], "the first word is capitalised for being first"
    assert asked_about("Who was the US ambassador to Japan in 2021?") == "ambassador"
    assert asked_about("Why does it matter?") is None
    assert negated("What channel never used looping video?") and negated("Why didn't he go?")
    assert not negated("What did the channel use?")


def test_table_cells_are_split_by_bars_or_where_a_capitalised_cell_begins():
    assert cells("Hotel night | 180 dollars | Team lead") == ["Hotel night", "180 dollars", "Team lead"]
    assert cells("Technological advancements Promotion of global economic integration") == [
        "Technological advancements", "Promotion of global economic integration"
    ]
