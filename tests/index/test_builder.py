"""Building, saving and loading index versions, and refusing indexes that don't fit."""

from __future__ import annotations

import json

import pytest

from index import CorruptIndexError, DataDir, IndexMismatchError, IndexNotFoundError, Manifest, build_index, load_index
from ingest import Document, split_paragraphs
from ingest.blocks import blocks_from_plain_text


def paragraphs_of(*texts):
    document = Document("notes.txt", "Notes", tuple(blocks_from_plain_text("\n\n".join(texts))))
    return split_paragraphs(document, max_words=180)


def build(data_dir, embedder, paragraphs, keep=5):
    return build_index(paragraphs, DataDir(data_dir), embedder, {"max_words": 180}, 1, keep, progress=False)


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
    with pytest.raises(IndexMismatchError, match="format 999.*citewise index build"):
        load_index(DataDir(copy_data_dir), embedder)


@pytest.mark.parametrize("part", ["paragraphs.jsonl", "dense.faiss", "sentence_vectors.npy", "manifest.json"])
def test_a_missing_part_is_reported_as_corrupt(copy_data_dir, part):
    (DataDir(copy_data_dir).current_path() / part).unlink()
    with pytest.raises(CorruptIndexError, match="rebuild|incomplete"):
        load_index(DataDir(copy_data_dir))


def test_empty_data_dir_says_to_build_first(tmp_path):
    with pytest.raises(IndexNotFoundError, match="citewise index build"):
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
