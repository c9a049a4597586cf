"""Incremental rebuilds: only new text is embedded, a killed rebuild harms nothing, one rebuild at a time."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from chat.cli import cli
from index import BuildLock, DataDir, IndexConfig, load_index, rebuild_corpus
from ingest import read_corpus, split_paragraphs, split_sentences
from tests.conftest import CORPUS, REPO

# Starts processes (servers, the CLI, a browser): `make test` runs it, `make quick` leaves it out.
pytestmark = pytest.mark.slow

ARTICLE = "japan-us-alliance.txt"
NEW_DOC = "Zephyr Harbour\n\nThe Zephyr Harbour lighthouse was painted teal in 1931. Its keeper was Mira Olsen.\n\nThe harbour froze over in 1947."


@pytest.fixture
def corpus(tmp_path):
    """A writable copy of the article's corpus, matching ``copy_data_dir``."""
    return shutil.copytree(CORPUS, tmp_path / "corpus")


def rebuild(corpus, data_dir, embedder, sentence_vectors=IndexConfig.sentence_vectors, **options):
    config = IndexConfig(backend=embedder.backend, sentence_vectors=sentence_vectors)
    return rebuild_corpus(corpus, DataDir(data_dir), config, embedder, keep_versions=5, progress=False, **options)


def texts_to_embed(document):
    """Paragraphs of a new plain-text document, and how many distinct texts (paragraphs and sentences) it brings."""
    paragraphs = [p for d in read_corpus(document).documents for p in split_paragraphs(d, 180)]
    sentences = {p.text[s:e] for p in paragraphs for s, e in split_sentences(p.text)}
    return len(paragraphs), len({p.search_text() for p in paragraphs} | sentences)


def test_unchanged_corpus_embeds_nothing_and_keeps_the_serving_version(corpus, copy_data_dir, embedder):
    report = rebuild(corpus, copy_data_dir, embedder)
    assert report.embedded == 0 and not report.built and report.version == "v0001"
    assert report.changes.counts() == {"added": 0, "changed": 0, "deleted": 0, "unchanged": 46}
    assert DataDir(copy_data_dir).versions() == ["v0001"]


def test_a_new_document_is_the_only_thing_embedded(corpus, copy_data_dir, embedder):
    (corpus / "zephyr.txt").write_text(NEW_DOC)
    paragraphs, texts = texts_to_embed(corpus / "zephyr.txt")
    report = rebuild(corpus, copy_data_dir, embedder)
    assert report.changes.counts() == {"added": paragraphs, "changed": 0, "deleted": 0, "unchanged": 46}
    assert report.embedded == texts and report.built and report.version == "v0002"
    index = load_index(DataDir(copy_data_dir), embedder)
    assert DataDir(copy_data_dir).current() == "v0002" and index.manifest.documents == 2
    assert any("teal" in p.text for p in index.paragraphs)

    (corpus / "zephyr.txt").unlink()
    report = rebuild(corpus, copy_data_dir, embedder)
    assert report.changes.counts()["deleted"] == paragraphs and report.embedded == 0 and report.version == "v0003"
    assert not any("teal" in p.text for p in load_index(DataDir(copy_data_dir)).paragraphs)


@pytest.mark.parametrize("sentence_vectors", ["pooled", "alone"])
def test_an_edited_paragraph_re_embeds_only_its_new_text(request, corpus, tmp_path, embedder, sentence_vectors):
    built = request.getfixturevalue("article_data_dir" if sentence_vectors == "pooled" else "article_alone_data_dir")
    data_dir = shutil.copytree(built, tmp_path / "var")
    article = corpus / ARTICLE
    text = article.read_text()
    sentence = "which enhances interoperability and the readiness of their forces."
    article.write_text(text.replace(sentence, sentence + " The drill was first held in 1986."))
    report = rebuild(corpus, data_dir, embedder, sentence_vectors=sentence_vectors)
    assert report.changes.counts() == {"added": 0, "changed": 1, "deleted": 0, "unchanged": 45}
    index = load_index(DataDir(data_dir))
    row = next(r for r, p in enumerate(index.paragraphs) if "first held in 1986" in p.text)
    if sentence_vectors == "pooled":
        # One pass over the changed paragraph gives its vector and every one of its sentences'.
        assert report.embedded == 1 + len(index.spans[row])
    else:
        # The paragraph's own text and its one new sentence; its other sentences come from the cache.
        assert report.embedded == 2


