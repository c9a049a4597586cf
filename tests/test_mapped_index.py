"""Sentence vectors are memory-mapped (after the checksum check of tests/index/test_integrity.py), and answers
are the same as when they are read into memory (issue 12, point 4). The real model and index of the article,
through the engine.
"""

from __future__ import annotations

import json

import numpy as np

from index import DataDir, SearchIndex, load_index
from tests.conftest import REPO

QUESTIONS = [json.loads(line)["question"] for line in (REPO / "tests" / "data" / "article_questions.jsonl").read_text().splitlines() if line]


def test_a_loaded_version_maps_its_sentence_vectors_read_only(article_data_dir):
    index = load_index(DataDir(article_data_dir))
    assert isinstance(index.sentence_vectors.base, np.memmap)
    assert not index.sentence_vectors.flags.writeable
    assert index.sentence_vectors.dtype == np.float16 and len(index.sentence_vectors) == index.manifest.sentences


def test_mapped_and_read_vectors_answer_every_article_question_alike(article_data_dir, embedder, settings_for, monkeypatch):
    from chat.engine import Engine

    settings = settings_for(article_data_dir)
    mapped = Engine.from_settings(settings, embedder=embedder)
    monkeypatch.setattr(SearchIndex, "SENTENCE_MMAP_MODE", None)
    read = Engine.from_settings(settings, embedder=embedder)
    assert not isinstance(read.index.sentence_vectors.base, np.memmap)
    np.testing.assert_array_equal(read.index.sentence_vectors, mapped.index.sentence_vectors)
    for question in QUESTIONS:
        assert mapped.ask(question).to_dict() == read.ask(question).to_dict(), question

