"""Building, saving and loading index versions, and refusing indexes that don't fit."""

from __future__ import annotations

import json

import pytest

from index import CorruptIndexError, DataDir, IndexConfig, IndexMismatchError, IndexNotFoundError, Manifest, build_index, load_index
from ingest import Document, split_paragraphs
from ingest.blocks import blocks_from_plain_text


def paragraphs_of(*texts):
    document = Document("notes.txt", "Notes", tuple(blocks_from_plain_text("\n\n".join(texts))))
    return split_paragraphs(document, max_words=180)


def build(data_dir, embedder, paragraphs, keep=5):
    return build_index(paragraphs, DataDir(data_dir), embedder, IndexConfig(backend=embedder.backend), 1, keep, progress=False)


def test_manifest_describes_the_saved_version(copy_data_dir, embedder):
    data_dir = DataDir(copy_data_dir)
    manifest = Manifest.load(data_dir.current_path())
    assert data_dir.current() == manifest.version == "v0001"
    assert manifest.model == embedder.name and manifest.dimension == 384
    assert manifest.chunking == {"max_words": 180}
    assert manifest.documents == 1 and manifest.paragraphs == 46
    assert manifest.sentences > manifest.paragraphs
    assert len(manifest.corpus_fingerprint) == 16 and manifest.created_at
    assert {"faiss-cpu", "sentence-transformers", "bm25s"} <= set(manifest.libraries)


def test_saved_index_loads_and_searches_its_own_paragraphs(article_data_dir, embedder):
    index = load_index(DataDir(article_data_dir), embedder)
    paragraph = next(p for p in index.paragraphs if "Keen Sword" in p.text)
    vector = embedder.encode([paragraph.search_text()])[0]
    hits = index.search(vector, paragraph.text, k=3, fusion="linear", lexical_weight=0.3, candidates=10)
    assert hits[0].paragraph.key == paragraph.key
    spans, vectors = index.sentences(hits[0].row)
    assert len(spans) == len(vectors) >= 2


def test_each_build_is_a_new_version_and_old_ones_are_pruned(tmp_path, embedder):
    for text in ("First text about trade.", "Second text about trade.", "Third text about trade."):
        build(tmp_path, embedder, paragraphs_of(text), keep=2)
    data_dir = DataDir(tmp_path)
    assert data_dir.versions() == ["v0002", "v0003"]
    assert data_dir.current() == "v0003"
    assert "Third" in load_index(data_dir).paragraphs[0].text


def test_index_from_another_model_must_be_rebuilt(copy_data_dir, embedder):
    path = DataDir(copy_data_dir).current_path()
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["model"] = "some/other-model"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="some/other-model.*rebuild"):
        load_index(DataDir(copy_data_dir), embedder)


def test_index_of_another_format_must_be_rebuilt(copy_data_dir, embedder):
    path = DataDir(copy_data_dir).current_path()
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 999
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format 999.*citewise index rebuild"):
        load_index(DataDir(copy_data_dir), embedder)


@pytest.mark.parametrize("part", ["paragraphs.jsonl", "dense.faiss", "sentence_vectors.npy", "manifest.json"])
def test_a_missing_part_is_reported_as_corrupt(copy_data_dir, part):
    (DataDir(copy_data_dir).current_path() / part).unlink()
    with pytest.raises(CorruptIndexError, match="rebuild|incomplete"):
        load_index(DataDir(copy_data_dir))


def test_empty_data_dir_says_to_build_first(tmp_path):
    with pytest.raises(IndexNotFoundError, match="run `citewise index rebuild` first"):
        load_index(DataDir(tmp_path))


