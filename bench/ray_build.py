"""`python -m bench.ray_build CORPUS`: one rebuild from an empty cache here, on a one-node and on a two-node local Ray
cluster (not part of `make bench`; about 15 minutes for 2,000 SQuAD paragraphs on 2 cores).

The clusters are `ray.cluster_utils.Cluster`s on 127.0.0.1 with the machine's CPUs split between their nodes, so each
embeds with as many model actors as a local build has threads: on one machine the point is that the fan-out works and
what it costs, not a speed-up. Prints one JSON object a rebuild.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

# Ray swaps 127.0.0.1 for the machine's outward address unless told the cluster is local; read at import, so first.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.timing import stopwatch  # noqa: E402
from index import DataDir, Embedder, IndexConfig, LazyEmbedder, RayEmbedder, rebuild_index  # noqa: E402
from ingest import read_corpus, split_paragraphs  # noqa: E402

CONFIG = IndexConfig()  # the settings' defaults, without importing chat
_NODE = {"object_store_memory": 100 * 1024**2, "node_ip_address": "127.0.0.1"}


def _rebuild(paragraphs, documents: int, embedder) -> dict:
    with tempfile.TemporaryDirectory() as folder, stopwatch() as elapsed:
        report = rebuild_index(paragraphs, DataDir(Path(folder) / "var"), embedder, CONFIG, documents, keep_versions=1,
                               progress=False)
        return {"embedded": report.embedded, "seconds": round(elapsed(), 1)}


def _on_cluster(paragraphs, documents: int, nodes: int) -> dict:
    from ray.cluster_utils import Cluster

    cpus = os.cpu_count() or 1
    cluster = Cluster(initialize_head=True, head_node_args={**_NODE, "num_cpus": cpus // nodes, "include_dashboard": False})
    try:
        for _ in range(nodes - 1):
            cluster.add_node(**_NODE, num_cpus=cpus // nodes)
        cluster.wait_for_nodes(timeout=60)
        with RayEmbedder(cluster.address) as embedder:
            result = _rebuild(paragraphs, documents, embedder)
            result["actors"] = embedder.actors
            result["retried_batches"] = embedder.retried_batches
    finally:
        cluster.shutdown()
    return {"where": f"Ray, {nodes} node{'s' * (nodes > 1)}", **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    arguments = parser.parse_args()
    reading = read_corpus(arguments.corpus)
    paragraphs = [p for d in reading.documents for p in split_paragraphs(d, CONFIG.max_words)]
    documents = len(reading.documents)
    print(json.dumps({"paragraphs": len(paragraphs), "documents": documents, "cpus": os.cpu_count()}), flush=True)
    local = LazyEmbedder(None, lambda: Embedder(threads=1))
    print(json.dumps({"where": "this machine, no Ray", **_rebuild(paragraphs, documents, local)}), flush=True)
    for nodes in (1, 2):
        print(json.dumps(_on_cluster(paragraphs, documents, nodes)), flush=True)


if __name__ == "__main__":
    main()
