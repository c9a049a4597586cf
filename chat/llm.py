"""The user's own LLM: any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp, LM Studio, an API).

Only ``POST {url}/chat/completions`` with ``"stream": true`` is used. Whatever goes wrong (no
server, a status of 400 or more, a stream that is not server-sent JSON chunks, no answer
within the timeout) is one ``LLMError``, raised within the timeout: the caller serves the
extractive answer instead.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Iterator

import httpx

from chat.settings import LLM_API_KEY_VARIABLE, Settings

_END = object()


class LLMError(RuntimeError):
    """The LLM gave no usable answer; the message says why (never the key)."""


class ChatModel:
    """Streams the answer of an OpenAI-compatible chat endpoint, bounded by a deadline.

    Args:
        url: The API's base URL, e.g. ``http://127.0.0.1:11434/v1``.
        model: The model name to send.
        timeout: Seconds the whole answer may take, from the request to its last token.
        max_tokens: Most tokens the model may write.
        api_key: Sent as ``Authorization: Bearer``; None sends none.
    """

    def __init__(self, url: str, model: str, timeout: float, max_tokens: int, api_key: str | None = None) -> None:
        self.endpoint = url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.max_tokens = max_tokens
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @classmethod
    def from_settings(cls, settings: Settings, environ: dict[str, str] | None = None) -> ChatModel | None:
        """The configured model, or None when ``llm_url`` is empty (extractive answers only)."""
        if not settings.llm_url:
            return None
        environ = os.environ if environ is None else environ
        return cls(settings.llm_url, settings.llm_model, settings.llm_timeout_seconds, settings.llm_max_tokens,
                   environ.get(LLM_API_KEY_VARIABLE) or None)

    def __repr__(self) -> str:  # never the key
        return f"ChatModel({self.endpoint!r}, model={self.model!r}, timeout={self.timeout})"

    def stream(self, messages: list[dict]) -> Iterator[str]:
        """The answer's text, piece by piece as the model writes it.

        The request runs in a thread, so that a server that stops sending mid-answer (or
        never answers) costs no more than ``timeout``: the deadline holds whatever the socket does.

        Raises:
            LLMError: no usable answer within the timeout.
        """
        deadline = time.monotonic() + self.timeout
        pieces: queue.Queue = queue.Queue()
        cancelled = threading.Event()
        threading.Thread(target=self._produce, args=(messages, pieces, cancelled), name="citewise-llm", daemon=True).start()
        try:
            while True:
                try:
                    piece = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise LLMError(f"no complete answer within {self.timeout:g} s") from None
                if piece is _END:
                    return
                if isinstance(piece, LLMError):
                    raise piece
                yield piece
        finally:
            cancelled.set()

    def _produce(self, messages: list[dict], pieces: queue.Queue, cancelled: threading.Event) -> None:
        body = {"model": self.model, "messages": messages, "stream": True, "max_tokens": self.max_tokens, "temperature": 0}
        try:
            with httpx.stream("POST", self.endpoint, json=body, headers=self._headers, timeout=self.timeout) as response:
                if response.status_code >= 400:
                    raise LLMError(f"{self.endpoint} answered {response.status_code}")
                for piece in _chunks(response.iter_lines()):
                    if cancelled.is_set():
                        return
                    pieces.put(piece)
            pieces.put(_END)
        except LLMError as error:
            pieces.put(error)
        except httpx.HTTPError as error:
            pieces.put(LLMError(f"{self.endpoint}: {type(error).__name__} {error}".strip()))


def _chunks(lines: Iterator[str]) -> Iterator[str]:
    """The text of an OpenAI chat-completion event stream, or ``LLMError`` if it is not one."""
    finished = False
    for line in lines:
        if not line.strip() or line.startswith(":"):
            continue  # keep-alives and comments
        if not line.startswith("data:"):
            raise LLMError(f"malformed stream: a line that is not an event ({line[:40]!r})")
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            return
        try:
            choice = json.loads(data)["choices"][0]
            text = (choice.get("delta") or {}).get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise LLMError(f"malformed stream: an event that is not a chat-completion chunk ({data[:40]!r})") from None
        if not isinstance(text, str):
            raise LLMError("malformed stream: content that is not text")
        finished = finished or choice.get("finish_reason") is not None
        if text:
            yield text
    if not finished:
        raise LLMError("malformed stream: it ended before the answer did (no [DONE], no finish_reason)")
