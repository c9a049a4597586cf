"""Calibrate ``min_score`` and ``max_doubt`` for pooled sentence vectors on DEV halves, and report both modes on TEST.

    python -m bench.tune_pooled --out var/quality

Pooled sentence vectors (``sentence_vectors = "pooled"``, one model pass per paragraph) carry their
paragraph's context, so their evidence and doubt sit a little off those of sentences embedded alone,
which ``bench/tune_quality.py`` and ``bench/tune_answers.py`` calibrated. On the DEV halves only:

1. ``min_score``: as tune_quality chooses it (the highest threshold, in steps of 0.01, refusing at
   most 1% of the SQuAD v1.1 DEV questions against an index of the DEV articles), at the shipped
   ``coverage_weight``.
2. ``max_doubt``: the reference is sentences embedded alone at their calibrated values
   (``--reference-min-score``, ``--reference-max-doubt``). Of the ``DOUBT_GRID``, pooled vectors take
   the value whose five DEV figures (SQuAD 2.0 answerable refused, unanswerable refused and answer
   first; SQuAD v1.1 answerable refused and answer first) are closest to the reference's: the
   smallest largest difference. The doubt model is the shipped one for both.

Then the TEST halves, never used to choose, side by side: the reference and pooled at the chosen
values, and pooled's whole curve. Splits as tune_answers writes them (``--out/<set>/{dev,test}``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.squad import SQUAD
from bench.tune_answers import DOUBT_GRID, Outcomes
from bench.tune_quality import Evidence, encoded, half_index, threshold_for
from chat.beir import read_queries
from chat.doubt import DoubtModel, shipped_model
from chat.evaluation import corpus_index
from chat.settings import Settings
from index import Embedder

FIGURES = (
    ("squad2-dev", "answerable refused"), ("squad2-dev", "unanswerable refused"), ("squad2-dev", "answer first"),
    ("squad-dev", "answerable refused"), ("squad-dev", "answer first"),
)


def calibrated_min_score(squad_split: Path, embedder: Embedder, settings: Settings) -> float:
    """tune_quality's threshold: the highest refusing at most 1% of DEV questions against the DEV articles."""
    dev = {"queries": read_queries(squad_split / "dev" / "queries.jsonl")}
    dev["vectors"] = encoded(embedder, dev["queries"], squad_split / "dev" / "query_vectors.npy")
    documents = {json.loads(line)["id"] for line in open(squad_split / "dev" / "corpus.jsonl", encoding="utf-8")}
    full = corpus_index(SQUAD / "corpus.jsonl", None, embedder, settings)
    dev_index = half_index(full, {p.doc_id for p in full.paragraphs if p.doc_id in documents}, settings)
    return threshold_for(Evidence(dev_index, dev, settings).scores(settings), 0.01)


def figures(out: Path, half: str, embedder: Embedder, settings: Settings, model: DoubtModel) -> dict[str, dict]:
    """Per ``max_doubt`` of the grid: the figures of ``FIGURES`` on ``half`` of both collections."""
    outcomes = {data.name: Outcomes(data, out / data.name / half, embedder, settings) for data in (SQUAD.parent / "squad2-dev", SQUAD)}
    return {
        f"{t:.2f}": {(name, figure): outcomes[name].at(model, t)[figure] for name, figure in FIGURES} for t in DOUBT_GRID
    }


def row(label: str, point: dict) -> str:
    return f"  {label:<28}" + "  ".join(f"{name} {figure} {100 * point[(name, figure)]:.1f}%" for name, figure in FIGURES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/quality"), help="Where tune_answers wrote the splits.")
    parser.add_argument("--reference-min-score", type=float, default=0.40, help="min_score calibrated for sentences embedded alone.")
    parser.add_argument("--reference-max-doubt", type=float, default=0.84, help="max_doubt calibrated for sentences embedded alone.")
    args = parser.parse_args()
    model = shipped_model()
    embedder = Embedder("", 32, 1)
    reference = Settings().with_overrides(sentence_vectors="alone", min_score=args.reference_min_score)
    pooled = Settings().with_overrides(sentence_vectors="pooled")
    pooled = pooled.with_overrides(min_score=calibrated_min_score(args.out / "squad-dev", embedder, pooled))
    print(f"pooled min_score (DEV, at most 1% of answerable refused): {pooled.min_score:.2f}", flush=True)

    wanted = f"{args.reference_max_doubt:.2f}"
    reference_dev = figures(args.out, "dev", embedder, reference, model)[wanted]
    pooled_dev = figures(args.out, "dev", embedder, pooled, model)
    distance = {t: max(abs(point[k] - reference_dev[k]) for k in reference_dev) for t, point in pooled_dev.items()}
    chosen = min(distance, key=distance.get)
    print(f"pooled max_doubt (DEV figures closest to the reference's): {chosen} (largest difference {distance[chosen]:.4f})")
    print("DEV:\n" + row(f"alone, max_doubt {wanted}", reference_dev) + "\n" + row(f"pooled, max_doubt {chosen}", pooled_dev[chosen]))

    reference_test = figures(args.out, "test", embedder, reference, model)[wanted]
    pooled_test = figures(args.out, "test", embedder, pooled, model)
    print("TEST (held out):\n" + row(f"alone, max_doubt {wanted}", reference_test) + "\n" + row(f"pooled, max_doubt {chosen}", pooled_test[chosen]))
    print("TEST, pooled, every max_doubt:")
    for t, point in pooled_test.items():
        print(row(f"max_doubt {t}", point))


if __name__ == "__main__":
    main()
