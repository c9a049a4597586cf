"""The embedding backends side by side, in one run: speed, closeness to torch, and quality.

    PYTHONPATH=. python -m bench.backends --out var/backends

1. Speed, interleaved: one question on 1 thread (``cpu_threads``), and a batch of 208 SQuAD
   paragraphs on 2 threads, for torch, onnx (fp32) and onnx-int8.
2. Cosine of each backend's vectors to torch's, on SQuAD paragraphs and questions (mean, min).
3. Quality: SQuAD v1.1 dev TEST-half nDCG@10 against the full corpus (the split of
   bench/tune_quality.py), and what the answers give (answer first, refused), each backend on
   its own index; each build is timed (one after another, so only roughly comparable).
4. The article's question set (tests/data/article_questions.jsonl): each backend's answers and
   first citation, compared with torch's.

Prints one JSON object; --out keeps the splits, the exported models and the indexes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.squad import SQUAD
from bench.timing import interleaved, summary
from bench.tune_quality import split_by_title
from chat.beir import read_answers, read_qrels, read_queries
from chat.engine import Engine
from chat.evaluation import answer_figures, corpus_index, run_queries
from chat.settings import Settings
from index import BACKENDS, DataDir, Embedder, evaluate_run, rebuild_corpus

REPO = Path(__file__).resolve().parents[1]
_BATCH = 208
_BATCH_THREADS = 2


def _cosines(vectors: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    cosine = np.sum(vectors * reference, axis=1)
    return {"mean": round(float(cosine.mean()), 4), "min": round(float(cosine.min()), 4)}


def speed(embedders: dict[str, Embedder], questions: list[str], paragraphs: list[str], batch_rounds: int) -> dict:
    """p50 of one question on the serving thread count, and of a 208-paragraph batch on 2 threads."""
    for embedder in embedders.values():
        embedder.encode(questions[:5])
        embedder.encode(paragraphs[:_BATCH], threads=_BATCH_THREADS)
    asked: dict[str, list[float]] = {name: [] for name in embedders}
    for number, question in enumerate(questions):
        samples = interleaved({name: (lambda e=e: e.encode([question])) for name, e in embedders.items()}, 1, offset=number)
        for name, times in samples.items():
            asked[name] += times
    batch = interleaved(
        {name: (lambda e=e: e.encode(paragraphs[:_BATCH], threads=_BATCH_THREADS)) for name, e in embedders.items()}, batch_rounds
    )
    return {
        name: {"question": summary(asked[name]), f"batch_{_BATCH}_on_{_BATCH_THREADS}_threads": summary(batch[name])}
        for name in embedders
    }


def closeness(embedders: dict[str, Embedder], questions: list[str], paragraphs: list[str]) -> dict:
    reference = {kind: embedders["torch"].encode(texts) for kind, texts in (("questions", questions), ("paragraphs", paragraphs))}
    return {
        name: {kind: _cosines(embedder.encode(texts), reference[kind]) for kind, texts in (("questions", questions), ("paragraphs", paragraphs))}
        for name, embedder in embedders.items() if name != "torch"
    }


def squad_quality(embedders: dict[str, Embedder], out: Path, settings: Settings) -> dict:
    split_by_title(SQUAD, out / "split")
    test = out / "split" / "test"
    queries, qrels, answers = read_queries(test / "queries.jsonl"), read_qrels(test / "qrels.tsv"), read_answers(test / "answers.jsonl")
    figures = {}
    for name, embedder in embedders.items():
        started = time.perf_counter()
        index = corpus_index(SQUAD / "corpus.jsonl", out / f"index-{name}", embedder, settings.with_overrides(backend=name))
        built = time.perf_counter() - started
        vectors = embedder.encode(list(queries.values()), threads=0)
        results = run_queries(index, queries, vectors, settings, depth=10, progress=False)
        ranking = evaluate_run({query: dict(result.ranking) for query, result in results.items()}, qrels)
        figures[name] = {
            "build_or_reuse_s": round(built, 1),
            "nDCG@10": round(ranking["nDCG@10"], 4),
            "recall@1": round(ranking["recall@1"], 4),
            **{key: round(value, 4) for key, value in answer_figures(results, answers, set()).items()},
        }
    return {"test_questions": len(queries), "paragraphs": len(index), "backends": figures}


def article_answers(embedders: dict[str, Embedder], out: Path, settings: Settings) -> dict:
    questions = [json.loads(line)["question"] for line in open(REPO / "tests/data/article_questions.jsonl", encoding="utf-8") if line.strip()]
    for name in ("out_of_corpus.txt", "near_domain.txt"):
        questions += [line for line in (REPO / "tests/data" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    replies = {}
    for name, embedder in embedders.items():
        data_dir = DataDir(out / f"article-{name}")
        on_backend = settings.with_overrides(data_dir=data_dir.root, backend=name)
        if data_dir.current() is None:
            rebuild_corpus(REPO / "corpus", data_dir, on_backend.index_config(), embedder, keep_versions=1, progress=False)
        engine = Engine.from_settings(on_backend, embedder)
        replies[name] = [(a.answered, a.answer, [c.paragraph for c in a.citations][:1]) for a in map(engine.ask, questions)]
    return {
        "questions": len(questions),
        **{f"{name} same as torch": sum(r == t for r, t in zip(replies[name], replies["torch"])) for name in embedders if name != "torch"},
        "differences": {
            name: [{"question": q, "torch": t[1][:120], name: r[1][:120]} for q, r, t in zip(questions, replies[name], replies["torch"]) if r != t]
            for name in embedders if name != "torch"
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/backends"), help="Where splits, exported models and indexes go.")
    parser.add_argument("--questions", type=int, default=300, help="Questions timed one by one.")
    parser.add_argument("--batch-rounds", type=int, default=5, help="Rounds of the 208-paragraph batch.")
    parser.add_argument("--skip-quality", action="store_true", help="Speed and cosines only (no SQuAD or article indexes).")
    parser.add_argument("--skip-speed", action="store_true", help="Leave out the speed part.")
    parser.add_argument("--skip-cosine", action="store_true", help="Leave out the cosines to torch.")
    parser.add_argument("--quality-backends", nargs="+", choices=BACKENDS, default=list(BACKENDS),
                        help="Backends whose SQuAD and article indexes are built (torch, the reference, always is).")
    args = parser.parse_args()
    settings = Settings().with_overrides(data_dir=args.out)
    models_dir = DataDir(args.out).models_dir
    embedders = {name: Embedder(backend=name, models_dir=models_dir, threads=settings.cpu_threads) for name in BACKENDS}
    questions = [query["text"] for query in map(json.loads, open(SQUAD / "queries.jsonl", encoding="utf-8"))]
    paragraphs = [document["text"] for document in map(json.loads, open(SQUAD / "corpus.jsonl", encoding="utf-8"))]
    # Every 7th, so the samples span the articles rather than the first few.
    sampled_questions, sampled_paragraphs = questions[::7][: args.questions], paragraphs[::7]
    results = {} if args.skip_speed else {"speed": speed(embedders, sampled_questions, sampled_paragraphs, args.batch_rounds)}
    print(json.dumps(results, indent=1), flush=True)
    if not args.skip_cosine:
        results["cosine_to_torch"] = closeness(embedders, questions[::20], paragraphs[::8])
        print(json.dumps(results["cosine_to_torch"], indent=1), flush=True)
    if not args.skip_quality:
        built = {name: embedders[name] for name in BACKENDS if name == "torch" or name in args.quality_backends}
        results["squad_test"] = squad_quality(built, args.out, settings)
        print(json.dumps(results["squad_test"], indent=1), flush=True)
        results["article"] = article_answers(built, args.out, settings)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
