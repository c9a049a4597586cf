"""Damaged index versions, a bad CURRENT, a full disk, a damaged or ever-growing embedding cache:
each reproduced on a real index, each ending in a clear message instead of a traceback or a
silently wrong answer (issue 14, point 10)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from chat.cli import cli
from index import (
    FORMAT_VERSION,
    CorruptIndexError,
    DamagedCacheError,
    DataDir,
    EmbeddingCache,
    IndexConfig,
    IndexMismatchError,
    IndexWriteError,
    SearchIndex,
    list_versions,
    load_index,
    rebuild_corpus,
    rollback_index,
)
from index.builder import version_text_keys
from index.faiss_store import FaissStore
from tests.conftest import CORPUS

PARTS = ["dense.faiss", "sentence_vectors.npy", "paragraphs.jsonl", "lexical/vocab.index.json"]
BAD_POINTERS = ["../../etc", "garbage!", "", "   \n", "v0009", "v0001/../../..", "\x00\xff\xfe" * 50]
QUESTION = "When was the defense treaty signed?"


def overwrite_random_bytes(path, count=16, seed=0):
    """Replace ``count`` bytes in the middle of ``path`` by other letters: a file that still
    parses (vectors, JSON text), so only a checksum can tell it changed."""
    rng = random.Random(seed)
    data = bytearray(path.read_bytes())
    start = len(data) // 2
    for i in range(start, start + count):
        data[i] = rng.choice([c for c in b"abcdefghijklmnopqrstuvwxyz" if c != data[i]])
    path.write_bytes(bytes(data))


def corpus_with(tmp_path, name=None, text=None):
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus", dirs_exist_ok=True)
    for old in corpus.glob("zephyr-*.txt"):
        old.unlink()
    if name:
        (corpus / name).write_text(text)
    return corpus


def rebuild(corpus, data_dir, embedder, keep=5, **options):
    return rebuild_corpus(corpus, DataDir(data_dir), IndexConfig(backend=embedder.backend), embedder, keep_versions=keep,
                          progress=False, **options)


def cache_keys(data_dir, embedder):
    cache = EmbeddingCache(DataDir(data_dir).cache_dir, embedder.name, embedder.backend)
    try:
        return {row[0] for row in cache._connection.execute("SELECT key FROM vectors")}
    finally:
        cache.close()


# --- checksums ---------------------------------------------------------------------------


def test_the_manifest_holds_the_checksum_of_every_part_as_written(article_data_dir):
    path = DataDir(article_data_dir).current_path()
    checksums = json.loads((path / "manifest.json").read_text())["checksums"]
    files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(checksums) == files and set(PARTS) <= files
    for part, digest in checksums.items():
        assert hashlib.sha256((path / part).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("part", PARTS)
def test_random_bytes_in_a_part_are_refused_at_load_naming_the_part(copy_data_dir, part):
    path = DataDir(copy_data_dir).current_path()
    overwrite_random_bytes(path / part)
    with pytest.raises(CorruptIndexError, match=f"v0001 is damaged: its part {part} does not match its checksum: rebuild"):
        SearchIndex.load(path)


@pytest.mark.parametrize("part", PARTS)
def test_list_check_finds_random_bytes_in_a_part_and_exits_non_zero(copy_data_dir, part):
    overwrite_random_bytes(DataDir(copy_data_dir).current_path() / part)
    result = CliRunner().invoke(cli, ["index", "list", "--check", "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 1, result.output
    assert f"* v0001  UNREADABLE: Index version v0001 is damaged: its part {part} does not match" in result.stdout
    assert "damaged index versions: v0001" in result.stderr
    # Without --check only the manifest is read: the damage is not seen, and that is no failure.
    assert CliRunner().invoke(cli, ["index", "list", "--data-dir", str(copy_data_dir)]).exit_code == 0


def test_list_check_of_good_versions_exits_zero(copy_data_dir):
    result = CliRunner().invoke(cli, ["index", "list", "--check", "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 0 and result.stdout.startswith("* v0001  ") and not result.stderr


def test_a_manifest_of_random_bytes_is_reported_not_a_traceback(copy_data_dir):
    (DataDir(copy_data_dir).current_path() / "manifest.json").write_bytes(random.Random(0).randbytes(500))
    result = CliRunner().invoke(cli, ["index", "list", "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "UNREADABLE: Index version" in result.stdout and "unreadable manifest.json" in result.stdout


def test_a_missing_part_is_named(copy_data_dir):
    path = DataDir(copy_data_dir).current_path()
    (path / "lexical" / "params.index.json").unlink()
    with pytest.raises(CorruptIndexError, match="missing its part lexical/params.index.json: rebuild"):
        SearchIndex.load(path)


def test_a_damaged_serving_version_falls_back_to_the_newest_good_one(copy_data_dir, embedder, caplog):
    data_dir = DataDir(copy_data_dir)
    rebuild(CORPUS, copy_data_dir, embedder, force=True)
    overwrite_random_bytes(data_dir.path_of("v0002") / "sentence_vectors.npy")
    with caplog.at_level(logging.WARNING, logger="index.builder"):
        assert load_index(data_dir, embedder).manifest.version == "v0001"
    assert "part sentence_vectors.npy does not match its checksum" in caplog.text and "Serving v0001" in caplog.text


def test_an_index_of_the_format_before_checksums_must_be_rebuilt(copy_data_dir, embedder):
    path = DataDir(copy_data_dir).current_path()
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["checksums"]
    (path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 1}))
    with pytest.raises(IndexMismatchError, match=f"format 1, this citewise reads format {FORMAT_VERSION}: run `citewise index rebuild`"):
        load_index(DataDir(copy_data_dir), embedder)
    # A manifest of this format that lost its checksums is damage, not an old index.
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndexError, match="no part checksums"):
        SearchIndex.load(path)


def test_a_rebuild_replaces_an_old_format_version_using_the_cache(copy_data_dir, embedder):
    path = DataDir(copy_data_dir).current_path()
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["checksums"]
    (path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 1}))
    report = rebuild(CORPUS, copy_data_dir, embedder)
    assert report.built and report.version == "v0002" and report.embedded == 0
    assert load_index(DataDir(copy_data_dir), embedder).manifest.checksums


def _as_format_2(path):
    """Turn a saved version into what format 2 wrote: float32 sentence vectors, with checksums."""
    from index.search_index import SENTENCE_VECTORS_FILE, part_checksums

    vectors = np.load(path / SENTENCE_VECTORS_FILE)
    np.save(path / SENTENCE_VECTORS_FILE, vectors.astype(np.float32))
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 2, "checksums": part_checksums(path)}))


def test_sentence_vectors_are_float16_on_disk_and_in_memory_and_scored_as_float32(article_alone_data_dir, embedder):
    from index.search_index import SENTENCE_VECTORS_FILE

    article_data_dir = article_alone_data_dir  # each sentence embedded alone: its vector is encode's of its text
    path = DataDir(article_data_dir).current_path()
    assert np.load(path / SENTENCE_VECTORS_FILE).dtype == np.float16
    index = load_index(DataDir(article_data_dir), embedder)
    assert index.sentence_vectors.dtype == np.float16
    assert index.sentence_vectors.nbytes == index.manifest.sentences * embedder.dimension * 2
    row = next(r for r, p in enumerate(index.paragraphs) if "Keen Sword" in p.text)
    spans, vectors = index.sentences(row)
    assert vectors.dtype == np.float32
    exact = embedder.encode([index.paragraphs[row].text[s:e] for s, e in spans])
    np.testing.assert_allclose(vectors, exact, atol=1e-3)  # float16 keeps about 3 decimal digits
    np.testing.assert_allclose(np.sum(vectors * exact, axis=1), 1.0, atol=1e-4)


def test_a_format_2_index_of_float32_vectors_is_refused_and_rebuilt_from_the_cache(copy_data_dir, embedder):
    path = DataDir(copy_data_dir).current_path()
    _as_format_2(path)
    with pytest.raises(IndexMismatchError, match=f"format 2, this citewise reads format {FORMAT_VERSION}: run `citewise index rebuild`"):
        load_index(DataDir(copy_data_dir), embedder)
    report = rebuild(CORPUS, copy_data_dir, embedder)
    assert report.built and report.version == "v0002" and report.embedded == 0
    rebuilt = load_index(DataDir(copy_data_dir), embedder)
    assert rebuilt.manifest.format_version == FORMAT_VERSION and rebuilt.sentence_vectors.dtype == np.float16


def test_a_format_3_index_without_pages_is_refused_and_rebuilt_from_the_cache(copy_data_dir, embedder):
    from index.search_index import PARAGRAPHS_FILE, part_checksums

    path = DataDir(copy_data_dir).current_path()
    records = [json.loads(line) for line in (path / PARAGRAPHS_FILE).read_text(encoding="utf-8").splitlines()]
    assert all("page" in record for record in records)
    for record in records:
        del record["page"]
    (path / PARAGRAPHS_FILE).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 3, "checksums": part_checksums(path)}))
    with pytest.raises(IndexMismatchError, match=f"format 3, this citewise reads format {FORMAT_VERSION}"):
        load_index(DataDir(copy_data_dir), embedder)
    report = rebuild(CORPUS, copy_data_dir, embedder)
    assert report.built and report.embedded == 0
    assert load_index(DataDir(copy_data_dir), embedder).paragraphs[0].page is None


# --- a bad CURRENT -----------------------------------------------------------------------


@pytest.mark.parametrize("content", BAD_POINTERS)
def test_a_bad_current_is_reported_and_readers_fall_back_to_the_newest_version(tmp_path, content):
    data_dir = DataDir(tmp_path)
    for name in ("v0001", "v0002"):
        (data_dir.versions_dir / name).mkdir(parents=True)
    data_dir.pointer.write_text(content, encoding="utf-8", errors="surrogateescape")
    assert data_dir.pointer_problem().startswith(f"CURRENT in '{tmp_path}' ")
    assert data_dir.current() == "v0002" and data_dir.current_path() == data_dir.versions_dir / "v0002"
    data_dir.switch("v0001")
    assert data_dir.pointer_problem() is None and data_dir.current() == "v0001"


def test_current_that_is_unreadable_or_missing(tmp_path):
    data_dir = DataDir(tmp_path)
    assert data_dir.current() is None and data_dir.pointer_problem() is None, "nothing built yet: no problem"
    (data_dir.versions_dir / "v0001").mkdir(parents=True)
    assert data_dir.current() == "v0001" and "missing" in data_dir.pointer_problem()
    data_dir.pointer.mkdir()
    assert data_dir.current() == "v0001" and "cannot be read" in data_dir.pointer_problem()


@pytest.mark.parametrize("content", ["../../etc", "garbage!", ""])
def test_ask_and_serve_fall_back_to_the_newest_good_version_and_say_so(copy_data_dir, embedder, settings_for, content, caplog):
    from chat.engine import Engine

    data_dir = DataDir(copy_data_dir)
    rebuild(CORPUS, copy_data_dir, embedder, force=True)
    (data_dir.path_of("v0002") / "dense.faiss").write_bytes(b"damaged")
    data_dir.pointer.write_text(content)
    with caplog.at_level(logging.WARNING, logger="index.builder"):
        engine = Engine.from_settings(settings_for(copy_data_dir), embedder=embedder)  # what `ask` and `serve` do
    assert engine.index.manifest.version == "v0001" and engine.ask(QUESTION).answered
    assert "CURRENT in" in caplog.text and "Serving v0001, the newest good version" in caplog.text


def test_cli_ask_with_a_path_in_current_answers(copy_data_dir, caplog):
    DataDir(copy_data_dir).pointer.write_text("../../etc")
    result = CliRunner().invoke(cli, ["ask", QUESTION, "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 0, result.output
    assert "1960" in result.stdout and "holds '../../etc', which is not a version name" in caplog.text


def test_with_no_good_version_a_bad_current_is_a_clear_error(copy_data_dir):
    data_dir = DataDir(copy_data_dir)
    (data_dir.current_path() / "dense.faiss").write_bytes(b"damaged")
    data_dir.pointer.write_text("garbage!")
    with pytest.raises(CorruptIndexError, match="holds 'garbage!'.*No version here can be served: run `citewise index rebuild`"):
        load_index(data_dir)


@pytest.mark.parametrize("content", ["../../etc", "garbage!", ""])
def test_cli_list_reports_a_bad_current_and_exits_non_zero(copy_data_dir, content):
    DataDir(copy_data_dir).pointer.write_text(content)
    result = CliRunner().invoke(cli, ["index", "list", "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.stdout.startswith("  v0001  "), "no version is marked serving"
    assert f"Error: CURRENT in '{copy_data_dir}' " in result.stderr and "`citewise index rollback v0001`" in result.stderr
    assert CliRunner().invoke(cli, ["index", "list", "--check", "--data-dir", str(copy_data_dir)]).exit_code == 1
    assert [i.serving for i in list_versions(DataDir(copy_data_dir))] == [False]


def test_rollback_needs_a_version_when_current_is_bad_and_repairs_it(copy_data_dir):
    data_dir = DataDir(copy_data_dir)
    data_dir.pointer.write_text("../../etc")
    with pytest.raises(FileNotFoundError, match="holds '../../etc'.*citewise index rollback VERSION"):
        rollback_index(data_dir)
    rollback_index(data_dir, "v0001")
    assert data_dir.pointer.read_text() == "v0001\n" and data_dir.pointer_problem() is None


@pytest.mark.parametrize("content", ["../../etc", ""])
def test_rebuild_with_a_bad_current_compares_with_the_newest_good_version_and_repairs_it(copy_data_dir, embedder, content, caplog):
    data_dir = DataDir(copy_data_dir)
    data_dir.pointer.write_text(content)
    with caplog.at_level(logging.WARNING, logger="index.builder"):
        report = rebuild(CORPUS, copy_data_dir, embedder)
    assert "CURRENT in" in caplog.text
    assert report.changes.counts()["unchanged"] == 46 and report.embedded == 0, "compared with v0001, not with nothing"
    assert report.built and data_dir.pointer.read_text() == "v0002\n" and data_dir.pointer_problem() is None
    assert not rebuild(CORPUS, copy_data_dir, embedder).built, "repaired: the next rebuild has nothing to do"


def test_a_running_server_logs_a_bad_current_once_and_keeps_serving(copy_data_dir, embedder, settings_for, caplog):
    from chat.engine import Engine

    engine = Engine.from_settings(settings_for(copy_data_dir), embedder=embedder)
    data_dir = DataDir(copy_data_dir)
    rebuild(CORPUS, copy_data_dir, embedder, force=True)
    data_dir.pointer.write_text("../../etc")
    with caplog.at_level(logging.INFO, logger="chat.engine"):
        assert not any(engine.refresh() for _ in range(5))
    records = [r for r in caplog.records if r.name == "chat.engine"]
    assert len(records) == 1 and records[0].exc_info is None
    assert "holds '../../etc'" in records[0].getMessage() and "v0001 keeps serving" in records[0].getMessage()
    assert engine.index.manifest.version == "v0001" and engine.ask(QUESTION).answered
    data_dir.switch("v0002")
    assert engine.refresh() and engine.index.manifest.version == "v0002"


def test_the_follower_logs_a_surprise_with_its_traceback_once(copy_data_dir, embedder, settings_for, caplog, monkeypatch):
    import threading

    from chat.engine import Engine

    engine = Engine.from_settings(settings_for(copy_data_dir), embedder=embedder)
    calls = threading.Semaphore(0)

    def broken_refresh():
        calls.release()
        raise RuntimeError("surprise")

    monkeypatch.setattr(engine, "refresh", broken_refresh)
    with caplog.at_level(logging.DEBUG, logger="chat.engine"):
        stop = engine.follow_current(0.01)
        for _ in range(5):
            assert calls.acquire(timeout=10)
        stop.set()
    tracebacks = [r for r in caplog.records if r.name == "chat.engine" and r.exc_info]
    assert len(tracebacks) == 1 and "surprise" in str(tracebacks[0].exc_info[1])


# --- a full disk, a damaged cache --------------------------------------------------------


def fill_the_disk_at(monkeypatch):
    """The next ``FaissStore.save`` writes to /dev/full, so the kernel answers ENOSPC as a full disk would."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    original = FaissStore.save

    def save_on_a_full_disk(self, directory):
        os.symlink("/dev/full", directory / FaissStore.FILE_NAME)
        original(self, directory)

    monkeypatch.setattr(FaissStore, "save", save_on_a_full_disk)


