"""One build configuration (``IndexConfig``): saved in the manifest, read back, compared by the next rebuild,
and the same from every command that builds."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from index import (
    DEFAULT_MODEL_NAME,
    DataDir,
    Embedder,
    IndexConfig,
    LazyEmbedder,
    Manifest,
    SearchOptions,
    load_index,
    model_name,
    rebuild_corpus,
)
from tests.conftest import CORPUS

# Every field off its default, so a field dropped anywhere on the way shows.
OTHER = {"max_words": 60, "sentence_vectors": "pooled", "exact_search_limit": 10, "ivf_lists": 4}


def test_a_config_round_trips_through_the_manifest_fields():
    for config in (IndexConfig(), IndexConfig(model="my-model", backend="onnx-int8", **OTHER)):
        assert IndexConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_the_saved_version_reads_back_as_the_config_that_built_it(article_data_dir, settings_for):
    manifest = Manifest.load(DataDir(article_data_dir).current_path())
    assert manifest.config() == settings_for(article_data_dir).index_config()
    assert manifest.dense_index == {"exact_search_limit": 20_000, "ivf_lists": 0}


def test_a_manifest_from_before_the_dense_options_were_recorded_is_kept_by_a_default_rebuild(copy_data_dir, embedder):
    path = DataDir(copy_data_dir).current_path() / "manifest.json"
    written = json.loads(path.read_text())
    del written["dense_index"]
    path.write_text(json.dumps(written))
    config = IndexConfig(backend=embedder.backend)
    assert Manifest.load(path.parent).config() == config
    lazy = LazyEmbedder("", lambda: embedder, embedder.backend)
    report = rebuild_corpus(CORPUS, DataDir(copy_data_dir), config, lazy, keep_versions=5, progress=False)
    assert not report.built and not lazy.loaded


def test_another_dense_index_option_builds_a_new_version_from_the_cache(copy_data_dir, embedder):
    config = IndexConfig(backend=embedder.backend, exact_search_limit=10, ivf_lists=4)
    lazy = LazyEmbedder("", lambda: embedder, embedder.backend)
    report = rebuild_corpus(CORPUS, DataDir(copy_data_dir), config, lazy, keep_versions=5, progress=False)
    assert report.built and report.embedded == 0 and not lazy.loaded
    index = load_index(DataDir(copy_data_dir))
    assert index.manifest.config() == config and index.dense.approximate and index.dense.describe().startswith("IVF4,")


def test_an_embedder_that_is_not_the_configured_model_and_backend_is_refused(copy_data_dir, embedder):
    other_backend = "onnx" if embedder.backend == "torch" else "torch"
    for config in (IndexConfig(model="another-model", backend=embedder.backend), IndexConfig(backend=other_backend)):
        with pytest.raises(ValueError, match="Invalid embedder"):
            rebuild_corpus(CORPUS, DataDir(copy_data_dir), config, embedder, keep_versions=5, force=True, progress=False)
    assert DataDir(copy_data_dir).versions() == ["v0001"]


@pytest.mark.parametrize("path", ["citewise index build/rebuild, serve's first build", "citewise eval"])
def test_every_command_that_builds_writes_the_settings_config_and_searches_with_their_probes(tmp_path, embedder, settings_for, path):
    from chat.cli.common import rebuild_from_settings
    from chat.engine import Engine
    from chat.evaluation import corpus_index

    settings = settings_for(tmp_path / "var", ivf_probes=3, **OTHER)
    if path == "citewise eval":
        index = corpus_index(CORPUS, tmp_path / "eval", embedder, settings)
    else:
        rebuild_from_settings(settings, embedder, force=False)
        index = Engine.from_settings(settings, embedder).index
    assert index.manifest.config() == settings.index_config()
    assert index.dense.approximate and index.dense.probes == 3


def test_the_settings_defaults_are_the_index_layers():
    from chat.settings import Settings

    assert Settings().index_config() == IndexConfig() and Settings().search_options() == SearchOptions()
    assert replace(Settings(), model="/models/my-model").index_config().model == "my-model"


def test_no_model_setting_names_the_shipped_model(embedder):
    assert model_name("") == model_name(None) == DEFAULT_MODEL_NAME == embedder.name
    assert Embedder("").name == DEFAULT_MODEL_NAME


def test_a_manifest_whose_config_cannot_be_read_is_rebuilt_not_kept(copy_data_dir, embedder):
    path = DataDir(copy_data_dir).current_path() / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "chunking": {}}))
    lazy = LazyEmbedder("", lambda: embedder, embedder.backend)
    report = rebuild_corpus(CORPUS, DataDir(copy_data_dir), IndexConfig(backend=embedder.backend), lazy, keep_versions=5,
                            progress=False)
    assert report.built and report.embedded == 0
