"""`python -m bench [--quick]`: every benchmark in one run, written to bench/RESULTS.md."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from bench import build, cold_start, http_load, latency, report, scale, squad
from bench.timing import machine
from index import DataDir, Embedder, FaissOptions, load_index

HERE = Path(__file__).resolve().parent
# How much of everything a run measures; --quick is for trying the benchmarks out (a few minutes).
# "served": the scale sizes whose server memory is measured (a real `citewise serve` of each).
PLANS = {
    "full": {"documents": 5000, "questions": 300, "per_client": 24, "http_seconds": 120,
             "scale": [10_000, 100_000, 1_000_000], "served": [100_000, 1_000_000]},
    "quick": {"documents": 150, "questions": 40, "per_client": 6, "http_seconds": 60,
              "scale": [10_000, 100_000], "served": [100_000]},
}
_SCALE_QUERIES = 200

log = logging.getLogger("bench")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Small sizes, no 1M corpus; writes RESULTS-quick.md.")
    parser.add_argument("--out", type=Path, help="Where to write the results. [default: bench/RESULTS.md]")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    plan = PLANS[mode]
    out = args.out or HERE / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    work = Path(tempfile.mkdtemp(prefix="citewise-bench-"))
    # Each part's results as soon as it ends: a run stopped before the end (over an hour in full) keeps what it measured.
    partial = out.with_suffix(".partial.json")

    def keep(part: str, value) -> None:
        results[part] = value
        partial.write_text(json.dumps(results, indent=1) + "\n")

    try:
        results = {"mode": mode, "plan": plan, "machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        subset = squad.write_documents(work, plan["documents"])
        questions = subset.questions[: plan["questions"]]
        data_dir = work / "var"
        log.info("build: %d documents of about %d words, against the bare encode", plan["documents"], squad.WORDS_PER_DOCUMENT)
        keep("build", build.run(subset, data_dir))
        embedder = Embedder()
        log.info("latency in-process: %d questions", len(questions))
        keep("latency", latency.run(data_dir, embedder, questions))
        log.info("latency over HTTP")
        keep("http", http_load.run(data_dir, embedder, questions, plan["per_client"], plan["http_seconds"]))
        log.info("cold start")
        keep("cold_start", cold_start.run(data_dir, questions[0]))
        base = np.asarray(load_index(DataDir(data_dir)).sentence_vectors, dtype=np.float32)
        query_vectors = embedder.encode(subset.questions[:_SCALE_QUERIES])
        log.info("scale: %s paragraphs, vectors mixed from %d real embeddings; servers of %s", plan["scale"], len(base), plan["served"])
        keep("scale", scale.run(plan["scale"], plan["served"], base, query_vectors, work, FaissOptions()))
        results["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        results["machine"]["load_end"] = "load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    out.write_text(report.render(results))
    partial.unlink(missing_ok=True)
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
