"""Question latency in-process: ``Engine.ask`` against the floor, embedding the same question."""

from __future__ import annotations

from pathlib import Path

from bench.timing import interleaved, summary
from chat.engine import Engine
from chat.settings import Settings
from index import Embedder

_WARM_UP = 5


def run(data_dir: Path, embedder: Embedder, questions: list[str]) -> dict:
    """Time ``engine.ask(q)`` and ``embedder.encode([q])`` alternately for every question.

    Returns:
        p50/p95 of both, the ratio of the p50s, and the median of per-question ratios.
    """
    engine = Engine.from_settings(Settings().with_overrides(data_dir=data_dir), embedder=embedder)
    for question in questions[:_WARM_UP]:
        engine.ask(question)
    floor, ask, ratios = [], [], []
    for number, question in enumerate(questions):
        calls = {"floor": lambda: embedder.encode([question]), "ask": lambda: engine.ask(question)}
        samples = interleaved(calls, 1, offset=number)
        floor += samples["floor"]
        ask += samples["ask"]
        ratios.append(samples["ask"][0] / samples["floor"][0])
    floor_summary, ask_summary = summary(floor), summary(ask)
    ratios.sort()
    return {
        "questions": len(questions),
        "dense_index": engine.index.dense.describe(),
        "floor": floor_summary,
        "ask": ask_summary,
        "ratio_p50": ask_summary["p50_ms"] / floor_summary["p50_ms"],
        "ratio_p95": ask_summary["p95_ms"] / floor_summary["p95_ms"],
        "median_question_ratio": ratios[len(ratios) // 2],
    }
