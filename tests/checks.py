"""What every test of a generated answer asserts: the checks held, whatever the model wrote."""

from __future__ import annotations

import re

from ingest.sentences import split_sentences


def first_sentence(text: str) -> str:
    start, end = split_sentences(text)[0]
    return text[start:end]


def assert_checked(answer, embedder, threshold: float) -> None:
    """Every sentence of ``answer`` cites citations it has, and one of their quoted sentences is
    at least ``threshold`` close to it (cosine, the model the index was built with)."""
    by_n = {c.n: c for c in answer.citations}
    sentences = re.findall(r"(.+?)((?: \[\d+\])+)(?= |$)", answer.answer)
    assert sentences and "".join(s + m for s, m in sentences).strip() == answer.answer.strip(), answer.answer
    for claim, marks in sentences:
        cited = [int(n) for n in re.findall(r"\d+", marks)]
        assert all(n in by_n for n in cited), (answer.answer, sorted(by_n))
        vector = embedder.encode([claim.strip()])[0]
        best = 0.0
        for n in cited:
            citation = by_n[n]
            quote = citation.quote
            assert quote and quote == " ".join(citation.text[s:e] for s, e in citation.spans), (quote, citation.spans)
            quoted = [quote[s:e] for s, e in split_sentences(quote)]
            best = max(best, *(float(v @ vector) for v in embedder.encode(quoted)))
        assert best >= threshold - 0.01, (claim, best)  # the index holds float16 vectors: a hair of rounding
