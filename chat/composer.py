"""Retrieved paragraphs to a short answer: the sentence that answers first, each claim cited.

Every sentence of the retrieved paragraphs gets two scores:

* **evidence**, how strongly it (and its paragraph) matches the question: what ``min_score``
  is compared with, so that a question the documents do not answer is refused;
* **order**, evidence plus how many of the question's words the sentence itself holds: the
  best of the sentences that hold the kind of answer asked for (a number for "how many", a
  date for "when") opens the answer.

A question that wants a kind of answer no close sentence holds, names something (a name, a
year) that the answering paragraph never mentions, or asks for a thing the documents never
name is refused, saying what is missing; so is one whose opening sentence the doubt model
(``chat.doubt``) doubts more than ``max_doubt``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chat.answer import Answer, Citation
from chat.doubt import shipped_model
from chat.question import KIND_NAMES, Part, asked_about, cells, holds, named, negated, numbers, wanted_kind
from chat.settings import Settings
from index import Hit, SearchIndex

# How much the paragraph's own similarity counts toward each of its sentences:
# a sentence in a paragraph about the question is better evidence than a stray one.
_PARAGRAPH_WEIGHT = 0.3
_MIN_SENTENCE_WORDS = 4
_NEAR_DUPLICATE = 0.95
_MAX_LIST_ITEMS = 12
# Double quotation marks only: "’" is also the apostrophe of "Japan’s".
_OPENING_QUOTE, _CLOSING_QUOTE = "“", "”"
_NOT_CLOSE = "Nothing in them answers this question closely enough to cite"


@dataclass(frozen=True)
class _Candidate:
    hit: Hit
    position: int
    evidence: float
    order: float
    fits: bool
    vector: np.ndarray


@dataclass(frozen=True)
class Reading:
    """One part of a question, as searched: the part, its retrieved paragraphs, and the query
    (text and vector) that found them (with a follow-up, the question read with the previous one)."""

    part: Part
    hits: list[Hit]
    query_vector: np.ndarray
    query_text: str


def _candidates(index: SearchIndex, reading: Reading, settings: Settings) -> list[_Candidate]:
    """Every sentence of the reading's paragraphs long enough to cite, best ``order`` first."""
    hits, weight = reading.hits, settings.coverage_weight
    coverage = index.coverage(reading.query_text, [h.row for h in hits], settings.unknown_word_weight) if weight else np.ones(len(hits))
    found = []
    for hit, paragraph_coverage in zip(hits, coverage):
        spans, vectors = index.sentences(hit.row)
        similarities = vectors @ reading.query_vector
        held = index.sentence_coverage(reading.query_text, hit.row)
        for position, (span, similarity) in enumerate(zip(spans, similarities)):
            text = hit.paragraph.text[span[0] : span[1]]
            if len(text.split()) < _MIN_SENTENCE_WORDS or (hit.paragraph.kind == "table" and position == 0):
                continue  # too short to stand as a claim; a table's header row answers nothing
            similar = (1 - _PARAGRAPH_WEIGHT) * float(similarity) + _PARAGRAPH_WEIGHT * hit.dense
            evidence = (1 - weight) * similar + weight * float(paragraph_coverage)
            # A list's lead-in ("closed on these days:") holds what its items hold.
            said = hit.paragraph.text[span[0] :] if text.endswith(":") else text
            fits = holds(reading.part.kind, said, reading.part.text)
            order = evidence + settings.sentence_coverage_weight * float(held[position])
            found.append(_Candidate(hit, position, evidence, order, fits, vectors[position]))
    return sorted(found, key=lambda c: -c.order)


def evidence(index: SearchIndex, hits: list[Hit], query_vector: np.ndarray, query_text: str, settings: Settings) -> float:
    """How strongly the best sentence of ``hits`` answers the query: the score ``min_score`` is compared with."""
    reading = Reading(Part(query_text, None), hits, query_vector, query_text)
    return max((c.evidence for c in _candidates(index, reading, settings)), default=0.0)


@dataclass(frozen=True)
class _Missing:
    """Why a part is not answered, in words for the reader."""

    reason: str


@dataclass(frozen=True)
class _Piece:
    """A stretch of one paragraph that the answer quotes, with its sentence's evidence."""

    hit: Hit
    span: tuple[int, int]
    score: float


