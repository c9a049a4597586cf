"""Doubt: how likely it is that the best sentence found does not answer the question.

Similarity alone cannot tell "When did the Normans reach Sicily?" from "When did the
Normans *never* reach Sicily?", nor a paragraph that holds every word but one. A logistic
model weighs ten signals of the question and the sentence that would open the answer;
it is fitted on the DEV half of SQuAD 2.0 (questions written to look answerable from
their paragraph, and answerable ones) by ``bench/tune_answers.py``, which writes
``doubt_model.json``. The composer refuses when the doubt is over ``max_doubt``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

# Names the paragraph lacks and a kind of answer the sentence lacks are not signals: the
# composer's rules refuse those before the doubt is asked.
SIGNALS = (
    "evidence",  # the sentence's evidence, as compared with min_score
    "sentence_similarity",  # cosine of the sentence and the question
    "paragraph_similarity",  # cosine of its paragraph and the question
    "known_coverage",  # IDF share of the question's words (those the corpus uses) its paragraph holds
    "sentence_coverage",  # the same, held by the sentence itself
    "missing_from_sentence",  # highest IDF of a question word the corpus uses that the sentence lacks
    "numbers_missing",  # numbers of the question its paragraph never writes
    "asks_kind",  # the question wants a number, date, name or place (the sentence holds one: a rule)
    "question_negated",  # "never", "not", "n't" in the question
    "sentence_negated",  # ... in the sentence
)
MODEL_FILE = Path(__file__).resolve().parent / "doubt_model.json"


@dataclass(frozen=True)
class DoubtModel:
    """A logistic model over ``SIGNALS``: standardised by ``mean`` and ``scale``, then weighted.

    It round-trips through JSON (``save``/``load``) with the record of what it was fitted on.
    """

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    signals: tuple[str, ...] = SIGNALS
    fitted_on: str = ""

    def __post_init__(self) -> None:
        if tuple(self.signals) != SIGNALS or not len(self.mean) == len(self.scale) == len(self.weights) == len(SIGNALS):
            raise ValueError(f"Invalid doubt model: it must weigh exactly these signals, in order: {SIGNALS}.")

    def doubt(self, signals: dict[str, float]) -> float:
        """The probability (0 to 1) that the sentence these ``signals`` describe does not answer."""
        z = self.bias + sum(
            w * (signals[name] - m) / s for name, m, s, w in zip(SIGNALS, self.mean, self.scale, self.weights)
        )
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def save(self, path: Path = MODEL_FILE) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> DoubtModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@cache
def shipped_model() -> DoubtModel:
    """The model that ships with citewise (``doubt_model.json``), read once."""
    return DoubtModel.load(MODEL_FILE)
