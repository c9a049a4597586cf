"""Issue 9 feasibility: can a reading model trained here tell an answering sentence from a look-alike?

    PYTHONPATH=. python -m bench.train_reader collect
    PYTHONPATH=. python -m bench.train_reader train --variant full      # or: top2, lora
    PYTHONPATH=. python -m bench.train_reader evaluate --variant full [--test]

1. ``collect``: every question of the SQuAD 2.0 DEV and TEST halves and the SQuAD v1.1 DEV half
   is searched and answered once (``bench.tune_answers.Outcomes``), keeping the opening sentence
   and its paragraph; saved under ``var/reader/outcomes``.
2. ``train``: a cross-encoder (question [SEP] opening sentence, all-MiniLM-L6-v2's encoder with a
   linear head on the mean token) learns "this question is unanswerable" from the SQuAD 2.0 DEV
   questions no rule refused (plus, as answerable, the v1.1 DEV-half questions of articles that
   are not in SQuAD 2.0's TEST half), except the DEV articles held out to choose the epoch by.
   ``--variant`` says what is trained: ``full`` (every weight), ``top2`` (the last two layers and
   the head), ``lora`` (low-rank adapters on the attention, and the head; needs
   ``pip install peft==0.21.2``, which pulls no other torch; not measured yet).
3. ``evaluate``: the refusal curve of (a) the reader's score as the doubt and (b) the ten signals
   plus the reader's score (the logistic model refitted on DEV, as ``tune_answers.fit``),
   beside (c) the ten signals alone (the shipped ``chat/doubt_model.json``), at the points where
   5, 10, 15 and 20% of the answerable questions are refused; on the held-out DEV articles, or
   with ``--test`` once on the SQuAD 2.0 TEST half. Also the time of one reader call against one
   question embedding, interleaved, on one thread.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import random
import time
from pathlib import Path

import numpy as np

from bench.squad import SQUAD
from bench.tune_answers import Outcomes, standardised_logistic
from bench.tune_quality import article_of_questions
from chat.doubt import MODEL_FILE, SIGNALS, DoubtModel
from chat.settings import Settings
from index import Embedder, default_model_path

SQUAD2 = SQUAD.parent / "squad2-dev"
OUT = Path("var/reader")
QUALITY = Path("var/quality")
MAX_LENGTH = 128
REFUSED_ANSWERABLE = (0.05, 0.10, 0.15, 0.20)
VARIANTS = ("full", "top2", "lora")
HELD_OUT_SCORES = "held_out_scores.npy"


def outcomes(data: Path, half: str) -> Outcomes:
    """One half's outcomes, computed once and kept under ``var/reader/outcomes``."""
    cache = OUT / "outcomes" / f"{data.name}-{half}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    settings = Settings()
    embedder = Embedder(settings.model or None, settings.batch_size, settings.cpu_threads)
    found = Outcomes(data, QUALITY / data.name / half, embedder, settings)
    found.articles = [article_of_questions(QUALITY / data.name / half).get(q, "") for q in found.ids]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(found))
    return found


def collect() -> None:
    for data, half in ((SQUAD2, "dev"), (SQUAD2, "test"), (SQUAD, "dev")):
        started = time.perf_counter()
        found = outcomes(data, half)
        kept = sum(s is not None for s in found.signals)
        print(f"{data.name} {half}: {len(found.ids)} questions, {kept} answered by the rules, {time.perf_counter() - started:.0f} s", flush=True)


class Examples:
    """The questions of some outcomes that no rule refused: question, opening sentence (and its
    paragraph), label (1 = unanswerable), article and the ten signals."""

    def __init__(self, found: Outcomes, articles: set[str] | None = None, answerable_only: bool = False) -> None:
        rows = [
            i for i, s in enumerate(found.signals)
            if s is not None and (articles is None or found.articles[i] in articles) and not (answerable_only and found.unanswerable[i])
        ]
        self.rows = rows
        self.questions = [found.questions[i] for i in rows]
        self.sentences = [found.opening[i] for i in rows]
        self.paragraphs = [found.passage[i] for i in rows]
        self.labels = found.unanswerable[rows].astype(np.float32)
        self.signals = np.array([[found.signals[i][name] for name in SIGNALS] for i in rows]).reshape(len(rows), len(SIGNALS))

    def __len__(self) -> int:
        return len(self.questions)

    def second(self, context: str) -> list[str]:
        """What the reader reads after the question: the sentence, or the sentence then its paragraph."""
        if context == "sentence":
            return self.sentences
        return [f"{s} [SEP] {p}" for s, p in zip(self.sentences, self.paragraphs)]

    def extend(self, other: Examples) -> Examples:
        self.questions += other.questions
        self.sentences += other.sentences
        self.paragraphs += other.paragraphs
        self.labels = np.concatenate([self.labels, other.labels])
        self.signals = np.concatenate([self.signals, other.signals])
        return self


