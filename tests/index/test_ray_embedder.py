"""Rebuilds embedded on a real Ray cluster of local nodes: the same index as a local build, and a lost node costs
only a retry of its batches."""

from __future__ import annotations

import json
import os
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

# Ray swaps 127.0.0.1 for the machine's outward address unless told the cluster is local; read at import, so first.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

from chat.cli import cli  # noqa: E402
from chat.cli.common import rebuild_from_settings  # noqa: E402
from index import DataDir, EmbeddingCache, RayClusterError, RayEmbedder, load_index  # noqa: E402
from index.builder import index_texts, sentence_cache_keys  # noqa: E402
from tests.conftest import CORPUS, DATA  # noqa: E402
from tests.index.test_rebuild import synthetic_corpus  # noqa: E402

# Starts processes (servers, the CLI, a browser, Chromium printing, a Ray cluster): `make quick` leaves it out.
pytestmark = pytest.mark.slow

# Each node: one CPU (one model actor), a small object store; every address on loopback.
NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024**2, "node_ip_address": "127.0.0.1"}


@pytest.fixture(scope="module")
def cluster():
    """A Ray cluster of two nodes on this machine (a head and a worker, separate raylets), stopped after the module."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    cluster.add_node(**NODE)
    cluster.wait_for_nodes(timeout=60)
    yield cluster
    cluster.shutdown()


def vectors_of(data_dir) -> tuple[np.ndarray, np.ndarray]:
    """The float32 vectors of a version's paragraphs (from FAISS) and sentences (from the embedding cache: the
    version keeps them as float16, where a difference of 1e-7 can round to the next step)."""
    index = load_index(DataDir(data_dir))
    keys = sentence_cache_keys(*index_texts(index.paragraphs, index.spans), index.manifest.sentence_vectors)
    cache = EmbeddingCache(data_dir / "cache", index.manifest.model, index.manifest.backend)
    try:
        cached = cache.get_many(keys)
        sentence_vectors = np.stack([cached[key] for key in keys])
    finally:
        cache.close()
    return index.dense.vectors(np.arange(len(index.paragraphs))), sentence_vectors


def assert_same_vectors(data_dir, other_data_dir) -> None:
    for ours, theirs in zip(vectors_of(data_dir), vectors_of(other_data_dir)):
        assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 1e-5


def test_a_rebuild_on_the_cluster_matches_a_local_build(cluster, article_data_dir, tmp_path, embedder, settings_for):
    from chat.engine import Engine

    data_dir = tmp_path / "var"
    result = CliRunner().invoke(
        cli, ["index", "rebuild", "--json", "--corpus", str(CORPUS), "--data-dir", str(data_dir), "--ray-address", cluster.address]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    local, distributed = load_index(DataDir(article_data_dir)), load_index(DataDir(data_dir))
    assert report["built"] and report["embedded"] == local.manifest.paragraphs + local.manifest.sentences
    assert [p.to_dict() for p in distributed.paragraphs] == [p.to_dict() for p in local.paragraphs]
    assert distributed.spans == local.spans
    for field in ("corpus_fingerprint", "model", "dimension", "chunking", "documents", "paragraphs", "sentences", "format_version"):
        assert getattr(distributed.manifest, field) == getattr(local.manifest, field), field
    assert_same_vectors(data_dir, article_data_dir)
    # The same cache a local build fills: a local rebuild afterwards embeds nothing, without loading the model.
    again = CliRunner().invoke(cli, ["index", "rebuild", "--json", "--force", "--corpus", str(CORPUS), "--data-dir", str(data_dir)])
    assert again.exit_code == 0 and json.loads(again.stdout)["embedded"] == 0, again.output
    questions = [json.loads(line)["question"] for line in (DATA / "article_questions.jsonl").read_text().splitlines()]
    ask_local = Engine.from_settings(settings_for(article_data_dir), embedder=embedder).ask
    ask_distributed = Engine.from_settings(settings_for(data_dir), embedder=embedder).ask
    for question in questions:
        ours, theirs = ask_distributed(question).to_dict(), ask_local(question).to_dict()
        assert (ours["answer"], ours["citations"]) == (theirs["answer"], theirs["citations"]), question


def test_sentences_embedded_alone_on_the_cluster_match_a_local_alone_build(cluster, article_alone_data_dir, tmp_path, monkeypatch):
    data_dir = tmp_path / "var"
    monkeypatch.setenv("CITEWISE_SENTENCE_VECTORS", "alone")
    result = CliRunner().invoke(
        cli, ["index", "rebuild", "--json", "--corpus", str(CORPUS), "--data-dir", str(data_dir), "--ray-address", cluster.address]
    )
    assert result.exit_code == 0, result.output
    assert load_index(DataDir(data_dir)).manifest.sentence_vectors == "alone"
    assert_same_vectors(data_dir, article_alone_data_dir)


def test_a_node_lost_mid_rebuild_costs_a_retry_and_the_version_is_still_right(cluster, tmp_path):
    from chat.engine import embedder_for
    from chat.settings import Settings

    corpus = synthetic_corpus(tmp_path / "corpus", documents=6, paragraphs=6, seed=15)
    doomed = cluster.add_node(**NODE)
    cluster.wait_for_nodes(timeout=60)
    distributed_dir, local_dir = tmp_path / "var-ray", tmp_path / "var-local"
    # Batches of 2 texts, each sentence embedded on its own, on torch: over a hundred batches of some 20 ms, so
    # the node dies with most of the work still to do (pooled on onnx, the work can end before the node does).
    settings = Settings().with_overrides(data_dir=distributed_dir, corpus=corpus, batch_size=2, backend="torch",
                                         sentence_vectors="alone")
    with RayEmbedder(cluster.address, batch_size=2, backend=settings.backend, models_dir=settings.models_folder()) as remote:
        assert remote.cpus == 3

        def kill_once_started() -> None:
            while remote.embedded_batches < 3:
                time.sleep(0.01)
            cluster.remove_node(doomed, allow_graceful=False)

        killer = threading.Thread(target=kill_once_started, daemon=True)
        killer.start()
        report = rebuild_from_settings(settings, remote, force=False)
        killer.join(timeout=60)
        assert remote.retried_batches >= 1 and remote.actors == 2
    rebuild_from_settings(settings.with_overrides(data_dir=local_dir), embedder_for(settings), force=False)
    distributed, local = load_index(DataDir(distributed_dir)), load_index(DataDir(local_dir))
    assert report.built and DataDir(distributed_dir).current() == report.version == distributed.manifest.version
    assert (distributed.manifest.corpus_fingerprint, distributed.manifest.paragraphs, distributed.manifest.sentences) == (
        local.manifest.corpus_fingerprint, local.manifest.paragraphs, local.manifest.sentences)
    assert_same_vectors(distributed_dir, local_dir)


def test_a_model_folder_missing_on_the_nodes_is_refused_before_anything_changes(cluster, tmp_path):
    result = CliRunner().invoke(
        cli, ["index", "rebuild", "--corpus", str(CORPUS), "--data-dir", str(tmp_path / "var"), "--ray-address", cluster.address,
              "--model", str(tmp_path / "no-such-model")]
    )
    assert result.exit_code == 1
    assert "The model cannot load on" in result.output and "must exist on every node" in result.output
    assert not (tmp_path / "var").exists()


def test_an_unreachable_cluster_fails_at_once_and_changes_nothing(copy_data_dir, monkeypatch):
    before = sorted(p.name for p in (copy_data_dir / "versions").iterdir())
    monkeypatch.setenv("CITEWISE_RAY_ADDRESS", "127.0.0.1:9")  # the discard port: nothing listens there
    result = CliRunner().invoke(cli, ["index", "rebuild", "--force", "--corpus", str(CORPUS), "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 1
    assert "Cannot reach the Ray cluster at '127.0.0.1:9'" in result.output and "Nothing was changed" in result.output
    assert sorted(p.name for p in (copy_data_dir / "versions").iterdir()) == before


def test_without_ray_the_message_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` does when it is not installed
    with pytest.raises(RayClusterError, match=r'pip install "citewise\[ray\]"'):
        RayEmbedder("127.0.0.1:9")


def test_a_bad_address_is_named(monkeypatch):
    with pytest.raises(RayClusterError, match="not host:port or auto: 'cluster.example'"):
        RayEmbedder("cluster.example")