def test_a_full_disk_fails_the_rebuild_with_one_line_and_the_serving_version_stays(copy_data_dir, embedder, monkeypatch):
    fill_the_disk_at(monkeypatch)
    data_dir = DataDir(copy_data_dir)
    with pytest.raises(IndexWriteError, match=r"Could not write index version v0002: No space left on device \(.*/dense.faiss\)\. v0001 keeps serving"):
        rebuild(CORPUS, copy_data_dir, embedder, force=True)
    assert data_dir.current() == "v0001" and data_dir.versions() == ["v0001"] and len(load_index(data_dir, embedder)) == 46
    assert not [p for p in data_dir.versions_dir.iterdir() if p.name.startswith(".build")]

    result = CliRunner().invoke(cli, ["index", "rebuild", "--force", "--corpus", str(CORPUS), "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert error_lines == [line for line in result.stderr.splitlines() if "No space left on device" in line]
    assert len(error_lines) == 1 and "Traceback" not in result.stderr


def test_a_bug_while_writing_keeps_its_traceback(copy_data_dir, monkeypatch):
    def bug(self, directory):
        raise TypeError("a programming error")

    monkeypatch.setattr(FaissStore, "save", bug)
    result = CliRunner().invoke(cli, ["index", "rebuild", "--force", "--corpus", str(CORPUS), "--data-dir", str(copy_data_dir)])
    assert isinstance(result.exception, TypeError), "not swallowed into a one-line message"
    assert DataDir(copy_data_dir).current() == "v0001"


def damage_cache_pages(path, seed=0):
    """Random bytes over every page but the first two: SQLite opens the file, then finds it malformed."""
    rng = random.Random(seed)
    with open(path, "r+b") as handle:
        for offset in range(2 * 4096, path.stat().st_size, 4096):
            handle.seek(offset)
            handle.write(rng.randbytes(100))


def test_a_cache_damaged_mid_build_fails_the_rebuild_with_one_line_and_the_next_one_succeeds(copy_data_dir, embedder):
    data_dir = DataDir(copy_data_dir)
    cache_path = EmbeddingCache(data_dir.cache_dir, embedder.name, embedder.backend).path
    damage_cache_pages(cache_path)
    result = CliRunner().invoke(cli, ["index", "rebuild", "--force", "--corpus", str(CORPUS), "--data-dir", str(copy_data_dir)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.stderr
    assert f"Error: The embedding cache {cache_path} is damaged (database disk image is malformed)" in result.stderr
    assert "run the rebuild again. v0001 keeps serving." in result.stderr
    assert data_dir.current() == "v0001" and len(load_index(data_dir, embedder)) == 46
    assert not cache_path.exists(), "removed, so the next rebuild starts a new cache"

    report = rebuild(CORPUS, copy_data_dir, embedder, force=True)
    assert report.built and report.embedded == 151


def test_a_damaged_cache_raises_its_own_error(tmp_path):
    import numpy as np

    cache = EmbeddingCache(tmp_path, "m")
    cache.put_many([bytes([i]) * 16 for i in range(200)], np.ones((200, 384), dtype=np.float32))
    cache.close()
    damage_cache_pages(cache.path)
    cache = EmbeddingCache(tmp_path, "m")
    with pytest.raises(DamagedCacheError, match="is damaged"):
        cache.get_many([bytes([i]) * 16 for i in range(200)])
    assert not cache.path.exists()


# --- pruning the embedding cache ---------------------------------------------------------


def zephyr(n):
    return f"Zephyr Harbour {n}\n\nThe lighthouse number {n} was painted teal in {1900 + n}. Its keeper number {n} was Mira."


def test_a_rebuild_prunes_cached_vectors_no_kept_version_uses(copy_data_dir, embedder, tmp_path):
    data_dir = DataDir(copy_data_dir)
    assert cache_keys(copy_data_dir, embedder) == version_text_keys(data_dir.path_of("v0001"))
    for n in (1, 2, 3):
        corpus = corpus_with(tmp_path, f"zephyr-{n}.txt", zephyr(n))
        assert rebuild(corpus, copy_data_dir, embedder, keep=2).built
    assert data_dir.versions() == ["v0003", "v0004"]
    kept = version_text_keys(data_dir.path_of("v0003")) | version_text_keys(data_dir.path_of("v0004"))
    assert cache_keys(copy_data_dir, embedder) == kept, "zephyr 1's texts went with v0002"

    # Going back to a kept version's corpus embeds nothing: its vectors were kept.
    assert rebuild(corpus_with(tmp_path, "zephyr-2.txt", zephyr(2)), copy_data_dir, embedder, keep=2).embedded == 0


def test_prune_deletes_only_what_is_not_kept(tmp_path):
    import numpy as np

    cache = EmbeddingCache(tmp_path, "m")
    keys = [bytes([i]) * 16 for i in range(10)]
    cache.put_many(keys, np.ones((10, 4), dtype=np.float32))
    assert cache.prune(set(keys[:3]) | {b"x" * 16}) == 7
    assert set(cache.get_many(keys)) == set(keys[:3])
    assert cache.prune(set()) == 0 and len(cache) == 3, "keeping nothing is never taken literally"