def _choose(index: SearchIndex, reading: Reading, settings: Settings) -> list[_Candidate] | _Missing:
    """The candidates that may answer one part, best first, or what is missing: no sentence
    close enough, none holding the kind of answer asked for, none whose paragraph names
    what the question names."""
    kind = reading.part.kind
    # "Who was the ambassador?" over documents that never say "ambassador": nobody to name.
    thing = asked_about(reading.part.text) if kind and settings.require_names else None
    if thing and not index.lexical.known_terms(thing):
        return _Missing(f"They never mention any {thing}")
    candidates = [c for c in _candidates(index, reading, settings) if c.evidence >= settings.min_score]
    if not candidates:
        return _Missing(_NOT_CLOSE)
    if kind and settings.require_answer_kind:
        candidates = [c for c in candidates if c.fits]
        if not candidates:
            return _Missing(f"The passages closest to this question give no {KIND_NAMES[kind]}")
    names = named(reading.part.text) if settings.require_names else []
    if names:
        holding = [c for c in candidates if not index.lacks(names, c.hit.row)]
        if not holding:
            missing = index.lacks(names, candidates[0].hit.row)
            return _Missing(f"The passages closest to this question don't mention {' or '.join(missing)}")
        candidates = holding
    return candidates


def signals(index: SearchIndex, reading: Reading, candidate: _Candidate) -> dict[str, float]:
    """The ``chat.doubt.SIGNALS`` of ``candidate`` as the opening sentence for ``reading``."""
    row, position, question = candidate.hit.row, candidate.position, reading.part.text
    paragraph = candidate.hit.paragraph
    start, end = index.spans[row][position]
    return {
        "evidence": candidate.evidence,
        "sentence_similarity": float(candidate.vector @ reading.query_vector),
        "paragraph_similarity": candidate.hit.dense,
        "known_coverage": float(index.coverage(reading.query_text, [row], unknown_weight=0.0)[0]),
        "sentence_coverage": float(index.sentence_coverage(reading.query_text, row)[position]),
        "missing_from_sentence": index.missing_from_sentence(reading.query_text, row, position),
        "numbers_missing": float(sum(n not in paragraph.text for n in numbers(question))),
        "asks_kind": float(reading.part.kind is not None),
        "question_negated": float(negated(question)),
        "sentence_negated": float(negated(paragraph.text[start:end])),
    }


def opening_signals(index: SearchIndex, reading: Reading, settings: Settings) -> dict[str, float] | None:
    """The signals of the sentence that would open the answer, or None when a rule refuses
    first (what ``bench/tune_answers.py`` fits the doubt model on)."""
    candidates = _choose(index, reading, settings)
    return None if isinstance(candidates, _Missing) else signals(index, reading, candidates[0])


def _answer_part(index: SearchIndex, reading: Reading, settings: Settings) -> list[_Piece] | _Missing:
    """What answers one part, the answering sentence first, or what is missing."""
    candidates = _choose(index, reading, settings)
    if isinstance(candidates, _Missing):
        return candidates
    first = candidates[0]
    if settings.max_doubt < 1 and shipped_model().doubt(signals(index, reading, first)) > settings.max_doubt:
        return _Missing(_NOT_CLOSE)
    chosen = [first]
    for candidate in candidates[1:]:
        if len(chosen) == settings.max_sentences or candidate.order < first.order - settings.sentence_margin:
            break
        if any(float(candidate.vector @ c.vector) > _NEAR_DUPLICATE for c in chosen):
            continue
        chosen.append(candidate)
    return _pieces(index, chosen)


def _pieces(index: SearchIndex, chosen: list[_Candidate]) -> list[_Piece]:
    """The chosen sentences as quotable stretches: a list's lead-in with its items, a
    quotation whole (with its attribution), each stretch once."""
    pieces: list[_Piece] = []
    for candidate in chosen:
        spans = index.spans[candidate.hit.row]
        start, end = _whole_quotation(candidate.hit.paragraph.text, spans, candidate.position)
        if candidate.hit.paragraph.text[spans[end][0] : spans[end][1]].endswith(":"):
            end = min(len(spans) - 1, end + _MAX_LIST_ITEMS)  # a lead-in never stands alone
        span = (spans[start][0], spans[end][1])
        if not any(p.hit.row == candidate.hit.row and p.span[0] <= span[0] and span[1] <= p.span[1] for p in pieces):
            pieces.append(_Piece(candidate.hit, span, candidate.evidence))
    return pieces


