"""Scale: synthetic corpora of 10k to 1M paragraphs, each measured in its own process.

Texts come from a seeded generator over a Zipf-distributed vocabulary of pseudo-words
(for BM25). Vectors are mixtures of real paragraph and sentence embeddings plus noise
(for FAISS); queries are real question embeddings that are not in the corpus. Nothing
here runs the model: embedding a real corpus of that size is extrapolated instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np

from bench import server_memory
from bench.timing import interleaved, peak_rss_mb, reset_peak_rss, size_mb, stopwatch, summary, timed
from chat.settings import Settings
from index import FaissOptions, FaissStore, LexicalStore, Manifest, SearchIndex

DEFAULTS = Settings()  # the fused search is timed as it is served

VOCABULARY = 50_000
ZIPF_EXPONENT = 1.07  # English word frequencies fall off about as 1/rank
WORDS_PER_PARAGRAPH = (30, 90)
QUERY_WORDS = 6
NOISE = 0.35  # length of the noise added to each mixed vector, before normalising
PROBE_SWEEP = (8, 16, 32, 48, 64, 96, 128)
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_CHUNK = 100_000
_EXACT_TIMED = 50  # single exact queries timed; at 1M each takes a while
SERVED_QUESTIONS = 50  # asked of each server variant: the first, then the timed ones


def _vocabulary(rng: np.random.Generator) -> list[str]:
    """``VOCABULARY`` distinct pseudo-words of 2-4 syllables, in random order (so rank is not length)."""
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        syllables = rng.integers(0, len(_SYLLABLES), (VOCABULARY, 4))
        lengths = rng.integers(2, 5, VOCABULARY)
        for row, length in zip(syllables.tolist(), lengths.tolist()):
            words.setdefault("".join(_SYLLABLES[i] for i in row[:length]))
    chosen = list(words)[:VOCABULARY]
    return [chosen[i] for i in rng.permutation(VOCABULARY)]


def synthetic_texts(count: int, queries: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """``count`` paragraphs and ``queries`` short questions over one Zipf vocabulary."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array(_vocabulary(rng))
    weights = 1 / np.arange(1, VOCABULARY + 1) ** ZIPF_EXPONENT
    weights /= weights.sum()

    def sentences(lengths: np.ndarray) -> list[str]:
        words = vocabulary[rng.choice(VOCABULARY, int(lengths.sum()), p=weights)].tolist()
        ends = np.cumsum(lengths)
        return [" ".join(words[end - length : end]) for end, length in zip(ends.tolist(), lengths.tolist())]

    texts = []
    for start in range(0, count, _CHUNK):
        texts += sentences(rng.integers(*WORDS_PER_PARAGRAPH, min(_CHUNK, count - start)))
    return texts, sentences(np.full(queries, QUERY_WORDS))


def synthetic_vectors(count: int, base: np.ndarray, seed: int = 11, out: np.ndarray | None = None) -> np.ndarray:
    """Unit vectors ``normalise(a + b/2 + noise)`` for random real embeddings ``a`` and ``b``,
    written into ``out`` if given (any float dtype, e.g. a memory-mapped file: millions of them
    need not fit in memory), else into a new float32 array."""
    rng = np.random.default_rng(seed)
    vectors = np.empty((count, base.shape[1]), dtype=np.float32) if out is None else out
    for start in range(0, count, _CHUNK):
        size = min(_CHUNK, count - start)
        mixed = base[rng.integers(0, len(base), size)] + 0.5 * base[rng.integers(0, len(base), size)]
        mixed += rng.standard_normal(mixed.shape).astype(np.float32) * (NOISE / np.sqrt(base.shape[1]))
        vectors[start : start + size] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return vectors


def _recall(store: FaissStore, truth: np.ndarray, queries: np.ndarray) -> float:
    """Share of the exact top ``truth.shape[1]`` rows that ``store`` finds, over ``queries``."""
    k = truth.shape[1]
    return float(np.mean([len(set(store.search(q, k)[0].tolist()) & set(t.tolist())) / k for q, t in zip(queries, truth)]))


def _single_query_times(search, queries: np.ndarray) -> dict[str, float]:
    return summary([timed(lambda q=q: search(q)) for q in queries])


def _search_times(index: SearchIndex, query_vectors: np.ndarray, query_texts: list[str]) -> dict[str, dict]:
    """p50/p95 of the dense side, the BM25 side and the whole fused search, timed alternately."""
    samples: dict[str, list[float]] = {"dense": [], "lexical": [], "fused": []}
    for number, (vector, text) in enumerate(zip(query_vectors, query_texts)):
        calls = {
            "dense": lambda: index.dense.search(vector, 50),
            "lexical": lambda: index.lexical.scores(text),
            "fused": lambda: index.search(vector, text, DEFAULTS.top_k, DEFAULTS.fusion, DEFAULTS.lexical_weight, DEFAULTS.candidates),
        }
        for name, seconds in interleaved(calls, 1, offset=number).items():
            samples[name] += seconds
    return {f"{name}_search": summary(values) for name, values in samples.items()}


