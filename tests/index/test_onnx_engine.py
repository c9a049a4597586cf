"""The onnx backends: the shipped model exported here, cached, and embedding as torch does."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace

import numpy as np
import pytest

from index import REBUILD_COMMAND, DataDir, Embedder, IndexMismatchError, Manifest, load_index, rebuild_index
from ingest import read_corpus, split_paragraphs, split_sentences
from tests.conftest import CORPUS, DATA

QUESTIONS = [json.loads(line)["question"] for line in (DATA / "article_questions.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    documents = read_corpus(CORPUS).documents
    return [p.text for d in documents for p in split_paragraphs(d, 180)]


@pytest.fixture(scope="session")
def onnx_embedders(models_dir) -> dict[str, Embedder]:
    """The fp32 export and its int8 quantization of the real model, made once a session."""
    return {backend: Embedder(backend=backend, models_dir=models_dir) for backend in ("onnx", "onnx-int8")}


def _cached_files(models_dir):
    return sorted(path.relative_to(models_dir).as_posix() for path in models_dir.rglob("*") if path.is_file())


def test_the_export_is_cached_beside_the_data_once_per_source_weights(onnx_embedders, models_dir):
    files = _cached_files(models_dir)
    assert len({file.split("/")[0] for file in files}) == 1
    assert [file.split("/")[1] for file in files] == ["model-int8.onnx", "model.onnx"]  # no temp file left
    assert files[0].startswith("sentence-transformers_all-MiniLM-L6-v2-")
    fp32, int8 = (models_dir / file for file in reversed(files))
    # The matrix products' weights are 8-bit; the token embedding table (47 of the 91 MB) stays fp32.
    assert int8.stat().st_size < 0.7 * fp32.stat().st_size


def test_fp32_vectors_are_torchs_and_int8_vectors_close(onnx_embedders, embedder, paragraphs):
    if embedder.backend != "torch":
        pytest.skip("compares with the torch backend")
    texts = QUESTIONS + paragraphs
    reference = embedder.encode(texts)
    fp32 = np.sum(onnx_embedders["onnx"].encode(texts) * reference, axis=1)
    int8 = np.sum(onnx_embedders["onnx-int8"].encode(texts) * reference, axis=1)
    assert fp32.min() > 0.9999
    # Per-channel int8 scored a mean of 0.994 on SQuAD; one scale per tensor had 0.96 (min 0.91).
    assert int8.mean() > 0.99 and int8.min() > 0.97


def test_vectors_are_unit_length_and_the_same_on_any_thread_count(onnx_embedders, paragraphs):
    for embedder in onnx_embedders.values():
        one = embedder.encode(paragraphs[:8])
        np.testing.assert_allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(embedder.encode(paragraphs[:8], threads=2), one, atol=1e-5)
        assert embedder.encode([]).shape == (0, embedder.dimension)


def test_token_vectors_are_what_encode_pools_with_offsets_into_the_text(onnx_embedders, paragraphs):
    engine = onnx_embedders["onnx"]._engine
    texts = [QUESTIONS[0], paragraphs[0], "word " * 400]
    for text, (tokens, offsets), vector in zip(texts, engine.token_vectors(texts), engine.encode(texts)):
        mean = tokens.mean(axis=0)
        assert float(np.dot(mean / np.linalg.norm(mean), vector)) > 0.9999
        assert tokens.dtype == np.float32 and offsets.shape == (len(tokens), 2)
        assert offsets[0].tolist() == [0, 0] and offsets[-1].tolist() == [0, 0]  # [CLS] and [SEP]
        words = [text[start:end].lower() for start, end in offsets[1:-1]]
        assert all(word and not word.isspace() for word in words) and "".join(words) in text.lower().replace(" ", "")
    assert len(engine.token_vectors(["word " * 400])[0][0]) == 256  # max_seq_length, as torch truncates


def test_pooled_sentence_vectors_on_onnx_are_torchs(onnx_embedders, embedder, paragraphs):
    if embedder.backend != "torch":
        pytest.skip("compares with the torch backend")
    texts = paragraphs[:6]
    spans = [split_sentences(text) for text in texts]
    ours, our_sentences = onnx_embedders["onnx"].embed_paragraphs(texts, spans, threads=2)
    theirs, their_sentences = embedder.embed_paragraphs(texts, spans, threads=2)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    for mine, torchs in zip(our_sentences, their_sentences):
        np.testing.assert_allclose(mine, torchs, atol=1e-5)


def test_a_second_load_reuses_the_cached_files(onnx_embedders, models_dir):
    before = {file: (models_dir / file).stat() for file in _cached_files(models_dir)}
    Embedder(backend="onnx-int8", models_dir=models_dir)
    after = {file: (models_dir / file).stat() for file in _cached_files(models_dir)}
    assert {f: (s.st_ino, s.st_mtime_ns) for f, s in after.items()} == {f: (s.st_ino, s.st_mtime_ns) for f, s in before.items()}


def test_a_damaged_cached_file_is_made_again_with_a_warning(onnx_embedders, models_dir, tmp_path, caplog, paragraphs):
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy)
    (damaged,) = copy.rglob("model-int8.onnx")
    damaged.write_bytes(damaged.read_bytes()[:5000])  # cut short, as a full disk would leave it
    with caplog.at_level(logging.WARNING, logger="index.onnx_engine"):
        again = Embedder(backend="onnx-int8", models_dir=copy)
    assert "cannot be loaded" in caplog.text and "exporting it again" in caplog.text
    assert damaged.stat().st_size > 1_000_000
    np.testing.assert_allclose(again.encode(paragraphs[:4]), onnx_embedders["onnx-int8"].encode(paragraphs[:4]), atol=1e-5)


def test_an_index_built_on_another_backend_is_refused_naming_the_rebuild(article_data_dir, onnx_embedders, embedder):
    other = onnx_embedders["onnx-int8" if embedder.backend != "onnx-int8" else "onnx"]
    with pytest.raises(IndexMismatchError) as refused:
        load_index(DataDir(article_data_dir), other)
    message = str(refused.value)
    assert REBUILD_COMMAND in message and repr(embedder.backend) in message and f"--backend {other.backend}" in message
    assert load_index(DataDir(article_data_dir), embedder).manifest.backend == embedder.backend


def test_a_rebuild_on_another_backend_embeds_anew_into_its_own_cache(copy_data_dir, onnx_embedders, embedder):
    other = onnx_embedders["onnx-int8" if embedder.backend != "onnx-int8" else "onnx"]
    data_dir = DataDir(copy_data_dir)
    serving = load_index(data_dir)
    config = replace(serving.manifest.config(), backend=other.backend)
    report = rebuild_index(serving.paragraphs, data_dir, other, config, serving.manifest.documents, 5, progress=False)
    assert report.built and report.embedded > 0 and report.manifest.backend == other.backend
    assert load_index(data_dir, other).manifest.version == report.manifest.version
    assert len(list(data_dir.cache_dir.glob("*.sqlite"))) == 2


def test_a_manifest_from_before_backends_was_torchs(article_data_dir, tmp_path):
    data = json.loads((DataDir(article_data_dir).current_path() / "manifest.json").read_text())
    del data["backend"]
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    assert Manifest.load(tmp_path).backend == "torch"


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="onnx-int8"):
        Embedder(backend="tensorrt")
