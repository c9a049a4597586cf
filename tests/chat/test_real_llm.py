"""A real small model (SmolLM2-135M-Instruct, from PyPI) behind a real OpenAI-compatible server on
loopback: its answers are generated, streamed and checked. A 135M model writes poor prose, so
these tests assert the checks (every surviving sentence supported, every marker valid), not its words."""

from __future__ import annotations

import json

import pytest

from chat.engine import Engine
from chat.generation import Token
from tests.checks import assert_checked
from tests.conftest import DATA
from tests.live_server import free_port
from tests.real_llm import running_llm

# Starts processes (servers, the CLI, a browser, Chromium printing, a Ray cluster): `make quick` leaves it out.
pytestmark = pytest.mark.slow

QUESTIONS = [json.loads(line)["question"] for line in (DATA / "article_questions.jsonl").read_text().splitlines()[:3]]


@pytest.fixture(scope="module")
def real_llm_url():
    with running_llm(free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def real_engine(real_llm_url, article_engine, embedder, article_data_dir, settings_for):
    # Generous: a shared 2-core machine; the timeout is what a slow model must not trip, not a speed test.
    settings = settings_for(article_data_dir, llm_url=real_llm_url, llm_timeout_seconds=240)
    return Engine(article_engine.index, embedder, settings)


def test_a_real_model_answers_and_every_sentence_that_survives_is_supported(real_engine, embedder):
    answers = [real_engine.ask(question) for question in QUESTIONS]
    assert all(a.answered for a in answers)
    generated = [a for a in answers if a.mode == "generated"]
    assert generated, [a.answer for a in answers]
    for answer in generated:
        assert_checked(answer, embedder, real_engine.settings.llm_min_support)


def test_a_real_model_streams_its_draft_before_the_checked_answer(real_engine):
    events = list(real_engine.ask_stream(QUESTIONS[0]))
    assert isinstance(events[0], Token) and len([e for e in events if isinstance(e, Token)]) > 1
    assert events[-1].answered
