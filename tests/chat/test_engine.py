"""The engine serves an index the way the settings say, whatever it was built with."""

from __future__ import annotations

from chat.engine import Engine
from index import DataDir, FaissOptions, build_index
from ingest import read_corpus, split_paragraphs
from tests.conftest import CORPUS


def test_probes_of_an_approximate_index_follow_the_settings_not_the_build(tmp_path, embedder, settings_for):
    reading = read_corpus(CORPUS)
    paragraphs = [p for d in reading.documents for p in split_paragraphs(d, 180)]
    build_index(
        paragraphs, DataDir(tmp_path / "var"), embedder, chunking={"max_words": 180}, documents=1, keep_versions=2,
        progress=False, dense_options=FaissOptions(exact_search_limit=10, ivf_lists=4, ivf_probes=1),
    )
    engine = Engine.from_settings(settings_for(tmp_path / "var", ivf_probes=3), embedder=embedder)
    assert engine.index.dense.approximate and engine.index.dense.probes == 3
    assert engine.ask("When was the defense treaty signed?").answered
