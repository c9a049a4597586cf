"""The embeddable widget: ``/widget.js`` for the host page, ``/embed`` for the chat in its iframe.

An intranet page adds ``<script src="http://HOST:PORT/widget.js" defer></script>``; the
script draws a launcher and opens ``/embed`` in an iframe. The iframe keeps the host's
styles and ours apart, and its ``Content-Security-Policy: frame-ancestors`` header lets
only the origins given with ``--allow-origin`` (and the server itself) show it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from chat.errors import SettingsError
from chat.settings import ORIGIN, Settings

STATIC = Path(__file__).parent / "static"

# The chat inside the iframe loads only its own files and talks only to its own server, so a
# paragraph that smuggled markup past the escaping would still have nothing it could run or fetch.
_EMBED_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
)

_ASSETS = {
    "/embed": ("embed.html", "text/html; charset=utf-8"),
    "/embed.js": ("embed.js", "text/javascript; charset=utf-8"),
    "/embed.css": ("embed.css", "text/css; charset=utf-8"),
    "/widget.js": ("widget.js", "text/javascript; charset=utf-8"),
}


def check_origins(origins: list[str]) -> list[str]:
    """The origins, each checked to be exactly ``scheme://host[:port]``.

    Raises:
        SettingsError: an origin with a path, wildcard or stray character; the message names it.
    """
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise SettingsError(
                f"Invalid allowed origin: {origin!r}. Give scheme, host and port only, e.g. http://intranet.example:8080."
            )
    return origins


def embed_policy(allow_origins: list[str]) -> str:
    """The ``Content-Security-Policy`` of ``/embed``: who may frame it, and what it may load."""
    return _EMBED_POLICY.format(ancestors=" ".join(["'self'", *check_origins(allow_origins)]))


def widget_router(settings: Settings) -> APIRouter:
    """Routes for ``GET /widget.js``, ``GET /embed`` and the embed's own script and style.

    Args:
        settings: Its ``allow_origins`` decide which other sites may show the widget.

    Raises:
        ValueError: ``settings.allow_origins`` holds something that is not an origin.
    """
    common = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    headers = {
        "/embed": {**common, "Content-Security-Policy": embed_policy(settings.allow_origins), "Referrer-Policy": "no-referrer"},
        # Any page may load the launcher script; the iframe policy decides whether the chat shows.
        "/widget.js": {**common, "Cross-Origin-Resource-Policy": "cross-origin"},
    }
    router = APIRouter(tags=["widget"])
    for path, (name, media_type) in _ASSETS.items():
        endpoint = _serve(STATIC / name, media_type, headers.get(path, common))
        router.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
    return router


def _serve(file: Path, media_type: str, headers: dict[str, str]):
    def endpoint() -> FileResponse:
        return FileResponse(file, media_type=media_type, headers=headers)

    return endpoint
