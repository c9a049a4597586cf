"""Lexical search: BM25 over stemmed English tokens, by ``bm25s``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import Stemmer

if TYPE_CHECKING:
    import bm25s

_LANGUAGE = "english"
# Words that ask rather than say: bm25s's stop list keeps them, and a paragraph seldom uses them.
_ASKING_WORDS = "what which who whom whose when where why how many much did does do were"


def _bm25s():
    """``bm25s``, imported when first used: with scipy it is most of what importing ``index`` costs, and a
    command that stops early (`citewise ask` with no index) must not pay for it."""
    import bm25s

    return bm25s


def _tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    return _bm25s().tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)


class LexicalStore:
    """BM25 scores of every paragraph for a query, with stemming and stop words removed."""

    DIRECTORY = "lexical"

    def __init__(self, retriever: bm25s.BM25) -> None:
        self._retriever = retriever
        self._stemmer = Stemmer.Stemmer(_LANGUAGE)
        self._asking = frozenset(_tokenize([_ASKING_WORDS], self._stemmer)[0])

    @classmethod
    def build(cls, texts: list[str]) -> LexicalStore:
        stemmer = Stemmer.Stemmer(_LANGUAGE)
        bm25s = _bm25s()
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
        return cls(retriever)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (all zeros when no query word is indexed)."""
        tokens = [t for t in _tokenize([query], self._stemmer)[0] if t in self._retriever.vocab_dict]
        if not tokens:
            return np.zeros(self._retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def terms(self, text: str) -> list[str]:
        """The distinct stemmed, stop-word-free terms of ``text``, as the index counts them."""
        return list(dict.fromkeys(_tokenize([text], self._stemmer)[0]))

    def is_indexed(self, term: str) -> bool:
        """Whether some paragraph uses ``term`` (a term as ``terms`` gives it)."""
        return term in self._retriever.vocab_dict

    def known_terms(self, text: str) -> list[str]:
        """``terms`` of ``text`` that some indexed paragraph uses."""
        return [t for t in self.terms(text) if self.is_indexed(t)]

    def question_terms(self, question: str) -> list[str]:
        """``terms`` of a question without its asking words ("what", "how many", "did")."""
        return [t for t in self.terms(question) if t not in self._asking]

    def idf(self, terms: list[str]) -> np.ndarray:
        """BM25 inverse document frequency of each term; a term no paragraph uses gets the highest."""
        count = self._retriever.scores["num_docs"]
        vocabulary, starts = self._retriever.vocab_dict, self._retriever.scores["indptr"]
        frequency = np.array([starts[vocabulary[t] + 1] - starts[vocabulary[t]] if t in vocabulary else 0 for t in terms])
        return np.log(1 + (count - frequency + 0.5) / (frequency + 0.5))

    def save(self, directory: Path) -> None:
        self._retriever.save(str(Path(directory) / self.DIRECTORY))

    @classmethod
    def load(cls, directory: Path) -> LexicalStore:
        return cls(_bm25s().BM25.load(str(Path(directory) / cls.DIRECTORY)))
