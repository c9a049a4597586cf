"""A saved index version, loaded: paragraphs, their sentences, and both searches."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.errors import CorruptIndexError
from index.faiss_store import FaissStore
from index.fusion import fuse
from index.lexical_store import LexicalStore
from index.manifest import FILE_NAME as MANIFEST_FILE
from index.manifest import FORMAT_VERSION, Manifest
from ingest import Paragraph

PARAGRAPHS_FILE = "paragraphs.jsonl"
SENTENCE_VECTORS_FILE = "sentence_vectors.npy"


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def part_checksums(directory: Path) -> dict[str, str]:
    """SHA-256 of every file in a version folder but the manifest, by path relative to it."""
    directory = Path(directory)
    parts = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST_FILE)
    return {p.relative_to(directory).as_posix(): _sha256(p) for p in parts}


def verify_checksums(directory: Path, manifest: Manifest) -> None:
    """Check every part against the SHA-256 its manifest holds.

    A manifest of an older format has none: ``Manifest.check_compatible`` refuses it.

    Raises:
        CorruptIndexError: a part is missing or its bytes changed, naming the part.
    """
    if manifest.format_version != FORMAT_VERSION:
        return
    checksums = manifest.checksums
    if not checksums or not isinstance(checksums, dict):
        raise CorruptIndexError(f"Index version {manifest.version} has no part checksums in its {MANIFEST_FILE}: rebuild it.")
    for part, expected in checksums.items():
        # A name from the manifest stays inside the version folder.
        if not isinstance(part, str) or ".." in Path(part).parts or Path(part).is_absolute():
            raise CorruptIndexError(f"Index version {manifest.version} names an invalid part {part!r}: rebuild it.")
        try:
            found = _sha256(directory / part)
        except FileNotFoundError:
            raise CorruptIndexError(f"Index version {manifest.version} is missing its part {part}: rebuild it.") from None
        except OSError as error:
            raise CorruptIndexError(f"Index version {manifest.version} cannot read its part {part} ({error}): rebuild it.") from None
        if found != expected:
            raise CorruptIndexError(
                f"Index version {manifest.version} is damaged: its part {part} does not match its checksum: rebuild it."
            )


@contextmanager
def _naming_the_part(path: Path):
    """An ``OSError`` while writing a part (a full disk) says which file, if it does not already."""
    try:
        yield
    except OSError as error:
        if error.filename is None:
            error.filename = str(path)
        raise


def top_positive_rows(scores: np.ndarray, count: int) -> np.ndarray:
    """Rows of the ``count`` highest positive ``scores``, best first, ties in row order.

    The same rows as a stable sort of every score, in time linear in the rows: at a
    million paragraphs the full sort cost more than all the rest of a search.
    """
    rows = np.flatnonzero(scores > 0)
    values = scores[rows]
    if len(rows) > count:
        cut = np.partition(values, len(rows) - count)[len(rows) - count]
        above = rows[values > cut]
        rows = np.sort(np.concatenate([above, rows[values == cut][: count - len(above)]]))
        values = scores[rows]
    return rows[np.argsort(-values, kind="stable")]


@dataclass(frozen=True)
class Hit:
    """One retrieved paragraph: its row, the fused score, and both sides' scores."""

    row: int
    paragraph: Paragraph
    score: float
    dense: float
    lexical: float


