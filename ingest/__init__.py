"""Documents to paragraphs: read a corpus and split it into citable units."""

from __future__ import annotations

from ingest.blocks import Block
from ingest.document import Document, Paragraph
from ingest.errors import CitewiseError, CorpusNotFoundError, EmptyCorpusError, IngestProblem
from ingest.paragraphs import split_paragraphs
from ingest.readers import SUPPORTED_SUFFIXES, CorpusReading, read_corpus, read_document
from ingest.sentences import split_sentences

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Block",
    "CitewiseError",
    "CorpusNotFoundError",
    "CorpusReading",
    "Document",
    "EmptyCorpusError",
    "IngestProblem",
    "Paragraph",
    "read_corpus",
    "read_document",
    "split_paragraphs",
    "split_sentences",
]
