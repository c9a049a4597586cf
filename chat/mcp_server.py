"""citewise as an MCP server (the official ``mcp`` SDK): the tools ``ask`` and ``search``, over stdio.

An MCP client (Claude Desktop, an IDE, ``mcp.ClientSession``) starts `citewise mcp` itself and
talks to it on stdin/stdout, so there is no network peer to hold a token: the process is the
user's own. The rate limit of the server applies all the same (``rate_limit`` calls a minute).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from chat.engine import Engine
from chat.rate_limit import RateLimiter
from ingest import CitewiseError

_CLIENT = "mcp-stdio"  # the one client of a stdio server


@contextlib.contextmanager
def _told_to_the_client() -> Iterator[None]:
    # What is wrong with a call, in its message; the SDK would say only "Error executing tool".
    try:
        yield
    except CitewiseError as error:  # the MCP edge: a user's error is told, a bug keeps its traceback
        raise ToolError(str(error)) from None


def mcp_server(engine: Engine) -> MCPServer:
    """The MCP server answering from ``engine`` (its index may be swapped while serving)."""
    server = MCPServer("citewise", instructions="Answers from the user's documents; every sentence cites its paragraph.")
    limiter = RateLimiter(engine.settings.rate_limit)

    @server.tool()
    def ask(question: str, history: list[dict] | None = None) -> dict:
        """Answer a question from the documents. Returns the cited answer: ``answer`` (each sentence
        followed by [n]), ``answered`` (false when the documents don't say), ``citations`` (the
        paragraph, its document and section, and the quoted sentences) and ``mode``."""
        with _told_to_the_client():
            limiter.check(_CLIENT)
            return engine.ask(question, history).to_dict()

    @server.tool()
    def search(query: str, k: int = 5) -> list[dict]:
        """The ``k`` paragraphs that best match ``query`` (dense and BM25 fused), best first."""
        with _told_to_the_client():
            limiter.check(_CLIENT)
        s = engine.settings
        index = engine.index
        vector = engine.embedder.encode([query])[0]
        return [
            {"doc": hit.paragraph.doc_id, "paragraph": hit.paragraph.number, "section": hit.paragraph.section,
             "text": hit.paragraph.text, "score": round(float(hit.score), 4)}
            for hit in index.search(vector, query, max(1, min(k, 50)), s.fusion, s.lexical_weight, s.candidates)
        ]

    return server
