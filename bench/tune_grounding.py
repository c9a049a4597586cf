"""Calibrate ``llm_min_support``: how close a generated sentence must be to a sentence of the
paragraph it cites (all-MiniLM-L6-v2 cosine) to count as supported by it.

    python -m bench.tune_grounding --data ../shared/data/squad-dev [--per-half 1500]

No LLM writes the claims (none is available to CI, and a model's prose would tune the value to
that model): a claim is what an answer to a SQuAD v1.1 dev question says, the question read
with its gold answer ("Which NFL team represented the AFC at Super Bowl 50: Denver Broncos.").

* **supported**: the claim against the sentences of its gold paragraph;
* **unsupported**: the same claim against the sentences of another paragraph of the same
  article (same topic, same names, another fact: the hard case for a similarity check).

A claim's score is its best cosine with any of those sentences. The articles are split by
sorted title (even positions DEV, odd TEST, as bench/tune_quality.py does); the threshold
that best separates the two on DEV (most supported kept minus unsupported kept, Youden's J)
is chosen, then reported on TEST. Prints the figures for docs/generation.md.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np

from index import Embedder
from ingest import split_sentences


def claim(question: str, answer: str) -> str:
    """What an answer to ``question`` says, written as one sentence."""
    return f"{question.strip().rstrip('?')}: {answer.strip()}."


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def pairs(data: Path, per_half: int, seed: int) -> dict[str, list[tuple[str, str, str]]]:
    """``{"dev"|"test": [(claim, gold paragraph id, other paragraph id)]}``, at most ``per_half`` each."""
    documents = {d["id"]: d for d in read_jsonl(data / "corpus.jsonl")}
    by_title: dict[str, list[str]] = defaultdict(list)
    for doc_id, document in documents.items():
        by_title[document["title"]].append(doc_id)
    half = {title: ("dev", "test")[position % 2] for position, title in enumerate(sorted(by_title))}
    questions = {q["id"]: q["text"] for q in read_jsonl(data / "queries.jsonl")}
    answers = {a["id"]: a["answers"][0] for a in read_jsonl(data / "answers.jsonl") if a["answers"]}
    gold = {}
    for line in open(data / "qrels.tsv", encoding="utf-8").read().splitlines()[1:]:
        query, doc_id, _ = line.split("\t")
        gold[query] = doc_id
    found: dict[str, list[tuple[str, str, str]]] = {"dev": [], "test": []}
    for query, doc_id in sorted(gold.items()):
        siblings = by_title[documents[doc_id]["title"]]
        if query not in answers or len(siblings) < 2:
            continue
        other = siblings[(siblings.index(doc_id) + 1) % len(siblings)]
        found[half[documents[doc_id]["title"]]].append((claim(questions[query], answers[query]), doc_id, other))
    rng = random.Random(seed)
    return {name: rng.sample(items, min(per_half, len(items))) for name, items in found.items()}


def best_cosines(embedder: Embedder, documents: dict[str, str], items: list[tuple[str, str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Each claim's best cosine with a sentence of its gold paragraph, and of the other one."""
    needed = sorted({doc for _, gold, other in items for doc in (gold, other)})
    sentences = {doc: [documents[doc][s:e] for s, e in split_sentences(documents[doc])] for doc in needed}
    flat = [text for doc in needed for text in sentences[doc]]
    vectors = embedder.encode(flat, threads=0)
    rows, start = {}, 0
    for doc in needed:
        rows[doc] = vectors[start : start + len(sentences[doc])]
        start += len(sentences[doc])
    claims = embedder.encode([c for c, _, _ in items], threads=0)
    supported = np.array([float((rows[gold] @ v).max()) for v, (_, gold, _) in zip(claims, items)])
    unsupported = np.array([float((rows[other] @ v).max()) for v, (_, _, other) in zip(claims, items)])
    return supported, unsupported


def youden_threshold(supported: np.ndarray, unsupported: np.ndarray) -> float:
    """The threshold (to 0.01) keeping the most supported claims minus unsupported ones kept."""
    grid = np.round(np.arange(0.2, 0.95, 0.01), 2)
    gains = [(supported >= t).mean() - (unsupported >= t).mean() for t in grid]
    return float(grid[int(np.argmax(gains))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/squad-dev"))
    parser.add_argument("--per-half", type=int, default=1500, help="Questions sampled from each half.")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    documents = {d["id"]: d["text"] for d in read_jsonl(args.data / "corpus.jsonl")}
    embedder = Embedder()
    halves = pairs(args.data, args.per_half, args.seed)
    scores = {name: best_cosines(embedder, documents, items) for name, items in halves.items()}
    threshold = youden_threshold(*scores["dev"])
    print(f"threshold chosen on DEV: {threshold:.2f}\n")
    print("| half | claims | supported kept | unsupported (other paragraph) dropped |")
    print("|---|---|---|---|")
    for name, (supported, unsupported) in scores.items():
        print(f"| {name.upper()} | {len(supported)} | {(supported >= threshold).mean():.1%} | {(unsupported < threshold).mean():.1%} |")


if __name__ == "__main__":
    main()
