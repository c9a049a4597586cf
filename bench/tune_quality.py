"""Choose the fusion and the refusal threshold on a DEVELOPMENT half of SQuAD dev, never on test questions.

    python -m bench.tune_quality --data ../shared/data/squad-dev --out var/quality

1. Split SQuAD dev by article title (sorted titles; even positions DEV, odd TEST) and
   write both halves in BEIR layout under ``--out`` (``dev/`` and ``test/``), for
   `citewise eval` to report on.
2. Fusion: every method and weight is scored by nDCG@10 on the DEV questions against
   the full corpus; the best wins.
3. Refusals: answerable = DEV questions against an index of the DEV articles;
   unanswerable = TEST questions against that same index (their articles are absent).
   For each coverage weight, the threshold is the highest that refuses at most
   ``--max-refused`` of the answerable ones; the weight whose threshold refuses the
   most unanswerable ones wins. It is then checked on the held-out side: TEST questions against the TEST
   articles (answerable), DEV questions against them (unanswerable).

Writes ``tuning.json`` under ``--out`` and prints the tables for docs/quality.md.

    python -m bench.tune_quality --article

is the final test, never used to choose a value: the article's question set (gold
paragraphs) and its out-of-corpus and near-domain unanswerable questions, asked with
the configured settings. It prints hit@1, hit@3 and the refusals.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.squad import SQUAD
from chat.beir import read_ids, read_qrels, read_queries
from chat.composer import evidence
from chat.engine import embedder_for
from chat.evaluation import corpus_index, run_queries
from chat.settings import Settings
from index import Embedder, FaissStore, LexicalStore, SearchIndex, evaluate_run


REPO = Path(__file__).resolve().parent.parent
UNANSWERABLE_FILE = "unanswerable.txt"
TEST_DATA = REPO / "tests" / "data"
COVERAGE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
GRID = [("dense", 0.0), ("lexical", 1.0)] + [("linear", w / 10) for w in range(1, 10)] + [("rrf", w / 10) for w in range(3, 8)]


def article_of_questions(data: Path) -> dict[str, str]:
    """The title of each question's article, for a BEIR folder of SQuAD (the whole set or a half).

    A question with no judgment (SQuAD 2.0's unanswerable ones) belongs to the article of
    the question before it: SQuAD lists each paragraph's questions together.
    """
    documents = [json.loads(line) for line in open(data / "corpus.jsonl", encoding="utf-8") if line.strip()]
    title_of_doc = {d["id"]: d["title"] for d in documents}
    qrels = read_qrels(data / "qrels.tsv")
    articles: dict[str, str] = {}
    previous = None
    for query in read_queries(data / "queries.jsonl"):
        previous = title_of_doc[next(iter(qrels[query]))] if query in qrels else previous
        if previous is not None:
            articles[query] = previous
    return articles


def split_by_title(data: Path, out: Path) -> None:
    """Write ``out/dev`` and ``out/test``: each half's articles, questions, qrels and answers
    (and unanswerable ids, for SQuAD 2.0), split by ``article_of_questions``.
    """
    documents = [json.loads(line) for line in open(data / "corpus.jsonl", encoding="utf-8") if line.strip()]
    titles = sorted({d["title"] for d in documents})
    half = {title: ("dev", "test")[position % 2] for position, title in enumerate(titles)}
    half_of_doc = {d["id"]: half[d["title"]] for d in documents}
    qrels = read_qrels(data / "qrels.tsv")
    half_of_query = {query: half[title] for query, title in article_of_questions(data).items()}
    unanswerable = read_ids(data / UNANSWERABLE_FILE) if (data / UNANSWERABLE_FILE).exists() else set()
    for name in ("dev", "test"):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "corpus.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in documents if half_of_doc[d["id"]] == name)
        with open(folder / "qrels.tsv", "w", encoding="utf-8") as handle:
            handle.write("query-id\tcorpus-id\tscore\n")
            handle.writelines(
                f"{q}\t{doc}\t{grade}\n" for q, docs in qrels.items() if half_of_query[q] == name for doc, grade in docs.items()
            )
        for source in ("queries.jsonl", "answers.jsonl"):
            with open(data / source, encoding="utf-8") as lines, open(folder / source, "w", encoding="utf-8") as handle:
                handle.writelines(line for line in lines if half_of_query.get(json.loads(line)["id"]) == name)
        if unanswerable:
            (folder / UNANSWERABLE_FILE).write_text("".join(f"{q}\n" for q in sorted(unanswerable) if half_of_query.get(q) == name))


def choose_fusion(index, queries, vectors, qrels, settings: Settings) -> tuple[Settings, list[dict]]:
    """Score every grid point on the DEV questions; return the best settings and the table."""
    print("fusion, DEV questions against the full corpus:")
    table = []
    for fusion, weight in GRID:
        trial = settings.with_overrides(fusion=fusion, lexical_weight=weight)
        results = run_queries(index, queries, vectors, trial, depth=10, progress=False)
        figures = evaluate_run({q: dict(r.ranking) for q, r in results.items()}, qrels)
        table.append({"fusion": fusion, "lexical_weight": weight, **figures})
        print(f"  {fusion:<8} {weight:.1f}  nDCG@10 {figures['nDCG@10']:.4f}  recall@1 {figures['recall@1']:.4f}", flush=True)
    best = max(table, key=lambda row: row["nDCG@10"])
    return settings.with_overrides(fusion=best["fusion"], lexical_weight=best["lexical_weight"]), table


def half_index(full: SearchIndex, documents: set[str], settings: Settings) -> SearchIndex:
    """The index of only ``documents``, assembled from the full one's vectors instead of embedding
    again (the model is deterministic, so the vectors are the ones a build would compute), its dense
    index built and searched as ``settings`` say; BM25 is rebuilt over the kept paragraphs, so its
    statistics are the half's own."""
    rows = [r for r, p in enumerate(full.paragraphs) if p.doc_id in documents]
    dense = FaissStore(full.dense.dimension, options=settings.index_config().dense_options())
    dense.add(full.dense.vectors(np.array(rows)))
    settings.search_options().apply_to(dense)
    sentences = np.concatenate([full.sentence_vectors[full.offsets[r] : full.offsets[r + 1]] for r in rows])
    paragraphs = [full.paragraphs[r] for r in rows]
    manifest = replace(full.manifest, documents=len(documents), paragraphs=len(rows), sentences=len(sentences))
    lexical = LexicalStore.build([p.search_text() for p in paragraphs])
    return SearchIndex(manifest, paragraphs, [full.spans[r] for r in rows], dense, lexical, sentences)


def encoded(embedder: Embedder, queries: dict[str, str], cache: Path) -> np.ndarray:
    """The queries' vectors, kept in ``cache`` so a second run does not embed them again."""
    if cache.exists():
        return np.load(cache)
    vectors = embedder.encode(list(queries.values()), progress=True)
    np.save(cache, vectors)
    return vectors


class Evidence:
    """Evidence scores of a query set against one index, searched once and re-scored per setting."""

    def __init__(self, index: SearchIndex, half: dict, settings: Settings) -> None:
        s = settings
        self.index, self.texts, self.vectors = index, list(half["queries"].values()), half["vectors"]
        self.hits = index.search_many(self.vectors, self.texts, s.top_k, s.fusion, s.lexical_weight, s.candidates, progress=True)

    def scores(self, settings: Settings) -> np.ndarray:
        return np.array([evidence(self.index, h, v, t, settings) for h, v, t in zip(self.hits, self.vectors, self.texts)])


def threshold_for(answerable: np.ndarray, max_refused: float) -> float:
    """The highest threshold, in steps of 0.01, refusing at most ``max_refused`` of ``answerable``."""
    return float(np.floor(np.quantile(answerable, max_refused) * 100) / 100)


def refusal_rates(answerable: np.ndarray, unanswerable: np.ndarray, threshold: float) -> dict[str, float]:
    return {
        "answerable_refused": float(np.mean(answerable < threshold)),
        "unanswerable_refused": float(np.mean(unanswerable < threshold)),
    }


def article_figures(data_dir: Path) -> dict[str, str]:
    """hit@1, hit@3 and refusals on the article's test questions, with the configured settings."""
    from chat.engine import Engine
    from index import DataDir, rebuild_corpus

    settings = Settings().with_overrides(data_dir=data_dir)
    embedder = embedder_for(settings)
    if DataDir(data_dir).current() is None:
        rebuild_corpus(REPO / "corpus", DataDir(data_dir), settings.index_config(), embedder, keep_versions=1)
    engine = Engine.from_settings(settings, embedder)
    questions = [json.loads(line) for line in open(TEST_DATA / "article_questions.jsonl", encoding="utf-8") if line.strip()]
    answers = [engine.ask(q["question"]) for q in questions]
    cited = [[c.paragraph for c in a.citations] for a in answers]
    figures = {
        "hit@1": sum(bool(c) and c[0] in q["gold"] for q, c in zip(questions, cited)),
        "hit@3": sum(bool(set(c[:3]) & set(q["gold"])) for q, c in zip(questions, cited)),
        "answerable refused": sum(not a.answered for a in answers),
    }
    for name in ("out_of_corpus.txt", "near_domain.txt"):
        asked = [line for line in (TEST_DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        refused = sum(not engine.ask(question).answered for question in asked)
        figures[f"{name} refused"] = f"{refused}/{len(asked)}"
    return {name: f"{value}/{len(questions)}" if isinstance(value, int) else value for name, value in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SQUAD, help="SQuAD dev in BEIR layout.")
    parser.add_argument("--out", type=Path, default=Path("var/quality"), help="Where the splits, indexes and tuning.json go.")
    parser.add_argument("--max-refused", type=float, default=0.01, help="Answerable DEV questions the threshold may refuse.")
    parser.add_argument("--keep-fusion", action="store_true", help="Keep the configured fusion (chosen by an earlier run); only calibrate.")
    parser.add_argument("--article", action="store_true", help="Only the final test on the article's question sets.")
    args = parser.parse_args()
    if args.article:
        print(json.dumps(article_figures(args.out / "index-article"), indent=2))
        return

    split_by_title(args.data, args.out)
    settings = Settings()
    embedder = embedder_for(settings)
    dev, test = ({"queries": read_queries(args.out / h / "queries.jsonl"), "qrels": read_qrels(args.out / h / "qrels.tsv")} for h in ("dev", "test"))
    for name, half in (("dev", dev), ("test", test)):
        half["vectors"] = encoded(embedder, half["queries"], args.out / name / "query_vectors.npy")

    full = corpus_index(args.data / "corpus.jsonl", args.out / "index-full", embedder, settings)
    grid = []
    if not args.keep_fusion:
        settings, grid = choose_fusion(full, dev["queries"], dev["vectors"], dev["qrels"], settings)
    dev_documents = {json.loads(line)["id"] for line in open(args.out / "dev" / "corpus.jsonl", encoding="utf-8")}

    dev_index = half_index(full, {p.doc_id for p in full.paragraphs if p.doc_id in dev_documents}, settings)
    answerable, unanswerable = Evidence(dev_index, dev, settings), Evidence(dev_index, test, settings)
    print("refusals, DEV: answerable DEV questions, unanswerable TEST questions, against the DEV articles:")
    coverage_grid = []
    for weight in COVERAGE_WEIGHTS:
        trial = settings.with_overrides(coverage_weight=weight)
        scores = answerable.scores(trial), unanswerable.scores(trial)
        threshold = threshold_for(scores[0], args.max_refused)
        coverage_grid.append({"coverage_weight": weight, "min_score": threshold, **refusal_rates(*scores, threshold)})
        print(f"  coverage_weight {weight:.1f}  {coverage_grid[-1]}", flush=True)
    best = max(coverage_grid, key=lambda row: row["unanswerable_refused"])
    settings = settings.with_overrides(coverage_weight=best["coverage_weight"], min_score=best["min_score"])
    answerable, unanswerable = answerable.scores(settings), unanswerable.scores(settings)
    test_index = half_index(full, {p.doc_id for p in full.paragraphs if p.doc_id not in dev_documents}, settings)
    held_out = refusal_rates(
        Evidence(test_index, test, settings).scores(settings), Evidence(test_index, dev, settings).scores(settings), settings.min_score
    )
    report = {
        "split": "SQuAD dev articles by sorted title: even positions DEV, odd TEST",
        "chosen": {name: getattr(settings, name) for name in ("fusion", "lexical_weight", "coverage_weight", "min_score")},
        "fusion_grid_dev": grid,
        "coverage_grid_dev": coverage_grid,
        "refusal_calibration_dev": refusal_rates(answerable, unanswerable, settings.min_score),
        "refusal_held_out_test": held_out,
        "thresholds_dev": [
            {"min_score": t, **refusal_rates(answerable, unanswerable, t)} for t in np.round(np.arange(0.2, 0.61, 0.05), 2)
        ],
    }
    (args.out / "tuning.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("chosen", "refusal_calibration_dev", "refusal_held_out_test", "thresholds_dev")}, indent=2))


if __name__ == "__main__":
    main()
