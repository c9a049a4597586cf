"""One model pass per paragraph against two (paragraphs, then their sentences), side by side in one run.

    python -m bench.one_pass --documents 300 --rounds 2

Times, interleaved round by round on the same SQuAD documents and on every core (a build's
threads): ``encode`` of the paragraphs' search texts plus ``encode`` of their sentences, as
``sentence_vectors = "alone"`` builds, against ``embed_paragraphs`` (``"pooled"`` sentence vectors pooled from the paragraph's pass).
Also counts the sentences of the whole corpus that the paragraph's pass does not reach (truncated
at the model's length) and so get a pass of their own.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.squad import SQUAD
from index import Embedder, IndexConfig, index_texts
from ingest import read_corpus, split_paragraphs, split_sentences


def paragraphs_of(corpus: Path, documents: int | None, max_words: int = IndexConfig.max_words):
    """Search texts as a build embeds them, and their sentences' spans in them (after the title line)."""
    reading = read_corpus(corpus)
    paragraphs = [p for d in reading.documents[:documents] for p in split_paragraphs(d, max_words)]
    return index_texts(paragraphs, [split_sentences(p.text) for p in paragraphs])


def uncovered_sentences(embedder: Embedder, texts: list[str], spans: list[list[tuple[int, int]]]) -> int:
    """Sentences ending past the last character the model's truncated pass sees (the tokenizer alone
    says where it cuts): those get a pass of their own."""
    tokenizer = embedder._model.tokenizer  # the model's own fast tokenizer: the same cut as a pass
    offsets = tokenizer(texts, truncation=True, max_length=embedder._model.max_seq_length, return_offsets_mapping=True)["offset_mapping"]
    return sum(end > max(e for _, e in rows) for rows, ps in zip(offsets, spans) for _, end in ps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    embedder = Embedder()
    corpus = args.squad / "corpus.jsonl"
    all_texts, all_spans = paragraphs_of(corpus, None)
    texts, spans = paragraphs_of(corpus, args.documents)
    sentences = [text[s:e] for text, ps in zip(texts, spans) for s, e in ps]
    embedder.encode(texts[:8], threads=0)  # warm-up
    times: dict[str, list[float]] = {"two passes": [], "one pass": []}
    for _ in range(args.rounds):
        started = time.perf_counter()
        embedder.encode(texts, threads=0)
        embedder.encode(sentences, threads=0)
        times["two passes"].append(time.perf_counter() - started)
        started = time.perf_counter()
        embedder.embed_paragraphs(texts, spans, threads=0)
        times["one pass"].append(time.perf_counter() - started)
    print(json.dumps({
        "documents": args.documents, "paragraphs": len(texts), "sentences": len(sentences),
        "seconds": {name: [round(t, 2) for t in runs] for name, runs in times.items()},
        "one pass / two passes": round(sum(times["one pass"]) / sum(times["two passes"]), 3),
        "corpus sentences": sum(map(len, all_spans)),
        "corpus sentences past the model's length": uncovered_sentences(embedder, all_texts, all_spans),
    }, indent=2))


if __name__ == "__main__":
    main()
