"""Run a query set through retrieval and answering exactly as the engine does, and score it.

The index is built and opened from the settings as the CLI and the server build and open theirs
(``Settings.index_config``, ``Settings.search_options``: chunking, sentence vectors, the dense
index's exact limit, lists and probes), and the same ``SearchIndex.search`` and ``compose`` that
answer a user's question rank the documents here, so the figures describe what users get. Queries
are embedded in one batched call; a query costs one embedding, as in the chat.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chat.composer import compose, evidence
from chat.settings import Settings
from index import DataDir, Embedder, Hit, SearchIndex, corpus_fingerprint, evaluate_run, open_index, read_paragraphs, rebuild_index
from index import skipped_files

log = logging.getLogger(__name__)

ANSWER_DEPTHS = (1, 5, 10)


@dataclass(frozen=True)
class QueryResult:
    """One query's outcome: its documents best first (each once, at its best paragraph's
    score), the evidence score of its best answer sentence, and the composed answer
    (whole, and the first sentence a reader sees)."""

    ranking: list[tuple[str, float]]
    evidence: float
    answered: bool
    answer: str
    first_sentence: str


def corpus_index(corpus: Path, data_dir: Path | None, embedder: Embedder, settings: Settings) -> SearchIndex:
    """The index of ``corpus`` as ``settings`` build and search it: the serving version of the data
    directory if it holds exactly this corpus built this way (``rebuild_index`` compares them), else a newly built one.

    Args:
        corpus: A BEIR ``corpus.jsonl`` (or any corpus citewise reads).
        data_dir: Where the index lives. Defaults to ``<settings.data_dir>/eval/<corpus fingerprint>``,
            so evaluating never replaces the index the chat serves.
    """
    reading, paragraphs = read_paragraphs(corpus, settings.max_words)
    data = DataDir(data_dir or Path(settings.data_dir) / "eval" / corpus_fingerprint(paragraphs))
    report = rebuild_index(
        paragraphs, data, embedder, settings.index_config(), len(reading.documents), settings.keep_versions,
        build_threads=settings.build_threads, skipped=skipped_files(reading, Path(corpus)),
    )
    if not report.built:
        log.info("reusing index %s in %s (%d paragraphs)", report.version, data.root, report.manifest.paragraphs)
    return open_index(data, embedder, settings.search_options())


def _by_document(hits: list[Hit], depth: int) -> list[tuple[str, float]]:
    """Each document once, at its best paragraph's score, best first, at most ``depth``."""
    best: dict[str, float] = {}
    for hit in hits:
        best.setdefault(hit.paragraph.doc_id, hit.score)
    return list(best.items())[:depth]


def run_queries(
    index: SearchIndex,
    queries: dict[str, str],
    vectors: np.ndarray,
    settings: Settings,
    depth: int = 100,
    progress: bool = True,
) -> dict[str, QueryResult]:
    """Rank ``depth`` documents for every query and answer it from the ``top_k`` best paragraphs.

    Args:
        index: The index to search.
        queries: ``{query id: text}``.
        vectors: The queries' embeddings, row ``i`` for the ``i``-th query.
        settings: Fusion, candidates, ``top_k`` and the answer settings, as in the chat.
        depth: Documents ranked per query. Enough paragraphs are fetched (twice ``depth``)
            for a corpus whose documents split into several paragraphs.
    """
    paragraphs = max(2 * depth, settings.top_k)
    texts = list(queries.values())
    s = settings
    hits = index.search_many(
        vectors, texts, paragraphs, s.fusion, s.lexical_weight, max(s.candidates, paragraphs), progress=progress
    )
    results = {}
    for query, text, vector, found in zip(queries, texts, vectors, hits):
        best = found[: s.top_k]
        answer = compose(text, index, best, vector, text, s)
        results[query] = QueryResult(
            _by_document(found, depth), evidence(index, best, vector, text, s), answer.answered, answer.answer, answer.first_sentence()
        )
    return results


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _contains_any(text: str, wanted: list[str]) -> bool:
    text = _normalise(text)
    return any(_normalise(a) in text for a in wanted)


def answer_in_top(index: SearchIndex, results: dict[str, QueryResult], answers: dict[str, list[str]]) -> dict[str, float]:
    """Share of the queries with answers whose answer string occurs in their top 1/5/10 documents
    (case and spacing ignored)."""
    texts: dict[str, str] = {}
    for paragraph in index.paragraphs:
        texts[paragraph.doc_id] = texts.get(paragraph.doc_id, "") + " " + paragraph.text
    judged = [q for q in results if answers.get(q)]
    if not judged:
        return {}
    return {
        f"answer@{k}": sum(
            _contains_any(" ".join(texts.get(doc, "") for doc, _ in results[q].ranking[:k]), answers[q]) for q in judged
        ) / len(judged)
        for k in ANSWER_DEPTHS
    }


def answer_figures(results: dict[str, QueryResult], answers: dict[str, list[str]], unanswerable: set[str]) -> dict[str, float]:
    """What a reader gets. Over the queries with answers: an answer string in the reply, in its
    first sentence ("answer first"), and the share refused; over the ``unanswerable`` ones, the share refused."""
    figures = {}
    judged = [q for q in results if answers.get(q) and q not in unanswerable]
    if judged:
        replied = [q for q in judged if results[q].answered]
        figures["answer in reply"] = sum(_contains_any(results[q].answer, answers[q]) for q in replied) / len(judged)
        figures["answer first"] = sum(_contains_any(results[q].first_sentence, answers[q]) for q in replied) / len(judged)
        figures["answerable refused"] = 1 - len(replied) / len(judged)
    impossible = [q for q in results if q in unanswerable]
    if impossible:
        figures["unanswerable refused"] = sum(not results[q].answered for q in impossible) / len(impossible)
    return figures


def summarise(
    index: SearchIndex,
    results: dict[str, QueryResult],
    qrels: dict[str, dict[str, int]],
    answers: dict[str, list[str]] | None,
    unanswerable: set[str] = frozenset(),
) -> dict[str, float]:
    """Every figure of a run: BEIR metrics, with ``answers`` answer-in-top-k and the answer
    figures, with ``unanswerable`` query ids their refusal rate, and the overall refusal rate."""
    run = {query: dict(result.ranking) for query, result in results.items()}
    figures = evaluate_run(run, qrels)
    if answers:
        figures |= answer_in_top(index, results, answers)
    figures |= answer_figures(results, answers or {}, unanswerable)
    figures["refused"] = sum(not r.answered for r in results.values()) / len(results) if results else 0.0
    return figures
