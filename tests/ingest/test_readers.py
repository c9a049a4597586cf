"""Reading a corpus folder: every format, and every broken file reported by name."""

from __future__ import annotations

import json

import pytest

from ingest import read_corpus
from ingest.errors import EmptyCorpusError


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("A heading\n\nThe treaty was signed in 1960.\n", encoding="utf-8")
    (folder / "notes.md").write_text("# Notes\n\nSome notes about trade.\n", encoding="utf-8")
    (folder / "page.html").write_text("<title>Page</title><p>An HTML page.</p>", encoding="utf-8")
    (folder / "beir.jsonl").write_text(
        json.dumps({"id": "d1", "title": "One", "text": "First doc."}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "d2", "text": "Second doc."}) + "\n",
        encoding="utf-8",
    )
    return folder


def reasons(reading):
    return {problem.source.name: problem.reason for problem in reading.problems}


def test_reads_every_supported_format(corpus):
    reading = read_corpus(corpus)
    assert sorted(d.id for d in reading.documents) == ["d1", "d2", "good.txt", "notes.md", "page.html"]
    titles = {d.id: d.title for d in reading.documents}
    assert titles["notes.md"] == "Notes" and titles["page.html"] == "Page" and titles["d1"] == "One"


def test_broken_jsonl_line_is_reported_and_the_rest_kept(corpus):
    reading = read_corpus(corpus)
    assert "broken JSON" in reasons(reading)["beir.jsonl:2"]


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("empty.txt", b"  \n\n", "empty"),
        ("latin1.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
        ("slides.key", b"PK\x03\x04", "unsupported file type"),
        ("slides.pdf", b"%PDF-1.4", "truncated PDF"),
        ("blank.jsonl", b"\n", "empty"),
    ],
)
def test_bad_file_is_reported_by_name_and_others_still_read(corpus, name, content, reason):
    (corpus / name).write_bytes(content)
    reading = read_corpus(corpus)
    assert reason in reasons(reading)[name]
    assert len(reading.documents) == 5


def test_unreadable_file_is_reported(corpus):
    (corpus / "gone.txt").symlink_to(corpus / "does-not-exist.txt")
    reading = read_corpus(corpus)
    assert "No such file" in reasons(reading)["gone.txt"]
    assert len(reading.documents) == 5


def test_a_corpus_with_nothing_readable_is_an_error_naming_the_files(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(EmptyCorpusError, match="empty.txt: empty file"):
        read_corpus(tmp_path)


def test_missing_corpus_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="Corpus not found"):
        read_corpus(tmp_path / "nope")
