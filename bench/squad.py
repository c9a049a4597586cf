"""The benchmark corpus: the first documents of SQuAD v1.1 dev, and the questions about them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

# ../shared beside the checkout, as on every developer's machine and in CI; SQUAD_DIR overrides.
SQUAD = Path(os.environ.get("SQUAD_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data" / "squad-dev")


@dataclass(frozen=True)
class Subset:
    corpus: Path
    questions: list[str]


def write_subset(folder: Path, documents: int, squad: Path = SQUAD) -> Subset:
    """Write the first ``documents`` SQuAD documents to ``folder/corpus.jsonl``, with their questions.

    Raises:
        FileNotFoundError: the SQuAD folder is missing.
    """
    if not (squad / "corpus.jsonl").exists():
        raise FileNotFoundError(f"SQuAD dev (BEIR layout) not found in '{squad}'; it holds the benchmark corpus.")
    lines = (squad / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:documents]
    corpus = Path(folder) / "corpus.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kept = {json.loads(line)["id"] for line in lines}
    with open(squad / "qrels.tsv", encoding="utf-8") as handle:
        next(handle)  # header
        asked = {query for query, doc, *_ in (line.rstrip("\n").split("\t") for line in handle) if doc in kept}
    with open(squad / "queries.jsonl", encoding="utf-8") as handle:
        questions = [q["text"] for q in map(json.loads, handle) if q["id"] in asked]
    return Subset(corpus, questions)
