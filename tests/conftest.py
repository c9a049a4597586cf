"""Shared fixtures: the real model, loaded once; a real index of the article, built once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index import IndexConfig

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DATA = Path(__file__).resolve().parent / "data"
# The engine the suite's model runs on, the default's unless ``TESTS_BACKEND`` (torch, onnx-int8) says otherwise:
# docs/quality.md checks that each answers as the default does.
TESTS_BACKEND = os.environ.get("TESTS_BACKEND") or IndexConfig.backend


# `make test` runs the suite on two pytest-xdist workers: most of its time goes to starting and waiting on processes
# (servers, browsers, a Ray cluster, an LLM), which one worker leaves the second core idle for. Tests go to the
# workers in groups, each run whole by one worker, so a fixture a group shares starts once: a module is a group (its
# module fixtures: a server, an LLM), and so are the modules that share session servers: every browser test (one
# server, one Chromium), and the HTTP tests on open_server and locked_server (tests/chat/conftest.py).
_SESSION_GROUPS = {
    "tests/browser/": "browser",
    "tests/chat/test_server.py": "chat-servers",
    "tests/chat/test_ui.py": "chat-servers",
    "tests/chat/test_live_guard.py": "chat-servers",
}


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        """xdist's by-module scheduling, with the groups above in place of their modules."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return next((group for prefix, group in _SESSION_GROUPS.items() if module.startswith(prefix)), module)

    return SharedFixtureScheduling(config, log)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """Where the onnx backends' export of the real model is kept this session (exported once, on first use)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch, tmp_path, models_dir):
    """No test reads the developer's citewise.toml or CITEWISE_* variables, or writes to ./var. Every data
    directory of the session, in this process or a server it starts, shares one export of the model
    (``models_dir``), and runs on the suite's backend."""
    for key in list(os.environ):
        if key.startswith("CITEWISE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CITEWISE_MODELS_DIR", str(models_dir))
    if TESTS_BACKEND != IndexConfig.backend:
        monkeypatch.setenv("CITEWISE_BACKEND", TESTS_BACKEND)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def embedder(models_dir):
    """The real model, on ``TESTS_BACKEND``."""
    from index import Embedder

    return Embedder(backend=TESTS_BACKEND, models_dir=models_dir)


@pytest.fixture(scope="session")
def settings_for(models_dir):
    """Settings for a data directory, as the CLI would load them (defaults plus overrides), on the suite's backend."""
    from chat.settings import Settings

    def make(data_dir: Path, **overrides) -> Settings:
        return Settings().with_overrides(**{"data_dir": data_dir, "corpus": CORPUS, "backend": TESTS_BACKEND,
                                            "models_dir": str(models_dir), **overrides})

    return make


def build_corpus_index(corpus: Path, data_dir: Path, embedder, settings) -> Path:
    """Build an index of ``corpus`` into ``data_dir`` with the use case `citewise index build` runs."""
    from index import DataDir, rebuild_corpus

    rebuild_corpus(corpus, DataDir(data_dir), settings.index_config(), embedder, keep_versions=settings.keep_versions,
                   force=True, build_threads=settings.build_threads, progress=False)
    return data_dir


@pytest.fixture(scope="session")
def article_data_dir(tmp_path_factory, embedder, settings_for) -> Path:
    """A data directory holding an index of corpus/ (the article), built once per session.

    Treat it as read-only; copy it (``copy_data_dir``) to change it.
    """
    data_dir = tmp_path_factory.mktemp("article") / "var"
    return build_corpus_index(CORPUS, data_dir, embedder, settings_for(data_dir))


@pytest.fixture(scope="session")
def article_alone_data_dir(tmp_path_factory, embedder, settings_for) -> Path:
    """As ``article_data_dir``, each sentence embedded on its own pass (``sentence_vectors = "alone"``)."""
    data_dir = tmp_path_factory.mktemp("article-alone") / "var"
    return build_corpus_index(CORPUS, data_dir, embedder, settings_for(data_dir, sentence_vectors="alone"))


# A paragraph on a topic nothing else mentions, whose sentences carry markup that would run
# (and set window.__pwned) if anything ever rendered document text as HTML.
HOSTILE_DOC = """The Quince Orchard Ledger

The warden of the Quince Orchard writes every frost in a blue ledger <script>window.__pwned=1</script> kept by the gate. \
The blue ledger of the Quince Orchard also lists each harvest <img src=x onerror="window.__pwned=1"> picked from the old trees.
"""
HOSTILE_QUESTION = "What does the warden of the Quince Orchard write in the blue ledger?"
PAYLOADS = ("<script>window.__pwned=1</script>", '<img src=x onerror="window.__pwned=1">')


@pytest.fixture(scope="session")
def served_data_dir(tmp_path_factory, embedder, settings_for) -> Path:
    """An index of corpus/ plus the hostile document, built once per session (read-only).

    Shared by the server tests (tests/chat) and the browser tests (tests/browser).
    """
    root = tmp_path_factory.mktemp("served")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "quince-orchard.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    data_dir = root / "var"
    return build_corpus_index(corpus, data_dir, embedder, settings_for(data_dir))


@pytest.fixture(scope="session")
def mixed_corpus(tmp_path_factory) -> Path:
    """One document of every format, made by real writers (tests/real_documents.py), once per session (read-only)."""
    from tests.real_documents import write_mixed_corpus

    return write_mixed_corpus(tmp_path_factory.mktemp("mixed") / "corpus")


@pytest.fixture(scope="session")
def mixed_data_dir(tmp_path_factory, mixed_corpus, embedder, settings_for) -> Path:
    """An index of ``mixed_corpus``, built once per session (read-only)."""
    data_dir = tmp_path_factory.mktemp("mixed-index") / "var"
    return build_corpus_index(mixed_corpus, data_dir, embedder, settings_for(data_dir))


@pytest.fixture
def copy_data_dir(article_data_dir, tmp_path) -> Path:
    """A private, writable copy of the article's data directory."""
    target = tmp_path / "var-copy"
    shutil.copytree(article_data_dir, target)
    return target


@pytest.fixture(scope="session")
def article_engine(article_data_dir, embedder, settings_for):
    from chat.engine import Engine

    return Engine.from_settings(settings_for(article_data_dir), embedder=embedder)
