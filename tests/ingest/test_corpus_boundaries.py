"""The corpus walk never leaves the corpus: links out, pipes, devices, huge files and
unreadable folders are refused by name; JSONL ids cannot pose as another document."""

from __future__ import annotations

import json
import os

import pytest

from ingest import read_corpus
from ingest.errors import EmptyCorpusError
from tests.ingest.hang_guard import finishes_within
from tests.ingest.test_readers import reasons

# Enough for a read that never ends to fail the test instead of stalling the suite.
HANG_GUARD_SECONDS = 30


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "japan-us-alliance.txt").write_text("The treaty was signed in 1960.\n", encoding="utf-8")
    return folder


def read(folder, **limits):
    return finishes_within(HANG_GUARD_SECONDS, read_corpus, folder, **limits)


def ids(reading):
    return sorted(document.id for document in reading.documents)


def test_a_link_to_a_file_outside_the_corpus_is_refused_and_never_read(corpus, tmp_path):
    (tmp_path / "secret.txt").write_text("The launch code is 0000.\n", encoding="utf-8")
    (corpus / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    reading = read(corpus)
    assert ids(reading) == ["japan-us-alliance.txt"]
    assert reasons(reading)["secret.txt"] == "a link to a file outside the corpus"
    assert reasons(reading)["passwd.txt"] == "a link to a file outside the corpus"


def test_a_link_to_a_folder_outside_the_corpus_is_not_walked(corpus, tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "diary.txt").write_text("Nothing to see here.\n", encoding="utf-8")
    (corpus / "private").symlink_to(outside, target_is_directory=True)
    reading = read(corpus)
    assert ids(reading) == ["japan-us-alliance.txt"]
    assert reasons(reading)["private"] == "a link to a file outside the corpus"


def test_a_link_inside_the_corpus_is_still_read(corpus):
    (corpus / "alias.txt").symlink_to(corpus / "japan-us-alliance.txt")
    assert ids(read(corpus)) == ["alias.txt", "japan-us-alliance.txt"]


def test_a_link_to_dev_zero_is_refused_without_reading_it(corpus):
    (corpus / "zero.txt").symlink_to("/dev/zero")
    assert reasons(read(corpus))["zero.txt"] == "a link to a file outside the corpus"


def test_a_device_given_as_the_corpus_is_refused_without_reading_it(tmp_path):
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with pytest.raises(EmptyCorpusError, match="zero.txt: a character device, not a regular file"):
        read(tmp_path / "zero.txt")


def test_a_fifo_in_the_corpus_is_refused_without_waiting_for_a_writer(corpus):
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "pipe-link.txt").symlink_to(corpus / "pipe.txt")
    reading = read(corpus)
    assert ids(reading) == ["japan-us-alliance.txt"]
    assert reasons(reading)["pipe.txt"] == "a named pipe (FIFO), not a regular file; only regular files are read"
    assert reasons(reading)["pipe-link.txt"] == reasons(reading)["pipe.txt"]


def test_a_file_over_the_size_cap_is_refused_and_one_at_the_cap_is_read(corpus):
    megabyte = 2**20
    (corpus / "huge.txt").write_bytes(b"word " * (megabyte // 5) + b"word.")
    (corpus / "big.txt").write_bytes(b"w" * (megabyte - 1) + b".")
    reading = read(corpus, max_file_bytes=megabyte)
    assert reasons(reading)["huge.txt"] == "larger than 1 MB; split it into smaller files"
    assert "big.txt" in ids(reading)


def test_an_unreadable_folder_is_reported_not_skipped_silently(corpus, monkeypatch):
    locked = corpus / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text("Hidden by permissions.\n", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        # What the kernel does for a folder without read permission (root would get past chmod 000).
        if os.fspath(path) == os.fspath(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    reading = read(corpus)
    assert ids(reading) == ["japan-us-alliance.txt"]
    assert reasons(reading)["locked"] == "a folder that cannot be read (Permission denied); its files were skipped"


def jsonl(*records):
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def test_a_jsonl_id_cannot_pose_as_another_documents_file_name(corpus):
    (corpus / "beir.jsonl").write_text(
        jsonl({"id": "japan-us-alliance.txt", "text": "Japan and the US are at war."}, {"id": "d1", "text": "A real record."}),
        encoding="utf-8",
    )
    reading = read(corpus)
    (alliance,) = [d for d in reading.documents if d.id == "japan-us-alliance.txt"]
    assert "signed in 1960" in alliance.blocks[0].text
    assert ids(reading) == ["d1", "japan-us-alliance.txt"]
    assert "id 'japan-us-alliance.txt' is the name of a file in the corpus" in reasons(reading)["beir.jsonl:1"]


def test_a_duplicate_jsonl_id_is_indexed_once_and_reported(corpus):
    (corpus / "a.jsonl").write_text(jsonl({"id": "d1", "text": "The first d1."}, {"id": "d1", "text": "A second d1."}))
    (corpus / "b.jsonl").write_text(jsonl({"id": "d1", "text": "A third d1."}))
    reading = read(corpus)
    assert ids(reading) == ["d1", "japan-us-alliance.txt"]
    (d1,) = [d for d in reading.documents if d.id == "d1"]
    assert d1.blocks[0].text == "The first d1."
    first = f"{corpus / 'a.jsonl'}:1"
    assert reasons(reading)["a.jsonl:2"] == f"duplicate id 'd1' (first in {first})"
    assert reasons(reading)["b.jsonl:1"] == f"duplicate id 'd1' (first in {first})"


def test_a_jsonl_line_holding_a_line_separator_stays_one_record(corpus):
    text = "Before the separator.\u2028After it, same record. And \u0085 a next-line too."
    (corpus / "beir.jsonl").write_text(jsonl({"id": "d1", "text": text}, {"id": "d2", "text": "The next record."}), encoding="utf-8")
    reading = read(corpus)
    assert reading.problems == []
    assert ids(reading) == ["d1", "d2", "japan-us-alliance.txt"]
    (d1,) = [d for d in reading.documents if d.id == "d1"]
    assert "After it, same record." in " ".join(block.text for block in d1.blocks)