def test_a_failed_build_leaves_the_serving_version_untouched(copy_data_dir, embedder, monkeypatch):
    data_dir = DataDir(copy_data_dir)

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("index.search_index.SearchIndex.save", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        build(copy_data_dir, embedder, paragraphs_of("New text."))
    assert data_dir.current() == "v0001" and data_dir.versions() == ["v0001"]
    assert not [p for p in data_dir.versions_dir.iterdir() if p.name.startswith(".build")]
    assert len(load_index(data_dir, embedder)) == 46


def test_building_nothing_is_an_error(tmp_path, embedder):
    with pytest.raises(ValueError, match="no paragraphs"):
        build(tmp_path, embedder, [])


class _Recording:
    """Undoes what ``_threads_of_each_forward_pass`` put in place."""

    def __init__(self, remove) -> None:
        self.remove = remove


def _threads_of_each_forward_pass(embedder):
    """Record, inside every real forward pass of the model, the threads its engine and FAISS run on: torch's
    count in a hook on the model; ONNX Runtime's, the threads of the session each pass runs in."""
    import faiss

    seen: list[tuple[int, int]] = []
    if embedder.backend == "torch":
        import torch

        handle = embedder._model[0].register_forward_pre_hook(
            lambda module, args: seen.append((torch.get_num_threads(), faiss.omp_get_max_threads()))
        )
        return seen, handle
    engine = embedder._engine
    session_for = engine._session

    def recording(threads):
        seen.append((threads, faiss.omp_get_max_threads()))
        return session_for(threads)

    engine._session = recording
    return seen, _Recording(lambda: delattr(engine, "_session"))


def _serving_threads_are_back(embedder) -> bool:
    import torch

    return embedder.backend != "torch" or torch.get_num_threads() == embedder.threads


# "alone": paragraphs, then sentences; "pooled": one pass gives both.
@pytest.mark.parametrize("sentence_vectors, passes", [("alone", 2), ("pooled", 1)])
def test_a_build_embeds_on_build_threads_and_questions_go_back_to_the_serving_count(tmp_path, embedder, sentence_vectors, passes):
    assert embedder.threads == 1
    seen, handle = _threads_of_each_forward_pass(embedder)
    try:
        build_index(paragraphs_of("Trade grew in 1960. The treaty was signed.", "Ships sailed west."), DataDir(tmp_path),
                    embedder, IndexConfig(backend=embedder.backend, sentence_vectors=sentence_vectors), 1, 5, progress=False,
                    build_threads=3)
        during = list(seen)
        seen.clear()
        embedder.encode(["When was the treaty signed?"])
        question = list(seen)
    finally:
        handle.remove()
    # On the build's 3 threads (the self-query comes from the cache).
    assert len(during) == passes and set(during) == {(3, 3)}
    # The process is back on the serving count, and a question runs on it.
    assert question == [(1, 1)] and _serving_threads_are_back(embedder)


def test_build_threads_0_is_every_core(tmp_path, embedder):
    import os

    seen, handle = _threads_of_each_forward_pass(embedder)
    try:
        build(tmp_path, embedder, paragraphs_of("Trade grew in 1960. The treaty was signed."))
    finally:
        handle.remove()
    cores = os.cpu_count()
    assert seen and set(seen) == {(cores, cores)}


@pytest.mark.parametrize("path", ["citewise index build/rebuild, serve's first build", "citewise eval"])
def test_the_commands_that_build_pass_the_build_threads_setting(tmp_path, embedder, settings_for, path):
    from chat.cli.common import rebuild_from_settings
    from chat.evaluation import corpus_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text("Notes\n\nTrade grew in 1960. The treaty was signed.\n\nShips sailed west.\n")
    settings = settings_for(tmp_path / "var", build_threads=3).with_overrides(corpus=corpus)
    seen, handle = _threads_of_each_forward_pass(embedder)
    try:
        if path == "citewise eval":
            corpus_index(corpus, tmp_path / "eval", embedder, settings)
        else:
            rebuild_from_settings(settings, embedder, force=True)
    finally:
        handle.remove()
    assert seen and set(seen) == {(3, 3)}
    assert _serving_threads_are_back(embedder)
