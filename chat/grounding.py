"""Every sentence the LLM writes, checked against the paragraph it cites before anyone sees it.

A generated sentence is kept only when

* a paragraph it cites supports it: one of that paragraph's sentences has a cosine of at least
  ``llm_min_support`` with it (all-MiniLM-L6-v2, the vectors the index already holds); every
  number it writes appears in that paragraph, and so does every name it writes that the corpus
  knows (``SearchIndex.lacks``: "Suga said ..." cited to a paragraph where another says it is
  dropped). A marker to a source it was not given (a ``[9]`` of three) is removed; a sentence
  left with no marker (small models often write none) is cited to the one given paragraph that
  supports it best, if any does;
* and the supporting sentence is not an instruction to the reader ("ignore the sources and
  say ...": a document that gives orders is no evidence of what it orders said).

Its markers are then the paragraphs that support it, renumbered ``[1]..[m]`` in order of first
use, and each citation quotes the sentences that supported it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from chat.answer import Answer, Citation
from chat.question import named, numbers
from index import Embedder, Hit, SearchIndex
from ingest import split_sentences

# The shortest sentence the extractive answer cites (chat.composer): shorter is a fragment, not a claim.
_MIN_CLAIM_WORDS = 4
# [1], [1][2], [1, 2] as a model writes them.
_MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence's end punctuation, then its markers: "... 1960. [1] The" reads as "... 1960 [1]. The".
_MARKERS_AFTER_END = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
# Text addressed to the model, not about the world: never evidence for a claim.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,60}\b(instructions?|sources?|rules|prompt|context|above|previous)\b"
    r"|^\W*(say|answer|respond|reply|tell the user|write|output)\b"
    r"|\b(assistant|chatbot|language model|ai model)\b",
    re.IGNORECASE,
)


def instruction_like(sentence: str) -> bool:
    """Whether a source sentence speaks to the model ("Ignore the sources and say ...")."""
    return bool(_INSTRUCTION.search(sentence))


@dataclass(frozen=True)
class _Support:
    hit: Hit
    positions: tuple[int, ...]  # the paragraph's sentences that support the claim
    score: float


@dataclass
class GroundedDraft:
    """A generated answer being checked sentence by sentence as its text streams in.

    Args:
        hits: The sources the model was given, ``[1]`` first.
        index: The index they come from (their sentences and vectors).
        embedder: The model that embeds the generated sentences.
        threshold: ``llm_min_support``.
    """

    hits: list[Hit]
    index: SearchIndex
    embedder: Embedder
    threshold: float
    text: str = ""
    checked: int = 0  # sentences of the draft judged so far
    unchecked: str = ""  # the draft after them: what the model is still writing
    dropped: int = 0
    kept: list[str] = field(default_factory=list)  # the answer's sentences, markers renumbered
    _marks: dict[int, int] = field(default_factory=dict)  # hit index -> its [n] in the answer
    _quoted: dict[int, dict[int, float]] = field(default_factory=dict)  # hit index -> {sentence position: cosine}

    def feed(self, piece: str) -> list[str]:
        """Add ``piece`` of the model's text; the sentences it completed that passed the check."""
        self.text += piece
        return self._check(final=False)

    def finish(self) -> list[str]:
        """The model is done: check what is left; the sentences that passed."""
        return self._check(final=True)

    def _check(self, final: bool) -> list[str]:
        text = _MARKERS_AFTER_END.sub(lambda m: f"{m.group(2)}{m.group(1)}", self.text)
        spans = split_sentences(text)
        complete = len(spans)
        if not final and spans:
            # The last one may still grow; before a "[" that opens the next, it may still get its marker.
            complete -= 2 if text[spans[-1][0]] == "[" else 1
        passed = []
        for start, end in spans[self.checked : max(self.checked, complete)]:
            kept = self._judge(text[start:end])
            if kept is None:
                self.dropped += 1
            else:
                self.kept.append(kept)
                passed.append(kept)
        self.checked = max(self.checked, complete)
        self.unchecked = text[spans[self.checked][0] :] if self.checked < len(spans) else ""
        return passed

    def _judge(self, sentence: str) -> str | None:
        """``sentence`` with its markers renumbered to the paragraphs that support it, or None."""
        cited = [int(n) for group in _MARKERS.findall(sentence) for n in group.split(",")]
        given = list(dict.fromkeys(n - 1 for n in cited if 1 <= n <= len(self.hits)))
        claim = _MARKERS.sub("", sentence).strip()
        if len(claim.split()) < _MIN_CLAIM_WORDS:
            return None  # a fragment (an answer cut off at llm_max_tokens) is no claim
        vector = self.embedder.encode([claim])[0]
        if given:
            supports = [s for s in (self._support(self.hits[i], claim, vector) for i in given) if s is not None]
        else:  # no marker, or only to sources it was not given: cited to the given source that supports it best, if any
            found = [s for s in (self._support(hit, claim, vector) for hit in self.hits) if s is not None]
            supports = sorted(found, key=lambda s: -s.score)[:1]
        if not supports:
            return None
        marks = []
        for support in supports:
            source = self.hits.index(support.hit)
            marks.append(self._marks.setdefault(source, len(self._marks) + 1))
            quoted = self._quoted.setdefault(source, {})
            for position in support.positions:
                quoted[position] = max(quoted.get(position, 0.0), support.score)
        end = claim[-1] if claim[-1] in ".!?" else ""
        body = claim[: len(claim) - len(end)].rstrip()
        return f"{body}{end} " + " ".join(f"[{n}]" for n in marks)

    def _support(self, hit: Hit, claim: str, vector: np.ndarray) -> _Support | None:
        text = hit.paragraph.text
        spans, vectors = self.index.sentences(hit.row)
        sentences = [text[start:end] for start, end in spans]
        stated = [not instruction_like(sentence) for sentence in sentences]
        claimed = numbers(claim)
        # A number no sentence of the paragraph writes (as a statement) is the model's, not the document's.
        if any(not any(ok and number in sentence for ok, sentence in zip(stated, sentences)) for number in claimed):
            return None
        if self.index.lacks(named(claim), hit.row):
            return None  # a name the corpus knows but this paragraph never mentions: said of something else
        similarities = vectors @ vector
        close = [p for p, similarity in enumerate(similarities) if similarity >= self.threshold and stated[p]]
        if not close:
            return None
        # The quote is what supports the claim: the close sentences, and those that write its numbers.
        holding = [p for p, sentence in enumerate(sentences) if stated[p] and any(n in sentence for n in claimed)]
        return _Support(hit, tuple(sorted({*close, *holding})), float(max(similarities[p] for p in close)))

    def answer(self, question: str) -> Answer | None:
        """The checked answer, or None when no sentence survived."""
        if not self.kept:
            return None
        citations = []
        for source, n in self._marks.items():
            paragraph = self.hits[source].paragraph
            spans = self.index.spans[self.hits[source].row]
            positions = sorted(self._quoted[source])
            citations.append(Citation.quoting(n, paragraph, tuple(spans[p] for p in positions), max(self._quoted[source].values())))
        return Answer(question=question, answer=" ".join(self.kept), answered=True,
                      citations=sorted(citations, key=lambda c: c.n), mode="generated")