def _against_exact(dense: FaissStore, vectors: np.ndarray, query_vectors: np.ndarray) -> dict:
    """Exact search's latency, and the recall@10 of ``dense`` against it (over a sweep of probes)."""
    exact = faiss.IndexFlatIP(vectors.shape[1])  # what FaissStore is below exact_search_limit
    exact.add(vectors)
    result = {"exact_search": _single_query_times(lambda q: exact.search(q.reshape(1, -1), 50), query_vectors[:_EXACT_TIMED])}
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # the reference top 10 of every query in one batch
    top_scores, truth = exact.search(query_vectors, 10)
    faiss.omp_set_num_threads(1)
    result["mean_top10_cosine"] = float(top_scores.mean())
    if dense.approximate:
        chosen = dense.probes
        result["recall_at_10"] = _recall(dense, truth, query_vectors)
        result["probe_sweep"] = []
        for probes in PROBE_SWEEP:
            dense.probes = probes
            latency = _single_query_times(lambda q: dense.search(q, 50), query_vectors)
            result["probe_sweep"].append({"probes": probes, "recall_at_10": _recall(dense, truth, query_vectors), **latency})
        dense.probes = chosen
    return result


def measure(size: int, base: np.ndarray, query_vectors: np.ndarray, folder: Path, options: FaissOptions, serving: bool) -> dict:
    """Build, save and search one synthetic corpus of ``size`` paragraphs (call in a fresh process);
    if ``serving``, save it as index versions too, in ``folder/serving``, for ``server_memory``."""
    reset_peak_rss()
    with stopwatch() as elapsed:
        texts, query_texts = synthetic_texts(size, len(query_vectors))
        vectors = synthetic_vectors(size, base)
        generate_seconds = elapsed()
    with stopwatch() as elapsed:
        lexical = LexicalStore.build(texts)
        lexical_seconds = elapsed()
    with stopwatch() as elapsed:
        dense = FaissStore(base.shape[1], options=options)
        dense.add(vectors)
        dense_seconds = elapsed()
    faiss.omp_set_num_threads(1)  # built with every core; searched as served (setting cpu_threads)
    folder.mkdir(parents=True, exist_ok=True)
    dense.save(folder)
    lexical.save(folder)
    manifest = Manifest("synthetic", "synthetic", base.shape[1], {}, "", size, size, 0)
    index = SearchIndex(manifest, [None] * size, [[]] * size, dense, lexical, np.zeros((0, base.shape[1]), np.float32))
    result = {
        "size": size,
        "dense_index": dense.describe(),
        "generate_seconds": generate_seconds,
        "lexical_build_seconds": lexical_seconds,
        "dense_build_seconds": dense_seconds,
        "dense_mb": size_mb(folder / FaissStore.FILE_NAME),
        "lexical_mb": size_mb(folder / LexicalStore.DIRECTORY),
        "text_mb": sum(len(t.encode()) + 1 for t in texts) / 2**20,
        **_search_times(index, query_vectors, query_texts),
        "peak_rss_mb": peak_rss_mb(),  # before the exact reference, which serving would not hold
    }
    result = {**result, **_against_exact(dense, vectors, query_vectors)}
    if serving:
        del vectors
        (folder / "serving").mkdir()
        (folder / "serving" / "questions.json").write_text(json.dumps(query_texts[:SERVED_QUESTIONS]))
        server_memory.write_versions(folder / "serving", texts, dense, lexical,
                                     lambda count, out: synthetic_vectors(count, base, seed=13, out=out))
        result["sentences_per_paragraph"] = server_memory.SENTENCES_PER_PARAGRAPH
    return result


def run(sizes: list[int], served: list[int], base: np.ndarray, query_vectors: np.ndarray, work: Path, options: FaissOptions) -> list[dict]:
    """Measure each size in a fresh process, so that its peak memory is its own; the sizes in
    ``served`` then serve in their own processes too (``server_memory``). Each size's files are
    removed once it is measured."""
    np.save(work / "scale-base.npy", base)
    np.save(work / "scale-queries.npy", query_vectors)
    results = []
    for size in sizes:
        out, folder = work / f"scale-{size}.json", work / f"scale-{size}"
        command = [sys.executable, "-m", "bench.scale", str(size), str(work), json.dumps(options.__dict__), str(out), str(size in served)]
        try:
            subprocess.run(command, check=True, cwd=Path(__file__).resolve().parent.parent)
            results.append(json.loads(out.read_text()))
            if size in served:
                questions = json.loads((folder / "serving" / "questions.json").read_text())
                results[-1]["server_memory"] = server_memory.measure(folder / "serving", questions)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"scale {size}: {results[-1]}", file=sys.stderr, flush=True)
    return results


def _main() -> None:
    size, work, options, out, serving = int(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), Path(sys.argv[4]), sys.argv[5] == "True"
    base, queries = np.load(work / "scale-base.npy"), np.load(work / "scale-queries.npy")
    result = measure(size, base, queries, work / f"scale-{size}", FaissOptions(**options), serving)
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    _main()