class SearchIndex:
    """Everything needed to answer from one index version, loaded (the sentence vectors memory-mapped).

    Sentence ``i`` of paragraph row ``r`` has span ``spans[r][i]`` and vector
    ``sentence_vectors[offsets[r] + i]`` (float16; ``sentences`` gives float32).
    """

    # Sentence vectors, on disk and in memory: half of float32, and they are most of a loaded
    # index (five or so a paragraph). Only the few sentences of the paragraphs a question
    # retrieved are scored, cast back to float32 (``sentences``). The paragraph vectors in
    # FAISS and the embedding cache stay float32.
    SENTENCE_DTYPE = np.float16
    # Loaded memory-mapped: a server keeps resident only the pages of sentences it has scored,
    # the rest stays in the page cache, shared by every server of the version (bench/RESULTS.md,
    # server memory). None reads them into the process.
    SENTENCE_MMAP_MODE: str | None = "r"

    def __init__(
        self,
        manifest: Manifest,
        paragraphs: list[Paragraph],
        spans: list[list[tuple[int, int]]],
        dense: FaissStore,
        lexical: LexicalStore,
        sentence_vectors: np.ndarray,
        path: Path | None = None,
    ) -> None:
        self.manifest = manifest
        self.paragraphs = paragraphs
        self.spans = spans
        self.dense = dense
        self.lexical = lexical
        self.sentence_vectors = np.ascontiguousarray(sentence_vectors, dtype=self.SENTENCE_DTYPE)
        self.offsets = np.concatenate([[0], np.cumsum([len(s) for s in spans])]).astype(np.int64)
        self.path = path
        self._paragraph_terms: dict[int, frozenset[str]] = {}
        self._sentence_terms_of: dict[int, list[frozenset[str]]] = {}

    def __len__(self) -> int:
        return len(self.paragraphs)

    def save(self, directory: Path) -> None:
        """Write every part, then the manifest with the SHA-256 of each part as written,
        last, so a manifest means a complete version and ``load`` finds any damage."""
        directory = Path(directory)
        with _naming_the_part(directory / PARAGRAPHS_FILE):
            with open(directory / PARAGRAPHS_FILE, "w", encoding="utf-8") as handle:
                for paragraph, spans in zip(self.paragraphs, self.spans):
                    handle.write(json.dumps({**paragraph.to_dict(), "sentences": spans}, ensure_ascii=False) + "\n")
        with _naming_the_part(directory / SENTENCE_VECTORS_FILE):
            np.save(directory / SENTENCE_VECTORS_FILE, self.sentence_vectors)
        with _naming_the_part(directory / FaissStore.FILE_NAME):
            self.dense.save(directory)
        with _naming_the_part(directory / LexicalStore.DIRECTORY):
            self.lexical.save(directory)
        self.manifest = replace(self.manifest, checksums=part_checksums(directory))
        with _naming_the_part(directory / MANIFEST_FILE):
            self.manifest.save(directory)

    @classmethod
    def load(cls, directory: Path) -> SearchIndex:
        """Load a version folder.

        Raises:
            CorruptIndexError: a part is missing, damaged (its checksum differs) or does not
                match the manifest.
        """
        directory = Path(directory)
        manifest = Manifest.load(directory)
        verify_checksums(directory, manifest)
        try:
            paragraphs, spans = [], []
            with open(directory / PARAGRAPHS_FILE, encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    spans.append([tuple(s) for s in record.pop("sentences")])
                    paragraphs.append(Paragraph.from_dict(record))
            sentence_vectors = np.load(directory / SENTENCE_VECTORS_FILE, mmap_mode=cls.SENTENCE_MMAP_MODE)
            dense = FaissStore.load(directory)
            lexical = LexicalStore.load(directory)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise CorruptIndexError(f"Index version '{directory}' is unreadable ({error}); rebuild it.") from None
        index = cls(manifest, paragraphs, spans, dense, lexical, sentence_vectors, path=directory)
        index.verify()
        return index

    def verify(self) -> None:
        """Check that the parts agree with each other and with the manifest."""
        counts = {
            "paragraphs": (len(self.paragraphs), self.manifest.paragraphs),
            "dense vectors": (len(self.dense), self.manifest.paragraphs),
            "sentence vectors": (len(self.sentence_vectors), self.manifest.sentences),
            "sentence spans": (int(self.offsets[-1]), self.manifest.sentences),
        }
        for what, (found, expected) in counts.items():
            if found != expected:
                raise CorruptIndexError(
                    f"Index version {self.manifest.version} holds {found} {what}, its manifest says {expected}: rebuild it."
                )

    def search(
        self,
        query_vector: np.ndarray,
        query_text: str,
        k: int,
        fusion: str,
        lexical_weight: float,
        candidates: int,
    ) -> list[Hit]:
        """The ``k`` best paragraphs for a query, by the fused dense and lexical ranking.

        The top ``candidates`` of each side (FAISS by cosine, BM25) are pooled; every
        pooled paragraph gets its exact cosine and its BM25 score, and ``fuse`` ranks them.
        ``Hit.lexical`` is the raw BM25 score.
        """
        pool = max(candidates, k)
        lexical = self.lexical.scores(query_text)
        dense_rows = self.dense.search(query_vector, pool)[0] if fusion != "lexical" else []
        lexical_rows = [] if fusion == "dense" else top_positive_rows(lexical, pool)
        rows = np.fromiter(dict.fromkeys(int(r) for r in [*dense_rows, *lexical_rows]), dtype=np.int64)
        if not len(rows):
            return []
        cosine = self.dense.vectors(rows) @ query_vector
        fused = fuse(cosine, lexical[rows], fusion, lexical_weight)
        best = np.argsort(-fused, kind="stable")[:k]
        return [Hit(int(rows[i]), self.paragraphs[rows[i]], float(fused[i]), float(cosine[i]), float(lexical[rows[i]])) for i in best]

    def search_many(
        self,
        query_vectors: np.ndarray,
        query_texts: list[str],
        k: int,
        fusion: str,
        lexical_weight: float,
        candidates: int,
        progress: bool = False,
    ) -> list[list[Hit]]:
        """``search`` for each of many queries (row ``i`` of ``query_vectors`` is ``query_texts[i]``)."""
        return [
            self.search(vector, text, k, fusion, lexical_weight, candidates)
            for vector, text in tqdm(
                zip(query_vectors, query_texts), total=len(query_texts), desc="searching", unit="query", disable=not progress
            )
        ]

    def coverage(self, query_text: str, rows: list[int], unknown_weight: float = 1.0) -> np.ndarray:
        """For each paragraph row, the IDF-weighted share of the query's terms its search text holds.

        A question whose rare words (a name, a year) appear nowhere in a paragraph is not
        answered by it, however similar the rest; 1 when the query has no content word.
        A term no paragraph uses weighs ``unknown_weight`` times its (highest) IDF: it may be
        a name the documents lack, or only another word for one they use.
        """
        terms = self.lexical.question_terms(query_text)
        if not terms:
            return np.ones(len(rows))
        weights = self.lexical.idf(terms) * np.array([1.0 if self.lexical.is_indexed(t) else unknown_weight for t in terms])
        if weights.sum() == 0:
            return np.zeros(len(rows))  # not one of the question's words is in the documents
        held = [self._terms(row) for row in rows]
        return np.array([sum(w for t, w in zip(terms, weights) if t in found) for found in held]) / weights.sum()

    def sentence_coverage(self, query_text: str, row: int) -> np.ndarray:
        """For each sentence of paragraph ``row``, the IDF-weighted share of the query's terms it holds."""
        terms = self.lexical.question_terms(query_text)
        held = self._sentence_terms(row)
        if not terms:
            return np.ones(len(held))
        weights = self.lexical.idf(terms)
        return np.array([sum(w for t, w in zip(terms, weights) if t in found) for found in held]) / weights.sum()

    def missing_from_sentence(self, query_text: str, row: int, position: int) -> float:
        """The highest IDF of a query term the corpus uses that sentence ``position`` of ``row`` lacks (0 if none)."""
        terms = [t for t in self.lexical.question_terms(query_text) if self.lexical.is_indexed(t)]
        found = self._sentence_terms(row)[position]
        missing = [t for t in terms if t not in found]
        return float(self.lexical.idf(missing).max()) if missing else 0.0

    def _sentence_terms(self, row: int) -> list[frozenset[str]]:
        if row not in self._sentence_terms_of:  # filled as paragraphs are retrieved, not at load
            text = self.paragraphs[row].text
            self._sentence_terms_of[row] = [frozenset(self.lexical.terms(text[start:end])) for start, end in self.spans[row]]
        return self._sentence_terms_of[row]

    def lacks(self, words: list[str], row: int) -> list[str]:
        """Those of ``words`` that the corpus uses but paragraph ``row`` (with its title and section) does not.

        A word no paragraph uses says nothing either way: it may be another name for what a
        paragraph calls something else ("Tokyo" for Japan). A word held as the start of a
        paragraph's word, or the other way round, is held ("Japanese" and "Japan").
        """
        found = self._terms(row)

        def held(term: str) -> bool:
            return term in found or any(min(len(term), len(f)) >= 4 and (term.startswith(f) or f.startswith(term)) for f in found)

        return [w for w in words if (terms := self.lexical.known_terms(w)) and not any(held(t) for t in terms)]

    def _terms(self, row: int) -> frozenset[str]:
        if row not in self._paragraph_terms:  # filled as paragraphs are retrieved, not at load
            self._paragraph_terms[row] = frozenset(self.lexical.terms(self.paragraphs[row].search_text()))
        return self._paragraph_terms[row]

    def sentences(self, row: int) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The sentence spans of paragraph ``row`` and their unit vectors (float32, from the stored float16)."""
        return self.spans[row], self.sentence_vectors[self.offsets[row] : self.offsets[row + 1]].astype(np.float32)
