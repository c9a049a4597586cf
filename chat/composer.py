"""Retrieved paragraphs to a short answer built from their best sentences, each cited."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chat.answer import Answer, Citation
from chat.settings import Settings
from index import Hit, SearchIndex

# How much the paragraph's own similarity counts toward each of its sentences:
# a sentence in a paragraph about the question is better evidence than a stray one.
_PARAGRAPH_WEIGHT = 0.3
_MIN_SENTENCE_WORDS = 4
_NEAR_DUPLICATE = 0.95


@dataclass(frozen=True)
class _Candidate:
    rank: int
    hit: Hit
    span: tuple[int, int]
    position: int
    score: float
    vector: np.ndarray


def _candidates(
    index: SearchIndex, hits: list[Hit], query_vector: np.ndarray, query_text: str, coverage_weight: float
) -> list[_Candidate]:
    """Every sentence of ``hits`` long enough to cite, best first.

    A sentence scores by its similarity and its paragraph's, mixed with how much of the
    question's weight (IDF) of words the paragraph holds: a rare word of the question
    that the paragraph lacks (a name, a year) is a sign it answers something else.
    """
    coverage = index.coverage(query_text, [h.row for h in hits]) if coverage_weight else np.ones(len(hits))
    found = []
    for rank, hit in enumerate(hits):
        spans, vectors = index.sentences(hit.row)
        similarities = vectors @ query_vector
        for position, (span, similarity) in enumerate(zip(spans, similarities)):
            if len(hit.paragraph.text[span[0] : span[1]].split()) < _MIN_SENTENCE_WORDS:
                continue
            similar = (1 - _PARAGRAPH_WEIGHT) * float(similarity) + _PARAGRAPH_WEIGHT * hit.dense
            score = (1 - coverage_weight) * similar + coverage_weight * float(coverage[rank])
            found.append(_Candidate(rank, hit, span, position, score, vectors[position]))
    return sorted(found, key=lambda c: -c.score)


def _select(candidates: list[_Candidate], max_sentences: int, margin: float) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    for candidate in candidates:
        if len(chosen) == max_sentences or candidate.score < candidates[0].score - margin:
            break
        if any(float(candidate.vector @ c.vector) > _NEAR_DUPLICATE for c in chosen):
            continue
        chosen.append(candidate)
    return chosen


def evidence(index: SearchIndex, hits: list[Hit], query_vector: np.ndarray, query_text: str, settings: Settings) -> float:
    """How strongly the best sentence of ``hits`` answers the query: the score ``min_score`` is compared with."""
    candidates = _candidates(index, hits, query_vector, query_text, settings.coverage_weight)
    return candidates[0].score if candidates else 0.0


def refusal(question: str, hits: list[Hit]) -> Answer:
    hint = ""
    sections = [h.paragraph.section for h in hits if h.paragraph.section]
    if sections:
        hint = f" The closest topic they cover is “{sections[0]}”."
    text = f"The documents don't say. Nothing in them answers this question closely enough to cite, so I won't guess.{hint}"
    return Answer(question=question, answer=text, answered=False, citations=[])


def compose(
    question: str,
    index: SearchIndex,
    hits: list[Hit],
    query_vector: np.ndarray,
    query_text: str,
    settings: Settings,
) -> Answer:
    """Answer from the sentences of ``hits`` that best match the question.

    The best sentence must score at least ``settings.min_score``, else the answer is a
    refusal. Sentences within ``sentence_margin`` of the best join it (up to
    ``max_sentences``), grouped by paragraph in order of relevance and in reading order
    inside a paragraph; each paragraph gets one ``[n]``, numbered in order of first appearance.

    Args:
        question: The question as asked (it goes into the answer).
        index: The index ``hits`` come from.
        hits: The retrieved paragraphs, best first.
        query_vector, query_text: What was searched for (with a follow-up, the question
            read with the previous one).
        settings: ``min_score``, ``max_sentences``, ``sentence_margin``, ``coverage_weight``.
    """
    candidates = _candidates(index, hits, query_vector, query_text, settings.coverage_weight)
    if not candidates or candidates[0].score < settings.min_score:
        return refusal(question, hits)
    chosen = _select(candidates, settings.max_sentences, settings.sentence_margin)
    by_paragraph: dict[int, list[_Candidate]] = {}
    for candidate in chosen:
        by_paragraph.setdefault(candidate.hit.row, []).append(candidate)
    pieces, citations = [], []
    for n, group in enumerate(by_paragraph.values(), start=1):
        group.sort(key=lambda c: c.position)
        paragraph = group[0].hit.paragraph
        sentences = [paragraph.text[c.span[0] : c.span[1]] for c in group]
        pieces.extend(f"{sentence} [{n}]" for sentence in sentences)
        citations.append(
            Citation(
                n=n,
                doc=paragraph.doc_id,
                paragraph=paragraph.number,
                section=paragraph.section,
                text=paragraph.text,
                quote=" ".join(sentences),
                score=max(c.score for c in group),
                title=paragraph.doc_title,
                spans=tuple(c.span for c in group),
            )
        )
    return Answer(question=question, answer=" ".join(pieces), answered=True, citations=citations)
