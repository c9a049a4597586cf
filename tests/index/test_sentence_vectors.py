"""The `sentence_vectors` setting: "pooled" (the default) pools each sentence's vector from its paragraph's one pass,
"alone" embeds each sentence on its own. Both build an index that answers the article; a version built one way is rebuilt when the
setting changes, and with both versions on disk, switching back embeds nothing and loads no model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index import DataDir, IndexConfig, LazyEmbedder, Manifest, load_index, rebuild_corpus
from tests.conftest import CORPUS, DATA


def rebuild(data_dir, embedder, sentence_vectors):
    config = IndexConfig(backend=embedder.backend, sentence_vectors=sentence_vectors)
    return rebuild_corpus(CORPUS, DataDir(data_dir), config, embedder, keep_versions=5, progress=False)


@pytest.mark.parametrize("mode, data_dir_fixture", [("alone", "article_alone_data_dir"), ("pooled", "article_data_dir")])
def test_either_mode_builds_an_index_that_answers_the_article(request, mode, data_dir_fixture, embedder, settings_for):
    from chat.engine import Engine

    data_dir = request.getfixturevalue(data_dir_fixture)
    assert load_index(DataDir(data_dir)).manifest.sentence_vectors == mode
    engine = Engine.from_settings(settings_for(data_dir, sentence_vectors=mode), embedder=embedder)
    questions = [json.loads(line) for line in (DATA / "article_questions.jsonl").read_text().splitlines() if line]
    answers = [engine.ask(q["question"]) for q in questions]
    cited = [q for q, a in zip(questions, answers) if {c.paragraph for c in a.citations[:3]} & set(q["gold"])]
    correct = [q for q, a in zip(questions, answers) if q in cited and q["answer"].lower() in a.answer.lower()]
    # The bar tests/test_end_to_end.py sets for the default build.
    assert len(correct) >= 0.9 * len(questions), f"{mode}: only {len(correct)}/{len(questions)} answered and cited correctly"


def test_changing_the_mode_rebuilds_and_switching_back_embeds_nothing(article_alone_data_dir, tmp_path, embedder):
    # A copy built "alone", its manifest written as before the field existed: it reads as "alone" and is kept.
    copy_data_dir = tmp_path / "var"
    shutil.copytree(article_alone_data_dir, copy_data_dir)
    manifest_path = DataDir(copy_data_dir).current_path() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["sentence_vectors"]
    manifest_path.write_text(json.dumps(manifest))
    assert Manifest.load(manifest_path.parent).sentence_vectors == "alone"
    lazy = LazyEmbedder("", lambda: embedder, embedder.backend)
    kept = rebuild(copy_data_dir, lazy, "alone")
    assert not kept.built and kept.embedded == 0 and not lazy.loaded
    alone = load_index(DataDir(copy_data_dir))

    pooled = rebuild(copy_data_dir, embedder, "pooled")
    assert pooled.built and pooled.manifest.sentence_vectors == "pooled"
    # Every paragraph passes through the model once more (its pooled sentence vectors are keyed by it).
    assert pooled.embedded == pooled.manifest.paragraphs + pooled.manifest.sentences
    row = next(r for r, p in enumerate(alone.paragraphs) if "Keen Sword" in p.text)
    _, alone_vectors = alone.sentences(row)
    _, pooled_vectors = load_index(DataDir(copy_data_dir)).sentences(row)
    assert not np.allclose(alone_vectors, pooled_vectors, atol=1e-2), "pooled sentence vectors carry their paragraph's context"

    # Both versions are on disk, so the cache kept both modes' vectors: going back and forth loads no model.
    for mode, vectors in (("alone", alone_vectors), ("pooled", pooled_vectors)):
        lazy = LazyEmbedder("", lambda: embedder, embedder.backend)
        report = rebuild(copy_data_dir, lazy, mode)
        assert report.built and report.embedded == 0 and not lazy.loaded, mode
        np.testing.assert_array_equal(load_index(DataDir(copy_data_dir)).sentences(row)[1], vectors)
    assert not rebuild(copy_data_dir, LazyEmbedder("", lambda: embedder, embedder.backend), "pooled").built


def test_an_unknown_mode_is_refused(copy_data_dir, embedder):
    with pytest.raises(ValueError, match="sentence_vectors"):
        rebuild(copy_data_dir, embedder, "mixed")


@pytest.mark.parametrize("path", ["citewise index build/rebuild, serve's first build", "citewise eval"])
def test_the_commands_that_build_pass_the_sentence_vectors_setting(tmp_path, embedder, settings_for, path):
    from chat.cli.common import rebuild_from_settings
    from chat.evaluation import corpus_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text("Notes\n\nTrade grew in 1960. The treaty was signed.\n\nShips sailed west.\n")
    built = []
    for mode in ("pooled", "alone"):  # the second build must not reuse the first: another mode, another index
        settings = settings_for(tmp_path / "var", sentence_vectors=mode).with_overrides(corpus=corpus)
        if path == "citewise eval":
            built.append(corpus_index(corpus, tmp_path / "eval", embedder, settings).manifest.sentence_vectors)
        else:
            built.append(rebuild_from_settings(settings, embedder, force=False).manifest.sentence_vectors)
    assert built == ["pooled", "alone"]
