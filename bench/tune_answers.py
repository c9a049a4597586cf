"""Fit the doubt model and choose ``max_doubt`` on DEV halves, never on the halves reported.

    python -m bench.tune_answers --out var/quality

1. Split SQuAD 2.0 dev and SQuAD v1.1 dev by article (``tune_quality.split_by_title``:
   sorted titles, even positions DEV, odd TEST) under ``--out/squad2-dev`` and ``--out/squad-dev``.
2. On the SQuAD 2.0 DEV questions against the whole SQuAD 2.0 corpus, the signals of the
   sentence that would open each answer (``chat.composer.opening_signals``) are fitted by
   logistic regression to "this question is unanswerable"; the model is written to
   ``chat/doubt_model.json``.
3. Every ``max_doubt`` on a grid is scored on the DEV halves: SQuAD 2.0 answerable and
   unanswerable refused, SQuAD v1.1 answer in the first sentence. The chosen value refuses
   the most unanswerable questions while refusing at most ``--max-refused`` of the
   answerable ones and keeping the answer first for at least ``--min-answer-first`` of the
   v1.1 questions.

Writes ``answers.json`` under ``--out`` (the curve and the choice); the TEST halves are then
reported with ``citewise eval`` (docs/quality.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.squad import SQUAD
from bench.tune_quality import UNANSWERABLE_FILE, encoded, split_by_title
from chat.beir import read_answers, read_ids, read_queries
from chat.composer import Reading, compose_parts, opening_signals
from chat.doubt import MODEL_FILE, SIGNALS, DoubtModel
from chat.evaluation import corpus_index
from chat.question import Part, wanted_kind
from chat.settings import Settings
from index import SENTENCE_VECTOR_MODES, Embedder

DOUBT_GRID = tuple(round(t, 2) for t in np.arange(0.30, 1.001, 0.02))


class Outcomes:
    """Each DEV question of one collection, searched and answered once with no doubt limit:
    whether a rule refused it, its answer's figures, and the signals of its opening sentence
    (with the question, that sentence and its paragraph as text, for a reading model to learn from)."""

    def __init__(self, data: Path, half: Path, embedder: Embedder, settings: Settings) -> None:
        index = corpus_index(data / "corpus.jsonl", None, embedder, settings)
        queries, answers = read_queries(half / "queries.jsonl"), read_answers(half / "answers.jsonl")
        unanswerable = read_ids(half / UNANSWERABLE_FILE) if (half / UNANSWERABLE_FILE).exists() else set()
        vectors = encoded(embedder, queries, half / "query_vectors.npy")
        s = settings.with_overrides(max_doubt=1.0)
        hits = index.search_many(vectors, list(queries.values()), s.top_k, s.fusion, s.lexical_weight, s.candidates, progress=True)
        self.unanswerable = np.array([q in unanswerable for q in queries])
        self.ids, self.questions = list(queries), list(queries.values())
        self.signals, self.answered, self.first, self.reply = [], [], [], []
        self.opening: list[str | None] = []  # the answer's opening stretch, None when refused
        self.passage: list[str | None] = []  # the paragraph it quotes
        for (query, text), vector, found in zip(queries.items(), vectors, hits):
            reading = Reading(Part(text, wanted_kind(text)), found, vector, text)
            answer = compose_parts(text, index, [reading], s)
            wanted = [a.lower() for a in answers.get(query, [])]
            self.answered.append(answer.answered)
            self.first.append(answer.answered and any(a in answer.first_sentence().lower() for a in wanted))
            self.reply.append(answer.answered and any(a in answer.answer.lower() for a in wanted))
            self.signals.append(opening_signals(index, reading, s) if answer.answered else None)
            cited = answer.citations[0] if answer.answered else None
            self.opening.append(cited.text[slice(*cited.spans[0])] if cited else None)
            self.passage.append(cited.text if cited else None)
        self.answered, self.first, self.reply = (np.array(x) for x in (self.answered, self.first, self.reply))

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Signals and labels (unanswerable) of the questions no rule refused."""
        rows = [i for i, s in enumerate(self.signals) if s is not None]
        return np.array([[self.signals[i][name] for name in SIGNALS] for i in rows]), self.unanswerable[rows]

    def at(self, model: DoubtModel, max_doubt: float) -> dict[str, float]:
        kept = np.array([s is not None and model.doubt(s) <= max_doubt for s in self.signals]) & self.answered
        answerable = ~self.unanswerable
        figures = {
            "answerable refused": float(1 - kept[answerable].mean()),
            "answer first": float((self.first & kept)[answerable].mean()),
            "answer in reply": float((self.reply & kept)[answerable].mean()),
        }
        if self.unanswerable.any():
            figures["unanswerable refused"] = float(1 - kept[self.unanswerable].mean())
        return figures


