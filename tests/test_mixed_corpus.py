"""A corpus of one document of every format, made by real writers: each question answered from its file and page."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chat.cli import cli
from tests.real_documents import INTRANET_BOILERPLATE, QUESTIONS

# Starts processes (servers, the CLI, a browser, Chromium printing, a Ray cluster): `make quick` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(mixed_data_dir, embedder, settings_for):
    from chat.engine import Engine

    return Engine.from_settings(settings_for(mixed_data_dir), embedder=embedder)


@pytest.mark.parametrize("question, doc, page, words", QUESTIONS, ids=[q[1] + "-" + str(q[2]) for q in QUESTIONS])
def test_every_file_answers_its_question_from_itself_and_the_right_page(engine, question, doc, page, words):
    answer = engine.ask(question).to_dict()
    assert answer["answered"], answer["answer"]
    first = answer["citations"][0]
    assert (first["doc"], first["page"]) == (doc, page)
    assert words in first["text"]


def test_no_boilerplate_line_of_any_file_is_a_paragraph(engine):
    texts = [p.text for p in engine.index.paragraphs]
    assert not any(text.startswith(word) for text in texts for word in INTRANET_BOILERPLATE)
    assert not any("file://" in text or "Page 1 of 2" in text for text in texts)


def test_the_cli_names_the_page_of_a_pdf_citation(mixed_data_dir):
    result = CliRunner().invoke(cli, ["ask", "--data-dir", str(mixed_data_dir), "Who must approve first-class train tickets?"])
    assert result.exit_code == 0, result.output
    assert "[1] handbook.pdf, p. 2, Travel, paragraph 3" in result.output


def test_an_unchanged_corpus_of_every_format_re_embeds_nothing(mixed_corpus, mixed_data_dir, tmp_path, embedder):
    import shutil

    from index import DataDir, IndexConfig, rebuild_corpus

    data_dir = tmp_path / "var"
    shutil.copytree(mixed_data_dir, data_dir)
    report = rebuild_corpus(mixed_corpus, DataDir(data_dir), IndexConfig(backend=embedder.backend), embedder, keep_versions=5,
                            progress=False)
    assert not report.built and report.changes.counts()["unchanged"] == report.manifest.paragraphs and report.embedded == 0
