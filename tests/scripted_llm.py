"""A scripted OpenAI-compatible chat server on 127.0.0.1: a real HTTP server whose replies a test writes.

The script gets each request's JSON body and returns a ``Reply``: what to send, how slowly.
Every request body is kept in ``requests``, so a test can see what the model was asked (or
that it was never asked).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.checks import first_sentence


@dataclass
class Reply:
    status: int = 200
    writes: list[bytes] = field(default_factory=list)  # sent one by one, each flushed
    pause: float = 0.0  # seconds before each write (and before the status line)


def sse(*pieces: str, done: bool = True) -> list[bytes]:
    """``pieces`` as an OpenAI chat-completion event stream."""
    events = [
        b"data: " + json.dumps({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": p},
                                                                             "finish_reason": None}]}).encode() + b"\n\n"
        for p in pieces
    ]
    if done:
        events.append(b'data: {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
        events.append(b"data: [DONE]\n\n")
    return events


def sources(request: dict) -> dict[int, str]:
    """The numbered source texts of a grounded prompt, unescaped: ``{1: text, ...}``."""
    prompt = request["messages"][-1]["content"]
    return {int(n): html.unescape(text) for n, text in re.findall(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.S)}


def mixed_reply(request: dict) -> Reply:
    """A supported sentence (source 1's first, reworded a little), an unsupported one, and a [9] of k."""
    supported = first_sentence(sources(request)[1]).replace("This pact", "The pact")
    return Reply(writes=sse(supported[:20], supported[20:] + " [1] ", "The treaty was written on the Moon by ",
                           "penguins. [2] Japan has ninety aircraft carriers. [9]"))


@dataclass
class ScriptedLLM:
    url: str
    requests: list[dict]
    authorizations: list[str | None]  # each request's Authorization header


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: no length to know up front

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.requests.append(body)
        self.server.authorizations.append(self.headers.get("Authorization"))
        reply = self.server.script(body)
        time.sleep(reply.pause)
        self.send_response(reply.status)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may give up first: that is what some tests check
            for chunk in reply.writes:
                time.sleep(reply.pause)
                self.wfile.write(chunk)
                self.wfile.flush()

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def scripted_llm(script: Callable[[dict], Reply]) -> Iterator[ScriptedLLM]:
    """Serve ``script`` at ``http://127.0.0.1:PORT/v1`` for the length of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.script = script
    server.requests, server.authorizations = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ScriptedLLM(f"http://127.0.0.1:{server.server_address[1]}/v1", server.requests, server.authorizations)
    finally:
        server.shutdown()
        server.server_close()
