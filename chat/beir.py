"""BEIR-layout evaluation files: queries, qrels and answers in, a TREC run out.

Every reader raises ``EvaluationDataError`` naming the file and line of the first bad record,
so a broken file is reported before any work is done.
"""

from __future__ import annotations

import json
from pathlib import Path

from chat.errors import EvaluationDataError


def _jsonl_records(path: Path):
    """``(line number, object)`` of every non-empty line of a JSONL file."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvaluationDataError(f"{path}:{number}: broken JSON ({error.msg}).") from None
            if not isinstance(record, dict) or "id" not in record:
                raise EvaluationDataError(f'{path}:{number}: each line needs an object with an "id".')
            yield number, record


def read_queries(path: Path) -> dict[str, str]:
    """``{query id: text}`` from a BEIR ``queries.jsonl`` (``{"id", "text"}`` a line)."""
    queries = {}
    for number, record in _jsonl_records(path):
        if not isinstance(record.get("text"), str) or not record["text"].strip():
            raise EvaluationDataError(f'{path}:{number}: query {record["id"]!r} needs a non-empty "text".')
        queries[str(record["id"])] = record["text"].strip()
    if not queries:
        raise EvaluationDataError(f"{path}: no queries in it.")
    return queries


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``{query id: {doc id: grade}}`` from a BEIR qrels TSV (``query-id corpus-id score``, header optional)."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) == 4:  # the TREC layout: query-id iteration doc-id grade
                fields = [fields[0], fields[2], fields[3]]
            try:
                query, doc, grade = fields[0], fields[1], int(fields[2])
            except (IndexError, ValueError):
                if number == 1:
                    continue  # the header
                raise EvaluationDataError(f"{path}:{number}: expected 'query-id<TAB>corpus-id<TAB>score', got {line.strip()!r}.") from None
            qrels.setdefault(query, {})[doc] = grade
    if not qrels:
        raise EvaluationDataError(f"{path}: no judgments in it.")
    return qrels


def read_answers(path: Path) -> dict[str, list[str]]:
    """``{query id: [answer strings]}`` from a JSONL file of ``{"id", "answers": [...]}``."""
    answers = {}
    for number, record in _jsonl_records(path):
        texts = record.get("answers")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise EvaluationDataError(f'{path}:{number}: "answers" must be a list of strings.')
        answers[str(record["id"])] = [t for t in texts if t.strip()]
    return answers


def read_ids(path: Path) -> set[str]:
    """The query ids of a file that lists one a line (such as SQuAD 2.0's unanswerable ones)."""
    with open(path, encoding="utf-8") as handle:
        ids = {line.strip() for line in handle if line.strip()}
    if not ids:
        raise EvaluationDataError(f"{path}: no query ids in it.")
    return ids


def write_trec_run(run: dict[str, list[tuple[str, float]]], path: Path, tag: str) -> None:
    """Write ``qid Q0 docid rank score tag`` lines, ranks from 1, in the order given."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for query, ranking in run.items():
            for rank, (doc, score) in enumerate(ranking, start=1):
                handle.write(f"{query} Q0 {doc} {rank} {score:.6f} {tag}\n")
