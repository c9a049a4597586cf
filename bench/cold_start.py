"""Cold start: `citewise --help`, a one-off `citewise ask` (with and without an index), and `citewise serve`
to its first answer, beside what they are made of: the model load, the index load, the page's imports."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

from bench.timing import interleaved
from tests.live_server import running_server

_RUNS = 3
_HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "bm25s", "gradio", "fastapi", "uvicorn")


def _citewise(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "citewise"), *args]


def _run(command: list[str], fails: bool = False) -> None:
    """Run ``command``; it must succeed, or with ``fails`` exit with 1 (a refusal, not a crash)."""
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    done = subprocess.run(command, capture_output=True, env=environment)
    if done.returncode != (1 if fails else 0):
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr.decode(errors='replace')[-2000:]}")


def _serve_to_first_answer(data_dir: Path, question: str) -> None:
    with running_server(data_dir, "--rate-limit", "0") as server:
        httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=120).raise_for_status()


def heavy_imports(*args: str) -> list[str]:
    """Heavy packages that `citewise ARGS` imports (by ``python -X importtime``)."""
    command = [sys.executable, "-X", "importtime", "-m", "chat", *args]
    log = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in log.splitlines() if "|" in line}
    return [name for name in _HEAVY if name in imported]


def run(data_dir: Path, question: str) -> dict:
    """Medians of three rounds, each running every command once, next to what cannot be skipped.

    What cannot be skipped: starting Python, and loading the model to embed one text. Where the
    rest goes: loading the index (alone), importing the server and its page (Gradio, FastAPI).
    """
    commands = {
        "python": [sys.executable, "-c", "pass"],
        # The default backend's model, its export already in the data directory (as for `ask` and `serve`).
        "model_load": [sys.executable, "-c", "from chat.engine import embedder_for; from chat.settings import Settings; "
                       f"embedder_for(Settings().with_overrides(data_dir={str(data_dir)!r})).encode(['warm up'])"],
        "index_load": [sys.executable, "-c", f"from index import DataDir, load_index; load_index(DataDir({str(data_dir)!r}))"],
        "server_import": [sys.executable, "-c", "import chat.server"],
        "help": _citewise("--help"),
        "ask": _citewise("ask", "--data-dir", str(data_dir), question),
    }
    calls = {name: lambda c=command: _run(c) for name, command in commands.items()}
    no_index = data_dir.with_name(data_dir.name + "-never-built")
    calls["ask_no_index"] = lambda: _run(_citewise("ask", "--data-dir", str(no_index), question), fails=True)
    calls["serve_first_answer"] = lambda: _serve_to_first_answer(data_dir, question)
    medians = {f"{name}_seconds": statistics.median(times) for name, times in interleaved(calls, _RUNS).items()}
    return {
        **medians,
        "help_heavy_imports": heavy_imports("--help"),
        "ask_heavy_imports": heavy_imports("ask", "--data-dir", str(data_dir), question),
        "ask_over_model_load": medians["ask_seconds"] / medians["model_load_seconds"],
        "serve_over_model_load": medians["serve_first_answer_seconds"] / medians["model_load_seconds"],
    }
