"""Question latency in-process: ``Engine.ask`` against the floor, embedding the same question.

The floor is torch's ``encode([question])`` on one thread. The default backend answers from the
index, each other one (torch, onnx-int8) from its own index of the same paragraphs (an index is
served with the backend that built it), timed in the same interleaved rounds, so every figure is
beside the same floor.

    PYTHONPATH=. python -m bench.latency --documents 100 --questions 200
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.timing import interleaved, summary
from chat.engine import Engine, embedder_for
from chat.settings import Settings
from index import BACKENDS, DataDir, Embedder, build_index, load_index, rebuild_corpus

_WARM_UP = 5


def _backend_engine(data_dir: Path, backend: str, settings: Settings) -> Engine:
    """An engine on ``backend`` over the index ``data_dir`` serves if that backend built it, else over its own
    index of the same paragraphs, built beside it."""
    serving = load_index(DataDir(data_dir))
    own = DataDir(data_dir) if serving.manifest.backend == backend else DataDir(data_dir.parent / f"{data_dir.name}-{backend}")
    on_backend = settings.with_overrides(data_dir=own.root, backend=backend, models_dir=str(settings.models_folder()))
    embedder = embedder_for(on_backend)
    if own.current() is None:
        manifest = serving.manifest
        config = replace(manifest.config(), backend=backend)
        build_index(serving.paragraphs, own, embedder, config, manifest.documents, 1, progress=False)
    return Engine.from_settings(on_backend, embedder=embedder)


def run(data_dir: Path, embedder: Embedder, questions: list[str]) -> dict:
    """Time the default backend's ``engine.ask(q)`` and the torch floor ``embedder.encode([q])``
    alternately for every question, and each other backend's ``ask`` and ``encode`` in the same rounds.

    Args:
        embedder: The floor: the model on torch, one thread.

    Returns:
        p50/p95 of both, the ratio of the p50s, and the median of per-question ratios; under
        ``backends``, each other one's ask and encode p50/p95 and its ask p50 over the torch floor's.
    """
    settings = Settings().with_overrides(data_dir=data_dir)
    engine = _backend_engine(data_dir, settings.backend, settings)
    others = {backend: _backend_engine(data_dir, backend, settings) for backend in BACKENDS if backend != settings.backend}
    for question in questions[:_WARM_UP]:
        for each in (engine, *others.values()):
            each.ask(question)
    samples_of: dict[str, list[float]] = {}
    ratios = []
    for number, question in enumerate(questions):
        calls = {"floor": lambda: embedder.encode([question]), "ask": lambda: engine.ask(question)}
        for backend, other in others.items():
            calls[f"{backend} encode"] = lambda other=other: other.embedder.encode([question])
            calls[f"{backend} ask"] = lambda other=other: other.ask(question)
        samples = interleaved(calls, 1, offset=number)
        for name, times in samples.items():
            samples_of.setdefault(name, []).extend(times)
        ratios.append(samples["ask"][0] / samples["floor"][0])
    floor_summary, ask_summary = summary(samples_of["floor"]), summary(samples_of["ask"])
    ratios.sort()
    return {
        "questions": len(questions),
        "dense_index": engine.index.dense.describe(),
        "floor": floor_summary,
        "ask": ask_summary,
        "ratio_p50": ask_summary["p50_ms"] / floor_summary["p50_ms"],
        "ratio_p95": ask_summary["p95_ms"] / floor_summary["p95_ms"],
        "median_question_ratio": ratios[len(ratios) // 2],
        "backends": {
            backend: {
                "encode": summary(samples_of[f"{backend} encode"]),
                "ask": summary(samples_of[f"{backend} ask"]),
                "ask_ratio_p50_to_torch_floor": summary(samples_of[f"{backend} ask"])["p50_ms"] / floor_summary["p50_ms"],
            }
            for backend in others
        },
        "backend": settings.backend,
    }


def main() -> None:
    from bench.squad import WORDS_PER_DOCUMENT, write_documents

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=100,
                        help=f"Documents of about {WORDS_PER_DOCUMENT} words cut from SQuAD dev (bench/squad.py) indexed.")
    parser.add_argument("--questions", type=int, default=200, help="Their questions asked, at most.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="citewise-latency-"))
    try:
        subset = write_documents(work, args.documents)
        settings = Settings().with_overrides(data_dir=work / "var")
        rebuild_corpus(subset.corpus, DataDir(work / "var"), settings.index_config(), embedder_for(settings), keep_versions=1,
                       progress=False)
        print(json.dumps(run(work / "var", Embedder(), subset.questions[: args.questions]), indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
