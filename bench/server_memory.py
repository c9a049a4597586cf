"""Server memory: the resident memory of a real `citewise serve` of a synthetic index version, after its first answer.

The scale benchmark's synthetic paragraphs (and its FAISS and BM25 stores) are saved as complete
index versions, each paragraph cut into ``SENTENCES_PER_PARAGRAPH`` sentences with a synthetic
vector each. Each variant serves in its own process, one at a time: VmRSS and VmHWM come from
its /proc status after the first answer and again after the timed questions.

Variants, side by side in one run:
- ``float32 in memory``: the format before float16 sentence vectors, read into the process.
- ``float16 in memory``: today's vectors, read into the process.
- ``float16 memory-mapped``: today's vectors, mapped (``SearchIndex.SENTENCE_MMAP_MODE``): only the pages of
  the sentences a question scores become resident.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import httpx
import numpy as np

from bench.timing import stopwatch, summary
from index import DataDir, FaissStore, IndexConfig, LexicalStore, Manifest, SearchIndex
from ingest import Paragraph
from tests.live_server import free_port, running_process

SENTENCES_PER_PARAGRAPH = 5  # SQuAD's paragraphs hold about five
_STARTUP_SECONDS = 900  # loading a million paragraphs (checksums, JSON, BM25) takes minutes here
# Runs `citewise serve` with the sentence vectors held as ARGV[1] says (the dtype, and whether mapped).
_SERVE = """
import sys
import numpy
from index import SearchIndex
dtype, mapped = sys.argv[1].split(",")
SearchIndex.SENTENCE_DTYPE = getattr(numpy, dtype)
SearchIndex.SENTENCE_MMAP_MODE = "r" if mapped == "mmap" else None
from chat.cli import cli
cli(sys.argv[2:], prog_name="citewise")
"""
VARIANTS = {"float32 in memory": "float32,load", "float16 in memory": "float16,load", "float16 memory-mapped": "float16,mmap"}
_ON_DISK = {"float32 in memory": "float32", "float16 in memory": "float16", "float16 memory-mapped": "float16"}


def sentence_spans(text: str, count: int) -> list[tuple[int, int]]:
    """``text`` cut at spaces into ``count`` runs of about equal length (each at least a word)."""
    spans, start = [], 0
    for number in range(1, count):
        end = text.find(" ", max(start + 1, len(text) * number // count))
        if end < 0:
            break
        spans.append((start, end))
        start = end + 1
    return [*spans, (start, len(text))]


@contextlib.contextmanager
def _sentence_dtype(dtype):
    """Save versions with sentence vectors of ``dtype`` (float32: the format before float16)."""
    saved = SearchIndex.SENTENCE_DTYPE
    SearchIndex.SENTENCE_DTYPE = dtype
    try:
        yield
    finally:
        SearchIndex.SENTENCE_DTYPE = saved


def write_versions(folder: Path, texts: list[str], dense: FaissStore, lexical: LexicalStore, vectors) -> None:
    """Save ``texts`` with ``dense`` and ``lexical`` as a serving version in ``folder/float16`` and
    ``folder/float32``; ``vectors(count, out)`` fills ``out`` with ``count`` sentence vectors."""
    paragraphs = [Paragraph(f"synthetic-{row}", f"Synthetic {row}", 1, text) for row, text in enumerate(texts)]
    spans = [sentence_spans(text, SENTENCES_PER_PARAGRAPH) for text in texts]
    count = sum(len(s) for s in spans)
    for name, dtype in (("float16", np.float16), ("float32", np.float32)):
        # Written through a mapped scratch file: at 1M paragraphs they are 4-8 GB.
        scratch = folder / f"sentences-{name}.npy"
        out = np.lib.format.open_memmap(scratch, mode="w+", dtype=dtype, shape=(count, dense.dimension))
        vectors(count, out)
        data_dir = DataDir(folder / name)
        version = data_dir.next_version()
        # Recorded as the default build, which ``dense`` (FaissOptions()) is; nothing is split again.
        manifest = Manifest(version=version, dimension=dense.dimension, corpus_fingerprint="synthetic", documents=len(texts),
                            paragraphs=len(texts), sentences=count, **IndexConfig().to_dict())
        staging = data_dir.staging_path(version)
        with _sentence_dtype(dtype):
            SearchIndex(manifest, paragraphs, spans, dense, lexical, out).save(staging)
        del out
        scratch.unlink()
        data_dir.publish(staging, version)
        data_dir.switch(version)


def _memory(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM, and RSS in anonymous memory (the process's own) and in mapped files (page cache,
    shared and reclaimable) of process ``pid``, in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM", "RssAnon", "RssFile")}


def _serve(data_dir: Path, variant: str, questions: list[str]) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", _SERVE, VARIANTS[variant], "serve", "--data-dir", str(data_dir), "--port", str(port),
               "--rate-limit", "0"]
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("CITEWISE_")}, "HF_HUB_OFFLINE": "1",
                   "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    log = data_dir.parent / f"serve-{port}.log"
    with stopwatch() as elapsed, running_process(command, f"{url}/healthz", log, "citewise serve", _STARTUP_SECONDS,
                                                 cwd=data_dir.parent, env=environment) as process, httpx.Client(base_url=url, timeout=120) as client:
        ready = elapsed()
        client.post("/api/ask", json={"question": questions[0]}).raise_for_status()
        first = _memory(process.pid)
        times, bodies = [], []
        for question in questions[1:]:
            with stopwatch() as took:
                response = client.post("/api/ask", json={"question": question})
                times.append(took())
            response.raise_for_status()
            bodies.append(response.json())
        return {
            "ready_seconds": ready, "after_first_answer_mb": first, "after_questions_mb": _memory(process.pid),
            "answers": summary(times), "answered": sum(b["answered"] for b in bodies), "asked": len(bodies),
            # Equal digests: the variants answered every question alike, citations and scores included.
            "answers_sha256": hashlib.sha256(json.dumps(bodies, sort_keys=True).encode()).hexdigest()[:16],
        }


def measure(folder: Path, questions: list[str]) -> dict[str, dict]:
    """Every variant, served one at a time from the versions ``write_versions`` left in ``folder``, which is then removed."""
    try:
        return {variant: _serve(folder / _ON_DISK[variant], variant, questions) for variant in VARIANTS}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
