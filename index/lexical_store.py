"""Lexical search: BM25 over stemmed English tokens, by ``bm25s``."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_LANGUAGE = "english"


def _tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)


class LexicalStore:
    """BM25 scores of every paragraph for a query, with stemming and stop words removed."""

    DIRECTORY = "lexical"

    def __init__(self, retriever: bm25s.BM25) -> None:
        self._retriever = retriever
        self._stemmer = Stemmer.Stemmer(_LANGUAGE)

    @classmethod
    def build(cls, texts: list[str]) -> LexicalStore:
        stemmer = Stemmer.Stemmer(_LANGUAGE)
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
        return cls(retriever)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (all zeros when no query word is indexed)."""
        tokens = [t for t in _tokenize([query], self._stemmer)[0] if t in self._retriever.vocab_dict]
        if not tokens:
            return np.zeros(self._retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(Path(directory) / self.DIRECTORY))

    @classmethod
    def load(cls, directory: Path) -> LexicalStore:
        return cls(bm25s.BM25.load(str(Path(directory) / cls.DIRECTORY)))