def standardised_logistic(features: np.ndarray, labels: np.ndarray):
    """Logistic regression of ``labels`` on ``features`` standardised: the mean, the scale and the regression."""
    from sklearn.linear_model import LogisticRegression  # scikit-learn comes with sentence-transformers

    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a signal that never varies on the data weighs nothing either way
    return mean, scale, LogisticRegression(C=1.0, max_iter=5000).fit((features - mean) / scale, labels)


def fit(features: np.ndarray, labels: np.ndarray, fitted_on: str) -> DoubtModel:
    mean, scale, regression = standardised_logistic(features, labels)
    return DoubtModel(
        tuple(mean.round(6)), tuple(scale.round(6)), tuple(regression.coef_[0].round(6)), round(float(regression.intercept_[0]), 6),
        fitted_on=fitted_on,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad2", type=Path, default=SQUAD.parent / "squad2-dev", help="SQuAD 2.0 dev in BEIR layout.")
    parser.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD v1.1 dev in BEIR layout.")
    parser.add_argument("--out", type=Path, default=Path("var/quality"), help="Where the splits and answers.json go.")
    parser.add_argument("--max-refused", type=float, default=0.10, help="Answerable SQuAD 2.0 DEV questions that may be refused.")
    parser.add_argument("--min-answer-first", type=float, default=0.70, help="SQuAD v1.1 DEV answer in the first sentence, at least.")
    parser.add_argument("--held-out", action="store_true", help="Only print the shipped model's curve on the TEST halves; choose nothing.")
    parser.add_argument("--sentence-vectors", choices=SENTENCE_VECTOR_MODES, default=Settings().sentence_vectors,
                        help="How the eval indexes embed sentences (the setting sentence_vectors).")
    args = parser.parse_args()
    settings = Settings().with_overrides(sentence_vectors=args.sentence_vectors)
    embedder = Embedder(settings.model, settings.batch_size, settings.cpu_threads)
    if args.held_out:
        model = DoubtModel.load(MODEL_FILE)
        halves = [(data.name, Outcomes(data, args.out / data.name / "test", embedder, settings)) for data in (args.squad2, args.squad)]
        for t in DOUBT_GRID:
            print(f"  max_doubt {t:.2f}  " + "  ".join(f"{name} TEST {outcomes.at(model, t)}" for name, outcomes in halves), flush=True)
        return
    for data in (args.squad2, args.squad):
        split_by_title(data, args.out / data.name)
    squad2 = Outcomes(args.squad2, args.out / args.squad2.name / "dev", embedder, settings)
    squad = Outcomes(args.squad, args.out / args.squad.name / "dev", embedder, settings)
    model = fit(*squad2.matrix(), fitted_on="SQuAD 2.0 dev, DEV half (articles at even positions of the sorted titles)")
    model.save(MODEL_FILE)
    curve = [{"max_doubt": t, "squad2": squad2.at(model, t), "squad": squad.at(model, t)} for t in DOUBT_GRID]
    for point in curve:
        print(f"  max_doubt {point['max_doubt']:.2f}  SQuAD 2.0 DEV {point['squad2']}  SQuAD v1.1 DEV {point['squad']}", flush=True)
    allowed = [
        p for p in curve
        if p["squad2"]["answerable refused"] <= args.max_refused and p["squad"]["answer first"] >= args.min_answer_first
    ]
    chosen = max(allowed, key=lambda p: p["squad2"]["unanswerable refused"]) if allowed else curve[-1]
    report = {"chosen": chosen, "weights": dict(zip(SIGNALS, model.weights)), "curve_dev": curve}
    (args.out / "answers.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"chosen": chosen, "weights": report["weights"]}, indent=2))


if __name__ == "__main__":
    main()
