"""The benchmark corpus: documents of about 200 words cut from SQuAD dev articles, and the questions about them.

SQuAD dev holds some 2,000 paragraphs (SQuAD 2.0 dev's are a subset of them), too few for 5,000
documents the size of an abstract. So each document is a window of consecutive sentences of one
article, about ``WORDS_PER_DOCUMENT`` words from a sentence boundary on; windows start a few
sentences apart, evenly over all the articles, and no two are alike. Each document is one block
of prose, as an abstract is, and its title names the article and the window, so no two
documents' paragraphs embed the same text (their sentences do repeat across documents).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ingest import split_sentences

# ../shared/data beside the checkout, as on every developer's machine and in CI; SQUAD_DIR (the folder that
# holds squad-dev/ and squad2-dev/) overrides.
_DATA = Path(os.environ.get("SQUAD_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")
# SQuAD v1.1 dev, the collection the quality benchmarks split (bench/tune_quality.py); the corpus draws on both.
SQUAD = _DATA / "squad-dev"
SOURCES = (SQUAD, _DATA / "squad2-dev")
WORDS_PER_DOCUMENT = 200


@dataclass(frozen=True)
class Subset:
    corpus: Path
    questions: list[str]
    texts: list[str]  # each document's text, as the corpus file holds it


def _articles(sources: tuple[Path, ...]) -> dict[str, list[str]]:
    """Each article's sentences in reading order, over every source's paragraphs (each paragraph once)."""
    articles: dict[str, list[str]] = {}
    seen: set[str] = set()
    for source in sources:
        if not (source / "corpus.jsonl").exists():
            raise FileNotFoundError(f"SQuAD dev (BEIR layout) not found in '{source}'; it holds the benchmark corpus.")
        with open(source / "corpus.jsonl", encoding="utf-8") as handle:
            for record in map(json.loads, handle):
                if record["text"] in seen:
                    continue
                seen.add(record["text"])
                text = record["text"]
                articles.setdefault(record["title"], []).extend(text[s:e] for s, e in split_sentences(text))
    return articles


def _window(sentences: list[str], start: int) -> str | None:
    """Sentences from ``start`` on until ``WORDS_PER_DOCUMENT`` words; None if the article ends first."""
    words, taken = 0, []
    for sentence in sentences[start:]:
        taken.append(sentence)
        words += len(sentence.split())
        if words >= WORDS_PER_DOCUMENT:
            return " ".join(taken)
    return None


def write_documents(folder: Path, count: int, sources: tuple[Path, ...] = SOURCES) -> Subset:
    """Write ``count`` documents to ``folder/corpus.jsonl`` (BEIR layout, as ``citewise`` reads it), with
    the SQuAD questions about the articles they come from.

    Raises:
        FileNotFoundError: a SQuAD folder is missing.
        ValueError: the articles hold fewer than ``count`` distinct windows.
    """
    articles = _articles(sources)
    starts = [(title, start) for title, sentences in articles.items() for start in range(len(sentences))]
    # Evenly spaced starts first; the others stand in for those too near an article's end.
    spaced = dict.fromkeys(int(i * len(starts) / count) for i in range(min(count, len(starts))))
    windows: dict[str, tuple[str, int]] = {}
    for position in [*spaced, *(p for p in range(len(starts)) if p not in spaced)]:
        title, start = starts[position]
        text = _window(articles[title], start)
        if text is not None and text not in windows:
            windows[text] = (title, start)
        if len(windows) == count:
            break
    if len(windows) < count:
        raise ValueError(f"Invalid count: {count}; SQuAD dev holds only {len(windows)} distinct {WORDS_PER_DOCUMENT}-word windows.")
    corpus = Path(folder) / "corpus.jsonl"
    with open(corpus, "w", encoding="utf-8") as handle:
        for text, (title, start) in windows.items():
            record = {"id": f"{title}@{start}", "title": f"{title.replace('_', ' ')} ({start})", "text": text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    used = {title for title, _ in windows.values()}
    return Subset(corpus, _questions(sources[0], used), list(windows))


def _questions(squad: Path, titles: set[str]) -> list[str]:
    """The questions of ``squad`` about paragraphs of the articles ``titles``, in file order."""
    with open(squad / "corpus.jsonl", encoding="utf-8") as handle:
        kept = {record["id"] for record in map(json.loads, handle) if record["title"] in titles}
    with open(squad / "qrels.tsv", encoding="utf-8") as handle:
        next(handle)  # header
        asked = {query for query, doc, *_ in (line.rstrip("\n").split("\t") for line in handle) if doc in kept}
    with open(squad / "queries.jsonl", encoding="utf-8") as handle:
        return [q["text"] for q in map(json.loads, handle) if q["id"] in asked]
