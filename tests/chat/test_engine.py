"""The engine serves an index the way the settings say, whatever it was built with."""

from __future__ import annotations

from chat.engine import Engine
from index import DataDir, rebuild_corpus
from tests.conftest import CORPUS


def test_probes_of_an_approximate_index_follow_the_settings_not_the_build(tmp_path, embedder, settings_for):
    built = settings_for(tmp_path / "var", exact_search_limit=10, ivf_lists=4, ivf_probes=1)
    rebuild_corpus(CORPUS, DataDir(tmp_path / "var"), built.index_config(), embedder, keep_versions=2, progress=False)
    engine = Engine.from_settings(settings_for(tmp_path / "var", ivf_probes=3), embedder=embedder)
    assert engine.index.dense.approximate and engine.index.dense.probes == 3
    assert engine.ask("When was the defense treaty signed?").answered
