"""Question latency over HTTP: /api/ask with 1, 4 and 16 concurrent clients, and the Gradio chat."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.timing import interleaved, stopwatch, summary, timed
from index import Embedder
from tests.live_server import running_server

_TIMEOUT_SECONDS = 120


def _ask_all(url: str, questions: list[str], clients: int, deadline: float) -> tuple[list[float], int]:
    """Send every question once, spread over ``clients`` threads; ``(latencies, errors)``."""

    def client_loop(first: int) -> tuple[list[float], int]:
        latencies, errors = [], 0
        with httpx.Client(base_url=url, timeout=_TIMEOUT_SECONDS) as client:
            for question in questions[first::clients]:
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                response = client.post("/api/ask", json={"question": question})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "answer" not in response.json():
                    errors += 1
        return latencies, errors

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client_loop, range(clients)))
    return [s for latencies, _ in results for s in latencies], sum(errors for _, errors in results)


def _gradio(url: str, questions: list[str]) -> dict:
    from gradio_client import Client

    client = Client(url + "/", verbose=False)
    client.predict(questions[0], api_name="/chat")  # warm up: the first call fetches the config
    return summary([timed(lambda q=q: client.predict(q, api_name="/chat")) for q in questions])


def _one_client_against_floor(url: str, embedder: Embedder, questions: list[str]) -> tuple[dict, dict]:
    """One client's requests, each next to the floor (embedding the question here), alternating which goes first."""
    samples: dict[str, list[float]] = {"floor": [], "http": []}
    statuses = []
    with httpx.Client(base_url=url, timeout=_TIMEOUT_SECONDS) as client:
        for number, question in enumerate(questions):
            calls = {
                "floor": lambda: embedder.encode([question]),
                "http": lambda: statuses.append(client.post("/api/ask", json={"question": question}).status_code),
            }
            for name, seconds in interleaved(calls, 1, offset=number).items():
                samples[name] += seconds
    single = summary(samples["http"])
    # One client waits for each answer: its throughput is one over the mean latency.
    single.update(clients=1, errors=sum(status != 200 for status in statuses), throughput_per_s=1000 / single["mean_ms"])
    return summary(samples["floor"]), single


def run(data_dir: Path, embedder: Embedder, questions: list[str], per_client: int, max_seconds: float) -> dict:
    """Drive a real `citewise serve` (rate limit off) on loopback.

    One client sends ``4 * per_client`` questions, each timed next to the floor; then 4
    and 16 clients send ``per_client`` each, for at most ``max_seconds``; then the
    Gradio chat answers ``per_client`` questions through ``gradio_client``.
    """
    results: dict = {"levels": []}
    with running_server(data_dir, "--rate-limit", "0") as server:
        _ask_all(server.url, questions[:5], 1, time.monotonic() + max_seconds)  # warm up
        one_client = [questions[i % len(questions)] for i in range(4 * per_client)]
        results["floor"], single = _one_client_against_floor(server.url, embedder, one_client)
        results["levels"].append(single)
        for clients in (4, 16):
            batch = [questions[i % len(questions)] for i in range(per_client * clients)]
            with stopwatch() as elapsed:
                latencies, errors = _ask_all(server.url, batch, clients, time.monotonic() + max_seconds)
                wall = elapsed()
            results["levels"].append(
                {"clients": clients, "errors": errors, **summary(latencies), "throughput_per_s": len(latencies) / wall}
            )
        results["gradio"] = _gradio(server.url, questions[:per_client])
    results["ratio_p50_one_client"] = results["levels"][0]["p50_ms"] / results["floor"]["p50_ms"]
    return results
