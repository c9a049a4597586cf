"""Index build as a user sees it: `citewise index rebuild` of a whole corpus against the few lines
anyone would write to embed the same documents with sentence-transformers.

Both run as commands in their own fresh process, timed from outside (Python, imports and the model
load included in both): the floor is ``SentenceTransformer(path).encode(documents, batch_size=32)``
with torch's default threads; the build is the real CLI with its defaults, from an empty data
directory (no embedding cache). They alternate, floor first and last, so drift hits both alike.
The other options a user may choose (``OTHER_OPTIONS``) are built the same way, each followed by a floor.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.squad import Subset
from bench.timing import stopwatch
from index import DataDir, default_model_path, load_index

log = logging.getLogger(__name__)

FLOOR_BATCH = 32  # sentence-transformers' own default
# The other backends, timed beside the default (onnx, one model pass per paragraph). Each builds into an empty
# data directory, so the onnx ones include exporting the model (about 2 s), as a user's first build does.
OTHER_OPTIONS = {
    "backend torch": {"CITEWISE_BACKEND": "torch"},
    "backend onnx-int8": {"CITEWISE_BACKEND": "onnx-int8"},
}
# What a user would write: load the shipped model, embed every document's text, nothing else.
_FLOOR_SCRIPT = """
import json, sys, time
from sentence_transformers import SentenceTransformer
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
model = SentenceTransformer(sys.argv[2], device="cpu")
started = time.perf_counter()
model.encode(texts, batch_size=int(sys.argv[3]))
print(json.dumps({"encode_seconds": time.perf_counter() - started}))
"""


def _environment() -> dict[str, str]:
    """This environment without CITEWISE_* settings: the build runs on its defaults."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CITEWISE_")}
    return {**environment, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _command(args: list[str], cwd: Path, settings: dict[str, str] | None = None) -> tuple[float, dict]:
    """Seconds ``args`` takes (with ``settings`` as CITEWISE_* variables), and the JSON object it prints last."""
    with stopwatch() as elapsed:
        done = subprocess.run(args, cwd=cwd, env={**_environment(), **(settings or {})}, capture_output=True, text=True)
        seconds = elapsed()
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed with {done.returncode}:\n{done.stderr[-4000:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def _floor(subset: Subset, work: Path) -> tuple[float, dict]:
    model = str(default_model_path())  # found here: the script itself imports nothing of ours
    return _command([sys.executable, "-c", _FLOOR_SCRIPT, str(subset.corpus), model, str(FLOOR_BATCH)], work)


def _rebuild(subset: Subset, data_dir: Path, *flags: str, settings: dict[str, str] | None = None) -> tuple[float, dict]:
    citewise = str(Path(sys.executable).parent / "citewise")
    command = [citewise, "index", "rebuild", "--corpus", str(subset.corpus), "--data-dir", str(data_dir), "--json", *flags]
    return _command(command, data_dir.parent, settings)


def run(subset: Subset, data_dir: Path) -> dict:
    """Build an index of ``subset`` into ``data_dir`` (left there for the other benchmarks), from an
    empty data directory, between two runs of the floor; then the two cheap rebuilds."""
    # The cwd holds no citewise.toml: the corpus folder's parent is the benchmark's own temp folder.
    work = subset.corpus.parent
    floors = []
    floor_seconds, floor_inside = _floor(subset, work)
    floors.append((floor_seconds, floor_inside["encode_seconds"]))
    log.info("floor: %.1f s (encode %.1f s); building...", *floors[-1])
    build_seconds, built = _rebuild(subset, data_dir)
    log.info("build: %.1f s (its own report %.1f s)", build_seconds, built["seconds"])
    floor_seconds, floor_inside = _floor(subset, work)
    floors.append((floor_seconds, floor_inside["encode_seconds"]))
    log.info("floor: %.1f s (encode %.1f s)", *floors[-1])
    fast = {}
    for name, settings in OTHER_OPTIONS.items():
        fast[name], _ = _rebuild(subset, data_dir.with_name(f"{data_dir.name}-{len(fast) + 1}"), settings=settings)
        floor_seconds, floor_inside = _floor(subset, work)
        floors.append((floor_seconds, floor_inside["encode_seconds"]))
        log.info("%s: %.1f s; floor: %.1f s", name, fast[name], floor_seconds)
    unchanged_seconds, unchanged = _rebuild(subset, data_dir)
    cached_seconds, cached = _rebuild(subset, data_dir, "--force")
    manifest = load_index(DataDir(data_dir)).manifest
    floor_mean = statistics.fmean(s for s, _ in floors)
    encode_mean = statistics.fmean(e for _, e in floors)
    return {
        "documents": manifest.documents,
        "words_per_document": statistics.fmean(len(t.split()) for t in subset.texts),
        "paragraphs": manifest.paragraphs,
        "sentences": manifest.sentences,
        "embedded": built["embedded"],
        "floor_batch": FLOOR_BATCH,
        "floor_runs": floors,
        "floor_seconds": floor_mean,
        "floor_encode_seconds": encode_mean,
        "build_seconds": build_seconds,
        "build_reported_seconds": built["seconds"],
        "ratio": build_seconds / floor_mean,
        "other_options": {name: {"seconds": seconds, "ratio": seconds / floor_mean} for name, seconds in fast.items()},
        "ratio_inside": built["seconds"] / encode_mean,
        "floor_documents_per_s": manifest.documents / floor_mean,
        "build_documents_per_s": manifest.documents / build_seconds,
        "unchanged_rebuild_seconds": unchanged["seconds"],
        "unchanged_command_seconds": unchanged_seconds,
        "unchanged_rebuilt": unchanged["built"],
        "cached_rebuild_seconds": cached["seconds"],
        "cached_command_seconds": cached_seconds,
        "cached_rebuild_embedded": cached["embedded"],
    }
