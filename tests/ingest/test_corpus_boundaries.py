"""The corpus walk never leaves the corpus: links out, pipes, devices, huge files and
unreadable folders are refused by name."""

from __future__ import annotations

import os

import pytest

from ingest import read_corpus
from ingest.errors import EmptyCorpusError
from tests.ingest.hang_guard import finishes_within

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


def reasons(reading):
    return {problem.source.name: problem.reason for problem in reading.problems}


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