def test_inserting_a_paragraph_shifts_numbers_but_embeds_only_the_new_paragraph(corpus, copy_data_dir, embedder):
    article = corpus / ARTICLE
    blocks = article.read_text().split("\n\n")
    blocks.insert(len(blocks) // 2, "An inserted paragraph about tariffs on teal paint.")
    article.write_text("\n\n".join(blocks))
    report = rebuild(corpus, copy_data_dir, embedder)
    counts = report.changes.counts()
    assert counts["added"] == 1 and counts["changed"] > 1, "paragraph numbers after the insert moved"
    assert report.embedded == 2  # the new paragraph (with its title and section) and its one sentence


def test_a_broken_serving_version_gets_a_fresh_one_from_the_cache(corpus, copy_data_dir, embedder):
    (DataDir(copy_data_dir).current_path() / "sentence_vectors.npy").unlink()
    report = rebuild(corpus, copy_data_dir, embedder)
    assert report.built and report.version == "v0002" and report.embedded == 0
    assert report.changes.counts()["added"] == 46, "nothing readable to compare with"
    assert len(load_index(DataDir(copy_data_dir), embedder)) == 46


def test_a_broken_serving_version_is_reported_and_the_newest_good_one_serves(corpus, copy_data_dir, embedder, caplog):
    rebuild(corpus, copy_data_dir, embedder, force=True)
    data_dir = DataDir(copy_data_dir)
    (data_dir.current_path() / "paragraphs.jsonl").write_text("not json\n")
    index = load_index(data_dir, embedder)
    assert index.manifest.version == "v0001" and len(index) == 46
    assert "v0002" in caplog.text and "Serving v0001, the newest good version" in caplog.text


def test_cli_rebuild_json_is_one_object_with_the_counts(corpus, copy_data_dir):
    (corpus / "zephyr.txt").write_text(NEW_DOC)
    result = CliRunner().invoke(cli, ["index", "rebuild", "--json", "--corpus", str(corpus), "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"added", "changed", "deleted", "unchanged", "embedded", "version"} <= set(report)
    assert report["added"] >= 1 and report["unchanged"] == 46 and report["embedded"] > 0 and report["version"] == "v0002"

    result = CliRunner().invoke(cli, ["index", "rebuild", "--corpus", str(corpus), "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added 0, changed 0, deleted 0, unchanged 48 paragraphs; embedded 0 in ")
    assert "v0002 keeps serving" in result.stdout


def test_cli_rebuild_no_wait_refuses_while_another_runs(corpus, copy_data_dir):
    with BuildLock(DataDir(copy_data_dir).lock_path).acquire():
        result = CliRunner().invoke(
            cli, ["index", "rebuild", "--no-wait", "--corpus", str(corpus), "--data-dir", str(copy_data_dir)]
        )
    assert result.exit_code == 1
    assert f"Another rebuild (pid {os.getpid()}) is running" in result.stderr
    assert DataDir(copy_data_dir).versions() == ["v0001"]


def citewise_process(*args, cwd):
    """`citewise ARGS...` in the background, killed after 5 minutes so that a stuck one fails its test, not CI."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "chat", *args], cwd=cwd, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # Ctrl-C reaches it as it would from a terminal, even when the tests run as a background job (whose
        # shell started them ignoring SIGINT, and a child inherits that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    watchdog = threading.Timer(300, process.kill)
    watchdog.daemon = True
    watchdog.start()
    return process


def read_stderr_until(process, marker):
    """Lines of ``process``'s stderr up to (and with) the first one holding ``marker``."""
    seen = []
    for line in iter(process.stderr.readline, ""):
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} never appeared on stderr:\n{''.join(seen)}")


def test_cli_rebuild_waits_for_the_running_one_then_completes(corpus, copy_data_dir, tmp_path):
    (corpus / "zephyr.txt").write_text(NEW_DOC)
    lock = BuildLock(DataDir(copy_data_dir).lock_path).acquire()
    try:
        process = citewise_process("index", "rebuild", "--corpus", str(corpus), "--data-dir", str(copy_data_dir), cwd=tmp_path)
        read_stderr_until(process, f"another rebuild (pid {os.getpid()}) is running; waiting...")
        assert process.poll() is None and DataDir(copy_data_dir).current() == "v0001"
    finally:
        lock.release()
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert "built v0002, now serving" in stdout and DataDir(copy_data_dir).current() == "v0002"


def synthetic_corpus(folder, documents, paragraphs, seed):
    """Documents of distinct random sentences: a corpus that takes the model a while to embed."""
    rng = random.Random(seed)
    words = "harbour river treaty lantern copper meadow signal engine orchard tariff glacier ledger canal " \
            "festival quarry beacon mill vessel archive summit pasture foundry bridge garrison".split()
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(documents):
        text = "\n\n".join(
            " ".join(f"The {rng.choice(words)} of {rng.choice(words)} {rng.choice(words)} met {rng.randrange(10**6)} {rng.choice(words)}s." for _ in range(3))
            for _ in range(paragraphs)
        )
        (folder / f"report-{seed}-{number}.txt").write_text(text)
    return folder


def test_a_rebuild_killed_mid_way_leaves_the_serving_version_and_the_next_one_succeeds(tmp_path, embedder):
    corpus = synthetic_corpus(tmp_path / "corpus", documents=1, paragraphs=10, seed=1)
    data_dir = tmp_path / "var"
    first = rebuild(corpus, data_dir, embedder)
    synthetic_corpus(corpus, documents=4, paragraphs=40, seed=2)
    process = citewise_process("index", "rebuild", "--corpus", str(corpus), "--data-dir", str(data_dir), cwd=tmp_path)
    try:
        read_stderr_until(process, "loaded embedding model")  # the build has begun embedding
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate()
    versions = DataDir(data_dir)
    assert versions.current() == first.version and versions.versions() == [first.version]
    assert [p.name for p in versions.versions_dir.iterdir() if p.name.startswith(".build-")], "killed while building"
    assert len(load_index(versions, embedder)) == 10

    report = rebuild(corpus, data_dir, embedder, wait=False)  # the dead process's lock is free
    assert report.built and report.changes.counts()["added"] == 160 and report.changes.counts()["unchanged"] == 10
    assert versions.current() == report.version and len(load_index(versions, embedder)) == 170
    assert not [p for p in versions.versions_dir.iterdir() if p.name.startswith(".build-")]


def test_watch_rebuilds_when_a_document_is_dropped_in(corpus, copy_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CITEWISE_WATCH_DEBOUNCE_SECONDS", "0.5")
    process = citewise_process("index", "rebuild", "--watch", "--json", "--corpus", str(corpus), "--data-dir", str(copy_data_dir), cwd=tmp_path)
    try:
        first = json.loads(process.stdout.readline())
        assert first["version"] == "v0001" and not first["built"]
        read_stderr_until(process, "watching")
        (corpus / "zephyr.txt").write_text(NEW_DOC)
        second = json.loads(process.stdout.readline())
        assert second["version"] == "v0002" and second["added"] >= 1 and second["unchanged"] == 46
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0 and "stopped watching" in stderr