def _whole_quotation(text: str, spans: list[tuple[int, int]], position: int) -> tuple[int, int]:
    """The first and last sentence positions around ``position`` that keep a quotation whole:
    a ``[n]`` after a sentence must never land inside quotation marks."""
    def open_before(offset: int) -> int:
        before = text[:offset]
        return before.count(_OPENING_QUOTE) - before.count(_CLOSING_QUOTE) + before.count('"') % 2

    start = end = position
    while start > 0 and open_before(spans[start][0]) > 0:
        start -= 1
    while end < len(spans) - 1 and open_before(spans[end][1]) > 0:
        end += 1
    return start, end


def _read(piece: _Piece) -> str:
    """A piece as the answer says it: a table row with its column headers ("Year: 1960; Event: ..."),
    anything else as written."""
    paragraph = piece.hit.paragraph
    text = paragraph.text[piece.span[0] : piece.span[1]]
    if paragraph.kind != "table" or "\n" in text:
        return text
    names, row = cells(paragraph.text.split("\n", 1)[0]), cells(text)
    if len(names) == len(row) > 1:
        return "; ".join(f"{name}: {cell}" for name, cell in zip(names, row))
    return f"{row[0]}: {'; '.join(row[1:])}" if len(row) > 1 else text


def refusal(question: str, hits: list[Hit], reason: str = _NOT_CLOSE) -> Answer:
    hint = ""
    sections = [h.paragraph.section for h in hits if h.paragraph.section]
    if sections:
        hint = f" The closest topic they cover is “{sections[0]}”."
    text = f"The documents don't say. {reason}, so I won't guess.{hint}"
    return Answer(question=question, answer=text, answered=False, citations=[])


def compose_parts(question: str, index: SearchIndex, readings: list[Reading], settings: Settings) -> Answer:
    """Answer every part of ``question`` from its own reading, each claim cited.

    Each paragraph gets one ``[n]``, numbered in order of first appearance. A part the
    documents don't answer is said so after the parts they do; if none is answered, the
    answer is a refusal saying what is missing.
    """
    answered: list[list[_Piece]] = []
    unanswered: list[tuple[Reading, _Missing]] = []
    for reading in readings:
        outcome = _answer_part(index, reading, settings)
        if isinstance(outcome, _Missing):
            unanswered.append((reading, outcome))
        else:
            answered.append(outcome)
    if not answered:
        reading, missing = unanswered[0]
        return refusal(question, reading.hits, missing.reason)
    marks: dict[int, int] = {}  # paragraph row -> its [n]
    quoted: dict[int, list[_Piece]] = {}
    sentences = []
    for piece in (p for part in answered for p in part):
        n = marks.setdefault(piece.hit.row, len(marks) + 1)
        quoted.setdefault(piece.hit.row, []).append(piece)
        sentences.append(f"{_read(piece)} [{n}]")
    sentences += [f"The documents don't say {_unasked(r.part.text)}" for r, _ in unanswered]
    citations = [
        Citation.quoting(marks[row], pieces[0].hit.paragraph, tuple(p.span for p in pieces), max(p.score for p in pieces))
        for row, pieces in quoted.items()
    ]
    return Answer(question=question, answer=" ".join(sentences), answered=True, citations=citations)


def _unasked(part: str) -> str:
    """"what is the budget?" as the end of "The documents don't say ...": "what is the budget."."""
    return part[:1].lower() + part[1:].rstrip(" ?") + "."


def compose(
    question: str,
    index: SearchIndex,
    hits: list[Hit],
    query_vector: np.ndarray,
    query_text: str,
    settings: Settings,
) -> Answer:
    """Answer a one-part question from the sentences of ``hits`` (see ``compose_parts``).

    Args:
        question: The question as asked (it goes into the answer).
        index: The index ``hits`` come from.
        hits: The retrieved paragraphs, best first.
        query_vector, query_text: What was searched for.
        settings: ``min_score``, ``max_sentences``, ``sentence_margin`` and the weights.
    """
    part = Part(question, wanted_kind(question))
    return compose_parts(question, index, [Reading(part, hits, query_vector, query_text)], settings)
