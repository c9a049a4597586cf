"""Hot swap: a rebuild reaches a running server without a restart and without failing a request."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from chat.engine import Engine
from index import DataDir
from tests.conftest import CORPUS, REPO, build_corpus_index
from tests.live_server import AskingClient, running_server, serving_version

# Starts processes (servers, the CLI, a browser): `make test` runs it, `make quick` leaves it out.
pytestmark = pytest.mark.slow

NEW_DOC = (
    "Zephyr Harbour\n\nThe Zephyr Harbour lighthouse was painted teal in 1931 by its keeper, Mira Olsen.\n\n"
    "The harbour froze over completely in the winter of 1947."
)
NEW_QUESTION = "What colour was the Zephyr Harbour lighthouse painted?"
OLD_QUESTION = "When was the defense treaty signed?"
_SWAP_SECONDS = 60


@pytest.fixture
def engine(copy_data_dir, embedder, settings_for):
    return Engine.from_settings(settings_for(copy_data_dir), embedder=embedder)


def test_refresh_swaps_in_the_new_version_while_the_old_object_stays_usable(engine, copy_data_dir, embedder, settings_for):
    before = engine.index
    assert not engine.refresh(), "nothing new yet"
    build_corpus_index(CORPUS, copy_data_dir, embedder, settings_for(copy_data_dir))
    assert engine.refresh()
    assert engine.index.manifest.version == "v0002" and before.manifest.version == "v0001"
    assert len(before) == len(engine.index) == 46, "a request that took the old index finishes on it"
    assert engine.ask(OLD_QUESTION).answered


def test_a_broken_new_version_is_logged_once_and_the_old_one_keeps_serving(engine, copy_data_dir, embedder, settings_for, caplog):
    build_corpus_index(CORPUS, copy_data_dir, embedder, settings_for(copy_data_dir))
    (DataDir(copy_data_dir).path_of("v0002") / "dense.faiss").write_bytes(b"garbage")
    with caplog.at_level(logging.ERROR, logger="chat.engine"):
        assert not engine.refresh() and not engine.refresh()
    assert engine.index.manifest.version == "v0001" and engine.ask(OLD_QUESTION).answered
    errors = [r.getMessage() for r in caplog.records if r.name == "chat.engine"]
    assert len(errors) == 1 and "v0002 cannot be served" in errors[0] and "v0001 keeps serving" in errors[0]


def test_follow_current_swaps_in_the_background_until_stopped(engine, copy_data_dir, embedder, settings_for):
    assert engine.follow_current(0).is_set(), "0 seconds means: do not follow"
    stop = engine.follow_current(0.1)
    try:
        build_corpus_index(CORPUS, copy_data_dir, embedder, settings_for(copy_data_dir))
        deadline = time.monotonic() + _SWAP_SECONDS
        while engine.index.manifest.version != "v0002" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert engine.index.manifest.version == "v0002"
    finally:
        stop.set()


def test_a_rebuild_while_clients_ask_fails_no_request_and_answers_the_new_document(copy_data_dir, tmp_path):
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    with running_server(
        copy_data_dir, "--corpus", str(corpus), "--rate-limit", "0", env={"CITEWISE_RELOAD_SECONDS": "0.5"}
    ) as server:
        assert serving_version(server.url) == "v0001"
        client = AskingClient(server.url, OLD_QUESTION, pause=0.1)  # a busy user, not a load test: the rebuild shares the CPU
        client.start()
        try:
            (corpus / "zephyr.txt").write_text(NEW_DOC)
            rebuild = subprocess.run(
                [sys.executable, "-m", "chat", "index", "rebuild", "--json", "--corpus", str(corpus), "--data-dir", str(copy_data_dir)],
                cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600,
            )
            assert rebuild.returncode == 0, rebuild.stderr
            report = json.loads(rebuild.stdout)
            assert report["version"] == "v0002" and report["unchanged"] == 46 and report["added"] >= 1
            deadline = time.monotonic() + _SWAP_SECONDS
            while serving_version(server.url) != "v0002" and time.monotonic() < deadline:
                time.sleep(0.2)
            assert serving_version(server.url) == "v0002", server.output()
            served_at_swap = client.served
            while client.served < served_at_swap + 3 and client.is_alive() and time.monotonic() < deadline:
                time.sleep(0.2)  # a few more answers, from the new version
        finally:
            client.stop.set()
            client.join(timeout=120)
        print(f"\nhot swap: {client.served} requests answered, {len(client.failures)} failed during the rebuild and swap")
        assert client.failures == [] and client.served > served_at_swap
        answer = httpx.post(f"{server.url}/api/ask", json={"question": NEW_QUESTION}, timeout=60).json()
        assert answer["answered"] and "teal" in answer["answer"], answer
        assert {c["doc"] for c in answer["citations"]} == {"zephyr.txt"}
        assert "now serving index v0002" in server.output()