def dev_split(found: Outcomes) -> tuple[set[str], set[str]]:
    """The SQuAD 2.0 DEV articles to train on and those held out to choose by (every third, sorted)."""
    titles = sorted(set(found.articles) - {""})
    held_out = set(titles[2::3])
    return set(titles) - held_out, held_out


class Reader:
    """all-MiniLM-L6-v2's encoder reading (question, text) as a pair, mean-pooled, with a linear head:
    the logit that the question is unanswerable from the text."""

    def __init__(self, variant: str, context: str) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.variant, self.context = variant, context
        self.max_length = MAX_LENGTH if context == "sentence" else 2 * MAX_LENGTH
        path = default_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
        if variant == "lora":
            from peft import LoraConfig, get_peft_model

            self.encoder = get_peft_model(self.encoder, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.1, target_modules=["query", "value"]))
        elif variant == "top2":
            for name, weight in self.encoder.named_parameters():
                weight.requires_grad = any(f"encoder.layer.{n}." in name for n in (4, 5))

    def modules(self):
        return (self.encoder, self.head)

    def parameters(self):
        return [w for m in self.modules() for w in m.parameters() if w.requires_grad]

    def logits(self, questions: list[str], texts: list[str]):

        batch = self.tokenizer(questions, texts, truncation="only_second", max_length=self.max_length, padding=True, return_tensors="pt")
        tokens = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        return self.head((tokens * mask).sum(1) / mask.sum(1)).squeeze(-1)

    def scores(self, examples: Examples, batch_size: int = 64) -> np.ndarray:
        """The probability that each example's question is unanswerable."""
        import torch

        texts = examples.second(self.context)
        order = sorted(range(len(examples)), key=lambda i: len(examples.questions[i]) + len(texts[i]))
        found = np.zeros(len(examples), dtype=np.float32)
        for m in self.modules():
            m.eval()
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                found[rows] = torch.sigmoid(self.logits([examples.questions[i] for i in rows], [texts[i] for i in rows])).numpy()
        return found

    def trained_weights(self) -> dict:
        """What training changed (all of the encoder for ``full``): what would have to ship."""
        state = {f"encoder.{k}": v for k, v in self.encoder.named_parameters() if v.requires_grad}
        state.update({f"head.{k}": v for k, v in self.head.named_parameters()})
        return {k: v.detach().clone() for k, v in state.items()}

    def load_weights(self, state: dict) -> None:
        import torch

        with torch.no_grad():
            named = dict(self.encoder.named_parameters()) | {f"head.{k}": v for k, v in self.head.named_parameters()}
            for k, v in state.items():
                named[k.removeprefix("encoder.")].copy_(v)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def train(args) -> None:
    import torch

    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(args.threads)
    squad2 = outcomes(SQUAD2, "dev")
    training_articles, held_out_articles = dev_split(squad2)
    training, held_out = Examples(squad2, training_articles), Examples(squad2, held_out_articles)
    if args.with_v1:
        # v1.1's questions on articles SQuAD 2.0 never uses: more answerable examples, none from its TEST half
        squad = outcomes(SQUAD, "dev")
        training.extend(Examples(squad, set(squad.articles) - set(squad2.articles) - set(outcomes(SQUAD2, "test").articles)))
    print(f"training on {len(training)} pairs ({int(training.labels.sum())} unanswerable), choosing on {len(held_out)} "
          f"({int(held_out.labels.sum())}) of {len(held_out_articles)} held-out articles", flush=True)
    reader = Reader(args.variant, args.context)
    optimizer = torch.optim.AdamW(reader.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(training) / args.batch_size)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(step / warmup, max(0.0, (steps - step) / (steps - warmup))))
    loss_of = torch.nn.BCEWithLogitsLoss()
    texts = training.second(args.context)
    best, log, started = None, [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        for m in reader.modules():
            m.train()
        order = list(range(len(training)))
        random.shuffle(order)
        for start in range(0, len(order), args.batch_size):
            rows = order[start : start + args.batch_size]
            logits = reader.logits([training.questions[i] for i in rows], [texts[i] for i in rows])
            loss = loss_of(logits, torch.from_numpy(training.labels[rows]))
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            if (start // args.batch_size) % 20 == 0:
                print(f"  epoch {epoch} batch {start // args.batch_size} loss {loss.item():.3f} {time.perf_counter() - started:.0f} s", flush=True)
        scores = reader.scores(held_out)
        point = {"epoch": epoch, "held-out AUC": auc(scores, held_out.labels), "seconds": round(time.perf_counter() - started)}
        point |= {f"unanswerable refused at {f:.0%}": refused_at(scores, held_out.labels, f) for f in REFUSED_ANSWERABLE}
        log.append(point)
        print(json.dumps(point), flush=True)
        if best is None or point["held-out AUC"] > best[0]["held-out AUC"]:
            best = (point, reader.trained_weights(), scores)
    folder = OUT / run_name(args)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(best[1], folder / "weights.pt")
    np.save(folder / HELD_OUT_SCORES, best[2])  # evaluate reads them instead of scoring the held-out pairs again
    trained = sum(v.numel() for v in best[1].values())
    report = {"chosen": best[0], "epochs": log, "trained parameters": trained, "weights MB": round((folder / "weights.pt").stat().st_size / 1e6, 2),
              "training seconds": round(time.perf_counter() - started), "args": {k: str(v) for k, v in vars(args).items()}}
    (folder / "training.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def refused_at(scores: np.ndarray, unanswerable: np.ndarray, answerable_refused: float) -> float:
    """Among pairs scored (no rule refused them), the unanswerable share refused by the
    strictest threshold that refuses at most ``answerable_refused`` of the answerable ones."""
    answerable = np.sort(scores[unanswerable == 0])[::-1]
    allowed = int(answerable_refused * len(answerable))
    threshold = answerable[allowed] if allowed < len(answerable) else -np.inf
    return float((scores[unanswerable == 1] > threshold).mean())


def in_half(found: Outcomes, examples: Examples, scores: np.ndarray, articles: set[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Scores over every question of the half (or its ``articles``): a question a rule refused is
    refused whatever its score (infinite); with their labels."""
    everything = np.full(len(found.ids), np.inf)
    everything[examples.rows] = scores
    chosen = [i for i in range(len(found.ids)) if articles is None or found.articles[i] in articles]
    return everything[chosen], found.unanswerable[chosen].astype(np.float32)


def curve(scores: np.ndarray, unanswerable: np.ndarray) -> dict[str, float | None]:
    """Unanswerable refused where 5, 10, 15, 20% of the answerable questions are refused (None
    where the rules alone refuse more)."""
    points = {}
    for f in REFUSED_ANSWERABLE:
        answerable = np.sort(scores[unanswerable == 0])[::-1]
        allowed = int(f * len(answerable))
        points[f"{f:.0%}"] = None if np.isinf(answerable[allowed]) else round(refused_at(scores, unanswerable, f), 4)
    return points


def threshold_at(scores: np.ndarray, unanswerable: np.ndarray, answerable_refused: float) -> float:
    return float(np.sort(scores[unanswerable == 0])[::-1][int(answerable_refused * (unanswerable == 0).sum())])


def refusals(scores: np.ndarray, unanswerable: np.ndarray, threshold: float) -> dict[str, float]:
    refused = scores > threshold
    return {"answerable refused": round(float(refused[unanswerable == 0].mean()), 4),
            "unanswerable refused": round(float(refused[unanswerable == 1].mean()), 4)}


class Logistic:
    """``tune_answers.fit``'s standardised logistic regression, over any number of signals."""

    def __init__(self, features: np.ndarray, labels: np.ndarray) -> None:
        self.mean, self.scale, self.regression = standardised_logistic(features, labels)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return self.regression.predict_proba((features - self.mean) / self.scale)[:, 1]


def load_reader(args) -> Reader:
    import torch

    reader = Reader(args.variant, args.context)
    reader.load_weights(torch.load(OUT / run_name(args) / "weights.pt"))
    return reader


def latency(reader: Reader, questions: list[str], sentences: list[str], repeats: int = 40) -> dict[str, float]:
    """Milliseconds (median) of one reader call and one question embedding, interleaved, one thread each."""
    import torch

    torch.set_num_threads(1)
    embedder = Embedder(None, 64, threads=1)
    timings: dict[str, list[float]] = {"reader call ms": [], "question embedding ms": []}
    for m in reader.modules():
        m.eval()
    for i in range(repeats + 3):
        question, sentence = questions[i % len(questions)], sentences[i % len(sentences)]
        started = time.perf_counter()
        with torch.inference_mode():
            reader.logits([question], [sentence])
        reader_ms = 1000 * (time.perf_counter() - started)
        started = time.perf_counter()
        embedder.encode([question])
        embedding_ms = 1000 * (time.perf_counter() - started)
        if i >= 3:  # the first calls warm caches up
            timings["reader call ms"].append(reader_ms)
            timings["question embedding ms"].append(embedding_ms)
    return {k: round(float(np.median(v)), 2) for k, v in timings.items()}


def evaluate(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    reader = load_reader(args)
    squad2 = outcomes(SQUAD2, "dev")
    _, held_out_articles = dev_split(squad2)
    held_out = Examples(squad2, held_out_articles)
    shipped = DoubtModel.load(MODEL_FILE)
    reader_dev = np.load(OUT / run_name(args) / HELD_OUT_SCORES)
    # Refitted on the held-out DEV articles: the reader's scores on its own training pairs are overconfident.
    with_reader = Logistic(np.column_stack([held_out.signals, reader_dev]), held_out.labels)
    ten_refit = Logistic(held_out.signals, held_out.labels)

    def doubts(examples: Examples, reader_scores: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "shipped ten signals": np.array([shipped.doubt(dict(zip(SIGNALS, row))) for row in examples.signals]),
            "ten signals refit on held-out DEV": ten_refit(examples.signals),
            "reader alone": reader_scores,
            "ten signals + reader": with_reader(np.column_stack([examples.signals, reader_scores])),
        }

    dev_doubts = doubts(held_out, reader_dev)
    report: dict = {"run": run_name(args), "held-out DEV articles": sorted(held_out_articles), "held-out DEV": {}}
    thresholds = {}
    for name, d in dev_doubts.items():
        scores, labels = in_half(squad2, held_out, d, held_out_articles)
        thresholds[name] = threshold_at(scores, labels, 0.10)
        report["held-out DEV"][name] = {"AUC (no rule refused)": round(auc(d, held_out.labels), 4), "curve": curve(scores, labels)}
    if args.test:
        test = outcomes(SQUAD2, "test")
        examples = Examples(test)
        report["TEST"] = {}
        for name, d in doubts(examples, reader.scores(examples)).items():
            scores, labels = in_half(test, examples, d, None)
            report["TEST"][name] = {
                "AUC (no rule refused)": round(auc(d, examples.labels), 4),
                "curve": curve(scores, labels),
                "at the held-out DEV threshold for 10%": refusals(scores, labels, thresholds[name]),
            }
        report["rules alone refuse (TEST)"] = refusals(*in_half(test, examples, np.zeros(len(examples)), None), 0.5)
    report["latency"] = latency(reader, held_out.questions, held_out.sentences)
    name = "test" if args.test else "dev"
    (OUT / run_name(args) / f"evaluation-{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "held-out DEV articles"}, indent=2))


def run_name(args) -> str:
    return f"{args.variant}-{args.context}" + ("-v1" if args.with_v1 else "")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=("collect", "train", "evaluate"))
    parser.add_argument("--variant", choices=VARIANTS, default="full", help="What training changes.")
    parser.add_argument("--context", choices=("sentence", "paragraph"), default="sentence", help="What the reader reads after the question.")
    parser.add_argument("--with-v1", action="store_true", help="Add SQuAD v1.1 DEV-half questions as answerable examples.")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-5)
    # One by default: on a shared CPU, two threads of one process wait on each other (index.Embedder says the same).
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training and scoring.")
    parser.add_argument("--test", action="store_true", help="evaluate: report the SQuAD 2.0 TEST half (do it once).")
    args = parser.parse_args()
    {"collect": lambda: collect(), "train": lambda: train(args), "evaluate": lambda: evaluate(args)}[args.stage]()
